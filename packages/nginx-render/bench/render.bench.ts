// Prints render time for 1k and 10k feed-style servers, and `nginx -t` and reload times at 1k
// (medians of several runs). Runs against the built dist (`pnpm bench` builds it and testkit first).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import {
  createNginxProcess,
  nginxPaths,
  renderNginxConfig,
  testNginxConfigFile,
} from '@kube-edge/nginx-render';
import { freePort, makeTestCertificate, writeTestCertificate } from '@kube-edge/testkit';
import { feedModel } from '../test/models.ts';

const RUNS = 9;
// Collect garbage before each timed run (node --expose-gc) so one run does not pay for the last.
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  // nginx -v writes to stderr.
  const versionLine = execFileSync('sh', ['-c', '/usr/sbin/nginx -v 2>&1'], { encoding: 'utf8' }).trim();
  console.log(
    `machine: ${cpus().length} cores (nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}), node ${process.version}, ${versionLine}, ${new Date().toISOString()}`,
  );

  // Render: warm up, then medians. Model building is outside the timing (P1 measures render).
  const render: Record<number, number> = {};
  for (const n of [1000, 10000]) {
    const model = feedModel({ servers: n });
    renderNginxConfig(model);
    const runs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      gc();
      runs.push(timeMs(() => (bytes = renderNginxConfig(model).length)));
    }
    render[n] = median(runs);
    console.log(
      `render ${n} servers: median ${fmt(render[n])}, min ${fmt(Math.min(...runs))} (${(bytes / 1e6).toFixed(2)} MB, runs ${runs.map((r) => r.toFixed(0)).join(' ')})`,
    );
  }
  console.log(
    `render 10k / 1k ratio: ${(render[10000]! / render[1000]!).toFixed(2)} (linear is ~10, target <= 12)`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'kube-edge-nginx-bench-'));
  try {
    const tlsDir = join(dir, 'tls');
    await mkdir(tlsDir, { recursive: true });
    await writeTestCertificate(tlsDir, 'default', await makeTestCertificate({ commonName: 'bench' }));
    const workDir = join(dir, 'work');
    const paths = nginxPaths(workDir);
    const ports = { http: await freePort(), https: await freePort(), health: await freePort() };
    const conf = (marker: string): string =>
      renderNginxConfig(feedModel({ servers: 1000, workDir, tlsDir, ports, marker }));

    const testPath = join(dir, 'test.conf');
    writeFileSync(testPath, conf('t'));
    const testRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      testRuns.push(
        await timeMsAsync(async () => {
          const r = await testNginxConfigFile({ paths, confPath: testPath });
          if (!r.ok) throw new Error(r.output);
        }),
      );
    }
    console.log(
      `nginx -t 1k servers: median ${fmt(median(testRuns))} (runs ${testRuns.map((r) => r.toFixed(0)).join(' ')})`,
    );

    const nginx = createNginxProcess({ workDir, minReloadIntervalMs: 3_600_000, reloadTimeoutMs: 60_000 });
    const startMs = await timeMsAsync(() => nginx.start(conf('start')));
    console.log(`nginx start 1k servers (nginx -t + spawn until serving): ${fmt(startMs)}`);
    try {
      // The first apply after start reloads at once (no reload yet inside the interval); later ones wait for flush.
      await nginx.apply(conf('warm-up'));
      const applyRuns: number[] = [];
      const reloadRuns: number[] = [];
      for (let i = 0; i < 5; i++) {
        // apply = write + nginx -t + rename (the reload is held back by the interval), flush = SIGHUP until workers replaced.
        applyRuns.push(await timeMsAsync(() => nginx.apply(conf(`v${i}`))));
        reloadRuns.push(await timeMsAsync(() => nginx.flush()));
      }
      console.log(`apply 1k servers (write + nginx -t + rename): median ${fmt(median(applyRuns))}`);
      console.log(
        `reload 1k servers (SIGHUP until workers replaced): median ${fmt(median(reloadRuns))} (runs ${reloadRuns.map((r) => r.toFixed(0)).join(' ')})`,
      );
    } finally {
      await nginx.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
