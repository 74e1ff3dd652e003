import { describe, expect, it } from '@jest/globals';
import { packBatches } from './batch.js';

const g = (id: string, records: number, chars = 0, changes = 1) => ({
  id,
  size: { records, chars, changes },
});
const limits = { maxRecords: 1000, maxValueChars: 32000, maxChanges: 1000 };
const ids = (out: ReturnType<typeof packBatches<ReturnType<typeof g>>>) => ({
  batches: out.batches.map((b) => b.map((x) => x.id)),
  oversized: out.oversized.map((x) => x.id),
});

describe('packBatches', () => {
  it.each([
    [
      'fills a batch up to the record limit',
      [g('a', 600), g('b', 400), g('c', 1)],
      { batches: [['a', 'b'], ['c']], oversized: [] },
    ],
    [
      'starts a new batch at the character limit',
      [g('a', 1, 20000), g('b', 1, 12001), g('c', 1, 12000)],
      { batches: [['a'], ['b', 'c']], oversized: [] },
    ],
    [
      'starts a new batch at the change limit',
      [g('a', 1, 0, 999), g('b', 1, 0, 2)],
      { batches: [['a'], ['b']], oversized: [] },
    ],
    [
      'sets aside a group larger than a request',
      [g('a', 1), g('big', 1001), g('b', 1)],
      { batches: [['a', 'b']], oversized: ['big'] },
    ],
    ['packs nothing into no batch', [], { batches: [], oversized: [] }],
  ])('%s', (_name, groups, expected) => {
    expect(ids(packBatches(groups, limits))).toEqual(expected);
  });
});
