import { chmod, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { TerminalError } from './errors.js';

/** Options for {@link writeFileIfChanged}. */
export interface WriteFileOptions {
  /** Permission bits of the file (e.g. `0o600` for a private key). Default: `0o666` less the umask. */
  readonly mode?: number;
  /**
   * Permission bits of the file's directory (e.g. `0o700`). The directory is created with this
   * mode and, when it already exists, set to it. Default: created with `0o777` less the umask,
   * an existing directory is left alone.
   */
  readonly dirMode?: number;
  /**
   * The file must resolve strictly inside this directory (any depth). A path that resolves
   * elsewhere (`..`, an absolute path from user input) is refused with a `TerminalError` before
   * anything is touched.
   */
  readonly root?: string;
  /**
   * Called with the temp file's path once the new content is written, before it is renamed over
   * `path` (e.g. run `nginx -t` on it). If it throws, the temp file is removed, `path` keeps its
   * old content, and the error propagates. Not called when the content is unchanged.
   */
  readonly beforeRename?: (tmpPath: string) => Promise<void>;
}

let tmpCounter = 0;

/**
 * Throws a `TerminalError` unless `path` resolves strictly inside `root`. Returns the absolute
 * path. Pure (no filesystem access): symlinks are not followed.
 */
export function resolveInside(root: string, path: string): string {
  const absRoot = resolve(root);
  const abs = resolve(absRoot, path);
  const prefix = absRoot.endsWith(sep) ? absRoot : absRoot + sep;
  if (!abs.startsWith(prefix)) {
    throw new TerminalError(`path ${JSON.stringify(path)} is outside ${absRoot}`, {
      code: 'PATH_OUTSIDE_ROOT',
    });
  }
  return abs;
}

/**
 * Makes `path` hold `content`, writing only when the bytes on disk differ. A write goes to a temp
 * file in the same directory (created if missing, see {@link WriteFileOptions.dirMode}) and is
 * renamed over `path`, so a reader never sees half a file. With `mode`, the file gets exactly
 * those permission bits (also when the content was already right). Resolves `true` when it wrote,
 * `false` when the content was already there. Idempotent; not safe to call concurrently for the
 * same path (serialise callers, e.g. with `createSerialRunner`). A temp file left by a crash is
 * named `.<name>.<pid>.<n>.tmp`.
 */
export async function writeFileIfChanged(
  path: string,
  content: string | Uint8Array,
  options: WriteFileOptions = {},
): Promise<boolean> {
  const abs = options.root === undefined ? resolve(path) : resolveInside(options.root, path);
  const dir = dirname(abs);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  if (options.dirMode === undefined) {
    await mkdir(dir, { recursive: true });
  } else {
    await mkdir(dir, { recursive: true, mode: options.dirMode });
    await chmod(dir, options.dirMode);
  }
  const current = await readFile(abs).catch(() => undefined);
  if (current !== undefined && current.equals(bytes)) {
    if (options.mode !== undefined && ((await stat(abs)).mode & 0o7777) !== options.mode) {
      await chmod(abs, options.mode);
    }
    return false;
  }
  const tmp = join(dir, `.${basename(abs)}.${process.pid}.${++tmpCounter}.tmp`);
  try {
    await writeFile(tmp, bytes, options.mode === undefined ? {} : { mode: options.mode });
    // writeFile's mode is filtered by the umask; set the exact bits asked for.
    if (options.mode !== undefined) await chmod(tmp, options.mode);
    if (options.beforeRename) await options.beforeRename(tmp);
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return true;
}

/**
 * Removes every file under `dir` (recursively) whose absolute path is not in `keep` (entries are
 * resolved, so relative paths are taken from the working directory), then every subdirectory
 * left empty; `dir` itself stays. Resolves with the removed file paths. Idempotent; a missing
 * `dir` is not an error. Call only once nothing reads the removed files any more (e.g. after the
 * config that stopped referencing them is live).
 */
export async function removeStaleFiles(dir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const wanted = new Set([...keep].map((p) => resolve(p)));
  const removed: string[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        if ((await readdir(path)).length === 0) await rmdir(path);
      } else if (!wanted.has(path)) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
  };
  await walk(resolve(dir));
  return removed;
}
