import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  freePort,
  httpRequest,
  makeTestCa,
  makeTestCertificate,
  startEchoServer,
  tempDir,
  writeTestCertificate,
  type EchoServer,
  type TempDir,
  type TestCertificate,
} from '@kube-edge/testkit';
import type { HeaderSetting, NginxConfig } from './model.js';
import { renderNginxConfig } from './render.js';
import { createNginxProcess, type NginxProcess } from './process.js';

// Rendered configs behave in real nginx as the model says: SNI picks each host's certificate,
// client certificates are enforced, API keys and allow lists refuse, WebSocket upgrades pass.
describe('rendered features in real nginx', () => {
  let echo: EchoServer;
  let work: TempDir;
  let nginx: NginxProcess;
  let ca: TestCertificate;
  let client: TestCertificate;
  let httpPort: number;
  let httpsPort: number;

  beforeAll(async () => {
    echo = await startEchoServer({ name: 'features' });
    work = await tempDir('nginx-features');
    ca = await makeTestCa();
    const a = await makeTestCertificate({ commonName: 'a.test', ca });
    const b = await makeTestCertificate({ commonName: 'b.test', ca });
    client = await makeTestCertificate({ commonName: 'client', ca });
    const aFiles = await writeTestCertificate(work.path, 'a', a);
    const bFiles = await writeTestCertificate(work.path, 'b', b);
    const dFiles = await writeTestCertificate(
      work.path,
      'd',
      await makeTestCertificate({ commonName: 'default.test', ca }),
    );
    const caFiles = await writeTestCertificate(work.path, 'ca', ca);
    httpPort = await freePort();
    httpsPort = await freePort();
    nginx = createNginxProcess({ workDir: `${work.path}/nginx`, stopTimeoutMs: 5000 });
    const ws: HeaderSetting[] = [
      { name: 'Upgrade', value: { var: 'http_upgrade' } },
      { name: 'Connection', value: { var: 'p_connection' } },
      { name: 'Host', value: { var: 'http_host' } },
    ];
    const proxy = { httpVersion: '1.1' as const, setHeaders: ws };
    const model: NginxConfig = {
      main: { workerProcesses: 1, errorLog: { target: 'stderr', level: 'warn' } },
      http: {
        tempPathRoot: nginx.paths.tempDir,
        accessLog: 'off',
        maps: [
          {
            source: { var: 'http_connection' },
            target: 'p_connection',
            default: { var: 'http_connection' },
            entries: [{ key: '', value: 'close' }],
          },
        ],
      },
      upstreams: [
        {
          id: 'echo',
          servers: [{ address: echo.host, port: echo.port, weight: 2, maxConns: 50 }],
          keepalive: 4,
        },
      ],
      servers: [
        {
          listen: [{ port: httpPort, address: '127.0.0.1' }],
          serverNames: ['plain.test'],
          locations: [
            { match: 'prefix', path: '/', proxy, action: { kind: 'proxy', upstream: 'echo' } },
            {
              match: 'prefix',
              path: '/keyed/',
              headerCheck: { header: 'X-ROUTING-API-KEY', value: 'QUJD' },
              proxy,
              action: { kind: 'proxy', upstream: 'echo', uri: '/people/' },
            },
            {
              match: 'prefix',
              path: '/internal/',
              access: [
                { action: 'allow', source: '10.0.0.0/8' },
                { action: 'deny', source: 'all' },
              ],
              action: { kind: 'proxy', upstream: 'echo' },
            },
            {
              match: 'exact',
              path: '/moved',
              action: {
                kind: 'redirect',
                status: 301,
                url: ['https://b.test/new?price=$5&h=', { var: 'host' }],
              },
            },
          ],
        },
        {
          listen: [{ port: httpPort, address: '127.0.0.1', defaultServer: true }],
          serverNames: [],
          locations: [
            { match: 'prefix', path: '/', action: { kind: 'return', status: 404, body: 'no host' } },
          ],
        },
        {
          listen: [{ port: httpPort, address: '127.0.0.1' }],
          serverNames: ['*.wild.test'],
          locations: [{ match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: 'wild' } }],
        },
        {
          listen: [{ port: httpPort, address: '127.0.0.1' }],
          serverNames: ['exact.wild.test'],
          locations: [{ match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: 'exact' } }],
        },
        {
          listen: [{ port: httpsPort, address: '127.0.0.1', ssl: true }],
          serverNames: ['a.test'],
          tls: { certificate: aFiles.certPath, certificateKey: aFiles.keyPath },
          locations: [
            { match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: 'site a' } },
          ],
        },
        {
          listen: [{ port: httpsPort, address: '127.0.0.1', ssl: true }],
          serverNames: ['b.test'],
          tls: {
            certificate: bFiles.certPath,
            certificateKey: bFiles.keyPath,
            clientCertificate: caFiles.certPath,
          },
          locations: [
            { match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: 'site b' } },
          ],
        },
        {
          listen: [{ port: httpsPort, address: '127.0.0.1', ssl: true, defaultServer: true }],
          serverNames: [],
          tls: { certificate: dFiles.certPath, certificateKey: dFiles.keyPath },
          locations: [
            { match: 'prefix', path: '/', action: { kind: 'return', status: 404, body: 'no host' } },
          ],
        },
        {
          // No certificate of its own: it serves the default server's.
          listen: [{ port: httpsPort, address: '127.0.0.1', ssl: true }],
          serverNames: ['c.test'],
          locations: [
            { match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: 'site c' } },
          ],
        },
      ],
    };
    await nginx.start(renderNginxConfig(model));
  });

  afterAll(async () => {
    await nginx?.stop();
    await echo?.close();
    await work?.remove();
  });

  it('matches a wildcard host on exactly one label, as Kubernetes does; an exact host wins', async () => {
    const get = async (host: string): Promise<string> => {
      const r = await httpRequest({ url: `http://127.0.0.1:${httpPort}/`, host });
      return `${r.status} ${r.body}`;
    };
    expect(await get('b.wild.test')).toBe('200 wild');
    expect(await get('B.Wild.Test')).toBe('200 wild');
    expect(await get('exact.wild.test')).toBe('200 exact');
    expect(await get('b.c.wild.test')).toBe('404 no host');
    expect(await get('wild.test')).toBe('404 no host');
  });

  it('serves each TLS host with its own certificate, chosen by SNI', async () => {
    const a = await httpRequest({ url: `https://127.0.0.1:${httpsPort}/`, host: 'a.test', ca: ca.cert });
    expect(a.status).toBe(200);
    expect(a.body).toBe('site a');
    expect(a.peerCertificate?.commonName).toBe('a.test');
  });

  it("serves a TLS host without a certificate of its own with the default server's", async () => {
    // The default certificate does not name c.test, so the client does not verify it.
    const c = await httpRequest({
      url: `https://127.0.0.1:${httpsPort}/`,
      host: 'c.test',
      rejectUnauthorized: false,
    });
    expect(`${c.status} ${c.body}`).toBe('200 site c');
    expect(c.peerCertificate?.commonName).toBe('default.test');
    const other = await httpRequest({
      url: `https://127.0.0.1:${httpsPort}/`,
      host: 'x.test',
      rejectUnauthorized: false,
    });
    expect(`${other.status} ${other.body}`).toBe('404 no host');
    expect(other.peerCertificate?.commonName).toBe('default.test');
    // A host with its own certificate still gets it.
    expect(
      (await httpRequest({ url: `https://127.0.0.1:${httpsPort}/`, host: 'a.test', ca: ca.cert }))
        .peerCertificate?.commonName,
    ).toBe('a.test');
  });

  it('requires a client certificate where the model sets a client CA', async () => {
    const without = await httpRequest({
      url: `https://127.0.0.1:${httpsPort}/`,
      host: 'b.test',
      ca: ca.cert,
    });
    expect(without.status).toBe(400);
    const withCert = await httpRequest({
      url: `https://127.0.0.1:${httpsPort}/`,
      host: 'b.test',
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
    });
    expect(withCert.status).toBe(200);
    expect(withCert.body).toBe('site b');
    expect(withCert.peerCertificate?.commonName).toBe('b.test');
  });

  it('refuses a request without the API key and rewrites the path for one with it', async () => {
    const url = `http://127.0.0.1:${httpPort}/keyed/x`;
    expect((await httpRequest({ url, host: 'plain.test' })).status).toBe(403);
    expect(
      (await httpRequest({ url, host: 'plain.test', headers: { 'X-ROUTING-API-KEY': 'wrong' } })).status,
    ).toBe(403);
    const ok = await httpRequest({ url, host: 'plain.test', headers: { 'X-ROUTING-API-KEY': 'QUJD' } });
    expect(ok.status).toBe(200);
    expect(ok.json<{ path: string }>().path).toBe('/people/x');
  });

  it('denies a client outside the allow list', async () => {
    expect(
      (await httpRequest({ url: `http://127.0.0.1:${httpPort}/internal/x`, host: 'plain.test' })).status,
    ).toBe(403);
  });

  it('redirects with a literal $ and an expanded variable in the URL', async () => {
    const res = await httpRequest({ url: `http://127.0.0.1:${httpPort}/moved`, host: 'plain.test' });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('https://b.test/new?price=$5&h=plain.test');
  });

  it('passes a WebSocket upgrade through to the backend', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: httpPort,
        path: '/ws',
        headers: {
          Host: 'plain.test',
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
        timeout: 5000,
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(101);
  });
});
