import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A PEM key pair. */
export interface SelfSignedCert {
  keyPem: string;
  certPem: string;
}

/**
 * Makes a self-signed P-256 certificate for 127.0.0.1 and localhost with the `openssl` on PATH
 * (valid one day). It is its own CA: clients trust it by using the certificate as CA data.
 * Non-blocking; each call makes a new key.
 */
export async function makeSelfSignedCert(openssl = 'openssl'): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-edge-apiserver-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await execFileAsync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=kube-edge-test-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ],
      { timeout: 10_000 },
    );
    return { keyPem: await readFile(keyPath, 'utf8'), certPem: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
