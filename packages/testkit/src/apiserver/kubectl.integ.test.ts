// Fidelity: the kubectl on PATH against the test server and a real kube-apiserver (the HTTPS and
// OpenAPI options are the test server's own). Calls run one after another (~0.3 s each).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fidelityServers, waitFor } from '../../test/apiserver/helpers.js';
import { eventually } from '../util/eventually.js';
import { adminRequest } from './real-server.js';
import { startApiServer } from './server.js';
import type { ApiServerHandle, KubeObject } from './types.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: ApiServerHandle;
let dir: string;
let env: NodeJS.ProcessEnv;
const children = new Set<ChildProcess>();

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code =
        err === null
          ? 0
          : typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function manifest(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const app = (replicas: number, envValue: string, extraLabel: string): string => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web${extraLabel}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: "${envValue}"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: kube-edge
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;

/** An object as the server stores it (GET as the admin), or undefined on 404. */
async function stored<T extends KubeObject = KubeObject>(path: string): Promise<T | undefined> {
  const r = await adminRequest(server, 'GET', path);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.body}`);
  return r.json<T>();
}

async function setUp(start: () => Promise<ApiServerHandle>): Promise<void> {
  server = await start();
  dir = await mkdtemp(join(tmpdir(), 'kube-edge-kubectl-'));
  const kubeconfig = await server.writeKubeconfig(join(dir, 'kubeconfig'));
  // A private HOME keeps kubectl's discovery cache per run (it caches by host:port for hours).
  env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig };
}

async function tearDown(): Promise<void> {
  for (const c of children) c.kill('SIGKILL');
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}

describe.each(fidelityServers())('kubectl against the $name', ({ kind, available, start }) => {
  const describeOn = available ? describe : describe.skip;
  describeOn('one namespace, step by step', () => {
    beforeAll(() => setUp(start), 90_000);
    afterAll(tearDown);

    it('creates objects with create -f, including their namespace', async () => {
      const path = await manifest('app.yaml', app(1, 'slow', ''));
      const out = await ok('create', '-f', path, '--validate=false');
      expect(out.trim().split('\n')).toEqual([
        'namespace/shop created',
        'deployment.apps/web created',
        'service/web created',
        'ingress.networking.k8s.io/web created',
      ]);
      expect(await stored('/apis/apps/v1/namespaces/shop/deployments/web')).toMatchObject({
        spec: { replicas: 1 },
      });
      // Each server's service range (README).
      expect(
        (await stored<KubeObject & { spec: { clusterIP: string } }>('/api/v1/namespaces/shop/services/web'))
          ?.spec.clusterIP,
      ).toMatch(kind === 'fake' ? /^10\.96\./ : /^127\.64\./);
    });

    it('gets objects as JSON, single and as a list, and reports NotFound like a real server', async () => {
      const one = JSON.parse(await ok('get', 'deployment', 'web', '-n', 'shop', '-o', 'json')) as KubeObject;
      const deployment = await stored('/apis/apps/v1/namespaces/shop/deployments/web');
      expect(one.metadata.uid).toBe(deployment?.metadata.uid);
      expect(one.metadata.resourceVersion).toBe(deployment?.metadata.resourceVersion);
      const list = JSON.parse(await ok('get', 'svc,ing', '-n', 'shop', '-o', 'json')) as {
        items: KubeObject[];
      };
      expect(list.items.map((i) => `${i.kind}/${i.metadata.name ?? ''}`)).toEqual([
        'Service/web',
        'Ingress/web',
      ]);
      const names = await ok('get', 'ns', '-o', 'name');
      expect(names.trim().split('\n')).toEqual(
        expect.arrayContaining(['namespace/default', 'namespace/kube-system', 'namespace/shop']),
      );
      const missing = await kubectl('get', 'configmap', 'nope', '-n', 'shop');
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe('Error from server (NotFound): configmaps "nope" not found');
    });

    it('applies changes with client-side apply (3-way strategic merge), and reports unchanged on a re-apply', async () => {
      const first = await manifest('app.yaml', app(2, 'fast', ', tier: front'));
      const out = await ok('apply', '-f', first, '--validate=false');
      expect(out).toContain('deployment.apps/web configured');
      const d = await stored<
        KubeObject & { spec: { replicas: number; template: { spec: { containers: { env: unknown }[] } } } }
      >('/apis/apps/v1/namespaces/shop/deployments/web');
      expect(d?.spec.replicas).toBe(2);
      expect(d?.spec.template.spec.containers[0]?.env).toEqual([{ name: 'MODE', value: 'fast' }]);
      expect(d?.metadata.labels).toEqual({ app: 'web', tier: 'front' });
      expect(d?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
        '"replicas":2',
      );
      const again = await ok('apply', '-f', first, '--validate=false');
      expect(again).toContain('deployment.apps/web unchanged');
      const second = await manifest('app.yaml', app(2, 'fast', ''));
      await ok('apply', '-f', second, '--validate=false');
      expect((await stored('/apis/apps/v1/namespaces/shop/deployments/web'))?.metadata.labels).toEqual({
        app: 'web',
      });
    });

    it('patches with strategic merge (default), merge and JSON patches', async () => {
      await ok(
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}',
      );
      await ok(
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '--type=merge',
        '-p',
        '{"metadata":{"annotations":{"owner":"team-a"}}}',
      );
      await ok(
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":4}]',
      );
      const d = await stored<
        KubeObject & {
          spec: { replicas: number; template: { spec: { containers: { image: string; env: unknown }[] } } };
        }
      >('/apis/apps/v1/namespaces/shop/deployments/web');
      expect(d?.spec.replicas).toBe(4);
      expect(d?.spec.template.spec.containers[0]).toMatchObject({
        image: 'nginx:1.28',
        env: [{ name: 'MODE', value: 'fast' }],
      });
      expect(d?.metadata.annotations?.['owner']).toBe('team-a');
      const status = await kubectl(
        'patch',
        'ingress',
        'web',
        '-n',
        'shop',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}',
      );
      expect(status.code).toBe(0);
      expect((await stored('/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web'))?.['status']).toEqual({
        loadBalancer: { ingress: [{ ip: '192.0.2.1' }] },
      });
    });

    it('streams changes with get --watch', async () => {
      await adminRequest(server, 'POST', '/api/v1/namespaces/shop/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'before', namespace: 'shop' },
      });
      const child = spawn(
        'kubectl',
        ['get', 'configmaps', '-n', 'shop', '--watch', '--output-watch-events', '-o', 'json'],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.add(child);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString('utf8');
      });
      try {
        // The explicit signal: kubectl printed the object that existed before it started (its
        // initial list); its watch starts at that list's resourceVersion, so nothing after is missed.
        await waitFor(() => /"name": ?"before"/.test(out), 10_000, 'kubectl to list');
        const cmPath = '/api/v1/namespaces/shop/configmaps';
        expect(
          (
            await adminRequest(server, 'POST', cmPath, {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'watched', namespace: 'shop' },
              data: { a: '1' },
            })
          ).status,
        ).toBe(201);
        expect(
          (
            await adminRequest(
              server,
              'PATCH',
              `${cmPath}/watched`,
              { data: { a: '2' } },
              'application/merge-patch+json',
            )
          ).status,
        ).toBe(200);
        expect((await adminRequest(server, 'DELETE', `${cmPath}/watched`)).status).toBe(200);
        await waitFor(
          () => (out.match(/"type": ?"/g) ?? []).length >= 4,
          10_000,
          'four watch events from kubectl',
        );
        const types = [...out.matchAll(/"type": ?"(\w+)"/g)].map((m) => m[1]);
        expect(types).toEqual(['ADDED', 'ADDED', 'MODIFIED', 'DELETED']);
      } finally {
        child.kill('SIGKILL');
        children.delete(child);
      }
    });

    it('applies a CRD and then its custom resources, and lists them', async () => {
      const crd = await manifest(
        'crd.yaml',
        `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: routes.edge.example.com}
