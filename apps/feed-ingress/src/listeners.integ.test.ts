import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  makeTestCertificate,
  startEchoServer,
  type EchoResponse,
  type EchoServer,
  type KubeObject,
} from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

// Each Ingress host is one nginx server block listening on both the http and the https port.
// These tests prove through real nginx that both listeners still behave as two servers did.

const tlsSecret = async (name: string, commonName: string): Promise<KubeObject> => {
  const pair = await makeTestCertificate({ commonName });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: 'default' },
    data: {
      'tls.crt': Buffer.from(pair.cert).toString('base64'),
      'tls.key': Buffer.from(pair.key).toString('base64'),
    },
  };
};

/** How often `server_name <host>;` occurs in the live nginx.conf. */
async function serverBlocksOf(h: Harness, host: string): Promise<number> {
  const conf = await readFile(join(h.workDir, 'nginx.conf'), 'utf8');
  return conf.split('\n').filter((l) => l.trim() === `server_name ${host};`).length;
}

describe('one server per host on the http and https listeners (real nginx)', () => {
  let h: Harness;
  let pod: EchoServer;

  beforeAll(async () => {
    pod = await startEchoServer({ host: '127.0.0.61', name: 'pod-both' });
    h = await startHarness({ command: ['static'] });
    h.api.store.create(service('default', 'svc', '127.0.0.61', pod.port));
    h.api.store.create(await tlsSecret('own-tls', 'own.test'));
    h.api.store.create(
      ingress('default', 'plain', 'plain.test', [{ path: '/app', service: 'svc', port: pod.port }]),
    );
    h.api.store.create(
      ingress(
        'default',
        'own',
        'own.test',
        [{ path: '/', service: 'svc', port: pod.port }],
        {},
        { tls: [{ hosts: ['own.test'], secretName: 'own-tls' }] },
      ),
    );
    await eventually(async () => {
      const r = await h.get('own.test', '/', true);
      if (r.status !== 200 || r.peerCertificate?.commonName !== 'own.test')
        throw new Error(`status ${r.status} cn ${r.peerCertificate?.commonName}`);
      const p = await h.get('plain.test', '/app/', false);
      if (p.status !== 200) throw new Error(`plain: status ${p.status}`);
    });
    await h.settle();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await pod?.close();
  });

  it('renders one server block per host, listening on both ports', async () => {
    expect(await serverBlocksOf(h, 'plain.test')).toBe(1);
    expect(await serverBlocksOf(h, 'own.test')).toBe(1);
    const conf = await readFile(join(h.workDir, 'nginx.conf'), 'utf8');
    const block = conf.slice(
      conf.indexOf('server_name own.test;') - 200,
      conf.indexOf('server_name own.test;'),
    );
    expect(block).toContain(`listen ${h.httpPort};`);
    expect(block).toContain(`listen ${h.httpsPort} ssl;`);
  });

  it.each([
    ['http', false],
    ['https', true],
  ])('over %s: same backend and path handling, X-Forwarded-Proto of the listener', async (scheme, https) => {
    for (const host of ['plain.test', 'own.test']) {
      const path = host === 'plain.test' ? '/app/x' : '/x';
      const r = await h.get(host, path, https);
      expect(r.status).toBe(200);
      const body = r.json<EchoResponse>();
      expect(body).toMatchObject({ name: 'pod-both', host, path: '/x' });
      expect(body.headers['x-forwarded-proto']).toBe(scheme);
    }
    // Outside the host's locations: the root 404 of the host's server, on both listeners.
    expect((await h.get('plain.test', '/elsewhere', https)).status).toBe(404);
    // An unknown host falls to the listener's default server (404).
    expect((await h.get('unknown.test', '/x', https)).status).toBe(404);
  });

  it('over https each host gets its own certificate by SNI, or the default one', async () => {
    expect((await h.get('own.test', '/', true)).peerCertificate?.commonName).toBe('own.test');
    expect((await h.get('plain.test', '/app/', true)).peerCertificate?.commonName).toBe('default.invalid');
    // An unknown host gets the https default server's certificate.
    expect((await h.get('unknown.test', '/', true)).peerCertificate?.commonName).toBe('default.invalid');
  });
});

/** One HTTP/1.0 request after a PROXY protocol v1 header; TLS (with SNI) when `tls`. */
async function proxyProtocolGet(
  port: number,
  host: string,
  path: string,
  clientIp: string,
  tls: boolean,
): Promise<{ status: number; body: string }> {
  const raw = netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    raw.once('connect', resolve);
    raw.once('error', reject);
  });
  raw.write(`PROXY TCP4 ${clientIp} 127.0.0.1 40000 ${port}\r\n`);
  let socket: Socket = raw;
  if (tls) {
    const secure = tlsConnect({ socket: raw, servername: host, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    socket = secure;
  }
  socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  socket.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  await done;
  socket.destroy();
  const text = Buffer.concat(chunks).toString('utf8');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

describe('one server per host behind the PROXY protocol on both listeners (real nginx)', () => {
  let h: Harness;
  let pod: EchoServer;

  beforeAll(async () => {
    pod = await startEchoServer({ host: '127.0.0.62', name: 'pod-pp' });
    h = await startHarness({
      command: ['static'],
      args: [
        '--nginx-proxy-protocol',
        '--nginx-trusted-frontends=127.0.0.0/8',
        '--ingress-allow=203.0.113.0/24',
      ],
    });
    h.api.store.create(service('default', 'svc', '127.0.0.62', pod.port));
    h.api.store.create(ingress('default', 'pp', 'pp.test', [{ path: '/', service: 'svc', port: pod.port }]));
    await eventually(async () => {
      const r = await proxyProtocolGet(h.httpPort, 'pp.test', '/', '203.0.113.7', false);
      if (r.status !== 200) throw new Error(`status ${r.status}`);
    });
    await h.settle();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await pod?.close();
  });

  it.each([
    ['http', false],
    ['https', true],
  ])(
    'over %s: the client address comes from the PROXY header (allow list and X-Real-IP)',
    async (scheme, tls) => {
      const port = tls ? h.httpsPort : h.httpPort;
      const ok = await proxyProtocolGet(port, 'pp.test', '/x', '203.0.113.7', tls);
      expect(ok.status).toBe(200);
      const body = JSON.parse(ok.body) as EchoResponse;
      expect(body).toMatchObject({ name: 'pod-pp', host: 'pp.test', path: '/x' });
      expect(body.headers['x-real-ip']).toBe('203.0.113.7');
      expect(body.headers['x-forwarded-proto']).toBe(scheme);
      // A client outside --ingress-allow is refused by the same server on either listener.
      expect((await proxyProtocolGet(port, 'pp.test', '/x', '198.51.100.9', tls)).status).toBe(403);
    },
  );
});
