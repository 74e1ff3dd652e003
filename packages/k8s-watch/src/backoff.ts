/** Options for {@link createBackoff}. */
export interface BackoffOptions {
  /** First delay in ms. Default 1000. */
  initialMs?: number;
  /** Cap on the delay in ms (before jitter). Default 30000. */
  maxMs?: number;
  /** Growth factor per attempt. Default 2. */
  factor?: number;
  /** Jitter fraction: the delay is multiplied by a random value in [1 - jitter, 1 + jitter]. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1). Default Math.random; inject for deterministic tests. */
  random?: () => number;
}

/**
 * Capped exponential backoff with jitter. Not safe to share between independent loops:
 * each loop owns one.
 */
export interface Backoff {
  /** The next delay in ms; each call advances the attempt count. */
  next(): number;
  /** Starts again from `initialMs`; call after a success. Idempotent. */
  reset(): void;
  /** Number of `next()` calls since the last reset. */
  attempts(): number;
}

/** Creates a {@link Backoff}. Pure apart from the injected `random`. */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = options.initialMs ?? 1000;
  const maxMs = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const base = Math.min(maxMs, initialMs * Math.pow(factor, attempt));
      attempt += 1;
      const spread = 1 + jitter * (2 * random() - 1);
      return Math.max(0, Math.round(base * spread));
    },
    reset() {
      attempt = 0;
    },
    attempts: () => attempt,
  };
}

/** Per-attempt delay without state: `min(maxMs, initialMs * factor^(attempt-1))`, attempt ≥ 1. Pure. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, factor = 2): number {
  return Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt - 1)));
}
