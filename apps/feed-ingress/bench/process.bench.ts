// Prints the process-side figures of feed-ingress (runs against the built dist; `pnpm bench`
// builds first):
//   1. Ingress change -> served latency: 100 sequential changes, each measured from the API write
//      until nginx answers the new host (polled every 2 ms); p50/p99.
//   2. Reloads per 100-change burst: 100 Ingresses created back to back; nginx reloads until the
//      last one is served, with --nginx-update-period 0s and 1s.
//   3. RSS of the controller process (dist/main.js as a child) with 1k Ingresses served.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createNoopLogger, createShutdown } from '@kube-edge/runtime';
import {
  freePort,
  httpRequest,
  makeTestCertificate,
  startApiServer,
  startEchoServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type KubeObject,
} from '@kube-edge/testkit';
// Types from the sources (type-only imports vanish at run time); code from the built dist.
import type * as AppNs from '../src/app.js';
import type * as KubeClientNs from '../src/kube-client.js';
import type * as CliNs from '../src/cli.js';
import type * as ConfigNs from '../src/config.js';

type AppModule = typeof AppNs;
type KubeClientModule = typeof KubeClientNs;
type CliModule = typeof CliNs;
type ConfigModule = typeof ConfigNs;
const dist = (path: string): string => new URL(`../dist/${path}`, import.meta.url).href;
const { run } = (await import(dist('app.js'))) as AppModule;
const { kubeClientFor } = (await import(dist('kube-client.js'))) as KubeClientModule;
const { feedIngressCli } = (await import(dist('cli.js'))) as CliModule;
const { configFromArgs } = (await import(dist('config.js'))) as ConfigModule;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function ingress(i: number, port: number, serviceName = 'echo'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `bench-${i}`,
      namespace: 'default',
      annotations: { 'kubernetes.io/ingress.class': 'bench' },
    },
    spec: {
      rules: [
        {
          host: `h${i}.bench.test`,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: serviceName, port: { number: port } } },
              },
            ],
          },
        },
      ],
    },
  };
}

async function served(port: number, host: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const r = await httpRequest({ url: `http://127.0.0.1:${port}/`, host, timeoutMs: 1000 });
      if (r.status === 200) return;
    } catch {
      // nginx reloading: try again
    }
    if (performance.now() > deadline) throw new Error(`${host} not served within ${timeoutMs} ms`);
    await sleep(2);
  }
}

async function controller(api: ApiServer, updatePeriod: string) {
  const dir = await tempDir('feed-ingress-bench');
  await writeTestCertificate(
    dir.path,
    'default-ssl',
    await makeTestCertificate({ commonName: 'default.invalid' }),
  );
  const httpPort = await freePort();
  const parsed = feedIngressCli.parse(
    [
      'static',
      '--ingress-class=bench',
      `--ingress-port=${httpPort}`,
      `--ingress-health-port=${await freePort()}`,
      '--health-port=0',
      `--nginx-workdir=${dir.path}/nginx`,
      `--ssl-path=${dir.path}/default-ssl`,
      `--nginx-update-period=${updatePeriod}`,
      '--leader-election=false',
    ],
    {},
  );
  if (parsed.kind !== 'run' || parsed.command !== 'static') throw new Error('bad flags');
  const shutdown = createShutdown({ exit: () => undefined, processLike: new EventEmitter() });
  const config = { ...configFromArgs(parsed, 'bench'), healthHost: '127.0.0.1', coalesceMs: 20 };
  const handle = await run(config, {
    logger: createNoopLogger(),
    kubeClient: kubeClientFor(config, { kubeConfig: api.makeKubeConfig() }),
  });
  shutdown.addStep('feed-ingress', () => handle.stop());
  await handle.waitForModel(() => true, 30_000);
  const reloads = async (): Promise<number> => {
    const text = (await httpRequest({ url: `${handle.url}/metrics` })).body;
    return Number(/^feed_ingress_nginx_reloads_total (\d+)/m.exec(text)?.[1] ?? '0');
  };
  return {
    httpPort,
    reloads,
    stop: async () => {
      await shutdown.shutdown('bench done');
      await dir.remove();
    },
  };
}

async function latencyAndBursts(): Promise<void> {
  const echo = await startEchoServer({ host: '127.0.0.61', name: 'echo' });
  for (const period of ['0s', '1s']) {
    const api = await startApiServer();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: 'default' },
      spec: { clusterIP: '127.0.0.61', ports: [{ port: echo.port }] },
    });
    const c = await controller(api, period);
    if (period === '0s') {
      const latencies: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        api.store.create(ingress(i, echo.port));
        await served(c.httpPort, `h${i}.bench.test`, 20_000);
        latencies.push(performance.now() - t);
      }
      console.log(
        `change -> served (update period 0s, 100 sequential changes): p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
      );
    }
    const before = await c.reloads();
    const t = performance.now();
    for (let i = 1000; i < 1100; i++) api.store.create(ingress(i, echo.port));
    await served(c.httpPort, 'h1099.bench.test', 60_000);
    const ms = performance.now() - t;
    // The reload counter moves once the old workers are gone, after the new ones already serve.
    await sleep(period === '0s' ? 1000 : 2000);
    console.log(
      `100-change burst (update period ${period}): ${(await c.reloads()) - before} reloads, last change served after ${ms.toFixed(0)} ms`,
    );
    await c.stop();
    await api.close();
  }
  await echo.close();
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? '0');
}

async function rssWith1k(): Promise<void> {
  const api = await startApiServer();
  for (let i = 0; i < 1000; i++) {
    api.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: 'default' },
      spec: { clusterIP: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, ports: [{ port: 80 }] },
    });
    api.store.create(ingress(i, 80, `svc-${i}`));
  }
  const dir = await tempDir('feed-ingress-bench-rss');
  await writeTestCertificate(
    dir.path,
    'default-ssl',
    await makeTestCertificate({ commonName: 'default.invalid' }),
  );
  const healthPort = await freePort();
  const kubeconfig = await api.writeKubeconfig();
  const child = spawn(
    process.execPath,
    [
      new URL('../dist/main.js', import.meta.url).pathname,
      'static',
      '--ingress-class=bench',
      `--ingress-port=${await freePort()}`,
      `--ingress-health-port=${await freePort()}`,
      `--health-port=${healthPort}`,
      `--nginx-workdir=${dir.path}/nginx`,
      `--ssl-path=${dir.path}/default-ssl`,
      `--kubeconfig=${kubeconfig}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const r = await httpRequest({ url: `http://127.0.0.1:${healthPort}/health`, timeoutMs: 2000 }).catch(
        () => undefined,
      );
      if (r?.status === 200) break;
      if (performance.now() > deadline) throw new Error('controller not healthy with 1k ingresses');
      await sleep(200);
    }
    await sleep(2000);
    const metrics = (await httpRequest({ url: `http://127.0.0.1:${healthPort}/metrics` })).body;
    const served = /^feed_ingress_ingresses (\d+)/m.exec(metrics)?.[1];
    console.log(
      `controller RSS with ${served ?? '?'} Ingresses served (node process only): ${(rssKb(child.pid!) / 1024).toFixed(1)} MiB`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dir.remove();
    await api.close();
  }
}

const nginxVersion = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr;
console.log(
  `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${nginxVersion.trim() || 'nginx 1.22'}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, ${new Date().toISOString()}`,
);
await latencyAndBursts();
await rssWith1k();
