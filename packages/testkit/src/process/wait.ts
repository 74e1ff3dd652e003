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

/**
 * Resolves true when `exited` resolves within `ms`, false after `ms`. Holds the event loop open
 * while it waits (the children are unref'd so that a forgotten one never keeps a worker alive,
 * but a stop being awaited must not let a plain script, such as a benchmark, end before the
 * child is gone and its directory removed), and clears its timer either way.
 */
export async function exitedWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
