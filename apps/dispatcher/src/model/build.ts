import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  toComment,
  validateIp,
  validateLocation,
  validateUpstream,
  type HeaderCheck,
  type HeaderSetting,
  type Location,
  type NginxConfig,
  type Server,
  type TlsSettings,
  type Upstream,
  type UpstreamServer,
} from '@kube-edge/nginx-render';
import type { DispatcherConfig } from '../config.js';
import {
  decodePathsAnnotation,
  parseBasePath,
  parseContainerPort,
  parseHostsAnnotation,
  parseTargetPath,
  type HostEntry,
  type LocationPath,
} from './annotations.js';
import { fnv1a32 } from './fnv.js';
import { healthCheckFor } from './health-check.js';
import type {
  DispatcherModel,
  HealthCheck,
  NamespaceObject,
  PodObject,
  SecretObject,
  Skipped,
  SkipReason,
  SslFile,
} from './types.js';

/** The objects a model is built from (live informers or manifest files). */
export interface ClusterState {
  readonly namespaces: readonly NamespaceObject[];
  readonly pods: readonly PodObject[];
  readonly secrets: readonly SecretObject[];
}

/** Paths the rendered config uses that belong to the process, not the cluster. */
export interface BuildOptions {
  /** `http.tempPathRoot` (nginx-render's process manager `paths.tempDir`). */
  readonly tempPathRoot?: string;
}

const SSL_CIPHERS = 'HIGH:!aNULL:!MD5:!DH+3DES:!kEDH';
const SSL_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;
/** The upstream for a `DEFAULT_LOCATION_RETURN` URL (a name no `upstream<digits>` can take). */
export const DEFAULT_LOCATION_UPSTREAM = 'default-location-return';

// The WebSocket fix: nginx drops inherited proxy_set_header once a location sets any,
// so every location repeats Upgrade and Connection next to Host.
const LOCATION_HEADERS: readonly HeaderSetting[] = [
  { name: 'Upgrade', value: { var: 'http_upgrade' } },
  { name: 'Connection', value: { var: 'p_connection' } },
  { name: 'Host', value: { var: 'http_host' } },
];

/**
 * Whether a pod may receive traffic: Running with a pod IP and, when `requireReady`, Ready and not
 * terminating. Pure.
 */
