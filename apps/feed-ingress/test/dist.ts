// Tests that run the compiled entry point (dist/main.js) and the demo (demo/demo.ts, which imports
// the compiled app by its package name) as child processes.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The app directory, with a trailing slash. */
export const APP = fileURLToPath(new URL('..', import.meta.url));

async function distIsFresh(): Promise<boolean> {
  let built: number;
  try {
    built = Math.min((await stat(`${APP}dist/index.js`)).mtimeMs, (await stat(`${APP}dist/main.js`)).mtimeMs);
  } catch {
    return false;
  }
  for (const f of await readdir(`${APP}src`, { recursive: true })) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts') && (await stat(`${APP}src/${f}`)).mtimeMs > built)
      return false;
  }
  return true;
}

/**
 * Compiles this app when dist is older than a source file. Dependencies' dist comes from the
 * workspace build (`./dev test` and `./dev demo` build first).
 */
export async function ensureDist(): Promise<void> {
  if (await distIsFresh()) return;
  await promisify(execFile)(
    process.execPath,
    [`${APP}../../node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'],
    { cwd: APP, timeout: 120_000 },
  );
}
