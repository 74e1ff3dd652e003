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

// Node fires a timer longer than this after 1 ms (with a TimeoutOverflowWarning).
const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and unref'd Node timers. A delay longer than a Node timer holds
 * (about 24.8 days, e.g. a long resync period) is waited out in legs. Stateless; one per caller
 * is fine.
 */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      let t: NodeJS.Timeout;
      const arm = (remaining: number): void => {
        const leg = Math.min(remaining, MAX_NODE_TIMER_MS);
        t = setTimeout(() => (remaining > leg ? arm(remaining - leg) : fn()), leg);
        t.unref();
      };
      arm(Math.max(0, ms));
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