export function isPodRoutable(pod: PodObject, requireReady: boolean): boolean {
  if (pod.status?.phase !== 'Running') return false;
  if (!pod.status.podIP) return false;
  if (!requireReady) return true;
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** `upstream<fnv1a32(host + basePath)>`, the original's upstream name. Pure. */
export function upstreamName(host: string, basePath: string): string {
  return `upstream${fnv1a32(host + basePath)}`;
}

const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const nsOf = (o: { metadata?: { namespace?: string } }): string => o.metadata?.namespace ?? '';
const byName = <T extends { metadata?: { name?: string; namespace?: string } }>(a: T, b: T): number =>
  nsOf(a) < nsOf(b) ? -1 : nsOf(a) > nsOf(b) ? 1 : nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
// Claim order: the oldest object first (RFC 3339 UTC timestamps compare as strings; a missing
// one, as in manifest files, counts as oldest), then by name.
const created = (o: { metadata?: { creationTimestamp?: string } }): string =>
  o.metadata?.creationTimestamp ?? '';
const byClaim = <T extends { metadata?: { name?: string; namespace?: string; creationTimestamp?: string } }>(
  a: T,
  b: T,
): number => (created(a) < created(b) ? -1 : created(a) > created(b) ? 1 : byName(a, b));

// Secret values shorter than this are not searched for in logs: they would match ordinary text.
const MIN_REDACTED_LENGTH = 6;

interface LocationState {
  readonly namespace: string;
  readonly upstream: string;
  readonly rawPath: string;
  readonly loc: LocationPath;
  targetPath: string | undefined;
  readonly apiKey: HeaderCheck | undefined;
}

interface HostState {
  readonly host: string;
  readonly namespace: string;
  /** False when the owner's TLS for it is unusable: the host stays owned but has no server. */
  readonly served: boolean;
  readonly tls?: TlsSettings;
  needsDefaultLocation: boolean;
  /** By nginx location key (prefix and ^~ collide in nginx). */
  readonly locations: Map<string, LocationState>;
}

interface UpstreamState {
  readonly id: string;
  readonly namespace: string;
  readonly basePath: string;
  readonly servers: { pod: string; server: UpstreamServer }[];
  check: HealthCheck | undefined;
}

interface ValidRoute {
  readonly basePath: string;
  readonly loc: LocationPath;
  readonly port: number;
  readonly targetPath?: string;
  readonly weight?: number;
}

const locationKey = (l: LocationPath): string =>
  `${l.match === 'prefix-no-regex' ? 'prefix' : l.match} ${l.path}`;

function decodeSecretValue(data: Record<string, string> | undefined, key: string): Buffer | undefined {
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64');
}

/**
 * Builds the desired state from the cluster objects and the config: the nginx model, the
 * certificate files to write, the health checks, and every skipped object or part with its
 * reason. Every value taken from an object is checked with nginx-render's own validators
 * (location, upstream, header check, comment) before it enters the model, so whatever this
 * accepts renders; an object or entry that fails is skipped with its reason and the rest is
 * built as if it were absent. A host belongs to the oldest Namespace claiming it
 * (creationTimestamp, then name) for as long as that Namespace claims it, even while its TLS is
 * unusable; later claimants are skipped (`HostOwnedByOther`). Pure and deterministic: pods are
 * processed by `namespace/name`.
 */
export function buildModel(
  state: ClusterState,
  config: DispatcherConfig,
  options: BuildOptions = {},
): DispatcherModel {
  const skipped: Skipped[] = [];
  const skip = (
    o: { metadata?: { name?: string; namespace?: string; uid?: string } },
    kind: Skipped['kind'],
    reason: SkipReason,
    message: string,
  ): void => {
    skipped.push({
      kind,
      name: nameOf(o),
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
      ...(o.metadata?.uid ? { uid: o.metadata.uid } : {}),
      reason,
      message,
    });
  };

  // Secrets: only the routing Secret of each namespace, keyed by namespace AND name.
  const secrets = new Map<string, SecretObject>();
  for (const s of state.secrets) {
    if (nameOf(s) === config.apiKeySecretName) secrets.set(nsOf(s), s);
  }

  const namespaces = state.namespaces
    .filter((n) => config.routableSelector.matches(n.metadata?.labels))
    .slice()
    .sort(byClaim);
  const routableNamespaces = new Set(namespaces.map(nameOf));
  const hosts = new Map<string, HostState>();
  const hostsByNamespace = new Map<string, HostState[]>();
  const sslFiles: SslFile[] = [];

  for (const ns of namespaces) {
    const name = nameOf(ns);
    const parsed = parseHostsAnnotation(ns.metadata?.annotations?.[config.hostsAnnotation]);
    if (parsed.error !== undefined) skip(ns, 'Namespace', 'InvalidHostsAnnotation', parsed.error);
    for (const r of parsed.rejected) skip(ns, 'Namespace', r.reason, r.message);
    const own: HostState[] = [];
    for (const entry of parsed.hosts) {
      const existing = hosts.get(entry.host);
      if (existing !== undefined) {
        skip(
          ns,
          'Namespace',
          'HostOwnedByOther',
          `host "${entry.host}" is owned by namespace "${existing.namespace}" (the oldest namespace claiming a host owns it)`,
        );
        continue;
      }
      const tls =
        entry.ssl === undefined ? undefined : sslFor(ns, entry, config, secrets.get(name), sslFiles, skip);
      // A host whose TLS is unusable stays owned (no other namespace can take it over meanwhile)
      // but gets no server: the default server answers for it.
      const h: HostState = {
        host: entry.host,
        namespace: name,
        served: entry.ssl === undefined || tls !== undefined,
        ...(tls !== undefined ? { tls } : {}),
        needsDefaultLocation: true,
        locations: new Map(),
      };
      hosts.set(entry.host, h);
      own.push(h);
    }
    hostsByNamespace.set(name, own);
  }

  // The API key of each routable namespace: undefined when there is none; 'invalid' when nginx
  // could not carry it (then none of the namespace's pod routes is served: never without the key).
  const apiKeys = new Map<string, HeaderCheck | 'invalid' | undefined>();
  for (const ns of namespaces) {
    const name = nameOf(ns);
    const secret = secrets.get(name);
    const keyBytes = decodeSecretValue(secret?.data, config.apiKeySecretField);
    if (secret === undefined || keyBytes === undefined || keyBytes.length === 0) {
      apiKeys.set(name, undefined);
      continue;
    }
    const check: HeaderCheck = {
      header: config.apiKeyHeader,
      value: keyBytes.toString('base64'),
      status: 403,
    };
    const problem = apiKeyProblem(check);
    if (problem === undefined) apiKeys.set(name, check);
    else {
      apiKeys.set(name, 'invalid');
      skip(
        secret,
        'Secret',
        'InvalidApiKey',
        `data key "${config.apiKeySecretField}" (${keyBytes.length} bytes): ${problem}; the pods of namespace "${name}" are not routed until it is fixed (never without the key)`,
      );
    }
  }

  const upstreams = new Map<string, UpstreamState>();
  const pods = state.pods
    .filter(
      (p) => config.routableSelector.matches(p.metadata?.labels) && isPodRoutable(p, config.requireReady),
    )
    .slice()
    .sort(byName);
  let routedPods = 0;
  for (const pod of pods) {
    const annotation = pod.metadata?.annotations?.[config.pathsAnnotation];
    if (annotation === undefined) continue;
    const routes = podRoutes(pod, annotation, (reason, message) => skip(pod, 'Pod', reason, message));
    if (routes.length === 0) continue;
    const ns = nsOf(pod);
    if (!routableNamespaces.has(ns)) {
      skip(pod, 'Pod', 'NamespaceNotRoutable', `namespace "${ns}" is missing or not routable`);
      continue;
    }
    const apiKey = apiKeys.get(ns);
    if (apiKey === 'invalid') continue;
    const ip = pod.status?.podIP ?? '';
    const serverComment = toComment(`Pod ${nameOf(pod)} (namespace: ${ns})`);
    // An IP, never a hostname: nginx would resolve a name once at load and refuse the whole
    // config when it does not resolve.
    const ipOk = validateIp(ip);
    const ipIssue = ipOk.ok
      ? validateUpstream({ id: 'pod', servers: [{ address: ip, comment: serverComment }] })[0]?.reason
      : ipOk.reason;
    if (ipIssue !== undefined) {
      skip(pod, 'Pod', 'InvalidPodIP', `pod IP "${toComment(ip, 80)}": ${ipIssue}`);
      continue;
    }
    let routed = false;
    for (const host of hostsByNamespace.get(ns) ?? []) {
      if (!host.served) continue;
      for (const route of routes) {
        const key = upstreamName(host.host, route.basePath);
        if ((route.loc.match === 'prefix' || route.loc.match === 'prefix-no-regex') && route.loc.path === '/')
          host.needsDefaultLocation = false;
        const lk = locationKey(route.loc);
        let loc = host.locations.get(lk);
        if (loc === undefined) {
          loc = {
            namespace: ns,
            upstream: key,
            rawPath: route.basePath,
            loc: route.loc,
            targetPath: route.targetPath,
            apiKey,
          };
          host.locations.set(lk, loc);
        } else if (loc.namespace !== ns) {
          skip(
            pod,
            'Pod',
            'DuplicateHostPath',
            `host "${host.host}" path "${route.basePath}" is already served by namespace "${loc.namespace}"`,
          );
          continue;
        } else if (loc.rawPath !== route.basePath) {
          skip(
            pod,
            'Pod',
            'DuplicateHostPath',
            `host "${host.host}" path "${route.basePath}" is the same nginx location as "${loc.rawPath}"`,
          );
          continue;
        } else if (loc.targetPath === undefined && route.targetPath !== undefined) {
          loc.targetPath = route.targetPath;
        }
        let up = upstreams.get(key);
        if (up === undefined) {
          up = { id: key, namespace: ns, basePath: route.basePath, servers: [], check: undefined };
          upstreams.set(key, up);
        }
        up.servers.push({
          pod: nameOf(pod),
          server: {
            comment: serverComment,
            address: ip,
            ...(route.port !== 80 && route.port !== 443 ? { port: route.port } : {}),
            ...(route.weight !== undefined ? { weight: route.weight } : {}),
          },
        });
        if (up.check === undefined && config.enableHealthChecks) up.check = healthCheckFor(pod, route.port);
        routed = true;
      }
    }
    if (routed) routedPods++;
  }

  const nginxUpstreams: Upstream[] = [];
  for (const up of upstreams.values()) {
    // Stable sort: a pod listing the same basePath twice keeps both servers in order.
    const servers = up.servers
      .slice()
      .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))
      .map((s) => s.server);
    nginxUpstreams.push({
      id: up.id,
      // A basePath may be ~2,000 characters; the comment quotes at most 200 of them.
      comment: toComment(`Upstream for ${toComment(up.basePath, 200)} traffic on namespace ${up.namespace}`),
      keepalive: 1024,
      servers,
      ...(up.check !== undefined
        ? { healthCheck: { ...up.check, comment: 'Upstream health check for nginx_upstream_check_module' } }
        : {}),
    });
  }

  const dlr = config.defaultLocationReturn;
  let defaultLocation: Location;
  if (dlr.kind === 'status') {
    defaultLocation = { match: 'prefix', path: '/', action: { kind: 'return', status: dlr.status } };
  } else {
    defaultLocation = {
      match: 'prefix',
      path: '/',
      // The upstream carries the URL's host, so send that as Host, as `proxy_pass <url>` did.
      proxy: {
        httpVersion: '1.1',
        setHeaders: [
          ...LOCATION_HEADERS.slice(0, 2),
          { name: 'Host', value: dlr.port !== undefined ? `${dlr.host}:${dlr.port}` : dlr.host },
        ],
      },
      action: {
        kind: 'proxy',
        upstream: DEFAULT_LOCATION_UPSTREAM,
        scheme: dlr.scheme,
        ...(dlr.path !== undefined ? { uri: dlr.path } : {}),
      },
    };
  }
  let defaultLocationUsed = false;

  const servers: Server[] = [];
  const proxy = { httpVersion: '1.1' as const, setHeaders: LOCATION_HEADERS };
  const servedHosts = [...hosts.values()].filter((h) => h.served);
  for (const host of servedHosts.sort((a, b) => (a.host < b.host ? -1 : 1))) {
    const locations: Location[] = [];
    if (host.needsDefaultLocation) {
      locations.push(defaultLocation);
      defaultLocationUsed = true;
    }
    for (const l of host.locations.values()) {
      locations.push({
        match: l.loc.match,
        path: l.loc.path,
        ...(l.apiKey !== undefined ? { headerCheck: l.apiKey } : {}),
        proxy,
        action: {
          kind: 'proxy',
          upstream: l.upstream,
          ...(l.targetPath !== undefined ? { uri: l.targetPath } : {}),
        },
      });
    }
    servers.push({
      listen: [host.tls !== undefined ? { port: config.sslPort, ssl: true } : { port: config.port }],
      serverNames: [host.host],
      ...(host.tls !== undefined ? { tls: host.tls } : {}),
      locations,
    });
  }
  if (defaultLocationUsed && dlr.kind === 'proxy') {
    // An upstream server without a port means 80 to nginx even for https: say the scheme's port.
    nginxUpstreams.push({
      id: DEFAULT_LOCATION_UPSTREAM,
      comment: toComment(`DEFAULT_LOCATION_RETURN ${dlr.scheme}://${dlr.host}`),
      servers: [{ address: dlr.host, port: dlr.port ?? (dlr.scheme === 'https' ? 443 : 80) }],
    });
  }

  const statusAndClose: Location[] = [
    { match: 'exact', path: config.statusPath, action: { kind: 'return', status: 200 } },
    { match: 'prefix', path: '/', action: { kind: 'return', status: 444 } },
  ];
  servers.push({
    listen: [{ port: config.port, defaultServer: true }],
    serverNames: [],
    locations: statusAndClose,
  });
  if (config.ssl !== undefined) {
    servers.push({
      listen: [{ port: config.sslPort, ssl: true, defaultServer: true }],
      serverNames: [],
      tls: {
        ciphers: SSL_CIPHERS,
        protocols: SSL_PROTOCOLS,
        certificate: config.ssl.cert,
        certificateKey: config.ssl.key,
      },
      locations: statusAndClose,
    });
  }

  const nginx: NginxConfig = {
    main: { workerProcesses: config.workerProcesses, errorLog: { target: 'stderr', level: 'warn' } },
    events: { workerConnections: config.workerConnections, multiAccept: true },
    http: {
      // Error pages and the Server header do not name the nginx version.
      serverTokens: false,
      ...(options.tempPathRoot !== undefined ? { tempPathRoot: options.tempPathRoot } : {}),
      accessLog: config.accessLog === 'off' ? 'off' : { path: config.accessLog },
      typesHashMaxSize: 2048,
      serverNamesHashMaxSize: 512,
      serverNamesHashBucketSize: 64,
      clientMaxBodySize: config.maxClientBodySize,
      proxy: {
        httpVersion: '1.1',
        connectTimeout: '5s',
        requestBuffering: false,
        setHeaders: LOCATION_HEADERS.slice(0, 2),
      },
      maps: [
        {
          source: { var: 'http_connection' },
          target: 'p_connection',
          default: { var: 'http_connection' },
          entries: [{ key: '', value: 'close' }],
        },
      ],
    },
    upstreams: nginxUpstreams,
    servers,
  };
  return {
    nginx,
    sslFiles,
    skipped,
    secrets: secretValues([...secrets.values()]),
    stats: {
      hosts: servedHosts.length,
      upstreams: upstreams.size,
      servers: nginxUpstreams.reduce((n, u) => n + u.servers.length, 0),
      pods: routedPods,
    },
  };
}

