// Fidelity: the kubectl on PATH against the test server. Calls run one after another (~0.3 s each).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/apiserver/helpers.js';
import { startApiServer } from './server.js';
import type { ApiServer, KubeObject } from './types.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: ApiServer;
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

beforeAll(async () => {
  server = await startApiServer();
  dir = await mkdtemp(join(tmpdir(), 'kube-edge-kubectl-'));
  const kubeconfig = await server.writeKubeconfig(join(dir, 'kubeconfig'));
  // A private HOME keeps kubectl's discovery cache per run (it caches by host:port for hours).
  env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig };
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the test server', () => {
  it('creates objects with create -f, including their namespace', async () => {
    const path = await manifest('app.yaml', app(1, 'slow', ''));
    const out = await ok('create', '-f', path, '--validate=false');
    expect(out.trim().split('\n')).toEqual([
      'namespace/shop created',
      'deployment.apps/web created',
      'service/web created',
      'ingress.networking.k8s.io/web created',
    ]);
    expect(server.store.get('apps/v1', 'Deployment', 'shop', 'web')).toMatchObject({ spec: { replicas: 1 } });
    expect(
      server.store.get<KubeObject & { spec: { clusterIP: string } }>('v1', 'Service', 'shop', 'web')?.spec
        .clusterIP,
    ).toMatch(/^10\.96\./);
  });

  it('gets objects as JSON, single and as a list, and reports NotFound like a real server', async () => {
    const one = JSON.parse(await ok('get', 'deployment', 'web', '-n', 'shop', '-o', 'json')) as KubeObject;
    const stored = server.store.get('apps/v1', 'Deployment', 'shop', 'web');
    expect(one.metadata.uid).toBe(stored?.metadata.uid);
    expect(one.metadata.resourceVersion).toBe(stored?.metadata.resourceVersion);
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
    const d = server.store.get<
      KubeObject & { spec: { replicas: number; template: { spec: { containers: { env: unknown }[] } } } }
    >('apps/v1', 'Deployment', 'shop', 'web');
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
    expect(server.store.get('apps/v1', 'Deployment', 'shop', 'web')?.metadata.labels).toEqual({ app: 'web' });
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
    const d = server.store.get<
      KubeObject & {
        spec: { replicas: number; template: { spec: { containers: { image: string; env: unknown }[] } } };
      }
    >('apps/v1', 'Deployment', 'shop', 'web');
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
    expect(server.store.get('networking.k8s.io/v1', 'Ingress', 'shop', 'web')?.['status']).toEqual({
      loadBalancer: { ingress: [{ ip: '192.0.2.1' }] },
    });
  });

  it('streams changes with get --watch', async () => {
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
      await waitFor(
        () => server.requests().some((r) => r.watch && r.path === '/api/v1/namespaces/shop/configmaps'),
        10_000,
        'kubectl to start watching',
      );
      server.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: 'shop' },
        data: { a: '1' },
      });
      server.store.patchMerge('v1', 'ConfigMap', 'shop', 'watched', { data: { a: '2' } });
      server.store.delete('v1', 'ConfigMap', 'shop', 'watched');
      await waitFor(
        () => (out.match(/"type": ?"/g) ?? []).length >= 3,
        10_000,
        'three watch events from kubectl',
      );
      const types = [...out.matchAll(/"type": ?"(\w+)"/g)].map((m) => m[1]);
      expect(types).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
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
    await ok('apply', '-f', route, '--validate=false');
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

  it('deletes objects and a whole namespace, waiting until they are gone', async () => {
    const out = await ok('delete', 'service', 'web', '-n', 'shop');
    expect(out.trim()).toBe('service "web" deleted');
    expect(server.store.get('v1', 'Service', 'shop', 'web')).toBeUndefined();
    await ok('delete', 'namespace', 'shop', '--timeout=10s');
    expect(server.store.get('v1', 'Namespace', undefined, 'shop')).toBeUndefined();
    expect(server.store.list('apps/v1', 'Deployment', 'shop')).toEqual([]);
    expect(server.store.list('edge.example.com/v1', 'Route', 'shop')).toEqual([]);
  });
});
