// nginx's own cost of the feed-ingress config at 1k and 10k Ingresses: bytes, `nginx -t` and
// reload medians, for the config as rendered (one server block per host, listening on both the
// http and the https port) and, in the same run, for the earlier layout of two server blocks per
// host (one per listener), derived from the same model. Also times build + render against
// `nginx -t`, since the controller should cost a small fraction of nginx's own work.
//
// `--check` fails (exit 1) on a broken ratio, never on an absolute time: the one-block config must
// be at most 0.7x the bytes of the two-block one, and build + render at most 0.25x of `nginx -t`.
// `--sizes=1000` limits the sizes (default 1000,10000).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNginxProcess,
  nginxPaths,
  renderNginxConfig,
  testNginxConfigFile,
  type NginxConfig,
  type Server,
} from '@kube-edge/nginx-render';
import { freePort, makeTestCertificate, writeTestCertificate } from '@kube-edge/testkit';
import type * as WorkloadTypes from './workload.js';

const { benchConfig, feedInput, median, model } = (await import(
  new URL('./workload.ts', import.meta.url).href
)) as typeof WorkloadTypes;

const args = process.argv.slice(2);
const check = args.includes('--check');
const sizes = (args.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length) ?? '1000,10000')
  .split(',')
  .map(Number);
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const ms = (v: number): string => `${v.toFixed(0)} ms`;

/** The earlier layout: every server listening on several ports split into one server per port. */
function twoBlocksPerHost(config: NginxConfig): NginxConfig {
  const servers: Server[] = [];
  for (const s of config.servers) {
    if (s.listen.length < 2) {
      servers.push(s);
      continue;
    }
    for (const l of s.listen) {
      const { tls, ...rest } = s;
      servers.push({ ...rest, listen: [l], ...(l.ssl && tls !== undefined ? { tls } : {}) });
    }
  }
  return { ...config, servers };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const failures: string[] = [];
console.log(
  `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${load()} at start, ${new Date().toISOString()}`,
);
for (const count of sizes) {
  const runs = count >= 10_000 ? 3 : 5;
  const dir = mkdtempSync(join(tmpdir(), 'feed-ingress-nginx-bench-'));
  try {
    const tlsDir = join(dir, 'tls');
    await mkdir(tlsDir, { recursive: true });
    await writeTestCertificate(tlsDir, 'default', await makeTestCertificate({ commonName: 'bench' }));
    const workDir = join(dir, 'work');
    const paths = nginxPaths(workDir);
    await mkdir(paths.tempDir, { recursive: true });
    const config = benchConfig({
      ingressPort: await freePort(),
      ingressHttpsPort: await freePort(),
      ingressHealthPort: await freePort(),
      defaultSslPath: join(tlsDir, 'default'),
      nginx: { workDir, tempPathRoot: paths.tempDir, tlsDir },
    });
    const input = feedInput(count);
    // Build + render, as a full pass does (warm-up, then medians).
    renderNginxConfig(model.buildFeedModel(input, config).nginx);
    const passes: number[] = [];
    for (let r = 0; r < runs; r++) {
      gc();
      const t = performance.now();
      renderNginxConfig(model.buildFeedModel(input, config).nginx);
      passes.push(performance.now() - t);
    }
    const built = model.buildFeedModel(input, config).nginx;
    const layouts = {
      one: renderNginxConfig(built),
      two: renderNginxConfig(twoBlocksPerHost(built)),
    } as const;
    const tests = { one: [] as number[], two: [] as number[] };
    const reloads = { one: [] as number[], two: [] as number[] };
    const testPath = join(dir, 'test.conf');
    for (let r = 0; r < runs; r++) {
      for (const layout of ['two', 'one'] as const) {
        writeFileSync(testPath, layouts[layout]);
        tests[layout].push(
          await timed(async () => {
            const result = await testNginxConfigFile({ paths, confPath: testPath });
            if (!result.ok) throw new Error(result.output);
          }),
        );
      }
    }
    const nginx = createNginxProcess({ workDir, minReloadIntervalMs: 3_600_000, reloadTimeoutMs: 120_000 });
    const start = await timed(() => nginx.start(layouts.one));
    try {
      // The first apply after start reloads at once; later ones wait for flush (the interval).
      await nginx.apply(`${layouts.two}\n# warm-up\n`);
      for (let r = 0; r < runs; r++) {
        for (const layout of ['one', 'two'] as const) {
          await nginx.apply(`${layouts[layout]}\n# run ${r}\n`);
          reloads[layout].push(await timed(() => nginx.flush()));
        }
      }
    } finally {
      await nginx.stop();
    }
    const pass = median(passes);
    const t1 = median(tests.one);
    const t2 = median(tests.two);
    const bytesRatio = layouts.one.length / layouts.two.length;
    console.log(
      `${count} ingresses: nginx.conf ${(layouts.one.length / 2 ** 20).toFixed(2)} MiB (one server per host) vs ${(layouts.two.length / 2 ** 20).toFixed(2)} MiB (two) = ${bytesRatio.toFixed(2)}x; ` +
        `nginx -t ${ms(t1)} vs ${ms(t2)} (${(t1 / t2).toFixed(2)}x); reload ${ms(median(reloads.one))} vs ${ms(median(reloads.two))} (${(median(reloads.one) / median(reloads.two)).toFixed(2)}x); ` +
        `nginx start (one) ${ms(start)}; build + render ${pass.toFixed(1)} ms = ${(pass / t1).toFixed(2)}x of nginx -t; medians of ${runs}; load ${load()}`,
    );
    if (bytesRatio > 0.7)
      failures.push(`${count}: one-block config is ${bytesRatio.toFixed(2)}x the bytes (> 0.7x)`);
    if (pass / t1 > 0.25)
      failures.push(`${count}: build + render is ${(pass / t1).toFixed(2)}x of nginx -t (> 0.25x)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (check) {
  for (const f of failures) console.error(`check failed: ${f}`);
  if (failures.length > 0) process.exit(1);
  console.log('check passed');
}