/** Why nginx could not carry this API key check (nginx-render's location rules), or undefined. */
function apiKeyProblem(check: HeaderCheck): string | undefined {
  const issue = validateLocation({
    match: 'prefix',
    path: '/',
    headerCheck: check,
    action: { kind: 'return', status: 403 },
  })[0];
  return issue?.reason;
}

/**
 * The strings that must never appear in a log: every data value of the routing Secrets, as the
 * API carries it (base64) and decoded (when it is text), and each line of a decoded PEM value;
 * longest first, so a redactor replaces a whole value before any part of it.
 */
function secretValues(secrets: readonly SecretObject[]): string[] {
  const out = new Set<string>();
  const add = (s: string): void => {
    const v = s.trim();
    if (v.length >= MIN_REDACTED_LENGTH) out.add(v);
  };
  for (const s of secrets) {
    for (const value of Object.values(s.data ?? {})) {
      add(value);
      const text = Buffer.from(value, 'base64').toString('utf8');
      if (text.includes('\ufffd')) continue;
      add(text);
      add(Buffer.from(text).toString('base64'));
      if (text.includes('\n')) for (const line of text.split('\n')) if (!line.startsWith('-----')) add(line);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

type SkipFn = (o: NamespaceObject, kind: Skipped['kind'], reason: SkipReason, message: string) => void;

function sslFor(
  ns: NamespaceObject,
  entry: HostEntry,
  config: DispatcherConfig,
  secret: SecretObject | undefined,
  files: SslFile[],
  skip: SkipFn,
): TlsSettings | undefined {
  const ssl = entry.ssl!;
  if (config.ssl === undefined) {
    skip(
      ns,
      'Namespace',
      'SSLDisabled',
      `host "${entry.host}" has ssl options but SSL is disabled (SSL_CERT is not set)`,
    );
    return undefined;
  }
  if (secret === undefined) {
    skip(
      ns,
      'Namespace',
      'MissingSSLSecret',
      `host "${entry.host}": Secret "${config.apiKeySecretName}" does not exist`,
    );
    return undefined;
  }
  const get = (key: string): Buffer | undefined => decodeSecretValue(secret.data, key);
  const cert = get(ssl.certificate.key);
  const key = get(ssl.certificateKey.key);
  const client = ssl.clientCertificate === undefined ? undefined : get(ssl.clientCertificate.key);
  const missing =
    cert === undefined
      ? ssl.certificate.key
      : key === undefined
        ? ssl.certificateKey.key
        : ssl.clientCertificate !== undefined && client === undefined
          ? ssl.clientCertificate.key
          : undefined;
  if (missing !== undefined || cert === undefined || key === undefined) {
    skip(
      ns,
      'Namespace',
      'MissingSSLSecret',
      `host "${entry.host}": Secret "${config.apiKeySecretName}" has no data key "${missing ?? ''}"`,
    );
    return undefined;
  }
  // A certificate nginx cannot load would fail `nginx -t` for the whole config; refuse it here.
  const problem = checkPem(cert, key, client);
  if (problem !== undefined) {
    skip(ns, 'Namespace', 'InvalidSSLOptions', `host "${entry.host}": ${problem}`);
    return undefined;
  }
  const dir = `${config.sslCertDir}/${entry.host}`;
  const tls: TlsSettings = {
    ciphers: SSL_CIPHERS,
    protocols: SSL_PROTOCOLS,
    certificate: `${dir}/certificate.crt`,
    certificateKey: `${dir}/certificate.key`,
    ...(client !== undefined
      ? { clientCertificate: `${dir}/clientCertificate.crt`, verifyClient: 'on' as const }
      : {}),
  };
  files.push(
    { path: tls.certificate, content: cert, mode: 0o644 },
    { path: tls.certificateKey, content: key, mode: 0o600 },
  );
  if (client !== undefined)
    files.push({ path: `${dir}/clientCertificate.crt`, content: client, mode: 0o644 });
  return tls;
}

function checkPem(cert: Buffer, key: Buffer, client: Buffer | undefined): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return 'the certificate is not a PEM certificate';
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key)))
      return 'the certificate key does not match the certificate';
  } catch {
    return 'the certificate key is not a PEM private key';
  }
  if (client !== undefined) {
    try {
      new X509Certificate(client);
    } catch {
      return 'the client certificate is not a PEM certificate';
    }
  }
  return undefined;
}

