/** The size of one group of changes against Route53's per-request limits. */
export interface BatchSize {
  /** ResourceRecord elements (an alias counts 1), an UPSERT counting twice. */
  readonly records: number;
  /** Characters of all values, an UPSERT counting twice. */
  readonly chars: number;
  /** Change elements. */
  readonly changes: number;
}

/** Per-request limits (Route53's quotas: 1,000 records, 32,000 characters). */
export interface BatchLimits {
  readonly maxRecords: number;
  readonly maxValueChars: number;
  readonly maxChanges: number;
}

/**
 * Packs groups, in order, into as few batches as the limits allow without splitting a group.
 * A group over the limits on its own is returned in `oversized`. Pure.
 */
export function packBatches<G extends { size: BatchSize }>(
  groups: readonly G[],
  limits: BatchLimits,
): { batches: G[][]; oversized: G[] } {
  const batches: G[][] = [];
  const oversized: G[] = [];
  let current: G[] = [];
  let used = { records: 0, chars: 0, changes: 0 };
  const fits = (s: BatchSize, u: BatchSize): boolean =>
    u.records + s.records <= limits.maxRecords &&
    u.chars + s.chars <= limits.maxValueChars &&
    u.changes + s.changes <= limits.maxChanges;
  for (const g of groups) {
    if (!fits(g.size, { records: 0, chars: 0, changes: 0 })) {
      oversized.push(g);
      continue;
    }
    if (!fits(g.size, used)) {
      batches.push(current);
      current = [];
      used = { records: 0, chars: 0, changes: 0 };
    }
    current.push(g);
    used = {
      records: used.records + g.size.records,
      chars: used.chars + g.size.chars,
      changes: used.changes + g.size.changes,
    };
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}
