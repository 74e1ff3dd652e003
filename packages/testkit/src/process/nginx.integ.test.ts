import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { startEchoServer, type EchoResponse, type EchoServer } from '../backends/echo-server.js';
import {
  makeTestCa,
  makeTestCertificate,
  writeTestCertificate,
  type TestCertificate,
} from '../net/certificates.js';
import { freePort } from '../net/free-port.js';
import { httpRequest } from '../net/http-request.js';
import { tempDir, type TempDir } from '../net/temp-dir.js';
import { nginxBinary } from './binaries.js';
import { trackedChildCount } from './child-registry.js';
import { startNginx, nginxTest, type NginxProcess } from './nginx.js';
import { nginxConfig } from './nginx-config.js';
import { processRunning } from './proc-fs.js';
import { withLogsOnFailure } from './with-logs.js';

let podA: EchoServer;
let podB: EchoServer;
let certDir: TempDir;
let ca: TestCertificate;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [podA, podB, certDir, ca] = await Promise.all([
    startEchoServer({ host: '127.0.0.2', name: 'pod-a' }),
    startEchoServer({ host: '127.0.0.3', name: 'pod-b' }),
    tempDir('nginx-certs'),
    makeTestCa(),
  ]);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await Promise.all([podA.close(), podB.close(), certDir.remove()]);
});

async function nginx(config: string, waitForUrl?: string): Promise<NginxProcess> {
  const proc = await startNginx({ config, ...(waitForUrl === undefined ? {} : { waitForUrl }) });
  cleanups.push(() => proc.stop());
  return proc;
}

function proxyServer(port: number, serverName: string, backend: EchoServer): string {
  return `
server {
  listen 127.0.0.1:${port};
  server_name ${serverName};
  location / {
    proxy_pass ${backend.url};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
  }
}`;
}

const upgradeMap = `map $http_upgrade $connection_upgrade { default upgrade; '' close; }`;

