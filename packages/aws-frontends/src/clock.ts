/**
 * Time as the frontends see it: `now` for the readiness delay, `sleep` for the drain delay.
 * Injected so tests can run a 60 s drain in no time and still assert it happened.
 */
export interface Clock {
  /** Milliseconds since the epoch. Never blocks. */
  now(): number;
  /** Resolves after `ms` milliseconds. Safe to call concurrently. */
  sleep(ms: number): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. Stateless; one instance can be shared. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
