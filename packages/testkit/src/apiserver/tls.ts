import { makeTestCa, makeTestCertificate } from '../net/certificates.js';

/** The API test server's PEM serving key pair and the CA that issued it. */
export interface SelfSignedCert {
  keyPem: string;
  certPem: string;
  /** The issuing CA's certificate: what clients trust (`certificate-authority-data`). */
  caPem: string;
}

/**
 * Makes a throw-away CA and a P-256 serving certificate for 127.0.0.1 and localhost issued by
 * it, with testkit's certificate maker (the `openssl` on PATH, valid one day). Non-blocking;
 * each call makes new keys.
 */
export async function makeSelfSignedCert(openssl = 'openssl'): Promise<SelfSignedCert> {
  const ca = await makeTestCa({
    commonName: 'kube-edge test apiserver CA',
    validDays: 1,
    opensslBinary: openssl,
  });
  const leaf = await makeTestCertificate({
    commonName: 'kube-edge-test-apiserver',
    altNames: ['127.0.0.1', 'localhost'],
    ca,
    validDays: 1,
    opensslBinary: openssl,
  });
  return { keyPem: leaf.key, certPem: leaf.cert, caPem: ca.cert };
}
