// The dispatcher at scale: 1k pods in 100 namespaces and 10k pods in 1k namespaces (10 pods per
// namespace, one host per namespace, half the pods on `/` and half on `/<namespace>/api`, so
// pods share a paths annotation 5 at a time within a namespace, as a Deployment's replicas do). Runs against the
// built dist (`pnpm bench` builds first). Prints:
//   1. Node's own baseline: the RSS of an empty `node -e` process.
//   2. Pure build + render (in this process, medians of RUNS after a warm-up, GC before each run):
//      buildModel, then the reload-mode render (renderDispatcherConfig) and the Lua-mode render
//      (withLuaBalancer + renderNginxConfig, plus membershipOf, the body pushed to nginx).
//   3. The real app, `dist/main.js` as a child process, against testkit's API server and real
//      nginx, once per size and per `--nginx-upstream-mode` (reload, lua): cold start from the
//      spawn to ready (/readyz: caches synced) and to the first config served (the last
//      namespace's host answered by its own server: 502, its pods' IPs are not listening, where
//      the default server closes the connection); the node child's CPU (utime+stime from
//      /proc, `nginx -t` children not included) and RSS then; idle CPU over IDLE_MS after the
//      first reload settled; pod churn → served: one more namespace with 2 pods on real echo
//      servers, FLIPS readiness changes one at a time (a pod goes unready: timed until 20
//      requests in a row miss it; ready again: until a request reaches it), p50/p99; RSS after.
//   4. Node's compile cache: the 1k cold start in reload mode without and with a warm
//      NODE_COMPILE_CACHE (filled by `dist/main.js --version`, as the image build does), alternating.
// Flags for investigating: --pure (1 and 2 only, e.g. under --cpu-prof), --cold (no idle, no
// churn), --only=<pods>/<mode>, --child-log=<file>, --baseline=<dist copy>, --quick (smoke run).
// `--check` fails (exit 1) on a broken ratio, never on an absolute time (the machine is shared):
// build + render 10k/1k above 11x in either mode, or cold-start controller CPU 10k/1k above 11x.
// Every wait is bounded; everything runs on 127.0.0.0/8.
import { execFileSync, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { cpus } from 'node:os';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import {
  freePort,
  httpRequest,
  loadAverageText,
  median,
  percentile,
  processCpuSeconds,
  processRssMiB,
  spawnTracked,
  startApiServer,
  startEchoServer,
  tempDir,
  type ApiServer,
  type KubeObject,
} from '@kube-edge/testkit';
// Types from the sources (type-only imports vanish at run time); code from the built dist.
import type * as IndexNs from '../src/index.js';
import type { NamespaceObject, PodObject } from '../src/model/types.js';

const { buildConfig, buildModel, renderDispatcherConfig, withLuaBalancer, membershipOf } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof IndexNs;

const args = process.argv.slice(2);
// `--baseline=<dir>`: also time buildModel of another build of this app (e.g. a copy of dist from
// before an optimisation, inside the app directory so it resolves the same packages), interleaved
// with this one in the same run: the before/after figure of a change.
const baselineDir = args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const baseline = baselineDir
  ? ((await import(new URL(`../${baselineDir}/index.js`, import.meta.url).href)) as typeof IndexNs)
  : undefined;
const check = args.includes('--check');
// `--quick`: a smoke run of the bench itself (100 and 1k pods, 3 s idle), not for figures.
const quick = args.includes('--quick');
// `--pure`: only Node's baseline and build + render (e.g. under `node --cpu-prof`).
const pureOnly = args.includes('--pure');
// `--cold`: the app's cold start only (no idle window, no churn), e.g. with NODE_OPTIONS=--cpu-prof.
const coldOnly = args.includes('--cold');
// `--child-log=<file>`: the app's stdout (its log lines) appended to a file instead of dropped.
const childLog = args.find((a) => a.startsWith('--child-log='))?.slice('--child-log='.length);
// `--only=<1000|10000>/<reload|lua>`: run the app for that cluster size and mode only.
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const SIZES = quick
  ? ([
      { pods: 100, namespaces: 10 },
      { pods: 1000, namespaces: 100 },
    ] as const)
  : ([
      { pods: 1000, namespaces: 100 },
      { pods: 10_000, namespaces: 1000 },
    ] as const);
const RUNS = 9;
const IDLE_MS = quick ? 3000 : 30_000;
const FLIPS = 20;
const COLD_RUNS = 3;
const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
const HOSTS = 'github.com/30x.dispatcher.hosts';
const PATHS = 'github.com/30x.dispatcher.paths';
// The pods' container port (the churn pods' echo servers listen on it).
const POD_PORT = await freePort();
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** Pod `i`'s IP, unique for i < 62,500: 127.64.{i / 250}.{i % 250 + 1}; nothing listens there. */
const podIp = (i: number): string => `127.64.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function namespaceObject(name: string): NamespaceObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: ROUTABLE,
      annotations: { [HOSTS]: JSON.stringify({ [`${name}.bench`]: {} }) },
    },
  };
}

function podObject(name: string, namespace: string, ip: string, basePath: string, ready = true): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      labels: ROUTABLE,
      annotations: { [PATHS]: JSON.stringify([{ basePath, containerPort: String(POD_PORT) }]) },
    },
    spec: { containers: [{ name: 'app', ports: [{ containerPort: POD_PORT }] }] },
    status: {
      phase: 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

/** The cluster of one size: `namespaces` namespaces n0…, each with pods/namespaces pods. */
function cluster(size: { pods: number; namespaces: number }): {
  namespaces: NamespaceObject[];
  pods: PodObject[];
} {
  const namespaces: NamespaceObject[] = [];
  const pods: PodObject[] = [];
  const per = size.pods / size.namespaces;
  for (let n = 0; n < size.namespaces; n++) {
    namespaces.push(namespaceObject(`n${n}`));
    for (let p = 0; p < per; p++) {
      const i = n * per + p;
      pods.push(podObject(`pod-${p}`, `n${n}`, podIp(i), p % 2 === 0 ? '/' : `/n${n}/api`));
    }
  }
  return { namespaces, pods };
}

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

// ---------------------------------------------------------------------------------------------
// 1. Node's own baseline.
const baselineRss =
  Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'])) /
  1024 /
  1024;
const nginxVersion = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
out(
  `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${nginxVersion}, load average at start ${loadAverageText()}, ${new Date().toISOString()}`,
);
out(`Node baseline: an empty \`node -e\` process has ${baselineRss.toFixed(1)} MiB RSS`);

