import { mkdir } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { ConfigError, removeStaleFiles, writeFileIfChanged } from '@kube-edge/runtime';

/** A certificate, key or CA file that a rendered nginx.conf references and that must exist before nginx reads it. */
export interface TlsFile {
  /** Absolute path inside the TLS directory (directly in it, or one level down with `subdirectories`). */
  readonly path: string;
  /** The file's bytes (a string is written as UTF-8). */
  readonly content: string | Uint8Array;
  /** Permission bits; default `0o600`. Use `0o644` only for public material (certificates). */
  readonly mode?: number;
}

/** Options of {@link writeTlsFiles}. */
export interface TlsWriteOptions {
  /**
   * Allow one level of subdirectory under the TLS directory (`<dir>/<host>/certificate.key`, the
   * dispatcher's layout); subdirectories are created with mode 0700. Default false: every file
   * must be directly in the directory.
   */
  readonly subdirectories?: boolean;
}

/** What one {@link writeTlsFiles} call did. */
export interface TlsWriteResult {
  /** Files created or whose content changed (absolute paths). */
  written: string[];
  /** Files already up to date (absolute paths). */
  unchanged: string[];
}

function checkUnder(dir: string, path: string, subdirectories: boolean): string {
  const root = resolve(dir);
  const abs = resolve(path);
  const depth = relative(root, abs).split(sep).length;
  const inside = abs.startsWith(root + sep) && !relative(root, abs).startsWith('..');
  if (!inside || depth > (subdirectories ? 2 : 1)) {
    // The model names files in the TLS directory; anything else is a builder bug or an injection
    // attempt through a Secret or host name, and must not touch other paths.
    throw new ConfigError(
      `TLS file ${JSON.stringify(path)} is not ${subdirectories ? 'in (or one level under)' : 'directly under'} ${dir}`,
      { key: 'tlsFiles' },
    );
  }
  return abs;
}

/**
 * Writes TLS files into `dir` (created mode 0700; subdirectories too), each with its mode
 * (default 0600), only when the bytes differ from what is on disk; each write goes to a temp file
 * that is renamed into place, so nginx never reads half a key. Every path is checked before
 * anything is written: one outside `dir` (or deeper than allowed) rejects the whole call with a
 * `ConfigError`. Stale files are not touched here: see {@link removeStaleTlsFiles}, called after
 * nginx has applied a config that no longer needs them. Idempotent; not safe to call
 * concurrently for the same directory (the updater serialises updates).
 */
export async function writeTlsFiles(
  dir: string,
  files: readonly TlsFile[],
  options: TlsWriteOptions = {},
): Promise<TlsWriteResult> {
  const subdirectories = options.subdirectories ?? false;
  const paths = files.map((f) => checkUnder(dir, f.path, subdirectories));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const result: TlsWriteResult = { written: [], unchanged: [] };
  for (const [i, file] of files.entries()) {
    const path = paths[i]!;
    // The directory holding a private key is 0700 (`dir` itself too when files are directly in it).
    const changed = await writeFileIfChanged(path, file.content, {
      mode: file.mode ?? 0o600,
      dirMode: 0o700,
      root: dir,
    });
    (changed ? result.written : result.unchanged).push(path);
  }
  return result;
}

/**
 * Removes every file under `dir` that is not in `keep` (by absolute path), including temp files
 * a crash left behind, and subdirectories left empty. Returns the removed paths. Call only after
 * the config that stopped referencing them is live. Idempotent; a missing directory is not an
 * error. `dir` must belong to the TLS writer alone: anything else in it is removed.
 */
export async function removeStaleTlsFiles(dir: string, keep: readonly TlsFile[]): Promise<string[]> {
  return removeStaleFiles(dir, new Set(keep.map((f) => resolve(f.path))));
}
