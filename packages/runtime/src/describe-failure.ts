import { ConfigError } from './errors.js';

/** What `main.ts` prints and the code it exits with when a command fails; see {@link describeFailure}. */
export interface FailureReport {
  /** 2 for a {@link ConfigError} (bad flags, env or config), 1 for anything else. */
  readonly exitCode: 1 | 2;
  /** The whole text for stderr, ending in a newline. */
  readonly text: string;
}

/**
 * How a command line reports an error that ends it: a {@link ConfigError} as
 * `<program>: <message>` plus `Run '<help>' for usage.` and exit code 2 (the user can fix the
 * command line); anything else as `<program>: <stack>` and exit code 1. `help` defaults to
 * `<program> --help`. Pure: it neither writes nor exits; `main.ts` does both.
 */
export function describeFailure(err: unknown, program: string, help = `${program} --help`): FailureReport {
  if (err instanceof ConfigError) {
    return { exitCode: 2, text: `${program}: ${err.message}\nRun '${help}' for usage.\n` };
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { exitCode: 1, text: `${program}: ${detail}\n` };
}