// ---------------------------------------------------------------------------------------------
// 2. Pure build + render.
// The CLI's defaults (as the child below runs with).
const config = buildConfig(
  {
    'api-key-secret-name': 'routing',
    'api-key-secret-field': 'api-key',
    'routable-label-selector': 'github.com/30x.dispatcher.routable=true',
    'hosts-annotation': HOSTS,
    'org-label': 'github.com/30x.dispatcher.org',
    'env-label': 'github.com/30x.dispatcher.env',
    'paths-annotation': PATHS,
    'app-name-label': 'github.com/30x.dispatcher.app.name',
    'app-rev-label': 'github.com/30x.dispatcher.app.rev',
    'api-key-header': 'X-ROUTING-API-KEY',
    'nginx-enable-health-checks': false,
    'nginx-status-path': '/dispatcher/status',
    'nginx-max-client-body-size': '0',
    port: 80,
    'ssl-port': 443,
    'ssl-cert': '',
    'ssl-key': '',
    'ssl-cert-dir': '/etc/nginx/ssl',
    'default-location-return': '404',
    'require-ready': true,
    'nginx-worker-processes': 1,
    'nginx-access-log': 'off',
  },
  { fileExists: () => true },
);
const pure: Record<number, { build: number; reload: number; lua: number; bytes: number; luaBytes: number }> =
  {};
// The sizes are timed in turn within each run (1k, 10k, 1k, ...), so a change in the machine's
// load reaches both and the 10k/1k ratio stays a ratio of one moment.
const luaOptions = { backendsPort: 10246 };
const timings = SIZES.map((size) => {
  const state = { ...cluster(size), secrets: [] };
  const m = buildModel(state, config);
  renderDispatcherConfig(m);
  renderNginxConfig(withLuaBalancer(m.nginx, luaOptions));
  membershipOf(m.nginx);
  if (baseline) baseline.buildModel(state, config);
  return {
    size,
    state,
    builds: [] as number[],
    reloads: [] as number[],
    luas: [] as number[],
    before: [] as number[],
    bytes: 0,
    luaBytes: 0,
  };
});
for (let r = 0; r < RUNS; r++)
  for (const t of timings) {
    const { state } = t;
    if (baseline) {
      gc();
      t.before.push(timeMs(() => baseline.buildModel(state, config)));
    }
    gc();
    let model: ReturnType<typeof buildModel> | undefined;
    t.builds.push(timeMs(() => (model = buildModel(state, config))));
    gc();
    t.reloads.push(timeMs(() => (t.bytes = renderDispatcherConfig(model!).length)));
    gc();
    t.luas.push(
      timeMs(() => {
        t.luaBytes = renderNginxConfig(withLuaBalancer(model!.nginx, luaOptions)).length;
        membershipOf(model!.nginx);
      }),
    );
  }
