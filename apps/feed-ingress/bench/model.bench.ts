// Prints buildFeedModel and renderNginxConfig times for 1k and 10k Ingresses (medians of
// several runs) and the 10k/1k ratios. Runs against the built dist (`pnpm bench` builds first).
import { cpus, loadavg } from 'node:os';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import type * as ModelTypes from '../src/model/index.js';
import type * as FixtureTypes from '../test/fixtures.js';

// The built dist is loaded at run time (node cannot run the sources' `.js` imports), while the
// types come from the sources, so typecheck works before a build. The fixtures are test code, not
// in dist: node strips their types (they have no relative imports).
type ModelModule = typeof ModelTypes;
type FixturesModule = typeof FixtureTypes;
const dist = (path: string): string => new URL(`../dist/model/${path}`, import.meta.url).href;
const { buildFeedModel, defaultFeedModelConfig } = (await import(dist('index.js'))) as ModelModule;
const { ingress, ingressPath, ingressRule, namespace, service } = (await import(
  new URL('../test/fixtures.ts', import.meta.url).href
)) as FixturesModule;

const RUNS = 7;
// Collect garbage before each timed run (node --expose-gc) so one run does not pay for the last.
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** `count` ingresses in 50 namespaces, each with its own host, two paths and a few annotations. */
function input(count: number): Parameters<typeof buildFeedModel>[0] {
  const ingresses = [];
  const services = [];
  const namespaces = [];
  for (let n = 0; n < 50; n++) namespaces.push(namespace(`ns${n}`, { team: `t${n % 5}` }));
  for (let i = 0; i < count; i++) {
    const ns = `ns${i % 50}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    services.push(service(ns, `svc${i}`, ip, [80]));
    ingresses.push(
      ingress({
        namespace: ns,
        name: `ing${i}`,
        annotations: {
          'kubernetes.io/ingress.class': 'bench',
          'sky.uk/frontend-scheme': i % 2 === 0 ? 'internal' : 'internet-facing',
          ...(i % 3 === 0 ? { 'sky.uk/allow': '10.0.0.0/8, 192.168.0.0/16' } : {}),
          ...(i % 4 === 0 ? { 'sky.uk/backend-timeout-seconds': '30', 'sky.uk/strip-path': 'false' } : {}),
        },
        rules: [
          ingressRule(`host-${i}.example.com`, [
            ingressPath('/', `svc${i}`, 80, 'Prefix'),
            ingressPath('/api', `svc${i}`, 80, 'Prefix'),
          ]),
        ],
      }),
    );
  }
  return { ingresses, services, namespaces, ingressClasses: [], secrets: [] };
}

const config = defaultFeedModelConfig({
  ingressClass: 'bench',
  ingressPort: 8080,
  ingressHttpsPort: 8443,
  nginx: { serverNamesHashMaxSize: 32768, serverNamesHashBucketSize: 128 },
});

const results: Record<number, { build: number; render: number; bytes: number }> = {};
for (const count of [1000, 10_000]) {
  const data = input(count);
  // Warm-up run (JIT), not timed.
  renderNginxConfig(buildFeedModel(data, config).nginx);
  const builds: number[] = [];
  const renders: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    gc();
    let model: ReturnType<typeof buildFeedModel> | undefined;
    builds.push(timeMs(() => (model = buildFeedModel(data, config))));
    gc();
    renders.push(timeMs(() => (bytes = renderNginxConfig(model!.nginx).length)));
  }
  results[count] = { build: median(builds), render: median(renders), bytes };
  process.stdout.write(
    `${count} ingresses (${count * 2} locations, http+https servers): build ${median(builds).toFixed(1)} ms, render ${median(renders).toFixed(1)} ms, total ${(median(builds) + median(renders)).toFixed(1)} ms, ${(bytes / 1024 / 1024).toFixed(1)} MiB of nginx.conf (median of ${RUNS})\n`,
  );
}
const small = results[1000]!;
const large = results[10_000]!;
process.stdout.write(
  `ratio 10k/1k: build ${(large.build / small.build).toFixed(1)}x, render ${(large.render / small.render).toFixed(1)}x (10x is linear)\n` +
    `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${new Date().toISOString()}\n`,
);
