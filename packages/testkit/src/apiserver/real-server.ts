import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as stringifyYaml } from 'yaml';
import { freePort } from '../net/free-port.js';
import { makeTestCa, makeTestCertificate } from '../net/certificates.js';
import { httpRequest, type HttpResult } from '../net/http-request.js';
import { tempDir, type TempDir } from '../net/temp-dir.js';
import { signalChild, trackChild, untrackChild } from '../process/child-registry.js';
import { startEtcd, type EtcdProcess } from '../process/etcd.js';
import { OutputBuffer } from '../process/output-buffer.js';
import { exitedWithin, pollUntil } from '../process/wait.js';
import { findEtcd, findKubeApiServer, type KubeToolsLookup } from './binaries.js';
import type { ApiServerHandle, KubeObject } from './types.js';
import { errorMessage } from '@kube-edge/runtime';

/** Options of {@link startRealApiServer}; every field is optional. */
export interface RealApiServerOptions extends KubeToolsLookup {
  /** kube-apiserver executable. Default: {@link findKubeApiServer}. */
  binary?: string;
  /** etcd executable. Default: testkit's `etcdBinary()`. */
  etcdBinary?: string;
  /** How long to wait for `/readyz` to answer 200 (per start and per `restart()`). Default 60000 ms. */
  startTimeoutMs?: number;
  /**
   * `--service-cluster-ip-range`. Default `127.64.0.0/16`: loopback, so a Service IP can never
   * reach anything (there is no kube-proxy anyway); kube-apiserver 1.28 accepts it.
   */
  serviceClusterIpRange?: string;
  /** Extra kube-apiserver flags, after the ones set here (a later flag wins). Default none. */
  args?: readonly string[];
}

/**
 * A real kube-apiserver with its own etcd, started by {@link startRealApiServer}. It has the
 * shape of the test server's handle minus what only an in-process server can do: there is no
 * `store` (write through the REST API or {@link applyObjects}), no `faults` and no request log
 * (`requests()`, `openWatches()`); those fields are typed `never` so a test that needs them does
 * not compile against this handle.
 */
export interface RealApiServer extends ApiServerHandle {
  /** Always `real`. */
  readonly kind: 'real';
  /** `https://127.0.0.1:PORT` (kube-apiserver serves only HTTPS). */
  url: string;
  /** PEM of the test CA that issued the serving certificate (also in the kubeconfig). */
  caPem: string;
  /** The service CIDR the server was started with. */
  serviceClusterIpRange: string;
  /** The etcd behind it (its own temp dir; stopped by `close()`). */
  etcd: EtcdProcess;
  /** PID of kube-apiserver, or undefined while stopped. */
  pid(): number | undefined;
  /** kube-apiserver's output so far (last 1 MiB), for failure messages. Works after `close()`. */
  logs(): string;
  /** Not available on a real server: write through the REST API instead. */
  readonly store?: never;
  /** Not available on a real server: fault injection needs testkit's in-process server. */
  readonly faults?: never;
  /** Not available on a real server. */
  readonly requests?: never;
  /** Not available on a real server. */
  readonly openWatches?: never;
}

/** Whether {@link startRealApiServer} can run here, and if not, why. */
export type RealApiServerAvailability =
  { available: true; kubeApiServer: string; etcd: string } | { available: false; reason: string };

/**
 * Says whether a real API server can be started: kube-apiserver found by {@link findKubeApiServer}
 * and etcd installed. Blocking (a few `access` calls); never throws. Use it to skip a suite:
 * `describe.each(servers)` or `(available ? describe : describe.skip)`.
 */
export function realApiServerAvailable(options: KubeToolsLookup = {}): RealApiServerAvailability {
  const apiserver = findKubeApiServer(options);
  if (!apiserver.found) return { available: false, reason: apiserver.reason };
  const etcd = findEtcd();
  if (!etcd.found) return { available: false, reason: etcd.reason };
  return { available: true, kubeApiServer: apiserver.path, etcd: etcd.path };
}

const STOP_GRACE_MS = 5000;
const START_ATTEMPTS = 3;
const STDERR_TAIL_CHARS = 6000;