spec:
  group: edge.example.com
  scope: Namespaced
  names: {plural: routes, singular: route, kind: Route, shortNames: [rt]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`,
      );
      await ok('apply', '-f', crd, '--validate=false');
      const route = await manifest(
        'route.yaml',
        `apiVersion: edge.example.com/v1\nkind: Route\nmetadata: {name: r1, namespace: shop}\nspec: {host: a.example.com}\n`,
      );
      // A real server serves the new kind a moment after it accepted the CRD.
      await eventually(() => ok('apply', '-f', route, '--validate=false'), {
        timeoutMs: 15_000,
        intervalMs: 200,
        what: 'the Route kind to be served',
      });
      const updated = await manifest(
        'route.yaml',
        `apiVersion: edge.example.com/v1\nkind: Route\nmetadata: {name: r1, namespace: shop}\nspec: {host: b.example.com}\n`,
      );
      expect(await ok('apply', '-f', updated, '--validate=false')).toContain(
        'route.edge.example.com/r1 configured',
      );
      const list = JSON.parse(await ok('get', 'rt', '-n', 'shop', '-o', 'json')) as {
        items: (KubeObject & { spec: { host: string } })[];
      };
      expect(list.items.map((i) => i.spec.host)).toEqual(['b.example.com']);
    });

    it('deletes objects and a whole namespace, waiting until they are gone', async () => {
      const out = await ok('delete', 'service', 'web', '-n', 'shop');
      expect(out.trim()).toBe('service "web" deleted');
      expect(await stored('/api/v1/namespaces/shop/services/web')).toBeUndefined();
      if (kind === 'real') {
        // No namespace controller on the real server: the namespace stays Terminating with its
        // contents (README), so kubectl is not asked to wait.
        await ok('delete', 'namespace', 'shop', '--wait=false');
        expect((await stored('/api/v1/namespaces/shop'))?.metadata.deletionTimestamp).toBeDefined();
        return;
      }
      await ok('delete', 'namespace', 'shop', '--timeout=10s');
      expect(await stored('/api/v1/namespaces/shop')).toBeUndefined();
      expect(
        (await stored<KubeObject & { items: unknown[] }>('/apis/apps/v1/namespaces/shop/deployments'))?.items,
      ).toEqual([]);
      expect(
        (await stored<KubeObject & { items: unknown[] }>('/apis/edge.example.com/v1/namespaces/shop/routes'))
          ?.items,
      ).toEqual([]);
    });
  });
});

// The test server's own options: an OpenAPI document on demand, and HTTPS.
describe('kubectl against the API test server, with its options', () => {
  beforeAll(() => setUp(() => startApiServer()));
  afterAll(tearDown);

  it('validates by default (no --validate=false) when the server is started with openApiV3', async () => {
    const withOpenApi = await startApiServer({ openApiV3: true });
    try {
      const kubeconfig = await withOpenApi.writeKubeconfig(join(dir, 'kubeconfig-openapi'));
      const run = (...args: string[]): Promise<Run> =>
        new Promise((resolve) => {
          execFile(
            'kubectl',
            args,
            { env: { ...env, KUBECONFIG: kubeconfig }, timeout: 20_000 },
            (err, stdout, stderr) => resolve({ code: err === null ? 0 : 1, stdout, stderr }),
          );
        });
      const path = await manifest('validated.yaml', app(1, 'x', ''));
      const created = await run('create', '-f', path);
      expect(created.stderr).toBe('');
      expect(created.stdout).toContain('deployment.apps/web created');
      const applied = await run('apply', '-f', await manifest('validated.yaml', app(2, 'y', '')));
      expect(applied.stdout).toContain('deployment.apps/web configured');
      expect(withOpenApi.store.get('apps/v1', 'Deployment', 'shop', 'web')).toMatchObject({
        spec: { replicas: 2 },
      });
      expect(
        withOpenApi.requests().some((r) => r.method === 'POST' && r.query.includes('fieldValidation=Strict')),
      ).toBe(true);
    } finally {
      await withOpenApi.close();
    }
  });

  it('talks HTTPS, trusting the self-signed certificate from the kubeconfig', async () => {
    const tls = await startApiServer({ https: true });
    try {
      const kubeconfig = await tls.writeKubeconfig(join(dir, 'kubeconfig-tls'));
      const out = await new Promise<Run>((resolve) => {
        execFile(
          'kubectl',
          ['get', 'namespaces', '-o', 'name'],
          { env: { ...env, KUBECONFIG: kubeconfig }, timeout: 20_000 },
          (err, stdout, stderr) => resolve({ code: err === null ? 0 : 1, stdout, stderr }),
        );
      });
      expect(out.stderr).toBe('');
      expect(out.stdout.trim().split('\n')).toContain('namespace/default');
      expect(tls.requests().some((r) => r.path === '/api/v1/namespaces' && r.status === 200)).toBe(true);
    } finally {
      await tls.close();
    }
  });
});
