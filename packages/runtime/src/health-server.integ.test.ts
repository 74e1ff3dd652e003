import { afterEach, describe, expect, it } from '@jest/globals';
import {
  createHealthServer,
  type HealthReport,
  type HealthServer,
  type HealthServerOptions,
} from './health-server.js';
import { createMetrics } from './metrics.js';

const servers: HealthServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options: Partial<HealthServerOptions> = {},
): Promise<{ server: HealthServer; url: string }> {
  const server = createHealthServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  const { url } = await server.listen();
  return { server, url };
}

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('createHealthServer', () => {
  it('flips /readyz between 503 and 200 as a readiness check changes', async () => {
    let synced = false;
    const { server, url } = await start();
    server.addReadinessCheck('informers', () =>
      synced ? true : { ok: false, message: 'caches not synced' },
    );

    const before = await get(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toEqual({
      ok: false,
      checks: [
        { name: 'informers', ok: false, message: 'caches not synced', durationMs: expect.any(Number) },
      ],
    });

    synced = true;
    const after = await get(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toMatchObject({ ok: true, checks: [{ name: 'informers', ok: true }] });

    synced = false;
    expect((await get(`${url}/readyz`)).status).toBe(503);
  });

  it('needs every readiness check to pass, and is ready with no checks at all', async () => {
    const { server, url } = await start();
    expect((await get(`${url}/readyz`)).status).toBe(200);
    server.addReadinessCheck('a', () => true);
    server.addReadinessCheck('b', async () => Promise.resolve(false));
    const r = await get(`${url}/readyz`);
    expect(r.status).toBe(503);
    const report = JSON.parse(r.body) as HealthReport;
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('counts a throwing check and a slow check as failing, naming why', async () => {
    const { server, url } = await start({ checkTimeoutMs: 50 });
    server.addLivenessCheck('throws', () => {
      throw new Error('nginx master gone');
    });
    server.addLivenessCheck('slow', () => new Promise<boolean>(() => undefined));
    const started = Date.now();
    const r = await get(`${url}/healthz`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).checks).toEqual([
      expect.objectContaining({ name: 'throws', ok: false, message: 'nginx master gone' }),
      expect.objectContaining({ name: 'slow', ok: false, message: 'timed out after 50ms' }),
    ]);
  });

  it('keeps liveness and readiness separate', async () => {
    const { server, url } = await start();
    server.addReadinessCheck('not-ready', () => false);
    expect((await get(`${url}/healthz`)).status).toBe(200);
    expect((await get(`${url}/readyz`)).status).toBe(503);
    expect((await server.checkLiveness()).ok).toBe(true);
    expect((await server.checkReadiness()).ok).toBe(false);
  });

  it('serves the registry on /metrics with its content type', async () => {
    const metrics = createMetrics({ prefix: 'feed_ingress', collectDefaultMetrics: false });
    metrics.counter('reloads_total', 'Reloads').inc(3);
    const { url } = await start({ registry: metrics.registry });
    const r = await get(`${url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toBe(metrics.registry.contentType);
    expect(r.body).toContain('feed_ingress_reloads_total 3');
  });

  it('answers 404 on /metrics without a registry, 404 on unknown paths and 405 on a wrong method', async () => {
    const { url } = await start();
    expect((await get(`${url}/metrics`)).status).toBe(404);
    expect((await get(`${url}/nope`)).status).toBe(404);
    expect((await get(`${url}/readyz`, { method: 'POST' })).status).toBe(405);
  });

  it('serves app routes, ignores the query string, and answers 500 when a handler throws', async () => {
    const { server, url } = await start();
    server.addRoute('GET', '/debug/model', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('model');
    });
    server.addRoute('POST', '/boom', () => Promise.reject(new Error('bad')));
    expect(await get(`${url}/debug/model?x=1`)).toMatchObject({ status: 200, body: 'model' });
    expect((await get(`${url}/debug/model`, { method: 'DELETE' })).status).toBe(405);
    expect((await get(`${url}/boom`, { method: 'POST' })).status).toBe(500);
    expect(() => server.addRoute('GET', '/metrics', () => undefined)).toThrow(/built-in/);
    expect(() => server.addRoute('get', '/debug/model', () => undefined)).toThrow(/already added/);
  });

  it('rejects a duplicate check name', () => {
    const server = createHealthServer({ port: 0 });
    server.addReadinessCheck('x', () => true);
    expect(() => server.addReadinessCheck('x', () => true)).toThrow(/already added/);
  });

  it('closes idempotently and stops answering', async () => {
    const { server, url } = await start();
    expect((await get(`${url}/healthz`)).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it('rejects listen when the port is taken', async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const second = createHealthServer({ host: '127.0.0.1', port });
    servers.push(second);
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
