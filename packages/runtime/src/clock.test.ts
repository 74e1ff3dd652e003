import { describe, expect, it } from '@jest/globals';
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
});
