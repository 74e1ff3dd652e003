import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { validateFilePath } from '@kube-edge/nginx-render';
import type { TlsFile } from './types.js';

/** A certificate and key ready for nginx: the files to write and the paths nginx reads. */
export interface TlsPair {
  readonly certificate: TlsFile;
  readonly key: TlsFile;
}

/** The Secret type `spec.tls` certificates must have; the only Secrets feed-ingress reads. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

const CERT_PEM = /-----BEGIN CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const b64 = data?.[key];
  if (b64 === undefined) return undefined;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * Turns a `kubernetes.io/tls` Secret into certificate/key files under `tlsDir`. Checks what
 * nginx would refuse at `nginx -t` (which would fail the whole config): both PEM blocks present,
 * the certificate and key parse, the key is not encrypted and belongs to the certificate. File
 * names carry a hash of the content, so new content gets a new path (and the config changes,
 * which makes nginx reload and read it). Pure apart from CPU: deterministic for the same input.
 */
export function tlsPairFromSecret(
  secret: V1Secret,
  tlsDir: string,
): { ok: true; value: TlsPair } | { ok: false; reason: string } {
  const data = secret.data;
  const cert = decode(data, 'tls.crt');
  const key = decode(data, 'tls.key');
  if (cert === undefined || key === undefined)
    return { ok: false, reason: 'has no tls.crt and tls.key data' };
  if (!CERT_PEM.test(cert)) return { ok: false, reason: 'tls.crt is not a PEM certificate' };
  if (!KEY_PEM.test(key)) return { ok: false, reason: 'tls.key is not a PEM private key' };
  if (/ENCRYPTED/.test(key))
    return { ok: false, reason: 'tls.key is encrypted (nginx needs an unencrypted key)' };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return { ok: false, reason: 'tls.crt does not parse as an X.509 certificate' };
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key)))
      return { ok: false, reason: 'tls.key does not belong to the certificate in tls.crt' };
  } catch {
    return { ok: false, reason: 'tls.key does not parse as a private key' };
  }
  const ns = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  const hash = createHash('sha256').update(cert).update('\0').update(key).digest('hex').slice(0, 16);
  const base = `${tlsDir}/${ns}_${name}_${hash}`;
  const path = validateFilePath(`${base}.crt`);
  if (!path.ok) return { ok: false, reason: `gives an unusable file name (${path.reason})` };
  return {
    ok: true,
    value: {
      certificate: { path: `${base}.crt`, content: cert, mode: 0o600 },
      key: { path: `${base}.key`, content: key, mode: 0o600 },
    },
  };
}

interface CachedPair {
  readonly tlsDir: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly crt: string | undefined;
  readonly key: string | undefined;
  readonly result: ReturnType<typeof tlsPairFromSecret>;
}

// Checking a pair parses the certificate and the key (about 45 ms of CPU per 1k Secrets), and
// every pass rebuilds the whole model from the same cached Secret objects: remember the verdict
// per object, while its name, data and the TLS directory are the ones it was computed from.
const checkedPairs = new WeakMap<V1Secret, CachedPair>();

/**
 * {@link tlsPairFromSecret}, remembered per Secret object: an informer hands back the same object
 * until the Secret changes, so a pass only checks new or changed certificates. Same results.
 */
export function tlsPairFromSecretCached(
  secret: V1Secret,
  tlsDir: string,
): ReturnType<typeof tlsPairFromSecret> {
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  const namespace = secret.metadata?.namespace;
  const name = secret.metadata?.name;
  const hit = checkedPairs.get(secret);
  if (
    hit !== undefined &&
    hit.tlsDir === tlsDir &&
    hit.crt === crt &&
    hit.key === key &&
    hit.namespace === namespace &&
    hit.name === name
  )
    return hit.result;
  const result = tlsPairFromSecret(secret, tlsDir);
  checkedPairs.set(secret, { tlsDir, namespace, name, crt, key, result });
  return result;
}

/** Whether TLS host `pattern` (possibly `*.example.com`) covers `host` (one label for `*`). Pure. */
export function tlsHostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}
