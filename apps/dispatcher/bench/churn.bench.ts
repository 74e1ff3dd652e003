// Pod churn in Lua mode against reload mode, in the same run (runs dist/main.js as a child; `pnpm
// bench` builds first). Per mode, against testkit's API server with real nginx and 200 echo
// backends on 127.0.x.y standing in for pods (10 Deployments × 10 pods, one host each):
//   1. Readiness flips: 20 pods in turn go unready, then ready again; each change is timed from
//      the API write until traffic follows (the pod stops answering for 20 requests in a row / a
//      request reaches it again; requests sent back to back). p50/p99 over the 40 changes.
//   2. Rolling restarts of the 10 Deployments: 10 steps, 100 ms apart, each replacing one pod of
//      every Deployment (new pod Ready with a new IP, old pod deleted), then the time until every
//      host reaches only its new pods.
// Across both phases: nginx reloads (dispatcher_nginx_reloads_total), controller CPU (the node
// child's utime+stime; nginx -t children separately), a WebSocket and a keep-alive HTTP client
// open through nginx the whole time (did the WebSocket survive, how many times the keep-alive
// client had to reconnect, failed requests), nginx worker processes alive at the end.
// Every wait is bounded; everything runs on 127.0.0.0/8.
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import {
  childPids,
  freePort,
  httpRequest,
  percentile,
  processCpuSeconds,
  spawnTracked,
  startApiServer,
  startEchoServer,
  tempDir,
  type ApiServer,
  type EchoServer,
} from '@kube-edge/testkit';

const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
const HOSTS = 'github.com/30x.dispatcher.hosts';
const PATHS = 'github.com/30x.dispatcher.paths';
const DEPLOYMENTS = 10;
const PODS = 10;
const FLIPS = 20;
const STEP_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ip = (gen: number, d: number, p: number): string => `127.0.${10 + gen * 20 + d}.${p + 1}`;

