import { describe, expect, it } from '@jest/globals';
import { loadAverageText, median, percentile } from './stats.js';

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('percentile', () => {
  it('is the nearest-rank value', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([5, 1, 9], 99)).toBe(9);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('loadAverageText', () => {
  it('prints three load averages with one decimal', () => {
    expect(loadAverageText()).toMatch(/^\d+\.\d \/ \d+\.\d \/ \d+\.\d$/);
  });
});