describe('startNginx', () => {
  it('proxies by Host to echo backends on distinct loopback addresses', async () => {
    const port = await freePort();
    const proc = await nginx(
      nginxConfig({
        http: [upgradeMap, proxyServer(port, 'a.test', podA), proxyServer(port, 'b.test', podB)].join('\n'),
      }),
    );
    await withLogsOnFailure([proc], async () => {
      const a = (
        await httpRequest({ url: `http://127.0.0.1:${port}/hello?x=1`, host: 'a.test' })
      ).json<EchoResponse>();
      expect(a).toMatchObject({ name: 'pod-a', path: '/hello', query: { x: '1' }, host: 'a.test' });
      expect(a.headers['x-forwarded-for']).toBe('127.0.0.1');
      const b = (
        await httpRequest({ url: `http://127.0.0.1:${port}/`, host: 'b.test' })
      ).json<EchoResponse>();
      expect(b.name).toBe('pod-b');
    });
    expect(await proc.logs()).toMatch(/"GET \/hello\?x=1 HTTP\/1\.1" 200/);
  });

  it('serves HTTPS with SNI choosing between two certificates', async () => {
    const [alpha, beta] = await Promise.all([
      makeTestCertificate({ commonName: 'alpha.test', ca }),
      makeTestCertificate({ commonName: 'beta.test', ca }),
    ]);
    const alphaFiles = await writeTestCertificate(certDir.path, 'alpha', alpha);
    const betaFiles = await writeTestCertificate(certDir.path, 'beta', beta);
    const port = await freePort();
    const tlsServer = (name: string, files: typeof alphaFiles, backend: EchoServer): string => `
server {
  listen 127.0.0.1:${port} ssl;
  server_name ${name};
  ssl_certificate ${files.certPath};
  ssl_certificate_key ${files.keyPath};
  location / { proxy_pass ${backend.url}; proxy_set_header Host $host; }
}`;
    const proc = await nginx(
      nginxConfig({
        http: [tlsServer('alpha.test', alphaFiles, podA), tlsServer('beta.test', betaFiles, podB)].join('\n'),
      }),
    );
    await withLogsOnFailure([proc], async () => {
      // Verification is on: a wrong certificate for the SNI name would fail the handshake.
      const viaAlpha = await httpRequest({
        url: `https://127.0.0.1:${port}/`,
        host: 'alpha.test',
        ca: ca.cert,
      });
      expect(viaAlpha.json<EchoResponse>()).toMatchObject({ name: 'pod-a', host: 'alpha.test' });
      const viaBeta = await httpRequest({
        url: `https://127.0.0.1:${port}/`,
        host: 'beta.test',
        ca: ca.cert,
      });
      expect(viaBeta.json<EchoResponse>()).toMatchObject({ name: 'pod-b', host: 'beta.test' });
      expect(viaAlpha.peerCertificate).toMatchObject({
        commonName: 'alpha.test',
        issuerCommonName: 'kube-edge test CA',
      });
      expect(viaBeta.peerCertificate?.commonName).toBe('beta.test');
      // The certificate follows SNI, not the Host header.
      const mixed = await httpRequest({
        url: `https://127.0.0.1:${port}/`,
        host: 'alpha.test',
        servername: 'beta.test',
        ca: ca.cert,
      });
      expect(mixed.peerCertificate?.commonName).toBe('beta.test');
    });
  });

  it('passes a WebSocket upgrade through to the echo backend', async () => {
    const port = await freePort();
    const proc = await nginx(
      nginxConfig({ http: [upgradeMap, proxyServer(port, 'ws.test', podB)].join('\n') }),
    );
    const socket = new WebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { host: 'ws.test' } });
    try {
      await withLogsOnFailure([proc], async () => {
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        const reply = new Promise<string>((resolve) =>
          socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
        );
        socket.send('through nginx');
        expect(await reply).toBe('pod-b: through nginx');
      });
    } finally {
      socket.terminate();
    }
  });

  it('buffers large request bodies in its temp paths (readable by workers also when run as root)', async () => {
    const port = await freePort();
    const proc = await nginx(
      nginxConfig({
        http: [upgradeMap, 'client_max_body_size 4m;', proxyServer(port, 'big.test', podA)].join('\n'),
      }),
    );
    expect((await stat(proc.prefix)).mode & 0o777).toBe(0o755);
    const body = 'x'.repeat(300_000);
    await withLogsOnFailure([proc], async () => {
      const result = await httpRequest({
        url: `http://127.0.0.1:${port}/upload`,
        method: 'POST',
        host: 'big.test',
        body,
      });
      expect(result.status).toBe(200);
      expect(result.json<EchoResponse>().body).toHaveLength(300_000);
    });
  });

  it('waits for waitForUrl to answer before resolving', async () => {
    const port = await freePort();
    const proc = await nginx(
      nginxConfig({ http: `server { listen 127.0.0.1:${port}; location / { return 204; } }` }),
      `http://127.0.0.1:${port}/`,
    );
    expect((await httpRequest({ url: `http://127.0.0.1:${port}/` })).status).toBe(204);
    expect(proc.workerPids()).toHaveLength(1);
  });

  it('reloads a new config, and keeps serving the old one when the new one is broken', async () => {
    const port = await freePort();
    const serverFor = (backend: EchoServer): string =>
      nginxConfig({ http: `server { listen 127.0.0.1:${port}; location / { proxy_pass ${backend.url}; } }` });
    const proc = await nginx(serverFor(podA));
    const nameNow = async (): Promise<string> =>
      (await httpRequest({ url: `http://127.0.0.1:${port}/` })).json<EchoResponse>().name;
    await withLogsOnFailure([proc], async () => {
      expect(await nameNow()).toBe('pod-a');
      const workersBefore = proc.workerPids();
      await proc.reload(serverFor(podB));
      expect(await nameNow()).toBe('pod-b');
      expect(proc.workerPids().some((pid) => !workersBefore.includes(pid))).toBe(true);

      await expect(proc.reload(serverFor(podA).replace('proxy_pass', 'proxy_passs'))).rejects.toThrow(
        /unknown directive "proxy_passs"/,
      );
      expect(await nameNow()).toBe('pod-b');
      await proc.reload(serverFor(podA));
      expect(await nameNow()).toBe('pod-a');
      // daemon off was given by -g at start; a config that now says it would be a duplicate on HUP.
      await expect(proc.reload(`daemon off;\n${serverFor(podB)}`)).rejects.toThrow(/fixed by -g at start/);
      expect(await nameNow()).toBe('pod-a');
    });
  });

  it('stops master and workers, removes the prefix, keeps the logs, and is idempotent', async () => {
    const port = await freePort();
    const proc = await startNginx({
      config: nginxConfig({ http: `server { listen 127.0.0.1:${port}; location / { return 200 "up"; } }` }),
    });
    const workers = proc.workerPids();
    expect(workers.length).toBeGreaterThan(0);
    expect((await httpRequest({ url: `http://127.0.0.1:${port}/` })).body).toBe('up');
    const tracked = trackedChildCount();
    await Promise.all([proc.stop(), proc.stop()]);
    await proc.stop();
    expect(processRunning(proc.pid)).toBe(false);
    for (const pid of workers) expect(processRunning(pid)).toBe(false);
    expect(existsSync(proc.prefix)).toBe(false);
    expect(trackedChildCount()).toBe(tracked - 1);
    expect(proc.workerPids()).toEqual([]);
    expect(await proc.logs()).toMatch(/== logs\/access\.log ==\n.*"GET \/ HTTP\/1\.1" 200/);
    await expect(httpRequest({ url: `http://127.0.0.1:${port}/`, timeoutMs: 1000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('rejects with nginx logs and leaves nothing behind when it cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const tracked = trackedChildCount();
    try {
      await expect(
        startNginx({ config: nginxConfig({ http: `server { listen 127.0.0.1:${address.port}; }` }) }),
      ).rejects.toThrow(/nginx did not start: exited with code 1[\s\S]*Address already in use/);
      expect(trackedChildCount()).toBe(tracked);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects daemon on before starting anything', async () => {
    await expect(startNginx({ config: 'daemon on; events {}' })).rejects.toThrow(/daemon off/);
  });
});

describe('nginxTest', () => {
  it('accepts a valid config without binding its ports', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    try {
      const result = await nginxTest(nginxConfig({ http: `server { listen 127.0.0.1:${address.port}; }` }));
      expect(result.output).toMatch(/syntax is ok[\s\S]*test is successful/);
      expect(result.ok).toBe(true);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('reports a broken config with nginx’s explanation', async () => {
    const result = await nginxTest(
      nginxConfig({ http: 'server { listen 127.0.0.1:1; bogus_directive on; }' }),
    );
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/unknown directive "bogus_directive"/);
  });
});

describe('nginxBinary', () => {
  it('finds Debian’s nginx', () => {
    expect(nginxBinary()).toBe('/usr/sbin/nginx');
  });

  it('names the places it looked and the package to install when nginx is missing', () => {
    expect(() => nginxBinary(['/nonexistent/nginx'])).toThrow(
      'nginx binary not found (looked in /nonexistent/nginx); install it with `apt-get install nginx`',
    );
  });
});

describe('withLogsOnFailure', () => {
  it('adds the process logs to a failing assertion and keeps the original as cause', async () => {
    const original = new Error('expected 200');
    const failure = await withLogsOnFailure(
      [{ logs: () => 'nginx said: upstream timed out' }, () => 'second'],
      () => {
        throw original;
      },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'expected 200\n--- process logs ---\nnginx said: upstream timed out\nsecond',
    );
    expect((failure as Error).cause).toBe(original);
  });

  it('returns the result untouched when the body succeeds', async () => {
    await expect(withLogsOnFailure([() => Promise.reject(new Error('not read'))], () => 42)).resolves.toBe(
      42,
    );
  });
});
