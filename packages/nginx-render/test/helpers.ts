import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificate } from '@kube-edge/testkit';
import { nginxPaths, testNginxConfigFile, type NginxTestResult } from '../src/nginx-cli.js';
import { GOLDEN_TLS_DIR, GOLDEN_WORK_DIR } from './models.js';

/** A temp dir that removes itself. */
export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kube-edge-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a self-signed EC certificate (SAN `cn`) and its key (mode 0600) with testkit's certificate maker. */
export async function writeSelfSigned(certPath: string, keyPath: string, cn = 'localhost'): Promise<void> {
  const certificate = await makeTestCertificate({ commonName: cn });
  await writeFile(certPath, certificate.cert);
  await writeFile(keyPath, certificate.key, { mode: 0o600 });
}

/** The certificate files the golden models reference, created under `dir`. */
export async function writeGoldenTls(dir: string): Promise<void> {
  mkdirSync(join(dir, 'test.k8s.local'), { recursive: true });
  await Promise.all([
    writeSelfSigned(join(dir, 'default.crt'), join(dir, 'default.key')),
    writeSelfSigned(
      join(dir, 'test.k8s.local', 'certificate.crt'),
      join(dir, 'test.k8s.local', 'certificate.key'),
      'test.k8s.local',
    ),
    writeSelfSigned(
      join(dir, 'test.k8s.local', 'clientCertificate.crt'),
      join(dir, 'test.k8s.local', 'client.key'),
      'client',
    ),
  ]);
}

/**
 * `nginx -t` on a rendered config, with the golden placeholders for TLS files and the work
 * directory replaced by real temp paths.
 */
export async function nginxTestText(text: string, tlsDir: string, workDir: string): Promise<NginxTestResult> {
  const paths = nginxPaths(workDir);
  mkdirSync(paths.tempDir, { recursive: true });
  const confPath = join(workDir, `test-${process.hrtime.bigint()}.conf`);
  writeFileSync(confPath, text.replaceAll(GOLDEN_TLS_DIR, tlsDir).replaceAll(GOLDEN_WORK_DIR, workDir));
  try {
    return await testNginxConfigFile({ paths, confPath });
  } finally {
    rmSync(confPath, { force: true });
  }
}
