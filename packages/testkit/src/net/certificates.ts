import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

/** A PEM certificate and its unencrypted PEM private key (PKCS#8, EC P-256). */
export interface TestCertificate {
  cert: string;
  key: string;
}

/** Options of {@link makeTestCa}. */
export interface TestCaOptions {
  /** Default `kube-edge test CA`. */
  commonName?: string;
  /** Default 2 days: long enough for any test run, short enough that a leaked one is worthless. */
  validDays?: number;
  /** Default `openssl` (found on PATH). */
  opensslBinary?: string;
}

/** Options of {@link makeTestCertificate}. */
export interface TestCertificateOptions {
  commonName: string;
  /** Subject alternative names; IP addresses become `IP:` entries, others `DNS:`. Default `[commonName]`. */
  altNames?: string[];
  /** Issuer. Default: none, the certificate is self-signed. */
  ca?: TestCertificate;
  /** Default 2 days. */
  validDays?: number;
  /** Default `openssl` (found on PATH). */
  opensslBinary?: string;
  /**
   * An RSA key of this many bits instead of EC P-256, e.g. 512 or 1024 for a certificate that
   * parses and matches its key but that OpenSSL's security level makes nginx refuse.
   */
  rsaBits?: number;
}

const DEFAULT_VALID_DAYS = 2;

async function openssl(binary: string, args: string[], cwd: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(binary, args, { cwd, timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error) {
        reject(
          new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`, { cause: error }),
        );
      } else {
        resolve();
      }
    });
  });
}

function subject(commonName: string): string {
  if (commonName === '' || /[\n\r]/.test(commonName)) {
    throw new Error(`invalid certificate common name ${JSON.stringify(commonName)}`);
  }
  // `-subj` splits on `/` and `+`; a backslash escapes them.
  return `/CN=${commonName.replace(/[\\/+]/g, '\\$&')}`;
}

function subjectAltName(names: string[]): string {
  return names
    .map((name) => {
      if (isIP(name) !== 0) return `IP:${name}`;
      if (!/^[A-Za-z0-9*._-]+$/.test(name)) {
        throw new Error(`invalid DNS alt name ${JSON.stringify(name)}`);
      }
      return `DNS:${name}`;
    })
    .join(',');
}

// A full config file rather than `-addext`, because `-addext` adds to the system openssl.cnf's
// default extensions (which make every `req -x509` a CA) instead of replacing them.
function opensslConfig(extensions: string[]): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[ext]', ...extensions, ''].join('\n');
}

/**
 * Creates a self-signed CA certificate with `openssl` (EC P-256). Pass it as `ca` to
 * {@link makeTestCertificate} to issue leaves, and its `cert` as `ca` to `httpRequest` to trust
 * them. Non-blocking (runs a child process, ~20 ms); safe to call concurrently; every call makes
 * a new key.
 */
export async function makeTestCa(options: TestCaOptions = {}): Promise<TestCertificate> {
  const binary = options.opensslBinary ?? 'openssl';
  const dir = await tempDir('cert');
  try {
    await writeFile(
      join(dir.path, 'openssl.cnf'),
      opensslConfig([
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
        'subjectKeyIdentifier = hash',
      ]),
    );
    await openssl(
      binary,
      [
        'req',
        '-x509',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        String(options.validDays ?? DEFAULT_VALID_DAYS),
        '-subj',
        subject(options.commonName ?? 'kube-edge test CA'),
        '-config',
        'openssl.cnf',
        '-extensions',
        'ext',
      ],
      dir.path,
    );
    return {
      cert: await readFile(join(dir.path, 'cert.pem'), 'utf8'),
      key: await readFile(join(dir.path, 'key.pem'), 'utf8'),
    };
  } finally {
    await dir.remove();
  }
}

/**
 * Creates a server/client certificate (EC P-256, or RSA with `rsaBits`) with `openssl`: self-signed, or issued by
 * `ca`. SANs are `altNames` (default: the common name), so hostname verification works for
 * them. Non-blocking (runs one or two child processes); safe to call concurrently; every call
 * makes a new key. Throws if openssl fails or a name is unusable.
 */
export async function makeTestCertificate(options: TestCertificateOptions): Promise<TestCertificate> {
  const binary = options.opensslBinary ?? 'openssl';
  const days = String(options.validDays ?? DEFAULT_VALID_DAYS);
  const san = subjectAltName(options.altNames ?? [options.commonName]);
  const subj = subject(options.commonName);
  const dir = await tempDir('cert');
  try {
    await writeFile(
      join(dir.path, 'openssl.cnf'),
      opensslConfig([
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth, clientAuth',
        `subjectAltName = ${san}`,
        'subjectKeyIdentifier = hash',
      ]),
    );
    const keyArgs = [
      '-newkey',
      ...(options.rsaBits === undefined
        ? ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
        : [`rsa:${options.rsaBits}`]),
      '-nodes',
      '-keyout',
      'key.pem',
    ];
    if (options.ca === undefined) {
      await openssl(
        binary,
        [
          'req',
          '-x509',
          '-new',
          ...keyArgs,
          '-out',
          'cert.pem',
          '-days',
          days,
          '-subj',
          subj,
          '-config',
          'openssl.cnf',
          '-extensions',
          'ext',
        ],
        dir.path,
      );
    } else {
      await writeFile(join(dir.path, 'ca.pem'), options.ca.cert);
      await writeFile(join(dir.path, 'ca-key.pem'), options.ca.key, { mode: 0o600 });
      await openssl(
        binary,
        ['req', '-new', ...keyArgs, '-out', 'req.csr', '-subj', subj, '-config', 'openssl.cnf'],
        dir.path,
      );
      await openssl(
        binary,
        [
          'x509',
          '-req',
          '-in',
          'req.csr',
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca-key.pem',
          '-set_serial',
          `0x${randomBytes(12).toString('hex')}`,
          '-days',
          days,
          '-out',
          'cert.pem',
          '-extfile',
          'openssl.cnf',
          '-extensions',
          'ext',
        ],
        dir.path,
      );
    }
    return {
      cert: await readFile(join(dir.path, 'cert.pem'), 'utf8'),
      key: await readFile(join(dir.path, 'key.pem'), 'utf8'),
    };
  } finally {
    await dir.remove();
  }
}

/** Paths written by {@link writeTestCertificate}. */
export interface TestCertificateFiles {
  certPath: string;
  keyPath: string;
}

/**
 * Writes `<dir>/<baseName>.crt` and `<dir>/<baseName>.key` (key mode 0600; nginx's master reads
 * it, as the user that started it). Non-blocking; overwrites existing files.
 */
export async function writeTestCertificate(
  dir: string,
  baseName: string,
  certificate: TestCertificate,
): Promise<TestCertificateFiles> {
  const certPath = join(dir, `${baseName}.crt`);
  const keyPath = join(dir, `${baseName}.key`);
  await writeFile(certPath, certificate.cert);
  await writeFile(keyPath, certificate.key, { mode: 0o600 });
  return { certPath, keyPath };
}
