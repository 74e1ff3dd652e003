/** A cancellable timer handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Cancels the timer; idempotent. */
  cancel(): void;
}

/**
 * Time as every kube-edge package sees it. Injected everywhere (informers, queues, nginx reload
 * coalescing, drain delays, cache ages) so tests can run fast or deterministic with
 * {@link createFakeClock}.
 * Implementations must be safe to call from any callback; `setTimeout` never calls `fn`
 * synchronously.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. Timers do not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The real clock: `Date.now()` and unref'd Node timers. Stateless; one per caller is fine. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms));
      t.unref();
      return { cancel: () => clearTimeout(t) };
    },
  };
}

/**
 * Resolves after `ms` on `clock`, or early (without rejecting) when `signal` aborts.
 * Never rejects, so loops can check their own stop flag afterwards.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      handle.cancel();
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
