import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import {
  freePort,
  httpRequest,
  startEchoServer,
  tempDir,
  type EchoServer,
  type TempDir,
} from '@kube-edge/testkit';
import type { Location, NginxConfig } from './model.js';
import { renderNginxConfig } from './render.js';
import {
  createNginxProcess,
  NginxConfigTestError,
  type NginxProcess,
  type NginxProcessOptions,
} from './process.js';

interface Harness {
  nginx: NginxProcess;
  registry: Registry;
  port: number;
  statusPort: number;
  work: TempDir;
  conf(extra?: Location[], marker?: string): string;
}

const started: Harness[] = [];
let echo: EchoServer;

beforeAll(async () => {
  echo = await startEchoServer({ name: 'backend-1' });
});

afterAll(async () => {
  await echo.close();
});

afterEach(async () => {
  // PID 1 does not reap orphans: every nginx a test started is stopped here, even on failure.
  for (const h of started.splice(0)) {
    const workers = await h.nginx.workerPids().catch(() => []);
    await h.nginx.stop();
    for (const w of workers) {
      try {
        process.kill(w, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await h.work.remove();
  }
});

async function harness(
  options: Partial<NginxProcessOptions> | ((statusPort: number) => Partial<NginxProcessOptions>) = {},
): Promise<Harness> {
  const work = await tempDir('nginx-proc');
  const registry = new Registry();
  const port = await freePort();
  const statusPort = await freePort();
  const extra = typeof options === 'function' ? options(statusPort) : options;
  const nginx = createNginxProcess({
    workDir: work.path,
    registry,
    stopTimeoutMs: 5000,
    reloadTimeoutMs: 10_000,
    ...extra,
  });
  const conf = (extra: Location[] = [], marker = 'v1'): string => {
    const model: NginxConfig = {
      main: { workerProcesses: 1, errorLog: { target: 'stderr', level: 'warn' } },
      events: { workerConnections: 256 },
      http: { tempPathRoot: nginx.paths.tempDir, accessLog: 'off' },
      upstreams: [{ id: 'echo', servers: [{ address: echo.host, port: echo.port }], keepalive: 8 }],
      servers: [
        {
          listen: [{ port, address: '127.0.0.1' }],
          serverNames: ['app.test'],
          locations: [
            {
              match: 'prefix',
              path: '/',
              proxy: {
                httpVersion: '1.1',
                setHeaders: [
                  { name: 'Connection', value: '' },
                  { name: 'X-Marker', value: marker },
                  { name: 'X-Literal', value: 'cost $5 "q" ;{}#' },
                ],
              },
              action: { kind: 'proxy', upstream: 'echo' },
            },
            ...extra,
          ],
        },
        {
          listen: [{ port: statusPort, address: '127.0.0.1', defaultServer: true }],
          serverNames: [],
          locations: [
            { match: 'exact', path: '/health', accessLog: 'off', action: { kind: 'return', status: 200 } },
            { match: 'exact', path: '/basic_status', accessLog: 'off', action: { kind: 'stub_status' } },
          ],
        },
      ],
    };
    return renderNginxConfig(model);
  };
  const h = { nginx, registry, port, statusPort, work, conf };
  started.push(h);
  return h;
}

async function metric(registry: Registry, name: string): Promise<number> {
  const json = await registry.getMetricsAsJSON();
  const m = json.find((x) => x.name === name);
  return m?.values.reduce((sum, v) => sum + v.value, 0) ?? Number.NaN;
}

const get = (h: Harness, path = '/'): ReturnType<typeof httpRequest> =>
  httpRequest({ url: `http://127.0.0.1:${h.port}${path}`, host: 'app.test', timeoutMs: 5000 });

describe('createNginxProcess with real nginx', () => {
  it('starts nginx and proxies traffic to an echo backend, with literal $ and quotes intact', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    expect(h.nginx.healthy()).toBe(true);
    const res = await get(h, '/hello');
    expect(res.status).toBe(200);
    const body = res.json<{ name: string; path: string; headers: Record<string, string> }>();
    expect(body.name).toBe('backend-1');
    expect(body.path).toBe('/hello');
    expect(body.headers['x-literal']).toBe('cost $5 "q" ;{}#');
    expect(body.headers['x-marker']).toBe('v1');
    expect(await metric(h.registry, 'nginx_up')).toBe(1);
    expect(h.nginx.configHash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does nothing when applying the same bytes: no test, no reload, same workers', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    const workers = await h.nginx.workerPids();
    const result = await h.nginx.apply(h.conf());
    expect(result).toEqual({ changed: false, reloaded: false });
    expect(await h.nginx.workerPids()).toEqual(workers);
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(0);
  });

  it('applies a change by SIGHUP: workers replaced, new config served, metrics and hash updated', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    const before = await h.nginx.workerPids();
    const hashBefore = h.nginx.configHash();
    const result = await h.nginx.apply(
      h.conf([{ match: 'exact', path: '/new', action: { kind: 'return', status: 201, body: 'new' } }], 'v2'),
    );
    expect(result).toEqual({ changed: true, reloaded: true });
    const after = await h.nginx.workerPids();
    expect(after.length).toBeGreaterThan(0);
    expect(after.some((p) => before.includes(p))).toBe(false);
    expect((await get(h, '/new')).status).toBe(201);
    expect((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']).toBe('v2');
    expect(h.nginx.configHash()).not.toBe(hashBefore);
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(1);
    const info = (await h.registry.getMetricsAsJSON()).find((m) => m.name === 'nginx_config_hash_info');
    expect(info?.values).toEqual([
      expect.objectContaining({ labels: { hash: h.nginx.configHash() }, value: 1 }),
    ]);
  });

  it('refuses an invalid config with nginx message; the live file and traffic stay on the old config', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    const live = await readFile(h.nginx.paths.confPath, 'utf8');
    const hash = h.nginx.configHash();
    const bad = h.conf().replace('events {', 'no_such_directive on;\nevents {');
    const err = await h.nginx.apply(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NginxConfigTestError);
    expect((err as NginxConfigTestError).output).toContain('unknown directive "no_such_directive"');
    expect(await readFile(h.nginx.paths.confPath, 'utf8')).toBe(live);
    expect(h.nginx.configHash()).toBe(hash);
    expect((await get(h)).status).toBe(200);
    expect(await metric(h.registry, 'nginx_config_test_failures_total')).toBe(1);
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(0);
    expect(h.nginx.healthy()).toBe(true);
  });

  it('serves every request of a bounded load loop while configs are applied and reloaded', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 20_000;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 1500 && !stop && Date.now() < deadline; i++) {
        try {
          const res = await get(h, `/load?i=${i}`);
          if (res.status === 200) ok++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const loops = [worker(), worker(), worker(), worker()];
    for (let v = 2; v <= 6; v++) {
      await new Promise((r) => setTimeout(r, 100));
      const result = await h.nginx.apply(
        h.conf([{ match: 'exact', path: `/v${v}`, action: { kind: 'return', status: 200 } }], `v${v}`),
      );
      expect(result.reloaded).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(5);
  });

  it('coalesces changes inside the minimum interval into one reload that carries the last change', async () => {
    const h = await harness({ minReloadIntervalMs: 2000 });
    await h.nginx.start(h.conf());
    expect(await h.nginx.apply(h.conf([], 'a'))).toEqual({ changed: true, reloaded: true });
    expect(await h.nginx.apply(h.conf([], 'b'))).toEqual({ changed: true, reloaded: false });
    expect(await h.nginx.apply(h.conf([], 'c'))).toEqual({ changed: true, reloaded: false });
    expect((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']).toBe('a');
    await h.nginx.reloaded();
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(2);
    expect((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']).toBe('c');
    await new Promise((r) => setTimeout(r, 700));
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(2);
  });

  it('reloaded() resolves once the deferred reload replaced the workers: no fresh connection reaches the old config', async () => {
    const h = await harness({ minReloadIntervalMs: 800 });
    await h.nginx.start(h.conf());
    await h.nginx.reloaded(); // nothing due: at once
    expect(await h.nginx.apply(h.conf([], 'a'))).toEqual({ changed: true, reloaded: true });
    expect(await h.nginx.apply(h.conf([], 'b'))).toEqual({ changed: true, reloaded: false });
    const before = Date.now();
    await h.nginx.reloaded();
    // It waited for the interval, not hurried the reload.
    expect(Date.now() - before).toBeGreaterThanOrEqual(300);
    expect(await metric(h.registry, 'nginx_reloads_total')).toBe(2);
    const markers = new Set<string | undefined>();
    for (let i = 0; i < 30; i += 1)
      markers.add((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']);
    expect([...markers]).toEqual(['b']);
  });

  it('reloaded() rejects when nginx stops before the due reload', async () => {
    const h = await harness({ minReloadIntervalMs: 60_000 });
    await h.nginx.start(h.conf());
    await h.nginx.apply(h.conf([], 'a'));
    await h.nginx.apply(h.conf([], 'b'));
    const rejected = expect(h.nginx.reloaded()).rejects.toThrow('nginx stopped before the reload');
    await h.nginx.stop();
    await rejected;
  });

  it('reloaded() resolves early, the reload still due, when its signal aborts (a stopping caller)', async () => {
    const h = await harness({ minReloadIntervalMs: 60_000 });
    await h.nginx.start(h.conf());
    await h.nginx.apply(h.conf([], 'a'));
    await h.nginx.apply(h.conf([], 'b'));
    const abort = new AbortController();
    const waiting = h.nginx.reloaded(120_000, abort.signal);
    abort.abort();
    await waiting;
    // Nothing was hurried: the old config still answers until the reload is flushed.
    expect((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']).toBe('a');
    await h.nginx.reloaded(120_000, abort.signal); // already aborted: at once
    expect(await h.nginx.flush()).toBe(true);
  });

  it('flush() performs a pending reload at once', async () => {
    const h = await harness({ minReloadIntervalMs: 60_000 });
    await h.nginx.start(h.conf());
    await h.nginx.apply(h.conf([], 'a'));
    expect((await h.nginx.apply(h.conf([], 'b'))).reloaded).toBe(false);
    expect(await h.nginx.flush()).toBe(true);
    expect((await get(h)).json<{ headers: Record<string, string> }>().headers['x-marker']).toBe('b');
    expect(await h.nginx.flush()).toBe(false);
  });

  it('scrapes stub_status into metrics and stays healthy while the scrape works', async () => {
    const h2 = await harness((statusPort) => ({
      statusUrl: `http://127.0.0.1:${statusPort}/basic_status`,
      scrapeIntervalMs: 100,
    }));
    await h2.nginx.start(h2.conf());
    for (let i = 0; i < 5; i++) await get(h2);
    const deadline = Date.now() + 3000;
    // Wait for a scrape taken after the five requests: the scrapes' own requests also count, so
    // a scrape taken earlier can already show 5 requests but fewer accepted connections.
    while (
      ((await metric(h2.registry, 'nginx_http_requests_total')) < 5 ||
        (await metric(h2.registry, 'nginx_connections_accepted_total')) < 5) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(await metric(h2.registry, 'nginx_http_requests_total')).toBeGreaterThanOrEqual(5);
    expect(await metric(h2.registry, 'nginx_connections_accepted_total')).toBeGreaterThanOrEqual(5);
    // nginx's totals are counters, not gauges.
    for (const name of [
      'nginx_http_requests_total',
      'nginx_connections_accepted_total',
      'nginx_connections_handled_total',
    ])
      expect((await h2.registry.getSingleMetric(name)?.get())?.type).toBe('counter');
    expect(h2.nginx.healthy()).toBe(true);
  });

  it('resolves exited and fails health when nginx is killed', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    const workers = await h.nginx.workerPids();
    process.kill(h.nginx.pid()!, 'SIGKILL');
    const exit = await h.nginx.exited;
    for (const w of workers) process.kill(w, 'SIGKILL');
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(h.nginx.healthy()).toBe(false);
    expect(await metric(h.registry, 'nginx_up')).toBe(0);
    await expect(h.nginx.apply(h.conf([], 'x'))).rejects.toThrow('nginx is not running');
  });

  it('stops gracefully with SIGQUIT: exit code 0, workers gone, health false', async () => {
    const h = await harness();
    await h.nginx.start(h.conf());
    const workers = await h.nginx.workerPids();
    await h.nginx.stop();
    expect(await h.nginx.exited).toEqual({ code: 0, signal: null });
    expect(h.nginx.healthy()).toBe(false);
    for (const w of workers) expect(() => process.kill(w, 0)).toThrow();
    await h.nginx.stop();
  });

  it('reports a missing nginx binary as such, not as a bad config', async () => {
    const h = await harness({ binary: '/nonexistent/nginx' });
    const err = await h.nginx.start(h.conf()).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(NginxConfigTestError);
    expect(String(err)).toContain('cannot run nginx');
  });

  it('refuses to start with an invalid initial config and runs nothing', async () => {
    const h = await harness();
    await expect(h.nginx.start('events {}\nhttp { bogus; }\n')).rejects.toBeInstanceOf(NginxConfigTestError);
    expect(h.nginx.pid()).toBeUndefined();
    expect(h.nginx.healthy()).toBe(false);
  });
});
