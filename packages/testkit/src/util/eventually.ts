import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this many ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Wait between attempts, in ms. Default 50. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message (e.g. `'nginx to serve a.example.com'`). */
  readonly what?: string;
}

/**
 * Calls `check` until it succeeds and resolves with its value. An attempt fails when `check`
 * throws (or rejects) or returns `false`; any other value, `undefined` included, is success, so
 * both assertion-style checks (`() => expect(x).toBe(1)`) and predicates (`() => ready()`) work.
 * After `timeoutMs` it rejects: with the last error itself when no `what` was given (so a
 * failing `expect` shows its diff), otherwise with an error naming `what` that has the last error
 * as `cause`. Always makes at least one attempt; attempts never overlap. Uses real timers.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: { error: unknown } | undefined;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
    } catch (error) {
      failure = { error };
    }
    if (Date.now() >= deadline) {
      const waitingFor = options.what === undefined ? '' : ` waiting for ${options.what}`;
      if (failure === undefined) throw new Error(`timed out after ${timeoutMs} ms${waitingFor}`);
      if (options.what === undefined) throw failure.error;
      throw new Error(`timed out after ${timeoutMs} ms${waitingFor}`, { cause: failure.error });
    }
    await delay(options.intervalMs ?? 50);
  }
}
