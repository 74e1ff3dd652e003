// An app's src/main.ts run as a real process straight from the TypeScript sources (types
// stripped by Node, `.js` specifiers and workspace packages mapped to the sources by
// scripts/ts-source), so argv normalisation, env, exit codes and signals are the real ones.
import { fileURLToPath } from 'node:url';
import { spawnTracked, type TrackedSpawn } from './child-registry.js';

// The same from src/process/ and dist/process/.
const loader = fileURLToPath(new URL('../../../../scripts/ts-source/register.mjs', import.meta.url));

/** How a {@link startSourceMain} process ended, with everything it wrote. */
export interface SourceMainRun {
  /** The exit code; null when it was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running {@link startSourceMain} process. */
export interface SourceMain {
  /** The tracked process: `kill()` it in afterAll (a failed or timed-out test included). */
  readonly tracked: TrackedSpawn;
  /** Resolves once the process closed its pipes and exited. Never rejects. */
  readonly done: Promise<SourceMainRun>;
  /** What it wrote so far, stdout then stderr. */
  output(): string;
}

/** Options of {@link startSourceMain}. */
export interface StartSourceMainOptions {
  /** The process is killed after this long, if still running. Default 60000. */
  timeoutMs?: number;
}

/**
 * Runs `<appDir>/src/main.ts` with `args` from the sources, in `appDir`, with only `PATH` and
 * `env` as its environment, stdout and stderr collected, as a {@link spawnTracked} process.
 */
export function startSourceMain(
  appDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: StartSourceMainOptions = {},
): SourceMain {
  const tracked = spawnTracked(
    process.execPath,
    [
      '--experimental-transform-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=@kube-edge/source',
      '--import',
      loader,
      'src/main.ts',
      ...args,
    ],
    { cwd: appDir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  tracked.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  tracked.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<SourceMainRun>((resolve) => {
    const timer = setTimeout(() => void tracked.kill(), options.timeoutMs ?? 60_000);
    tracked.child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { tracked, done, output: () => stdout + stderr };
}
