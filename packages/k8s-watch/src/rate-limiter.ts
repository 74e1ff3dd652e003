import type { Clock } from './clock.js';

/**
 * A token bucket. Not safe to share across unrelated limits; cheap to create one per key.
 */
export interface TokenBucket {
  /** Takes a token if one is available now; never blocks. */
  tryTake(): boolean;
  /** Milliseconds until a token will be available (0 when one is available now). Does not take it. */
  waitMs(): number;
}

/** Options for {@link createTokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size; also the initial number of tokens. */
  burst: number;
  clock: Clock;
}

/** Creates a {@link TokenBucket} that starts full. */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { qps, burst, clock } = options;
  let tokens = burst;
  let last = clock.now();
  const refill = (): void => {
    const now = clock.now();
    if (now > last) {
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
      last = now;
    }
  };
  return {
    tryTake() {
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    },
    waitMs() {
      refill();
      if (tokens >= 1) return 0;
      if (qps <= 0) return Number.POSITIVE_INFINITY;
      return Math.ceil(((1 - tokens) / qps) * 1000);
    },
  };
}
