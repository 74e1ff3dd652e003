import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createSecureContext, type TLSSocket } from 'node:tls';
import {
  makeTestCa,
  makeTestCertificate,
  writeTestCertificate,
  type TestCertificate,
} from './certificates.js';
import { httpRequest } from './http-request.js';
import { tempDir } from './temp-dir.js';

let ca: TestCertificate;
let alpha: TestCertificate;
let beta: TestCertificate;
let server: Server;
let port: number;

beforeAll(async () => {
  ca = await makeTestCa({ commonName: 'unit CA' });
  [alpha, beta] = await Promise.all([
    makeTestCertificate({ commonName: 'alpha.test', altNames: ['alpha.test', '*.alpha.test'], ca }),
    makeTestCertificate({ commonName: 'beta.test', altNames: ['beta.test', '127.0.0.1'], ca }),
  ]);
  const contexts = new Map([
    ['alpha.test', createSecureContext({ cert: alpha.cert, key: alpha.key })],
    ['beta.test', createSecureContext({ cert: beta.cert, key: beta.key })],
  ]);
  server = createServer(
    {
      cert: beta.cert,
      key: beta.key,
      SNICallback: (servername, callback) =>
        callback(
          null,
          contexts.get(servername.replace(/^[^.]+\.alpha/, 'alpha')) ?? contexts.get('beta.test'),
        ),
    },
    (request, response) => {
      response.end(
        JSON.stringify({
          sni: (request.socket as TLSSocket).servername,
          host: request.headers.host,
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  port = address.port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('makeTestCa / makeTestCertificate', () => {
  it('makes a CA certificate that is a CA and matches its key', () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=unit CA');
    expect(cert.checkPrivateKey(createPrivateKey(ca.key))).toBe(true);
  });

  it('issues leaves signed by the CA with the given alt names', () => {
    const cert = new X509Certificate(alpha.cert);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=alpha.test');
    expect(cert.subjectAltName).toBe('DNS:alpha.test, DNS:*.alpha.test');
    expect(cert.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(alpha.key))).toBe(true);
    expect(new X509Certificate(beta.cert).subjectAltName).toBe('DNS:beta.test, IP Address:127.0.0.1');
  });

  it('makes a self-signed leaf when no CA is given, usable as its own trust anchor', async () => {
    const self = await makeTestCertificate({ commonName: 'self.test' });
    const cert = new X509Certificate(self.cert);
    expect(cert.issuer).toBe('CN=self.test');
    expect(cert.subjectAltName).toBe('DNS:self.test');
    expect(cert.verify(cert.publicKey)).toBe(true);
    const selfServer = createServer({ cert: self.cert, key: self.key }, (_request, response) =>
      response.end('self'),
    );
    await new Promise<void>((resolve) => selfServer.listen(0, '127.0.0.1', resolve));
    try {
      const address = selfServer.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      const result = await httpRequest({
        url: `https://127.0.0.1:${address.port}/`,
        host: 'self.test',
        ca: self.cert,
      });
      expect(result.body).toBe('self');
    } finally {
      selfServer.closeAllConnections();
      await new Promise((resolve) => selfServer.close(resolve));
    }
  });

  it('refuses alt names that are neither IPs nor DNS names', async () => {
    await expect(makeTestCertificate({ commonName: 'x', altNames: ['a,b'] })).rejects.toThrow(
      /invalid DNS alt name/,
    );
  });

  it('writes cert and key files, the key private to its owner', async () => {
    const dir = await tempDir('cert-files');
    try {
      const files = await writeTestCertificate(dir.path, 'alpha', alpha);
      expect(await readFile(files.certPath, 'utf8')).toBe(alpha.cert);
      expect(await readFile(files.keyPath, 'utf8')).toBe(alpha.key);
      expect((await stat(files.keyPath)).mode & 0o777).toBe(0o600);
    } finally {
      await dir.remove();
    }
  });
});

describe('makeTestCertificate with rsaBits', () => {
  it('makes an RSA key of that size whose certificate matches it', async () => {
    const c = await makeTestCertificate({ commonName: 'weak.test', rsaBits: 1024 });
    const key = createPrivateKey(c.key);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(new X509Certificate(c.cert).checkPrivateKey(key)).toBe(true);
  });
});

describe('httpRequest over TLS', () => {
  it('sends the Host name as SNI and verifies the certificate chosen for it', async () => {
    const result = await httpRequest({
      url: `https://127.0.0.1:${port}/`,
      host: 'www.alpha.test',
      ca: ca.cert,
    });
    expect(result.json()).toEqual({ sni: 'www.alpha.test', host: 'www.alpha.test' });
    expect(result.peerCertificate).toEqual({
      commonName: 'alpha.test',
      subjectAltName: 'DNS:alpha.test, DNS:*.alpha.test',
      issuerCommonName: 'unit CA',
      fingerprint256: new X509Certificate(alpha.cert).fingerprint256,
    });
  });

  it('lets servername differ from the Host header', async () => {
    const result = await httpRequest({
      url: `https://127.0.0.1:${port}/`,
      host: 'other.example',
      servername: 'beta.test',
      ca: ca.cert,
    });
    expect(result.json()).toEqual({ sni: 'beta.test', host: 'other.example' });
  });

  it('sends no SNI for an IP host and verifies the IP alt name', async () => {
    const result = await httpRequest({ url: `https://127.0.0.1:${port}/`, ca: ca.cert });
    expect(result.json()).toEqual({ sni: false, host: `127.0.0.1:${port}` });
  });

  it('rejects a certificate that does not cover the SNI name unless verification is off', async () => {
    const options = { url: `https://127.0.0.1:${port}/`, servername: 'gamma.test', ca: ca.cert };
    await expect(httpRequest(options)).rejects.toThrow(/gamma\.test/);
    const insecure = await httpRequest({ ...options, rejectUnauthorized: false });
    expect(insecure.status).toBe(200);
  });

  it('rejects a server whose CA is not trusted', async () => {
    await expect(httpRequest({ url: `https://127.0.0.1:${port}/`, host: 'alpha.test' })).rejects.toThrow(
      /self-signed|unable to (get|verify)/i,
    );
  });
});
