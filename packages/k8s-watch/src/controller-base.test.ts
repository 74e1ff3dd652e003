import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { every } from './controller-base.js';

describe('every', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('repeats on its period and stops when cancelled', () => {
    jest.useFakeTimers();
    const calls: number[] = [];
    const r = every(1000, () => calls.push(Date.now()));
    jest.advanceTimersByTime(3500);
    expect(calls).toHaveLength(3);
    r.cancel();
    jest.advanceTimersByTime(5000);
    expect(calls).toHaveLength(3);
  });

  it('waits out a period longer than a Node timer can hold (2^31-1 ms) instead of firing every millisecond', () => {
    jest.useFakeTimers();
    let calls = 0;
    const thirtyDays = 30 * 86_400_000;
    const r = every(thirtyDays, () => calls++);
    jest.advanceTimersByTime(10_000);
    expect(calls).toBe(0);
    jest.advanceTimersByTime(thirtyDays - 10_000 - 1);
    expect(calls).toBe(0);
    jest.advanceTimersByTime(1);
    expect(calls).toBe(1);
    r.cancel();
  });
});