for (const { size, builds, reloads, luas, before, bytes, luaBytes } of timings) {
  if (baseline)
    out(
      `buildModel, ${size.pods} pods, same run (median of ${RUNS}): baseline ${baselineDir} ${median(before).toFixed(1)} ms, this build ${median(builds).toFixed(1)} ms`,
    );
  pure[size.pods] = { build: median(builds), reload: median(reloads), lua: median(luas), bytes, luaBytes };
  const p = pure[size.pods]!;
  out(
    `build + render, ${size.pods} pods in ${size.namespaces} namespaces (median of ${RUNS}): build ${p.build.toFixed(1)} ms; reload mode render ${p.reload.toFixed(1)} ms (${(bytes / 1024).toFixed(0)} KiB), build + render ${(p.build + p.reload).toFixed(1)} ms; lua mode render + membership ${p.lua.toFixed(1)} ms (${(luaBytes / 1024).toFixed(0)} KiB), build + render ${(p.build + p.lua).toFixed(1)} ms`,
  );
}
const small = pure[SIZES[0].pods]!;
const large = pure[SIZES[1].pods]!;
const ratioReload = (large.build + large.reload) / (small.build + small.reload);
const ratioLua = (large.build + large.lua) / (small.build + small.lua);
out(
  `ratio 10k/1k (10x is linear): build ${(large.build / small.build).toFixed(1)}x, build + render reload mode ${ratioReload.toFixed(1)}x, lua mode ${ratioLua.toFixed(1)}x`,
);

