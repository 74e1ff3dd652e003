import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` until it returns true, `abort` returns a reason, or
 * `timeoutMs` passes. Resolves on success; rejects with `describe()`'s text otherwise.
 */
export async function pollUntil(options: {
  check: () => Promise<boolean> | boolean;
  abort?: () => string | undefined;
  timeoutMs: number;
  intervalMs?: number;
  describe: () => string;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted !== undefined) throw new Error(`${options.describe()}: ${aborted}`);
    if (await options.check()) return;
    if (Date.now() >= deadline)
      throw new Error(`${options.describe()}: timed out after ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? 20);
  }
}
