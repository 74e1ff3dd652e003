import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigError, createFakeClock, type FakeClock } from '@kube-edge/runtime';
import { freePort, startGorbServer, type GorbServer } from '@kube-edge/testkit';
import { GorbApiError } from './errors.js';
import { createGorbClient, type GorbClient } from './gorb-client.js';

describe('GorbClient against the gorb test server', () => {
  let server: GorbServer;
  let client: GorbClient;
  let clock: FakeClock;
  beforeEach(async () => {
    server = await startGorbServer();
    clock = createFakeClock(0, { autoAdvance: true });
    client = createGorbClient({
      endpoint: `${server.url}/`,
      clock,
    });
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('creates, reads, lists and deletes services', async () => {
    await client.createService('web', { host: '10.0.0.1', port: 80 });
    expect(await client.listServices()).toEqual(['web']);
    expect(await client.getService('web')).toEqual({
      options: { host: '10.0.0.1', port: 80, protocol: 'tcp', method: 'wrr', persistent: false, flags: '' },
      health: 1,
      backends: [],
    });
    await client.deleteService('web');
    expect(await client.getService('web')).toBeUndefined();
    expect(server.state().services).toEqual({});
  });

  it('creates, reads, patches and deletes backends', async () => {
    await client.createService('web', { port: 80 });
    await client.createBackend('web', 'b1', {
      host: '127.0.0.1',
      port: 8080,
      weight: 10,
      method: 'dr',
      pulse: { type: 'none' },
    });
    expect(await client.getBackend('web', 'b1')).toMatchObject({
      options: { host: '127.0.0.1', port: 8080, weight: 10, method: 'dr', vsid: 'web' },
      metrics: { status: 0, health: 1 },
    });
    await client.updateBackend('web', 'b1', { weight: 0 });
    expect(server.state().services['web']?.backends['b1']?.weight).toBe(0);
    await client.deleteBackend('web', 'b1');
    expect(await client.getBackend('web', 'b1')).toBeUndefined();
  });

  it('encodes IDs into the path', async () => {
    await client.createService('a b', { port: 80 });
    expect(server.requests()[0]?.path).toBe('/service/a%20b');
    expect(await client.listServices()).toEqual(['a b']);
  });

  it('throws GorbApiError with status, code and gorb message on 4xx, without retrying', async () => {
    await client.createService('web', { port: 80 });
    server.clearRequests();
    const err = await client.createService('web', { port: 80 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GorbApiError);
    expect(err).toMatchObject({
      statusCode: 409,
      code: 'GORB_EXISTS',
      gorbMessage: 'specified object already exists',
      retryable: false,
    });
    await expect(client.deleteBackend('web', 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'GORB_NOT_FOUND',
    });
    await expect(client.createBackend('web', 'b', { host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      statusCode: 400,
      gorbMessage: 'endpoint information is missing',
    });
    expect(server.requests()).toHaveLength(3);
    expect(clock.delays).toEqual([]);
  });

  it('reports the unrouted service PATCH of kobolog gorb as a 405', async () => {
    await client.createService('web', { port: 80 });
    await expect(client.updateService('web', { port: 81 })).rejects.toMatchObject({ statusCode: 405 });
  });

  it('retries 5xx with exponential backoff and succeeds', async () => {
    server.failNext(2, 500);
    expect(await client.listServices()).toEqual([]);
    expect(server.requests().map((r) => r.status)).toEqual([500, 500, 200]);
    expect(clock.delays).toEqual([200, 400]);
  });

  it('retries a reset connection', async () => {
    server.failNext(1, 'reset');
    await client.createService('web', { port: 80 });
    expect(server.state().services['web']).toBeDefined();
    expect(clock.delays).toEqual([200]);
  });

  it('gives up after maxAttempts with a retryable error', async () => {
    server.failNext(5, 503);
    await expect(client.listServices()).rejects.toMatchObject({
      statusCode: 503,
      retryable: true,
      code: 'GORB_SERVER_ERROR',
    });
    expect(server.requests()).toHaveLength(3);
  });

  it('reports status from one GET /service without retrying', async () => {
    expect(await client.status()).toEqual({ ok: true, statusCode: 200 });
    server.failNext(1, 500);
    expect(await client.status()).toMatchObject({ ok: false, statusCode: 500 });
    expect(clock.delays).toEqual([]);
  });
});

describe('GorbClient without a server', () => {
  it('retries connection errors, then throws GORB_UNREACHABLE', async () => {
    const port = await freePort();
    const clock = createFakeClock(0, { autoAdvance: true });
    const client = createGorbClient({
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 4,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 250,
      clock,
    });
    try {
      await expect(client.listServices()).rejects.toMatchObject({
        code: 'GORB_UNREACHABLE',
        statusCode: undefined,
        retryable: true,
      });
      expect(clock.delays).toEqual([100, 200, 250]);
      expect(await client.status()).toMatchObject({ ok: false });
    } finally {
      await client.close();
    }
  });

  it('times out a server that never answers', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const client = createGorbClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 200, maxAttempts: 1 });
    const started = Date.now();
    try {
      await expect(client.listServices()).rejects.toMatchObject({ code: 'GORB_UNREACHABLE' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await client.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.each(['not a url', 'ftp://127.0.0.1/'])('refuses endpoint %j with a ConfigError', (endpoint) => {
    expect(() => createGorbClient({ endpoint })).toThrow(ConfigError);
  });
});
