// nginx's own cost of the feed-ingress config at 1k and 10k Ingresses: bytes, `nginx -t` and
// reload medians, for the config as rendered (one server block per host listening on both the
// http and the https port, feed's TLS settings once at http level, the default certificate only in
// the https default server) and, in the same run, for the earlier layouts derived from the same
// model: `certificate-at-http` (the default certificate at http level, so every server gets an SSL
// context), `tls-per-server` (also each block with its own copy of the TLS settings) and
// `two-blocks` (also one block per host and listener, as feed wrote it); and `keepalive-32`, the
// config as rendered with `--nginx-backend-keepalive-count=32` instead of feed's 512 (nginx
// allocates every upstream's idle-connection slots when it reads the config). Also times build +
// render against `nginx -t`, since the controller should cost a small fraction of nginx's own work.
//
// `--check` fails (exit 1) on a broken ratio, never on an absolute time: the config must be at
// most 0.55x the bytes of `two-blocks`, and build + render at most 0.25x of `nginx -t`.
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

const { benchConfig, changeOne, feedInput, median, model } = (await import(
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

/** The certificate of the https default server, which hosts without their own serve. */
const defaultCertificate = (config: NginxConfig): Server['tls'] =>
  config.servers.find((s) => s.listen.some((l) => l.ssl && l.defaultServer))?.tls;

/** The default certificate at http level: every server inherits it, so each gets an SSL context. */
function certificateAtHttp(config: NginxConfig): NginxConfig {
  return { ...config, http: { ...config.http, tls: { ...config.http?.tls, ...defaultCertificate(config) } } };
}

/** The TLS settings and the default certificate in every server with an ssl listen. */
function tlsPerServer(config: NginxConfig): NginxConfig {
  const { tls: shared, ...http } = config.http ?? {};
  const fallback = defaultCertificate(config);
  const servers = config.servers.map((s): Server => {
    if (!s.listen.some((l) => l.ssl)) return s;
    return { ...s, tls: { ...shared, ...fallback, ...s.tls } as NonNullable<Server['tls']> };
  });
  return { ...config, http, servers };
}

/** The config as rendered with `keepalive 32` instead of the configured count in every upstream. */
function keepalive32(config: NginxConfig): NginxConfig {
  return { ...config, upstreams: config.upstreams.map((u) => ({ ...u, keepalive: 32 })) };
}

/** Besides, every server listening on several ports split into one server per port. */
function twoBlocksPerHost(config: NginxConfig): NginxConfig {
  const perServer = tlsPerServer(config);
  const servers: Server[] = [];
  for (const s of perServer.servers) {
    if (s.listen.length < 2) {
      servers.push(s);
      continue;
    }
    for (const l of s.listen) {
      const { tls, ...rest } = s;
      servers.push({ ...rest, listen: [l], ...(l.ssl && tls !== undefined ? { tls } : {}) });
    }
  }
  return { ...perServer, servers };
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
    let input = feedInput(count);
    // Build + render of a pass after one Ingress changed, as each change costs (warm-up, then medians).
    renderNginxConfig(model.buildFeedModel(input, config).nginx);
    const passes: number[] = [];
    for (let r = 0; r < runs; r++) {
      input = changeOne(input, r);
      gc();
      const t = performance.now();
      renderNginxConfig(model.buildFeedModel(input, config).nginx);
      passes.push(performance.now() - t);
    }
    const built = model.buildFeedModel(input, config).nginx;
    const layouts = {
      now: renderNginxConfig(built),
      'keepalive-32': renderNginxConfig(keepalive32(built)),
      'certificate-at-http': renderNginxConfig(certificateAtHttp(built)),
      'tls-per-server': renderNginxConfig(tlsPerServer(built)),
      'two-blocks': renderNginxConfig(twoBlocksPerHost(built)),
    } as const;
    const names = Object.keys(layouts) as (keyof typeof layouts)[];
    const tests = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
      keyof typeof layouts,
      number[]
    >;
    const reloads = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
      keyof typeof layouts,
      number[]
    >;
    const testPath = join(dir, 'test.conf');
    for (let r = 0; r < runs; r++) {
      for (const layout of names) {
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
    const start = await timed(() => nginx.start(layouts.now));
    try {
      // The first apply after start reloads at once; later ones wait for flush (the interval).
      await nginx.apply(`${layouts['two-blocks']}\n# warm-up\n`);
      for (let r = 0; r < runs; r++) {
        for (const layout of names) {
          await nginx.apply(`${layouts[layout]}\n# run ${r}\n`);
          reloads[layout].push(await timed(() => nginx.flush()));
        }
      }
    } finally {
      await nginx.stop();
    }
    const pass = median(passes);
    const t1 = median(tests.now);
    const base = 'two-blocks';
    const bytesRatio = layouts.now.length / layouts[base].length;
    console.log(`${count} ingresses (medians of ${runs}; x = of ${base}):`);
    for (const n of names) {
      const x = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
      console.log(
        `  ${n}: nginx.conf ${(layouts[n].length / 2 ** 20).toFixed(2)} MiB (${x(layouts[n].length, layouts[base].length)}), ` +
          `nginx -t ${ms(median(tests[n]))} (${x(median(tests[n]), median(tests[base]))}), ` +
          `reload ${ms(median(reloads[n]))} (${x(median(reloads[n]), median(reloads[base]))})`,
      );
    }
    console.log(
      `  nginx start (now) ${ms(start)}; build + render after one change ${pass.toFixed(1)} ms = ${(pass / t1).toFixed(2)}x of nginx -t; load ${load()}`,
    );
    if (bytesRatio > 0.55)
      failures.push(`${count}: the config is ${bytesRatio.toFixed(2)}x the bytes of ${base} (> 0.55x)`);
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