function podObject(name: string, namespace: string, podIp: string, port: number, ready: boolean) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: ROUTABLE,
      annotations: { [PATHS]: JSON.stringify([{ basePath: '/', containerPort: String(port) }]) },
    },
    spec: { containers: [{ name: 'app', image: 'echo', ports: [{ containerPort: port }] }] },
    status: {
      phase: 'Running',
      podIP: podIp,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function createPod(api: ApiServer, name: string, namespace: string, podIp: string, port: number): void {
  const obj = podObject(name, namespace, podIp, port, true);
  api.store.create(obj);
  api.store.patchMerge('v1', 'Pod', namespace, name, { status: obj.status });
}

function setReady(api: ApiServer, namespace: string, name: string, ready: boolean): void {
  api.store.patchMerge('v1', 'Pod', namespace, name, {
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
}

async function runMode(mode: 'reload' | 'lua', port: number): Promise<string[]> {
  const api = await startApiServer();
  const work = await tempDir(`dispatcher-bench-${mode}`);
  const [httpPort, healthPort, backendsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  for (let d = 0; d < DEPLOYMENTS; d++) {
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: `d${d}`,
        labels: ROUTABLE,
        annotations: { [HOSTS]: JSON.stringify({ [`d${d}.bench`]: {} }) },
      },
    });
    for (let p = 0; p < PODS; p++) createPod(api, `d${d}-p${p}`, `d${d}`, ip(0, d, p), port);
  }
  const kubeconfig = await api.writeKubeconfig();
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
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const pid = child.child.pid!;
  const lines: string[] = [];
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  let stopped = false;
  try {
    const get = (host: string) =>
      httpRequest({ url: `http://127.0.0.1:${httpPort}/`, host, timeoutMs: 2000 });
    const nameOf = async (host: string): Promise<string> => {
      const r = await get(host).catch(() => undefined);
      return r?.status === 200
        ? (JSON.parse(r.body) as { name: string }).name
        : `status ${r?.status ?? 'error'}`;
    };
    const metric = async (name: string): Promise<number> => {
      const text = (await httpRequest({ url: `http://127.0.0.1:${healthPort}/metrics` })).body;
      return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)`, 'gm'))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const deadline = performance.now() + 60_000;
    for (;;) {
      const ok = await Promise.all(
        Array.from({ length: DEPLOYMENTS }, (_, d) =>
          nameOf(`d${d}.bench`).then((n) => n.startsWith(`d${d}-`)),
        ),
      );
      if (ok.every(Boolean)) break;
      if (performance.now() > deadline) throw new Error(`${mode}: hosts not served within 60 s`);
      await sleep(50);
    }

    // Long-lived connections: a WebSocket to d0 and a keep-alive client to d1 (every 20 ms).
    const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: { host: 'd0.bench' } });
    let wsClosed = false;
    socket.once('close', () => (wsClosed = true));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    let sockets = 0;
    let kaFailed = 0;
    let kaSent = 0;
    const seen = new WeakSet<object>();
    const kaLoop = (async () => {
      while (!stopped && kaSent < 100_000) {
        kaSent++;
        await new Promise<void>((resolve) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: httpPort,
              path: '/ka',
              headers: { host: 'd1.bench' },
              agent: keepAlive,
              timeout: 2000,
            },
            (res) => {
              res.resume();
              res.on('end', () => {
                if (res.statusCode !== 200) kaFailed++;
                resolve();
              });
            },
          );
          req.on('socket', (s) => {
            if (!seen.has(s)) {
              seen.add(s);
              sockets++;
            }
          });
          req.on('error', () => {
            kaFailed++;
            resolve();
          });
          req.on('timeout', () => req.destroy());
          req.end();
        });
        await sleep(20);
      }
    })();

    // The reload to the first full config is counted once its old workers are gone, which can be
    // after the hosts already answer: wait for it, so it is not counted in the churn.
    for (const start = performance.now(); (await metric('dispatcher_nginx_reloads_total')) < 1;) {
      if (performance.now() - start > 30_000) throw new Error(`${mode}: first reload not counted in 30 s`);
      await sleep(20);
    }
    const reloads0 = await metric('dispatcher_nginx_reloads_total');
    const cpu0 = processCpuSeconds(pid);
    const t0 = performance.now();

    // 1. Readiness flips, timed one by one.
    const latencies: number[] = [];
    for (let k = 0; k < FLIPS; k++) {
      const d = k % DEPLOYMENTS;
      const name = `d${d}-p${(k * 3) % PODS}`;
      const host = `d${d}.bench`;
      let t = performance.now();
      setReady(api, `d${d}`, name, false);
      let streak = 0;
      let streakStart = 0;
      while (streak < 2 * PODS) {
        if (performance.now() - t > 30_000) throw new Error(`${mode}: ${name} still routed after 30 s`);
        const n = await nameOf(host);
        if (n === name) streak = 0;
        else if (streak++ === 0) streakStart = performance.now();
      }
      latencies.push(streakStart - t);
      t = performance.now();
      setReady(api, `d${d}`, name, true);
      for (;;) {
        if (performance.now() - t > 30_000) throw new Error(`${mode}: ${name} not routed after 30 s`);
        if ((await nameOf(host)) === name) break;
      }
      latencies.push(performance.now() - t);
    }
    const flipsMs = performance.now() - t0;
    const cpuFlips = processCpuSeconds(pid);
    const reloadsFlips = (await metric('dispatcher_nginx_reloads_total')) - reloads0;

    // 2. Rolling restarts of every Deployment, one pod of each per step.
    const t1 = performance.now();
    for (let p = 0; p < PODS; p++) {
      for (let d = 0; d < DEPLOYMENTS; d++) {
        createPod(api, `d${d}-r${p}`, `d${d}`, ip(1, d, p), port);
        api.store.delete('v1', 'Pod', `d${d}`, `d${d}-p${p}`);
      }
      await sleep(STEP_MS);
    }
    const lastChange = performance.now();
    for (;;) {
      if (performance.now() - lastChange > 60_000) throw new Error(`${mode}: rollout not settled after 60 s`);
      const names = await Promise.all(
        Array.from({ length: DEPLOYMENTS * 2 }, (_, i) => nameOf(`d${i % DEPLOYMENTS}.bench`)),
      );
      if (names.every((n) => /^d\d+-r\d+$/.test(n))) {
        // and every new pod is reached: 2 requests per pod on each host
        const all = new Set<string>();
        for (let d = 0; d < DEPLOYMENTS; d++)
          for (let i = 0; i < PODS * 2; i++) all.add(await nameOf(`d${d}.bench`));
        if ([...all].every((n) => /^d\d+-r\d+$/.test(n)) && all.size === DEPLOYMENTS * PODS) break;
      }
    }
    const settledMs = performance.now() - lastChange;
    const rolloutMs = performance.now() - t1;
    // The reload counter moves once the old workers are gone; give a pending reload its window.
    await sleep(2500);
    const reloadsAll = (await metric('dispatcher_nginx_reloads_total')) - reloads0;
    const failedPushes = await metric('dispatcher_nginx_membership_pushes_total\\{result="failed"\\}');
    const cpu1 = processCpuSeconds(pid);

    const reply = new Promise<string>((resolve) =>
      socket.once('message', (b: Buffer) => resolve(b.toString('utf8'))),
    );
    socket.send('still there?');
    const wsOk = !wsClosed && (await Promise.race([reply, sleep(2000).then(() => '')])) !== '';
    socket.terminate();
    stopped = true;
    await kaLoop;
    const master = Number(readFileSync(`${work.path}/nginx/nginx.pid`, 'utf8').trim());
    const workers = childPids(master).length;

    lines.push(
      `| ${mode} | ${percentile(latencies, 50).toFixed(0)} ms | ${percentile(latencies, 99).toFixed(0)} ms | ${reloadsFlips} | ${reloadsAll - reloadsFlips} | ${settledMs.toFixed(0)} ms | ${(cpuFlips.self - cpu0.self).toFixed(2)} s | ${(cpu1.self - cpu0.self).toFixed(2)} s | ${(cpu1.children - cpu0.children).toFixed(2)} s | ${wsOk ? 'open' : 'closed'} | ${sockets - 1} / ${kaSent} (${kaFailed} failed) | ${workers} |`,
    );
    console.error(
      `${mode}: flips ${(flipsMs / 1000).toFixed(1)} s, rollout ${(rolloutMs / 1000).toFixed(1)} s, ${latencies.length} timed changes, ${failedPushes} failed pushes`,
    );
  } finally {
    stopped = true;
    keepAlive.destroy();
    child.signal('SIGTERM');
    await Promise.race([child.exited, sleep(15_000)]);
    await child.kill();
    await api.close();
    await work.remove();
  }
  return lines;
}

const podPort = await freePort();
const echoes = new Map<string, EchoServer>();
for (let gen = 0; gen < 2; gen++)
  for (let d = 0; d < DEPLOYMENTS; d++)
    for (let p = 0; p < PODS; p++) {
      const host = ip(gen, d, p);
      echoes.set(
        host,
        await startEchoServer({ host, port: podPort, name: `d${d}-${gen === 0 ? 'p' : 'r'}${p}` }),
      );
    }
const nginxVersion = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');
const rows: string[] = [];
try {
  for (const mode of ['reload', 'lua'] as const) rows.push(...(await runMode(mode, podPort)));
} finally {
  await Promise.all([...echoes.values()].map((e) => e.close()));
}
console.log(
  `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${nginxVersion}, load before ${loadBefore}, after ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}, ${new Date().toISOString()}`,
);
console.log(
  '| mode | change → routed p50 | p99 | reloads, 40 readiness changes | reloads, rolling restart of 10×10 pods | rollout settled after last change | controller CPU, 40 readiness changes | controller CPU, both phases | nginx -t CPU, both phases | WebSocket | keep-alive reconnects / requests | nginx workers at the end |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
