import type { Clock, TimerHandle } from './clock.js';

/**
 * A {@link Clock} that only moves when told to: for deterministic tests of timing logic in any
 * package. Shipped (not test-only) so every package's tests can use it without testkit.
 */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing due timers in time order and letting promise chains
   * settle after each. Not safe to call concurrently with itself.
   */
  advance(ms: number): Promise<void>;
  /** Number of timers not yet fired or cancelled. */
  pending(): number;
}

/** Creates a {@link FakeClock} starting at `startMs` (default 1_000_000). */
export function createFakeClock(startMs = 1_000_000): FakeClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    setTimeout(fn, ms): TimerHandle {
      const id = seq++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { cancel: () => void timers.delete(id) };
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        let nextId: number | undefined;
        let next: { at: number; fn: () => void } | undefined;
        for (const [id, t] of timers) {
          if (t.at <= target && (next === undefined || t.at < next.at)) {
            next = t;
            nextId = id;
          }
        }
        if (next === undefined || nextId === undefined) break;
        timers.delete(nextId);
        now = Math.max(now, next.at);
        next.fn();
        await settle();
      }
      now = target;
      await settle();
    },
    pending: () => timers.size,
  };
}
