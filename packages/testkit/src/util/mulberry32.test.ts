import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from './mulberry32.js';

describe('mulberry32', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
  });

  it('matches the reference mulberry32 output and stays in [0, 1)', () => {
    const rng = mulberry32(1);
    expect(rng()).toBeCloseTo(0.6270739405881613, 15);
    for (let i = 0; i < 10_000; i++) {
      const x = rng();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
