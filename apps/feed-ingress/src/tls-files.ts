import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ConfigError } from '@kube-edge/runtime';
import type { TlsFile } from './model/index.js';

/** What one {@link writeTlsFiles} call did. */
export interface TlsWriteResult {
  /** Files created or whose content changed. */
  written: string[];
  /** Files already up to date. */
  unchanged: string[];
}

function checkUnder(dir: string, path: string): string {
  const abs = resolve(path);
  if (!abs.startsWith(resolve(dir) + sep) || dirname(abs) !== resolve(dir)) {
    // The model names files directly under tlsDir; anything else would be a builder bug or an
    // injection attempt through a Secret name, and must not touch other paths.
    throw new ConfigError(`TLS file ${JSON.stringify(path)} is not directly under ${dir}`, {
      key: 'tlsFiles',
    });
  }
  return abs;
}

/**
 * Writes the model's certificate/key files into `dir` (created mode 0700) with mode 0600, only
 * when the content differs from what is on disk (write to a temp file, then rename, so nginx
 * never reads half a key). Stale files are not touched here: see {@link removeStaleTlsFiles},
 * called after nginx has applied a config that no longer needs them. Not safe to call
 * concurrently for the same directory (the updater chain serialises updates). Idempotent.
 */
export async function writeTlsFiles(dir: string, files: readonly TlsFile[]): Promise<TlsWriteResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const result: TlsWriteResult = { written: [], unchanged: [] };
  for (const file of files) {
    const path = checkUnder(dir, file.path);
    let current: string | undefined;
    try {
      current = await readFile(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === file.content) {
      result.unchanged.push(path);
      continue;
    }
    const tmp = join(dir, `.${basename(path)}.tmp`);
    await writeFile(tmp, file.content, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
    result.written.push(path);
  }
  return result;
}

/**
 * Removes files in `dir` that are not in `keep` (by absolute path), including temp files a
 * crash left behind. Returns the removed paths. Call only after the config that stopped
 * referencing them is live. Idempotent; a missing directory is not an error.
 */
export async function removeStaleTlsFiles(dir: string, keep: readonly TlsFile[]): Promise<string[]> {
  const wanted = new Set(keep.map((f) => resolve(f.path)));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = resolve(dir, name);
    if (wanted.has(path)) continue;
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}
