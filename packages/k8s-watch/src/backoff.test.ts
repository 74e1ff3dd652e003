import { describe, it, expect } from '@jest/globals';
import { backoffDelay, createBackoff } from './backoff.js';
import { createFakeClock } from './fake-clock.js';
import { createTokenBucket } from './rate-limiter.js';

describe('createBackoff', () => {
  it('doubles from initialMs and caps at maxMs when jitter is 0', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(b.attempts()).toBe(6);
  });
  it('starts again from initialMs after reset', () => {
    const b = createBackoff({ initialMs: 10, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(10);
  });
  it.each([
    [0, 80],
    [0.5, 100],
    [0.999999, 120],
  ])('applies ±20%% jitter: random %p gives %p', (r, expected) => {
    const b = createBackoff({ initialMs: 100, jitter: 0.2, random: () => r });
    expect(b.next()).toBe(expected);
  });
  it.each([
    [1, 5],
    [2, 10],
    [4, 40],
    [30, 1000],
  ])('backoffDelay attempt %p is %p', (attempt, expected) => {
    expect(backoffDelay(attempt, 5, 1000)).toBe(expected);
  });
});

describe('createTokenBucket', () => {
  it('allows a burst, then refills at qps', async () => {
    const clock = createFakeClock();
    const tb = createTokenBucket({ qps: 2, burst: 3, clock });
    expect([tb.tryTake(), tb.tryTake(), tb.tryTake(), tb.tryTake()]).toEqual([true, true, true, false]);
    expect(tb.waitMs()).toBe(500);
    await clock.advance(500);
    expect(tb.tryTake()).toBe(true);
    expect(tb.tryTake()).toBe(false);
  });
});
