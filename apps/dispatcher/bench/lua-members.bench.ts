// Per-request cost of the Lua balancer against the size of an upstream (runs on dist/; `pnpm
// bench` builds first). One real nginx (one worker, Debian's lua-nginx-module) in Lua mode per
// copy of the Lua files compared (`--before <dir>`: another copy of the app's `lua/`, e.g. one
// extracted with `git show <rev>:apps/dispatcher/lua/...`; without it only the current one), each
// with two upstreams: /one with 1 member and /big with MEMBERS members (all the same loopback
// echo server, so every pick is answered); and, for scale, nginx's own round robin over the same
// members rendered as `server` lines (reload mode). Rounds alternate the copies and the upstreams; each
// cell sends REQUESTS requests on CONCURRENCY kept-alive connections and reads the nginx worker's
// utime+stime from /proc. Prints the median CPU per request and requests per second per cell.
// Every loop is bounded; everything runs on 127.0.0.1.
import { createServer, Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  createNginxProcess,
  renderNginxConfig,
  type NginxConfig,
  type NginxProcess,
} from '@kube-edge/nginx-render';
import { freePort, tempDir } from '@kube-edge/testkit';
// Types from the sources (type-only imports vanish at run time); code from the built dist.
import type * as BackendsNs from '../src/backends-client.js';
import type * as LuaModeNs from '../src/lua-mode.js';

const { createBackendsClient } = (await import(
  new URL('../dist/backends-client.js', import.meta.url).href
)) as typeof BackendsNs;
const { DISPATCHER_LUA_DIR, withLuaBalancer } = (await import(
  new URL('../dist/lua-mode.js', import.meta.url).href
)) as typeof LuaModeNs;

const MEMBERS = 10_000;
const REQUESTS = 4000;
const CONCURRENCY = 4;
const ROUNDS = 7;
const TOKEN = 'b'.repeat(32);

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime, in clock ticks (1/100 s)
};

interface Variant {
  name: string;
  nginx: NginxProcess;
  port: number;
  worker: number;
}

async function startVariant(
  name: string,
  /** undefined: reload mode, the members rendered as `server` lines (nginx's own round robin) */
  luaDir: string | undefined,
  workDir: string,
  backend: number,
  started: NginxProcess[],
): Promise<Variant> {
  const [port, backendsPort] = [await freePort(), await freePort()];
  const nginx = createNginxProcess({ workDir, stopTimeoutMs: 5000 });
  started.push(nginx);
  const base: NginxConfig = {
    // as root, workers would run as nobody and could not write the pushed body to the work dir
    main: {
      ...(process.getuid?.() === 0 ? { user: { name: 'root' } } : {}),
      workerProcesses: 1,
      errorLog: { target: `${workDir}/error.log`, level: 'error' },
    },
    events: { workerConnections: 256 },
    http: { tempPathRoot: nginx.paths.tempDir, accessLog: 'off' },
    upstreams: [
      { id: 'one', servers: [{ address: '127.0.0.1', port: backend }], keepalive: 16 },
      {
        id: 'big',
        servers: Array.from({ length: luaDir === undefined ? MEMBERS : 1 }, () => ({
          address: '127.0.0.1',
          port: backend,
        })),
        keepalive: 16,
      },
    ],
    servers: [
      {
        listen: [{ address: '127.0.0.1', port }],
        serverNames: ['bench.test'],
        locations: [
          { match: 'prefix', path: '/one', action: { kind: 'proxy', upstream: 'one' } },
          { match: 'prefix', path: '/big', action: { kind: 'proxy', upstream: 'big' } },
        ],
      },
    ],
  };
  if (luaDir === undefined) {
    await nginx.start(renderNginxConfig(base));
    const [worker] = await nginx.workerPids();
    if (worker === undefined) throw new Error(`${name}: no nginx worker`);
    return { name, nginx, port, worker };
  }
  await nginx.start(renderNginxConfig(withLuaBalancer(base, { backendsPort, token: TOKEN, luaDir })));
  const client = createBackendsClient({ port: backendsPort, token: TOKEN, timeoutMs: 30_000 });
  const member = `server 127.0.0.1 ${backend} 1\n`;
  await client.push(`upstream big\n${member.repeat(MEMBERS)}upstream one\n${member}`);
  client.close();
  const [worker] = await nginx.workerPids();
  if (worker === undefined) throw new Error(`${name}: no nginx worker`);
  return { name, nginx, port, worker };
}

async function load(port: number, path: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let sent = 0;
  const start = process.hrtime.bigint();
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, agent, headers: { host: 'bench.test' }, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < REQUESTS) {
        sent++;
        await one();
      }
    }),
  );
  agent.destroy();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  const backend = createServer((_req, res) => res.end('ok'));
  const backendPort = await freePort();
  await new Promise<void>((resolve) => backend.listen(backendPort, '127.0.0.1', resolve));
  const work = await tempDir('lua-members-bench');
  const variants: Variant[] = [];
  const started: NginxProcess[] = [];
  try {
    const before = arg('--before');
    if (before !== undefined)
      variants.push(await startVariant('before', before, `${work.path}/before`, backendPort, started));
    variants.push(await startVariant('reload', undefined, `${work.path}/reload`, backendPort, started));
    variants.push(
      await startVariant('current', DISPATCHER_LUA_DIR, `${work.path}/current`, backendPort, started),
    );
    const cells = new Map<string, { us: number[]; rps: number[] }>();
    for (const v of variants) for (const p of ['/one', '/big']) await load(v.port, p); // warm-up
    for (let r = 0; r < ROUNDS; r++)
      for (const v of r % 2 === 0 ? variants : [...variants].reverse())
        for (const p of r % 2 === 0 ? ['/one', '/big'] : ['/big', '/one']) {
          const t0 = ticks(v.worker);
          const secs = await load(v.port, p);
          const cpu = (ticks(v.worker) - t0) / 100;
          const key = `${v.name} ${p === '/big' ? `${MEMBERS} members` : '1 member'}`;
          const cell = cells.get(key) ?? { us: [], rps: [] };
          cell.us.push((cpu / REQUESTS) * 1e6);
          cell.rps.push(REQUESTS / secs);
          cells.set(key, cell);
        }
    console.log(
      `${new Date().toISOString()} ${cpus().length} CPUs, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}; ${ROUNDS} rounds of ${REQUESTS} requests, ${CONCURRENCY} connections`,
    );
    console.log('| variant | upstream | nginx worker CPU per request (median) | requests/s (median) |');
    console.log('| ------- | -------- | ------------------------------------- | ------------------- |');
    for (const [key, c] of cells) {
      const [name, ...rest] = key.split(' ');
      console.log(
        `| ${name} | ${rest.join(' ')} | ${median(c.us).toFixed(0)} µs | ${median(c.rps).toFixed(0)} |`,
      );
    }
  } finally {
    await Promise.all(started.map((n) => n.stop()));
    await new Promise((resolve) => backend.close(resolve));
    if (process.env.KEEP_WORK === undefined) await work.remove();
    else console.log(work.path);
  }
}

await main();