function run(binary: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { cwd, timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

function firstServiceIp(cidr: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(cidr);
  if (match === null) return undefined;
  return `${match[1]}.${match[2]}.${match[3]}.${Number(match[4]) + 1}`;
}

interface Running {
  pid: number;
  exitDescription(): string | undefined;
  exited: Promise<void>;
}

/**
 * Starts a real kube-apiserver (v1.28 from `../shared/bin`, or `KUBEBUILDER_ASSETS`, or
 * `KUBE_EDGE_KUBE_APISERVER`) against a fresh etcd, both on free 127.0.0.1 ports, envtest style:
 * HTTPS with a certificate from a throw-away CA, token auth (the admin token's user is in
 * `system:masters`), `--authorization-mode=RBAC`, ServiceAccount tokens signed with an EC key made
 * by openssl, the `ServiceAccount` admission plugin off (no controller-manager creates token
 * secrets), a loopback service CIDR. Resolves once `/readyz` answers 200 (~4–6 s here).
 *
 * Throws when the binaries are missing (check {@link realApiServerAvailable} first to skip) and,
 * loudly, when they are present but the server does not become ready in `startTimeoutMs`: the
 * error carries the tail of kube-apiserver's output. On failure nothing is left running or on
 * disk. Every process has testkit's watchdog, so none outlives the test process even if `close()`
 * is never reached. Always `close()` it (afterAll).
 */
export async function startRealApiServer(options: RealApiServerOptions = {}): Promise<RealApiServer> {
  const binary =
    options.binary ??
    (() => {
      const found = findKubeApiServer(options);
      if (!found.found) throw new Error(found.reason);
      return found.path;
    })();
  const serviceClusterIpRange = options.serviceClusterIpRange ?? '127.64.0.0/16';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const adminToken = randomBytes(24).toString('hex');

  const dir = await tempDir('kube-apiserver');
  let etcd: EtcdProcess | undefined;
  const output = new OutputBuffer();
  let running: Running | undefined;
  const kubeconfigDirs: TempDir[] = [];

  const stopApiServer = async (): Promise<void> => {
    const current = running;
    running = undefined;
    if (current === undefined) return;
    if (current.exitDescription() === undefined) {
      signalChild(current.pid, false, 'SIGTERM');
      const graceful = await exitedWithin(current.exited, STOP_GRACE_MS);
      if (!graceful) {
        signalChild(current.pid, false, 'SIGKILL');
        await exitedWithin(current.exited, STOP_GRACE_MS);
      }
    }
    untrackChild(current.pid);
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await stopApiServer();
      await etcd?.stop();
      await Promise.all(kubeconfigDirs.map((d) => d.remove()));
      await dir.remove();
    })();
    return closing;
  };

  try {
    etcd = await startEtcd(options.etcdBinary === undefined ? {} : { binary: options.etcdBinary });
    const ca = await makeTestCa({ commonName: 'kube-edge kube-apiserver CA' });
    const serviceIp = firstServiceIp(serviceClusterIpRange);
    const serving = await makeTestCertificate({
      commonName: 'kube-apiserver',
      ca,
      altNames: [
        '127.0.0.1',
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        ...(serviceIp === undefined ? [] : [serviceIp]),
      ],
    });
    await writeFile(join(dir.path, 'serving.crt'), serving.cert);
    await writeFile(join(dir.path, 'serving.key'), serving.key, { mode: 0o600 });
    await run(
      'openssl',
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'],
      dir.path,
    );
    await run('openssl', ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir.path);
    await writeFile(join(dir.path, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`, {
      mode: 0o600,
    });

    let port = await freePort();
    const etcdUrl = etcd.clientUrl;
    const launch = async (): Promise<void> => {
      const args = [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(dir.path, 'certs')}`,
        `--tls-cert-file=${join(dir.path, 'serving.crt')}`,
        `--tls-private-key-file=${join(dir.path, 'serving.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir.path, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir.path, 'sa.key')}`,
        `--token-auth-file=${join(dir.path, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-cluster-ip-range=${serviceClusterIpRange}`,
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        '--profiling=false',
        ...(options.args ?? []),
      ];
      output.push(Buffer.from(`--- kube-apiserver ${args.join(' ')}\n`));
      const child = spawn(binary, args, { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
      output.capture(child.stdout);
      output.capture(child.stderr);
      let exitDescription: string | undefined;
      const exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          exitDescription = signal === null ? `exited with code ${code ?? '?'}` : `killed by ${signal}`;
          resolve();
        });
        child.once('error', (error) => {
          exitDescription ??= `could not start: ${error.message}`;
          resolve();
        });
      });
      const pid = child.pid ?? -1;
      trackChild(child, false, dir.path);
      running = { pid, exitDescription: () => exitDescription, exited };
      try {
        await pollUntil({
          check: async () => {
            try {
              const res = await httpRequest({
                url: `https://127.0.0.1:${port}/readyz`,
                ca: ca.cert,
                headers: { Authorization: `Bearer ${adminToken}` },
                timeoutMs: 2000,
              });
              return res.status === 200;
            } catch {
              return false;
            }
          },
          abort: () => exitDescription,
          timeoutMs: startTimeoutMs,
          intervalMs: 50,
          describe: () => `kube-apiserver (${binary}) did not become ready on 127.0.0.1:${port}`,
        });
      } catch (error) {
        await stopApiServer();
        const text = output.text();
        const portTaken = /address already in use/.test(text);
        throw Object.assign(
          new Error(
            `${errorMessage(error)}\n--- kube-apiserver output (tail) ---\n${text.slice(-STDERR_TAIL_CHARS)}`,
            { cause: error },
          ),
          { portTaken },
        );
      }
    };

    for (let attempt = 1; ; attempt += 1) {
      try {
        await launch();
        break;
      } catch (error) {
        if (attempt >= START_ATTEMPTS || (error as { portTaken?: boolean }).portTaken !== true) throw error;
        port = await freePort();
      }
    }

    const url = `https://127.0.0.1:${port}`;
    const handle: RealApiServer = {
      kind: 'real',
      url,
      caPem: ca.cert,
      port,
      adminToken,
      serviceClusterIpRange,
      etcd,
      pid: () => running?.pid,
      logs: () => output.text(),
      kubeconfigYaml: () => kubeconfigFor(url, ca.cert, adminToken, 'admin'),
      async writeKubeconfig(path?: string): Promise<string> {
        return writeKubeconfigFile(handle.kubeconfigYaml(), path, kubeconfigDirs);
      },
      makeKubeConfig(): KubeConfig {
        const kc = new KubeConfig();
        kc.loadFromString(handle.kubeconfigYaml());
        return kc;
      },
      stop: stopApiServer,
      async restart(): Promise<void> {
        if (closing !== undefined) throw new Error('the real API server was closed; start a new one');
        if (running !== undefined) return;
        await launch();
      },
      close,
    };
    return handle;
  } catch (error) {
    await close();
    throw error;
  }
}