/** What {@link podRoutes} found for one annotation text and set of declared ports. */
interface RoutesResult {
  readonly routes: readonly ValidRoute[];
  readonly reports: readonly (readonly [SkipReason, string])[];
}

// podRoutes is a function of the annotation text and the declared container ports only, and the
// replicas of a Deployment share both: each distinct pair is decoded and validated once, also
// across passes (every pass rebuilds from all pods). Bounded: cleared when it grows past the cap.
const ROUTES_CACHE_MAX = 16_384;
const routesCache = new Map<string, RoutesResult>();

/**
 * The valid routes of a pod's paths annotation; each bad entry is reported through `report`.
 * Pure (the result for an annotation text and the pod's declared ports is computed once and
 * reused; the routes returned are frozen).
 */
export function podRoutes(
  pod: PodObject,
  annotation: string,
  report: (reason: SkipReason, message: string) => void,
): ValidRoute[] {
  const ports: number[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.containerPort !== undefined) ports.push(p.containerPort);
  const key = `${ports.join(',')}\n${annotation}`;
  let result = routesCache.get(key);
  if (result === undefined) {
    const reports: [SkipReason, string][] = [];
    const routes = computeRoutes(new Set(ports), annotation, (reason, message) =>
      reports.push([reason, message]),
    );
    result = { routes, reports };
    if (routesCache.size >= ROUTES_CACHE_MAX) routesCache.clear();
    routesCache.set(key, result);
  }
  for (const [reason, message] of result.reports) report(reason, message);
  return result.routes.slice();
}

