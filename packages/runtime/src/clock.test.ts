import { describe, expect, it, jest } from '@jest/globals';
import { createSystemClock, sleep } from './clock.js';
import { createFakeClock } from './fake-clock.js';

describe('createFakeClock', () => {
  it('fires due timers in time order when advanced, never before', async () => {
    const clock = createFakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    const cancelled = clock.setTimeout(() => fired.push('cancelled'), 150);
    cancelled.cancel();
    expect(clock.pending()).toBe(2);
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(150);
    expect(fired).toEqual(['a@100', 'b@200']);
    expect(clock.now()).toBe(249);
    expect(clock.pending()).toBe(0);
  });

  it('fires timers that a firing timer schedules within the same advance', async () => {
    const clock = createFakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
    }, 10);
    await clock.advance(25);
    expect(fired).toEqual([10, 20]);
  });
});

describe('createFakeClock with autoAdvance', () => {
  it('fires each timer on its own, moving now to its due time, and records every delay', async () => {
    const clock = createFakeClock(0, { autoAdvance: true });
    await sleep(clock, 60_000);
    expect(clock.now()).toBe(60_000);
    await sleep(clock, 500);
    expect(clock.now()).toBe(60_500);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('cancelled'), 5).cancel();
    await sleep(clock, 0);
    expect(fired).toEqual([]);
    expect(clock.delays).toEqual([60_000, 500, 5, 0]);
    expect(clock.pending()).toBe(0);
  });
});

describe('sleep', () => {
  it('resolves after the delay on the given clock', async () => {
    const clock = createFakeClock(0);
    let done = false;
    const slept = sleep(clock, 1_000).then(() => (done = true));
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    await slept;
    expect(done).toBe(true);
  });

  it('resolves early, without rejecting, when the signal aborts, and cancels its timer', async () => {
    const clock = createFakeClock(0);
    const abort = new AbortController();
    const slept = sleep(clock, 60_000, abort.signal);
    expect(clock.pending()).toBe(1);
    abort.abort();
    await expect(slept).resolves.toBeUndefined();
    expect(clock.pending()).toBe(0);
    await expect(sleep(clock, 60_000, abort.signal)).resolves.toBeUndefined();
  });
});

describe('createSystemClock', () => {
  it('reads Date.now and runs a cancellable real timer', async () => {
    const clock = createSystemClock();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('cancelled'), 0).cancel();
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1));
    expect(fired).toEqual([]);
  });

  it('waits out a delay longer than a Node timer can hold (2^31-1 ms) instead of firing at once', () => {
    jest.useFakeTimers();
    try {
      const clock = createSystemClock();
      const long = 30 * 24 * 3600_000; // 30 days, e.g. --resync-period=720h
      const fired: number[] = [];
      const start = clock.now();
      clock.setTimeout(() => fired.push(clock.now() - start), long);
      jest.advanceTimersByTime(1_000);
      expect(fired).toEqual([]);
      jest.advanceTimersByTime(long - 1_001);
      expect(fired).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(fired).toEqual([long]);
      const cancelled: string[] = [];
      clock.setTimeout(() => cancelled.push('fired'), long).cancel();
      jest.advanceTimersByTime(2 * long);
      expect(cancelled).toEqual([]);
      const later: string[] = [];
      const handle = clock.setTimeout(() => later.push('fired'), long);
      jest.advanceTimersByTime(2 ** 31); // past the first leg
      handle.cancel();
      jest.advanceTimersByTime(2 * long);
      expect(later).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
