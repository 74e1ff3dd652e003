import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory created for one test or process; remove it when done. */
export interface TempDir {
  /** Absolute path of the directory (mode 0700, as `mkdtemp` makes it). */
  path: string;
  /** Removes the directory and everything in it. Idempotent; safe to call concurrently. */
  remove(): Promise<void>;
}

/**
 * Creates a fresh directory `<os tmpdir>/kube-edge-<prefix>-XXXXXX`. Non-blocking; safe to
 * call concurrently (every call gets its own directory).
 */
export async function tempDir(prefix: string): Promise<TempDir> {
  const safePrefix = prefix.replace(/[^A-Za-z0-9_.-]/g, '_');
  const path = await mkdtemp(join(tmpdir(), `kube-edge-${safePrefix}-`));
  let removal: Promise<void> | undefined;
  return {
    path,
    remove: () => {
      removal ??= rm(path, { recursive: true, force: true, maxRetries: 3 });
      return removal;
    },
  };
}