function computeRoutes(
  declared: ReadonlySet<number>,
  annotation: string,
  report: (reason: SkipReason, message: string) => void,
): ValidRoute[] {
  const decoded = decodePathsAnnotation(annotation);
  if (!decoded.ok) {
    report('InvalidPathsAnnotation', decoded.error);
    return [];
  }
  const routes: ValidRoute[] = [];
  for (const r of decoded.rejected) report('InvalidPathEntry', `entry ${r.index}: ${r.error}`);
  decoded.entries.forEach((e) => {
    const bad = (message: string): void => report('InvalidPathEntry', `entry ${e.index}: ${message}`);
    const port = parseContainerPort(e.containerPort);
    if (port === undefined) return bad(`port (${e.containerPort}) is not valid`);
    if (!declared.has(port)) return bad(`port (${e.containerPort}) is not an exposed container port`);
    const base = parseBasePath(e.basePath);
    if (!base.ok) return bad(base.reason);
    let targetPath: string | undefined;
    if (e.targetPath !== undefined) {
      const t = parseTargetPath(e.targetPath);
      if (!t.ok) return bad(t.reason);
      targetPath = t.value;
    }
    if (e.weight === 0) return bad('weight must not be 0');
    if (e.weight !== undefined && e.weight > 1_000_000) return bad('weight must be at most 1000000');
    // nginx-render's own rules decide last (one validation): what passes here renders.
    const issue =
      validateLocation({
        match: base.value.match,
        path: base.value.path,
        action: {
          kind: 'proxy',
          upstream: 'upstream0',
          ...(targetPath !== undefined ? { uri: targetPath } : {}),
        },
      })[0] ??
      validateUpstream({
        id: 'upstream0',
        servers: [{ address: '127.0.0.1', port, ...(e.weight !== undefined ? { weight: e.weight } : {}) }],
      })[0];
    if (issue !== undefined) return bad(`${issue.path}: ${issue.reason}`);
    routes.push(
      Object.freeze({
        basePath: e.basePath,
        loc: Object.freeze(base.value),
        port,
        ...(targetPath !== undefined ? { targetPath } : {}),
        ...(e.weight !== undefined ? { weight: e.weight } : {}),
      }),
    );
  });
  return routes;
}