function kubeconfigFor(url: string, caPem: string, token: string, user: string): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube-edge-real',
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'kube-edge-real', user, namespace: 'default' } }],
    'current-context': user,
    preferences: {},
  });
}

async function writeKubeconfigFile(text: string, path: string | undefined, dirs: TempDir[]): Promise<string> {
  let target = path;
  if (target === undefined) {
    const dir = await tempDir('kubeconfig');
    dirs.push(dir);
    target = join(dir.path, 'kubeconfig');
  }
  await writeFile(target, text, { mode: 0o600 });
  return target;
}

/** One call to the API as the admin, the body JSON-encoded. Rejects on connection errors only. */
export async function adminRequest(
  server: ApiServerHandle,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<HttpResult> {
  return httpRequest({
    url: `${server.url}${path}`,
    method,
    headers: {
      Authorization: `Bearer ${server.adminToken}`,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': contentType }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(server.caPem === undefined ? {} : { ca: server.caPem }),
    timeoutMs: 15_000,
  });
}

function expectStatus(res: HttpResult, ok: number[], what: string): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status}: ${res.body}`);
}

/** A ServiceAccount's identity on a server, from {@link mintServiceAccountToken}. */
export interface ServiceAccountCredentials {
  namespace: string;
  name: string;
  /** The bearer token (a TokenRequest JWT). */
  token: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  username: string;
  /** A kubeconfig for the server as this ServiceAccount (namespace = its namespace). */
  kubeconfigYaml(): string;
  /** Writes the kubeconfig (by default to a fresh temp file, which the caller removes) and returns its path. */
  writeKubeconfig(path?: string): Promise<string>;
  /** A client-node KubeConfig as this ServiceAccount. */
  makeKubeConfig(): KubeConfig;
}

/**
 * Creates namespace `namespace` and ServiceAccount `name` in it unless they exist, then requests a
 * token for it through the TokenRequest API (`expirationSeconds`, default 3600) and returns its
 * credentials. Non-blocking; idempotent (each call mints a new token). Rejects with the server's
 * answer when a call fails. Real server only: the test server has no ServiceAccounts.
 */
export async function mintServiceAccountToken(
  server: RealApiServer,
  namespace: string,
  name: string,
  options: { expirationSeconds?: number } = {},
): Promise<ServiceAccountCredentials> {
  const ns = await adminRequest(server, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  expectStatus(ns, [201, 409], `create namespace ${namespace}`);
  const sa = await adminRequest(server, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  expectStatus(sa, [201, 409], `create serviceaccount ${namespace}/${name}`);
  const res = await adminRequest(
    server,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: options.expirationSeconds ?? 3600 },
    },
  );
  expectStatus(res, [201], `request a token for serviceaccount ${namespace}/${name}`);
  const token = res.json<{ status?: { token?: string } }>().status?.token;
  if (token === undefined)
    throw new Error(`TokenRequest for ${namespace}/${name} returned no token: ${res.body}`);
  const username = `system:serviceaccount:${namespace}:${name}`;
  const yaml = (): string =>
    kubeconfigFor(server.url, server.caPem, token, username).replace(
      'namespace: default',
      `namespace: ${namespace}`,
    );
  const dirs: TempDir[] = [];
  return {
    namespace,
    name,
    token,
    username,
    kubeconfigYaml: yaml,
    writeKubeconfig: (path?: string) => writeKubeconfigFile(yaml(), path, dirs),
    makeKubeConfig(): KubeConfig {
      const kc = new KubeConfig();
      kc.loadFromString(yaml());
      return kc;
    },
  };
}

/** Kinds {@link rbacObjects} keeps: what a chart needs so an app runs with exactly its permissions. */
export const RBAC_KINDS: readonly string[] = [
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
];

/** The ServiceAccounts, Roles, ClusterRoles and bindings among `objects` (e.g. a rendered chart), in their order. Pure. */
export function rbacObjects(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => RBAC_KINDS.includes(o.kind));
}

/**
 * Creates each object through the API as the admin, in order (Namespaces and
 * CustomResourceDefinitions first); an object that exists is replaced (client-side, last
 * writer wins). Namespaced objects without a namespace go to `namespace` (default `default`),
 * which is created if missing. Works on both servers; resources are found through discovery.
 * Objects are sent as raw JSON, exactly as given (no typed client model in between, so keys a
 * model does not know, such as a CRD schema's `x-kubernetes-*`, reach the server). Non-blocking;
 * idempotent. Rejects on the first failure, naming the object and the server's answer. Returns
 * what the server stored.
 */
export async function applyObjects(
  server: ApiServerHandle,
  objects: readonly KubeObject[],
  options: { namespace?: string } = {},
): Promise<KubeObject[]> {
  const namespace = options.namespace ?? 'default';
  const rank = (o: KubeObject): number =>
    o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2;
  const ordered = [...objects].sort((a, b) => rank(a) - rank(b));
  const discovered = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  const discover = async (
    apiVersion: string,
    kind: string,
  ): Promise<{ name: string; namespaced: boolean }> => {
    let resources = discovered.get(apiVersion);
    if (resources === undefined) {
      const res = await adminRequest(
        server,
        'GET',
        apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
      );
      expectStatus(res, [200], `discover ${apiVersion}`);
      resources = res.json<{ resources: { name: string; kind: string; namespaced: boolean }[] }>().resources;
      discovered.set(apiVersion, resources);
    }
    const found = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (found === undefined) throw new Error(`the server has no kind ${kind} in ${apiVersion}`);
    return found;
  };
  const ensured = new Set<string>();
  const stored: KubeObject[] = [];
  for (const object of ordered) {
    const copy = structuredClone(object);
    const metadata = copy.metadata;
    const resource = await discover(copy.apiVersion, copy.kind);
    if (resource.namespaced && metadata.namespace === undefined) metadata.namespace = namespace;
    const ns = resource.namespaced ? metadata.namespace : undefined;
    if (ns !== undefined && !ensured.has(ns)) {
      const res = await adminRequest(server, 'POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      expectStatus(res, [201, 409], `create namespace ${ns}`);
      ensured.add(ns);
    }
    const name = metadata.name ?? '';
    const label = `${copy.kind} ${ns === undefined ? '' : `${ns}/`}${name || '?'}`;
    const base = copy.apiVersion.includes('/') ? `/apis/${copy.apiVersion}` : `/api/${copy.apiVersion}`;
    const collection = `${base}${ns === undefined ? '' : `/namespaces/${ns}`}/${resource.name}`;
    const item = `${collection}/${encodeURIComponent(name)}`;
    let res = await adminRequest(server, 'POST', collection, copy);
    if (res.status === 409) {
      const existing = await adminRequest(server, 'GET', item);
      expectStatus(existing, [200], `apply ${label}: read the existing object`);
      const rv = existing.json<KubeObject>().metadata?.resourceVersion;
      res = await adminRequest(server, 'PUT', item, {
        ...copy,
        metadata: { ...metadata, ...(rv === undefined ? {} : { resourceVersion: rv }) },
      });
    }
    expectStatus(res, [200, 201], `apply ${label}`);
    stored.push(res.json<KubeObject>());
  }
  return stored;
}
