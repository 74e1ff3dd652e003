// Prints buildFeedModel and renderNginxConfig times for 1k and 10k Ingresses (medians of
// several runs) and the 10k/1k ratios, for two kinds of pass: cold (every object new: nothing of
// a previous pass can be reused) and change (the previous pass's objects with one Ingress
// replaced, as after one informer event). Runs against the built dist (`pnpm bench` builds
// first). `--check` fails (exit 1) when the cold build + render is not linear (10k/1k above 11x)
// or a change pass costs more than a cold one. The change pass's 10k/1k ratio is printed, not
// checked: its remaining work (sorting and indexing every entry) fits the CPU caches at 1k and
// not at 10k, so it grows faster than the count on any machine. It never fails on an absolute time (the machine is
// shared); `bench/nginx.bench.ts --check` compares with nginx.
import { cpus, loadavg } from 'node:os';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import type * as WorkloadTypes from './workload.js';

const { benchConfig, changeOne, feedInput, median, model } = (await import(
  new URL('./workload.ts', import.meta.url).href
)) as typeof WorkloadTypes;
const { buildFeedModel } = model;

const RUNS = 7;
const check = process.argv.includes('--check');
// Collect garbage before each timed run (node --expose-gc) so one run does not pay for the last.
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
process.stdout.write(`load average at start ${load()}\n`);

/** The same objects again, as new objects (what a restart or a full re-list hands the builder). */
const fresh = <T>(value: T): T => structuredClone(value);

type Pass = 'cold' | 'change';
const results: Record<number, Record<Pass, { build: number; render: number; total: number }>> = {};
let bytes = 0;
for (const count of [1000, 10_000]) {
  results[count] = {} as Record<Pass, { build: number; render: number; total: number }>;
  // cold: every object new, so nothing of a previous pass is reused (a controller's first pass,
  // and the work of every pass before passes reused unchanged objects); change: the last pass's
  // objects with one Ingress replaced, as a pass after one informer event.
  for (const pass of ['cold', 'change'] as const) {
    const config = benchConfig();
    let data = feedInput(count);
    // Warm-up run (JIT, and the first pass a change pass follows), not timed.
    renderNginxConfig(buildFeedModel(data, config).nginx);
    const builds: number[] = [];
    const renders: number[] = [];
    const totals: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      data = pass === 'cold' ? fresh(data) : changeOne(data, r);
      gc();
      let built: ReturnType<typeof buildFeedModel> | undefined;
      const b = timeMs(() => (built = buildFeedModel(data, config)));
      const t = timeMs(() => (bytes = renderNginxConfig(built!.nginx).length));
      builds.push(b);
      renders.push(t);
      totals.push(b + t);
    }
    results[count][pass] = { build: median(builds), render: median(renders), total: median(totals) };
    process.stdout.write(
      `${count} ingresses, ${pass} pass (${count * 2} locations, one server per host on http+https): build ${median(builds).toFixed(1)} ms, render ${median(renders).toFixed(1)} ms, build + render ${median(totals).toFixed(1)} ms (min ${Math.min(...totals).toFixed(1)}), ${(bytes / 1024 / 1024).toFixed(2)} MiB of nginx.conf (median of ${RUNS})\n`,
    );
  }
}
const small = results[1000]!;
const large = results[10_000]!;
const ratio = large.cold.total / small.cold.total;
const changeRatio = large.change.total / small.change.total;
process.stdout.write(
  `ratio 10k/1k: cold build ${(large.cold.build / small.cold.build).toFixed(1)}x, render ${(large.cold.render / small.cold.render).toFixed(1)}x, build + render ${ratio.toFixed(1)}x; change pass build + render ${changeRatio.toFixed(1)}x (10x is linear)\n` +
    `change pass / cold pass: ${(small.change.total / small.cold.total).toFixed(2)}x at 1k, ${(large.change.total / large.cold.total).toFixed(2)}x at 10k\n` +
    `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${load()}, ${new Date().toISOString()}\n`,
);
if (check) {
  const failures: string[] = [];
  if (ratio > 11) failures.push(`cold build + render 10k/1k is ${ratio.toFixed(1)}x (> 11x: not linear)`);
  if (small.change.total > small.cold.total)
    failures.push('a change pass at 1k costs more than a cold pass (unchanged objects are not reused)');
  for (const f of failures) console.error(`check failed: ${f}`);
  if (failures.length > 0) process.exit(1);
  console.log('check passed');
}
