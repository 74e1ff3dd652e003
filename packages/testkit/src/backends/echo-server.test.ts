import { afterEach, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { httpRequest } from '../net/http-request.js';
import { startEchoServer, type EchoResponse, type EchoServer } from './echo-server.js';

const started: EchoServer[] = [];
async function echo(options: Parameters<typeof startEchoServer>[0] = {}): Promise<EchoServer> {
  const server = await startEchoServer(options);
  started.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

describe('startEchoServer', () => {
  it('answers with method, path, query, headers, host, remote address, body and its name', async () => {
    const server = await echo({ name: 'pod-a' });
    const result = await httpRequest({
      url: `${server.url}/some/path?a=1&b=2&b=3`,
      method: 'POST',
      host: 'app.example.com',
      headers: { 'x-test': 'yes' },
      body: 'hello',
    });
    expect(result.status).toBe(200);
    expect(result.headers['x-echo-name']).toBe('pod-a');
    const body = result.json<EchoResponse>();
    expect(body).toMatchObject({
      name: 'pod-a',
      method: 'POST',
      path: '/some/path',
      query: { a: '1', b: ['2', '3'] },
      host: 'app.example.com',
      remoteAddress: '127.0.0.1',
      body: 'hello',
    });
    expect(body.headers['x-test']).toBe('yes');
    expect(server.requestCount()).toBe(1);
  });

  it('binds distinct loopback addresses 127.0.0.2 and 127.0.0.3 on the same port', async () => {
    const a = await echo({ host: '127.0.0.2', name: 'pod-a' });
    const b = await echo({ host: '127.0.0.3', port: a.port, name: 'pod-b' });
    expect(a.url).toBe(`http://127.0.0.2:${a.port}`);
    expect(b.port).toBe(a.port);
    expect((await httpRequest({ url: a.url })).json<EchoResponse>().name).toBe('pod-a');
    expect((await httpRequest({ url: b.url })).json<EchoResponse>().name).toBe('pod-b');
    // Nothing listens on 127.0.0.4 at that port: the servers are bound to their own address only.
    await expect(httpRequest({ url: `http://127.0.0.4:${a.port}/`, timeoutMs: 1000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('names itself after its address by default', async () => {
    const server = await echo({ host: '127.0.0.5' });
    expect(server.name).toBe(`echo-127.0.0.5:${server.port}`);
  });

  it('answers the status given by ?status=N', async () => {
    const server = await echo();
    const result = await httpRequest({ url: `${server.url}/?status=503` });
    expect(result.status).toBe(503);
    expect(result.json<EchoResponse>().query).toEqual({ status: '503' });
  });

  it('delays the answer by ?delayMs=N', async () => {
    const server = await echo();
    const started = Date.now();
    await httpRequest({ url: `${server.url}/?delayMs=300` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('streams N newline-delimited JSON chunks for ?stream=N', async () => {
    const server = await echo({ name: 'streamer' });
    const started = Date.now();
    const result = await httpRequest({ url: `${server.url}/?stream=5&intervalMs=30` });
    expect(result.headers['transfer-encoding']).toBe('chunked');
    const lines = result.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([0, 1, 2, 3, 4].map((chunk) => ({ name: 'streamer', chunk })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 30 - 10);
  });

  it('echoes WebSocket text frames prefixed by its name and binary frames unchanged', async () => {
    const server = await echo({ name: 'ws-pod' });
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/chat`);
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const replies: string[] = [];
      const got = new Promise<void>((resolve) => {
        socket.on('message', (data, isBinary) => {
          replies.push(
            isBinary ? `binary:${(data as Buffer).toString('hex')}` : (data as Buffer).toString('utf8'),
          );
          if (replies.length === 2) resolve();
        });
      });
      socket.send('hello');
      socket.send(Buffer.from([1, 2, 255]));
      await got;
      expect(replies).toEqual(['ws-pod: hello', 'binary:0102ff']);
      expect(server.requestCount()).toBe(1);
    } finally {
      socket.terminate();
    }
  });

  it('close ends open WebSockets and pending delayed answers, and is idempotent', async () => {
    const server = await echo();
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const pending = httpRequest({ url: `${server.url}/?delayMs=20000`, timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await Promise.all([server.close(), server.close()]);
    await closed;
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(httpRequest({ url: server.url, timeoutMs: 1000 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects when the address is already in use', async () => {
    const server = await echo();
    await expect(startEchoServer({ port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