if (pureOnly) {
  if (check && Math.max(ratioReload, ratioLua) > 11) {
    console.error(
      `check failed: build + render 10k/1k is ${Math.max(ratioReload, ratioLua).toFixed(1)}x (> 11x)`,
    );
    process.exit(1);
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// 3. The real app.

interface ProcessFigures {
  readyMs: number;
  servedMs: number;
  cpuServed: number;
  rssServed: number;
  idleCpu: number;
  flipP50: number;
  flipP99: number;
  cpuPerFlip: number;
  reloadsFlips: number;
  rssAfter: number;
}

async function runApp(
  size: { pods: number; namespaces: number },
  mode: 'reload' | 'lua',
  echoes: { ip: string; name: string }[],
  opts: { coldOnly?: boolean; compileCache?: string } = {},
): Promise<ProcessFigures> {
  // A real API server sends a watch bookmark about once a minute; testkit's default is every
  // second (for fast tests), which would count three watches' bookmarks in the idle figure.
  const api: ApiServer = await startApiServer({ bookmarkIntervalMs: 60_000 });
  const work = await tempDir(`dispatcher-scale-${mode}`);
  const [httpPort, healthPort, backendsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const { namespaces, pods } = cluster(size);
  for (const n of namespaces) api.store.create(n as KubeObject);
  for (const p of pods) {
    api.store.create(p as KubeObject);
    api.store.patchMerge('v1', 'Pod', p.metadata!.namespace, p.metadata!.name!, { status: p.status });
  }
  // The churn namespace: 2 pods on real echo servers.
  api.store.create(namespaceObject('churn') as KubeObject);
  for (const e of echoes) {
    const p = podObject(e.name, 'churn', e.ip, '/');
    api.store.create(p as KubeObject);
    api.store.patchMerge('v1', 'Pod', 'churn', e.name, { status: p.status });
  }
  const kubeconfig = await api.writeKubeconfig();
  const t0 = performance.now();
  const child = spawnTracked(
    process.execPath,
    [
      new URL('../dist/main.js', import.meta.url).pathname,
      `--kubeconfig=${kubeconfig}`,
      `--port=${httpPort}`,
      `--health-port=${healthPort}`,
      `--nginx-work-dir=${work.path}/nginx`,
      `--ssl-cert-dir=${work.path}/ssl`,
      `--nginx-upstream-mode=${mode}`,
      `--nginx-backends-port=${backendsPort}`,
      '--log-level=warn',
    ],
    {
      stdio: ['ignore', childLog !== undefined ? openSync(childLog, 'a') : 'ignore', 'inherit'],
      env: {
        ...process.env,
        ...(opts.compileCache !== undefined ? { NODE_COMPILE_CACHE: opts.compileCache } : {}),
      },
    },
  );
  const pid = child.child.pid!;
  try {
    const health = (path: string) =>
      httpRequest({ url: `http://127.0.0.1:${healthPort}${path}`, timeoutMs: 2000 }).catch(() => undefined);
    const metric = async (name: string): Promise<number> => {
      const text = (await health('/metrics'))?.body ?? '';
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)`, 'm').exec(text);
      return Number(m?.[1] ?? '0');
    };
    const status = async (host: string): Promise<number | undefined> =>
      (
        await httpRequest({ url: `http://127.0.0.1:${httpPort}/`, host, timeoutMs: 5000 }).catch(
          () => undefined,
        )
      )?.status;
    const deadline = t0 + 180_000;
    let readyMs = 0;
    const lastHost = `n${size.namespaces - 1}.bench`;
    for (;;) {
      if (readyMs === 0 && (await health('/readyz'))?.status === 200) readyMs = performance.now() - t0;
      if ((await status(lastHost)) === 502) break;
      if (performance.now() > deadline) throw new Error(`${size.pods}/${mode}: not served within 180 s`);
      await sleep(10);
    }
    const servedMs = performance.now() - t0;
    if (readyMs === 0) readyMs = servedMs;
    const cpuServed = processCpuSeconds(pid).self;
    const rssServed = processRssMiB(pid);
    // Let the first reload finish (counted once the old workers are gone), then measure idle.
    for (const start = performance.now(); (await metric('dispatcher_nginx_reloads_total')) < 1;) {
      if (performance.now() - start > 60_000)
        throw new Error(`${size.pods}/${mode}: first reload not counted`);
      await sleep(100);
    }
    if (coldOnly || opts.coldOnly) {
      const rss = processRssMiB(pid);
      return {
        readyMs,
        servedMs,
        cpuServed,
        rssServed,
        idleCpu: 0,
        flipP50: 0,
        flipP99: 0,
        cpuPerFlip: 0,
        reloadsFlips: 0,
        rssAfter: rss,
      };
    }
    await sleep(3000);
    const idle0 = processCpuSeconds(pid).self;
    await sleep(IDLE_MS);
    const idleCpu = processCpuSeconds(pid).self - idle0;

    // Pod churn → served.
    const nameOf = async (): Promise<string> => {
      const r = await httpRequest({
        url: `http://127.0.0.1:${httpPort}/`,
        host: 'churn.bench',
        timeoutMs: 5000,
      }).catch(() => undefined);
      return r?.status === 200
        ? (JSON.parse(r.body) as { name: string }).name
        : `status ${r?.status ?? 'error'}`;
    };
    const setReady = (name: string, ready: boolean): void => {
      api.store.patchMerge('v1', 'Pod', 'churn', name, {
        status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
      });
    };
    const reloads0 = await metric('dispatcher_nginx_reloads_total');
    const cpu0 = processCpuSeconds(pid).self;
    const latencies: number[] = [];
    for (let k = 0; k < FLIPS / 2; k++) {
      const name = echoes[k % echoes.length]!.name;
      let t = performance.now();
      setReady(name, false);
      let streak = 0;
      let streakStart = 0;
      while (streak < 20) {
        if (performance.now() - t > 60_000)
          throw new Error(`${size.pods}/${mode}: ${name} still routed after 60 s`);
        const n = await nameOf();
        if (n === name || !n.startsWith('churn-')) streak = 0;
        else if (streak++ === 0) streakStart = performance.now();
      }
      latencies.push(streakStart - t);
      t = performance.now();
      setReady(name, true);
      for (;;) {
        if (performance.now() - t > 60_000)
          throw new Error(`${size.pods}/${mode}: ${name} not routed after 60 s`);
        if ((await nameOf()) === name) break;
      }
      latencies.push(performance.now() - t);
    }
    const cpuFlips = processCpuSeconds(pid).self - cpu0;
    await sleep(2500);
    const reloadsFlips = (await metric('dispatcher_nginx_reloads_total')) - reloads0;
    return {
      readyMs,
      servedMs,
      cpuServed,
      rssServed,
      idleCpu,
      flipP50: percentile(latencies, 50),
      flipP99: percentile(latencies, 99),
      cpuPerFlip: cpuFlips / latencies.length,
      reloadsFlips,
      rssAfter: processRssMiB(pid),
    };
  } finally {
    child.signal('SIGTERM');
    await Promise.race([child.exited, sleep(20_000)]);
    await child.kill();
    await api.close();
    await work.remove();
  }
}

const echoes = [
  { ip: '127.0.90.1', name: 'churn-a' },
  { ip: '127.0.90.2', name: 'churn-b' },
];
const servers = await Promise.all(
  echoes.map((e) => startEchoServer({ host: e.ip, port: POD_PORT, name: e.name })),
);
const rows: string[] = [];
let cacheLine = '';
const coldCpu: Record<number, number> = {};
try {
  for (const size of SIZES)
    for (const mode of ['reload', 'lua'] as const) {
      if (only !== undefined && only !== `${size.pods}/${mode}`) continue;
      const f: ProcessFigures = await runApp(size, mode, echoes);
      if (mode === 'reload') coldCpu[size.pods] = f.cpuServed;
      const row = `| ${size.pods} pods / ${size.namespaces} ns | ${mode} | ${(f.readyMs / 1000).toFixed(2)} s | ${(f.servedMs / 1000).toFixed(2)} s | ${f.cpuServed.toFixed(2)} s | ${f.rssServed.toFixed(0)} MiB | ${f.idleCpu.toFixed(2)} s | ${f.flipP50.toFixed(0)} ms | ${f.flipP99.toFixed(0)} ms | ${f.reloadsFlips} | ${(f.cpuPerFlip * 1000).toFixed(0)} ms | ${f.rssAfter.toFixed(0)} MiB |`;
      rows.push(row);
      process.stderr.write(`${row}\n`);
    }
  // Node's compile cache (NODE_COMPILE_CACHE, as the image sets it, filled at image build): the
  // same 1k cold start without and with a warm cache, alternating, COLD_RUNS each.
  if (only === undefined) {
    const cacheDir = await tempDir('dispatcher-compile-cache');
    try {
      execFileSync(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname, '--version'], {
        env: { ...process.env, NODE_COMPILE_CACHE: cacheDir.path },
      });
      const without: ProcessFigures[] = [];
      const withCache: ProcessFigures[] = [];
      for (let r = 0; r < COLD_RUNS; r++) {
        without.push(await runApp(SIZES[0], 'reload', echoes, { coldOnly: true }));
        withCache.push(
          await runApp(SIZES[0], 'reload', echoes, { coldOnly: true, compileCache: cacheDir.path }),
        );
      }
      const m = (fs: ProcessFigures[], k: 'cpuServed' | 'servedMs' | 'rssServed'): number =>
        median(fs.map((f) => f[k]));
      cacheLine = `compile cache, ${SIZES[0].pods} pods, reload mode, cold start (median of ${COLD_RUNS}, alternating): without: controller CPU ${m(without, 'cpuServed').toFixed(2)} s, first config served ${(m(without, 'servedMs') / 1000).toFixed(2)} s, RSS ${m(without, 'rssServed').toFixed(0)} MiB; with a warm NODE_COMPILE_CACHE: ${m(withCache, 'cpuServed').toFixed(2)} s, ${(m(withCache, 'servedMs') / 1000).toFixed(2)} s, ${m(withCache, 'rssServed').toFixed(0)} MiB`;
      process.stderr.write(`${cacheLine}\n`);
    } finally {
      await cacheDir.remove();
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.close()));
}
out(
  `| cluster | mode | spawn → ready (caches synced) | spawn → first config served | controller CPU at served | RSS at served | idle CPU per ${IDLE_MS / 1000} s | pod change → served p50 | p99 (${FLIPS} readiness changes) | reloads, ${FLIPS} changes | controller CPU per change | RSS after churn |`,
);
out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) out(r);
if (cacheLine !== '') out(cacheLine);
const ratioCpu = coldCpu[SIZES[1].pods]! / coldCpu[SIZES[0].pods]!;
out(
  `cold-start controller CPU 10k/1k (reload mode): ${ratioCpu.toFixed(1)}x; load average at the end ${loadAverageText()}`,
);

if (check) {
  const failures: string[] = [];
  if (ratioReload > 11)
    failures.push(`build + render (reload mode) 10k/1k is ${ratioReload.toFixed(1)}x (> 11x)`);
  if (ratioLua > 11) failures.push(`build + render (lua mode) 10k/1k is ${ratioLua.toFixed(1)}x (> 11x)`);
  if (ratioCpu > 11) failures.push(`cold-start controller CPU 10k/1k is ${ratioCpu.toFixed(1)}x (> 11x)`);
  for (const f of failures) console.error(`check failed: ${f}`);
  if (failures.length > 0) process.exit(1);
  out('check passed');
}
