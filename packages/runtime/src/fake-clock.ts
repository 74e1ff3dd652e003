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
  /** The delay of every timer set so far, in call order (cancelled ones included): e.g. `[60000]` after one drain wait. */
  readonly delays: readonly number[];
}

/** Options of {@link createFakeClock}. */
export interface FakeClockOptions {
  /**
   * When true, every timer fires on its own on the next turn of the event loop, first moving
   * `now` to its due time (if later), so `sleep(clock, 60_000)` returns at once and reads as a
   * minute later. For code that only waits (drain delays, retry backoff) where a test asserts
   * the waits in {@link FakeClock.delays} rather than driving time. Default false: timers fire
   * only through {@link FakeClock.advance}.
   */
  readonly autoAdvance?: boolean;
}

/** Creates a {@link FakeClock} starting at `startMs` (default 1_000_000). */
export function createFakeClock(startMs = 1_000_000, options: FakeClockOptions = {}): FakeClock {
  let now = startMs;
  let seq = 0;
  const delays: number[] = [];
  const timers = new Map<number, { at: number; fn: () => void }>();
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    delays,
    now: () => now,
    setTimeout(fn, ms): TimerHandle {
      const id = seq++;
      const at = now + Math.max(0, ms);
      delays.push(ms);
      timers.set(id, { at, fn });
      if (options.autoAdvance === true) {
        setImmediate(() => {
          if (!timers.delete(id)) return;
          now = Math.max(now, at);
          fn();
        });
      }
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
