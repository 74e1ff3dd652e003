// Heap bytes per cached Ingress, with and without the default transform (drop managedFields).
// Run: pnpm bench (builds, then runs this file with --expose-gc). Prints a Markdown table.
import os from 'node:os';
import { createInformer } from '@kube-edge/k8s-watch';
import type { KubeObjectLike, ListWatchSource } from '@kube-edge/k8s-watch';

interface Ingress extends KubeObjectLike {
  spec?: unknown;
  status?: unknown;
}

function makeIngress(i: number): Ingress {
  // Through JSON, as objects arrive from the API server (no shared string constants).
  return JSON.parse(JSON.stringify(buildIngress(i))) as Ingress;
}

function buildIngress(i: number): object {
  const name = `app-${i}`;
  const ns = `team-${i % 50}`;
  const host = `${name}.${ns}.example.com`;
  const spec = {
    ingressClassName: 'nginx',
    tls: [{ hosts: [host], secretName: `${name}-tls` }],
    rules: [
      {
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } },
            {
              path: '/api',
              pathType: 'Prefix',
              backend: { service: { name: `${name}-api`, port: { number: 8080 } } },
            },
          ],
        },
      },
    ],
  };
  const lastApplied = JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
    spec,
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: ns,
      uid: `4b1c${String(i).padStart(8, '0')}-1f2e-4d3c-9b8a-7f6e5d4c3b2a`,
      resourceVersion: String(100000 + i),
      labels: { app: name, team: ns, 'app.kubernetes.io/managed-by': 'helm' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': lastApplied,
        'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
      },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'networking.k8s.io/v1',
          time: '2026-11-01T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:annotations': {
                '.': {},
                'f:kubectl.kubernetes.io/last-applied-configuration': {},
                'f:nginx.ingress.kubernetes.io/proxy-body-size': {},
              },
              'f:labels': { '.': {}, 'f:app': {}, 'f:team': {}, 'f:app.kubernetes.io/managed-by': {} },
            },
            'f:spec': { 'f:ingressClassName': {}, 'f:rules': {}, 'f:tls': {} },
          },
        },
        {
          manager: 'feed-ingress',
          operation: 'Update',
          apiVersion: 'networking.k8s.io/v1',
          time: '2026-11-01T10:00:05Z',
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } },
        },
      ],
    },
    spec,
    status: { loadBalancer: { ingress: [{ ip: '10.0.0.10' }] } },
  };
}

function source(n: number): ListWatchSource<Ingress> {
  return {
    list: () =>
      Promise.resolve({ items: Array.from({ length: n }, (_, i) => makeIngress(i)), resourceVersion: '1' }),
    watch: (_rv, _onEvent, signal) =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

async function measure(n: number, transform: boolean): Promise<number> {
  const before = await settle();
  const inf = createInformer<Ingress>({
    name: 'bench',
    source: source(n),
    ...(transform ? {} : { transform: null }),
  });
  inf.start();
  await inf.waitForSync();
  const after = await settle();
  const perObject = (after - before) / n;
  if (inf.list().length !== n) throw new Error('cache incomplete');
  await inf.stop();
  return perObject;
}

const rows: string[] = [];
for (const n of [1000, 10000]) {
  // Warm up code paths so JIT and module allocations do not land in the first figure.
  await measure(200, true);
  const raw = await measure(n, false);
  const stripped = await measure(n, true);
  rows.push(
    `| ${n} | ${Math.round(raw)} | ${Math.round(stripped)} | ${Math.round((1 - stripped / raw) * 100)} % |`,
  );
}
console.log(
  `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`,
);
console.log('');
console.log(
  '| Ingresses | heap bytes/Ingress, transform: null | heap bytes/Ingress, default transform (drop managedFields) | saved |',
);
console.log('|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
