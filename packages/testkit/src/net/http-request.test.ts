import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { httpRequest } from './http-request.js';

let server: Server;
let base: string;
const seen: { method: string; url: string; host: string; body: string; connection: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        host: request.headers.host ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        connection: request.headers.connection ?? '',
      });
      if (request.url === '/redirect') {
        response.writeHead(302, { location: '/elsewhere' });
        response.end();
      } else if (request.url === '/slow') {
        setTimeout(() => response.end('late'), 60_000).unref();
      } else if (request.url === '/multi') {
        response.setHeader('set-cookie', ['a=1', 'b=2']);
        response.end('not json');
      } else {
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpRequest', () => {
  it('sends method, path with query, Host header and body, and parses a JSON answer', async () => {
    const result = await httpRequest({
      url: `${base}/x?y=1`,
      method: 'PUT',
      host: 'virtual.example:8080',
      body: 'payload',
    });
    expect(result.status).toBe(201);
    expect(result.json()).toEqual({ ok: true });
    expect(result.peerCertificate).toBeUndefined();
    expect(seen.at(-1)).toMatchObject({
      method: 'PUT',
      url: '/x?y=1',
      host: 'virtual.example:8080',
      body: 'payload',
    });
  });

  it('uses a fresh connection per request (no keep-alive reuse)', async () => {
    await httpRequest({ url: `${base}/` });
    expect(seen.at(-1)?.connection).toBe('close');
  });

  it('returns redirects as they are instead of following them', async () => {
    const result = await httpRequest({ url: `${base}/redirect` });
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe('/elsewhere');
    expect(seen.at(-1)?.url).toBe('/redirect');
  });

  it('keeps repeated headers as arrays and explains a non-JSON body', async () => {
    const result = await httpRequest({ url: `${base}/multi` });
    expect(result.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(() => result.json()).toThrow(/status 200.*not JSON.*"not json"/);
  });

  it('rejects when the deadline passes', async () => {
    const started = Date.now();
    await expect(httpRequest({ url: `${base}/slow`, timeoutMs: 200 })).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects other URL schemes', async () => {
    await expect(httpRequest({ url: 'ftp://127.0.0.1/' })).rejects.toThrow(/http and https/);
  });
});
