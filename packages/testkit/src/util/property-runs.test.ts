import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PROPERTY_SEED, propertyRuns } from './property-runs.js';

describe('propertyRuns', () => {
  it('uses the fixed seed when FC_SEED is unset, so every run explores the same cases', () => {
    expect(propertyRuns(50, {})).toEqual({ numRuns: 50, seed: DEFAULT_PROPERTY_SEED });
    expect(propertyRuns(50, { FC_SEED: ' ' })).toEqual({ numRuns: 50, seed: DEFAULT_PROPERTY_SEED });
  });
  it('reproduces a printed seed, negative ones included', () => {
    expect(propertyRuns(10, { FC_SEED: '1218371837' })).toEqual({ numRuns: 10, seed: 1218371837 });
    expect(propertyRuns(10, { FC_SEED: '-7' })).toEqual({ numRuns: 10, seed: -7 });
  });
  it('leaves the seed to fast-check for FC_SEED=random', () => {
    expect(propertyRuns(10, { FC_SEED: 'random' })).toEqual({ numRuns: 10 });
  });
  it('refuses anything else, naming the variable', () => {
    expect(() => propertyRuns(10, { FC_SEED: '12abc' })).toThrow(/FC_SEED="12abc"/);
    expect(() => propertyRuns(10, { FC_SEED: '1.5' })).toThrow(/integer seed or "random"/);
  });
});
