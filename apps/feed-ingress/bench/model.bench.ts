// Prints buildFeedModel and renderNginxConfig times for 1k and 10k Ingresses (medians of
// several runs) and the 10k/1k ratios. Runs against the built dist (`pnpm bench` builds first).
// `--check` fails (exit 1) when build + render is not linear: 10k/1k above 11x. It never fails on
// an absolute time (the machine is shared); `bench/nginx.bench.ts --check` compares with nginx.
import { cpus, loadavg } from 'node:os';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import type * as WorkloadTypes from './workload.js';

const { benchConfig, feedInput, median, model } = (await import(
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

const config = benchConfig();
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
process.stdout.write(`load average at start ${load()}\n`);
const results: Record<number, { build: number; render: number; total: number; bytes: number }> = {};
for (const count of [1000, 10_000]) {
  const data = feedInput(count);
  // Warm-up run (JIT), not timed.
  renderNginxConfig(buildFeedModel(data, config).nginx);
  const builds: number[] = [];
  const renders: number[] = [];
  const totals: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    gc();
    let built: ReturnType<typeof buildFeedModel> | undefined;
    const b = timeMs(() => (built = buildFeedModel(data, config)));
    const t = timeMs(() => (bytes = renderNginxConfig(built!.nginx).length));
    builds.push(b);
    renders.push(t);
    totals.push(b + t);
  }
  results[count] = { build: median(builds), render: median(renders), total: median(totals), bytes };
  process.stdout.write(
    `${count} ingresses (${count * 2} locations, one server per host on http+https): build ${median(builds).toFixed(1)} ms, render ${median(renders).toFixed(1)} ms, build + render ${median(totals).toFixed(1)} ms (min ${Math.min(...totals).toFixed(1)}), ${(bytes / 1024 / 1024).toFixed(2)} MiB of nginx.conf (median of ${RUNS})\n`,
  );
}
const small = results[1000]!;
const large = results[10_000]!;
const ratio = large.total / small.total;
process.stdout.write(
  `ratio 10k/1k: build ${(large.build / small.build).toFixed(1)}x, render ${(large.render / small.render).toFixed(1)}x, build + render ${ratio.toFixed(1)}x (10x is linear)\n` +
    `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${load()}, ${new Date().toISOString()}\n`,
);
if (check) {
  if (ratio > 11) {
    console.error(`check failed: build + render 10k/1k is ${ratio.toFixed(1)}x (> 11x: not linear)`);
    process.exit(1);
  }
  console.log('check passed');
}
