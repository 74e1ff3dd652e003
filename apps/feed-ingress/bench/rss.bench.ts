// Controller RSS at rest with 1k Ingresses + 1k Services + 1k TLS Secrets (HTTPS on), and 1k
// other Secrets of the kind every cluster has (Helm release records: Opaque, a few KB), which
// feed-ingress never reads. Objects carry what kubectl and Helm leave on them (last-applied
// annotation, managedFields). Runs `dist/main.js static` as a child and reads its VmRSS once
// /health is 200, every Ingress is served and a forced quiet period has passed.
//
// `--baseline=<dir>/main.js` also measures another build (e.g. the previous commit's dist copied
// to apps/feed-ingress/.baseline-dist) in the same run, alternating, for a before/after figure.
// `--check` has no absolute limit (the machine is shared): with a baseline it fails when this
// build's RSS is above 1.1x the baseline's (a regression).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  freePort,
  httpRequest,
  makeTestCertificate,
  startApiServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type KubeObject,
} from '@kube-edge/testkit';

const COUNT = 1000;
const ROUNDS = 3;
const args = process.argv.slice(2);
const check = args.includes('--check');
const baseline = args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function managed(manager: string): Record<string, unknown>[] {
  return [
    {
      manager,
      operation: 'Update',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': {} },
    },
  ];
}

async function populate(api: ApiServer): Promise<void> {
  const pair = await makeTestCertificate({ commonName: 'bench.test' });
  for (let i = 0; i < COUNT; i++) {
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: `svc-${i}`,
        namespace: 'default',
        labels: { app: `app-${i}`, 'app.kubernetes.io/managed-by': 'Helm' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(600) },
        managedFields: managed('kubectl'),
      },
      spec: {
        clusterIP: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
        selector: { app: `app-${i}` },
        type: 'ClusterIP',
        sessionAffinity: 'None',
      },
    };
    api.store.create(service);
    const ingress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: `bench-${i}`,
        namespace: 'default',
        labels: { app: `app-${i}` },
        annotations: {
          'kubernetes.io/ingress.class': 'bench',
          'kubectl.kubernetes.io/last-applied-configuration': 'y'.repeat(900),
        },
        managedFields: managed('kubectl'),
      },
      spec: {
        tls: [{ hosts: [`h${i}.bench.test`], secretName: `tls-${i}` }],
        rules: [
          {
            host: `h${i}.bench.test`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: `svc-${i}`, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    };
    api.store.create(ingress);
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: `tls-${i}`, namespace: 'default', managedFields: managed('cert-manager') },
      data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key), 'ca.crt': b64(pair.cert) },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'helm.sh/release.v1',
      metadata: { name: `sh.helm.release.v1.app-${i}.v1`, namespace: 'default', labels: { owner: 'helm' } },
      data: { release: b64('z'.repeat(4096)) },
    });
  }
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN) / 1024;
}

interface Sample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

const metric = (text: string, name: string): number =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20;

async function measure(api: ApiServer, mainJs: string): Promise<Sample> {
  const dir = await tempDir('feed-ingress-bench-rss');
  await writeTestCertificate(
    dir.path,
    'default-ssl',
    await makeTestCertificate({ commonName: 'default.invalid' }),
  );
  const healthPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      mainJs,
      'static',
      '--ingress-class=bench',
      `--ingress-port=${await freePort()}`,
      `--ingress-https-port=${await freePort()}`,
      `--ingress-health-port=${await freePort()}`,
      `--health-port=${healthPort}`,
      `--nginx-workdir=${dir.path}/nginx`,
      `--ssl-path=${dir.path}/default-ssl`,
      `--kubeconfig=${await api.writeKubeconfig()}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const deadline = performance.now() + 180_000;
    for (;;) {
      const r = await httpRequest({ url: `http://127.0.0.1:${healthPort}/metrics`, timeoutMs: 2000 }).catch(
        () => undefined,
      );
      if (r?.status === 200 && new RegExp(`^feed_ingress_ingresses ${COUNT}$`, 'm').test(r.body)) break;
      if (performance.now() > deadline)
        throw new Error(`controller did not serve ${COUNT} Ingresses in time`);
      await sleep(250);
    }
    // At rest: no changes for a while, so the first pass's garbage can be collected.
    await sleep(5000);
    const rss = rssMiB(child.pid!);
    const m = (await httpRequest({ url: `http://127.0.0.1:${healthPort}/metrics` })).body;
    return {
      rss,
      heapUsed: metric(m, 'nodejs_heap_size_used_bytes'),
      heapTotal: metric(m, 'nodejs_heap_size_total_bytes'),
      external: metric(m, 'nodejs_external_memory_bytes'),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dir.remove();
  }
}

const api = await startApiServer();
try {
  await populate(api);
  console.log(
    `machine: ${cpus().length} cpus, node ${process.version}, load average ${load()}, ${new Date().toISOString()}`,
  );
  const builds: [string, string][] = [['this build', new URL('../dist/main.js', import.meta.url).pathname]];
  if (baseline !== undefined) builds.unshift(['baseline', baseline]);
  const results = new Map<string, Sample[]>(builds.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, mainJs] of builds) results.get(name)!.push(await measure(api, mainJs));
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  for (const [name, v] of results)
    console.log(
      `${name}: controller at rest, ${COUNT} Ingresses + ${COUNT} Services + ${COUNT} TLS Secrets (+ ${COUNT} Helm release Secrets), medians: ` +
        `RSS ${median(v.map((x) => x.rss)).toFixed(1)} MiB (runs ${v.map((x) => x.rss.toFixed(0)).join(' ')}), ` +
        `heap used ${median(v.map((x) => x.heapUsed)).toFixed(1)} of ${median(v.map((x) => x.heapTotal)).toFixed(1)} MiB, external ${median(v.map((x) => x.external)).toFixed(1)} MiB`,
    );
  console.log(`load average ${load()}`);
  if (check && baseline !== undefined) {
    const rssOf = (name: string): number => median(results.get(name)!.map((x) => x.rss));
    const ratio = rssOf('this build') / rssOf('baseline');
    if (ratio > 1.1) {
      console.error(`check failed: RSS is ${ratio.toFixed(2)}x the baseline's (> 1.1x)`);
      process.exitCode = 1;
    } else console.log(`check passed (${ratio.toFixed(2)}x the baseline)`);
  }
} finally {
  await api.close();
}
