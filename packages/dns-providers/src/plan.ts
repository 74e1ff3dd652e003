import {
  endpointKey,
  endpointsEqual,
  normalizeName,
  type Changes,
  type Endpoint,
  type EndpointUpdate,
} from './endpoint.js';
import type { Ownership } from './ownership.js';

/**
 * What the plan may do (external-dns's `--policy`): `sync` creates, updates and deletes;
 * `upsert-only` never deletes; `create-only` only creates missing records.
 */
export type Policy = 'sync' | 'upsert-only' | 'create-only';

/** The policies, for flag validation. */
export const POLICIES: readonly Policy[] = ['sync', 'upsert-only', 'create-only'];

/** Options of {@link plan}. */
export interface PlanOptions {
  /** Default `sync`. */
  policy?: Policy;
  /**
   * Managed domains (zone names). A desired record outside all of them is skipped with a reason
   * instead of failing at apply time. Default: no check.
   */
  domains?: readonly string[];
  /**
   * Names still wanted whose record could not be computed this pass (e.g. feed-dns: an ingress
   * host whose scheme has no load balancer). Their owned records are left as they are (counted
   * in `unchanged`) instead of being deleted. Any form; compared normalised. Default none.
   */
  keep?: readonly string[];
}

/** A desired record the plan will not write, and why (log it once, count it). */
export interface SkippedEndpoint {
  readonly endpoint: Endpoint;
  readonly reason: string;
}

/** The result of {@link plan}. */
export interface Plan {
  readonly changes: Changes;
  readonly skipped: readonly SkippedEndpoint[];
  /** How many current records are owned (feed-dns's `records` gauge; a mass-delete guard compares against it). */
  readonly owned: number;
  /** Desired records already correct. */
  readonly unchanged: number;
  /** Owned records the plan deletes because nothing desires their name any more (not replacements). */
  readonly orphaned: number;
}

const MANAGED_TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT']);

function invalidReason(e: Endpoint): string | undefined {
  const name = normalizeName(e.name);
  if (name === '.' || name.length > 254 || /\s|\.\./.test(name)) return 'invalid DNS name';
  if (
    name
      .slice(0, -1)
      .split('.')
      .some((label) => label.length > 63)
  )
    return 'a label of the name is longer than 63 characters';
  if (!MANAGED_TYPES.has(e.type.toUpperCase())) return `record type ${e.type} is not managed`;
  if (e.targets.length === 0 || e.targets.some((t) => t.trim() === '')) return 'no target';
  if (e.type.toUpperCase() === 'CNAME' && e.targets.length > 1) return 'a CNAME has exactly one target';
  if (e.alias !== undefined && e.targets.length !== 1) return 'an alias has exactly one target';
  if (e.setIdentifier !== undefined) return 'routing-policy records (set identifier) are not managed';
  return undefined;
}

const inDomain = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);

/**
 * Computes the changes that make `current` match `desired` for the records `ownership` claims.
 * Pure and deterministic: same input, same output; nothing is mutated.
 *
 * Rules:
 * - Names are compared normalised (case, trailing dot, `*` ↔ `\052`), targets too, so a listed
 *   record that only differs in form from the desired one causes no change.
 * - A record not owned is never updated, replaced or deleted; a desired record that would
 *   collide with one (same name and type, or a CNAME conflict) is skipped with a reason.
 * - A desired record equal to its owned current one is left alone; a different one is updated
 *   (an owned record of another type at the name, e.g. a CNAME becoming an ALIAS, is replaced).
 * - Under `sync`, owned records with no desired record are deleted, except at a name whose
 *   desired record was skipped (a refused replacement must not take the name off DNS) or a
 *   name in `keep`.
 * - The first desired record per name and type wins; invalid ones are skipped with a reason.
 * - Ownership bookkeeping records (TXT) are created and deleted along with their records. They
 *   count in the conflict check: a desired record of their type (TXT) or a CNAME at their name
 *   is skipped, and so is a desired record whose own owner record would go to a name that
 *   holds a CNAME.
 */
export function plan(
  current: readonly Endpoint[],
  desired: readonly Endpoint[],
  ownership: Ownership,
  options: PlanOptions = {},
): Plan {
  const policy = options.policy ?? 'sync';
  const domains = options.domains?.map(normalizeName);
  const isRegistry = (e: Endpoint): boolean => ownership.isRegistryRecord?.(e) ?? false;
  const records = current.filter((e) => !isRegistry(e));
  const claimed = ownership.owned(current);
  const owned = new Set(records.filter((e) => claimed.has(e) && e.setIdentifier === undefined));
  const currentByKey = new Map(current.map((e) => [endpointKey(e), e] as const));
  const byName = new Map<string, Endpoint[]>();
  for (const e of records) {
    const name = normalizeName(e.name);
    byName.set(name, [...(byName.get(name) ?? []), e]);
  }
  // Ownership records are left out of the reconciliation, not out of the conflict check: DNS
  // refuses a second TXT record set at their name, or a CNAME next to them.
  const registryByName = new Map<string, Endpoint[]>();
  for (const e of current) {
    if (!isRegistry(e)) continue;
    const name = normalizeName(e.name);
    registryByName.set(name, [...(registryByName.get(name) ?? []), e]);
  }

  const keep = new Set(options.keep?.map(normalizeName));
  const skipped: SkippedEndpoint[] = [];
  const create: Endpoint[] = [];
  const update: EndpointUpdate[] = [];
  const del: Endpoint[] = [];
  const matched = new Set<Endpoint>();
  let unchanged = 0;

  // Pick the desired records: valid, in a managed domain, first per name and type, no CNAME clash.
  const accepted: Endpoint[] = [];
  const desiredTypes = new Map<string, Set<string>>();
  for (const e of desired) {
    const reason = invalidReason(e);
    if (reason !== undefined) {
      skipped.push({ endpoint: e, reason });
      continue;
    }
    const name = normalizeName(e.name);
    const type = e.type.toUpperCase();
    if (domains !== undefined && !domains.some((d) => inDomain(name, d))) {
      skipped.push({ endpoint: e, reason: 'name is not in a managed zone' });
      continue;
    }
    const types = desiredTypes.get(name) ?? new Set<string>();
    if (types.has(type)) {
      skipped.push({ endpoint: e, reason: 'an earlier desired record has the same name and type' });
      continue;
    }
    if (types.size > 0 && (type === 'CNAME' || types.has('CNAME'))) {
      skipped.push({ endpoint: e, reason: 'a CNAME cannot share its name with another record' });
      continue;
    }
    types.add(type);
    desiredTypes.set(name, types);
    accepted.push({ ...e, name, type });
  }

  const registryFor = (e: Endpoint): Endpoint[] => ownership.registryRecords?.(e) ?? [];
  const registryCreates = (e: Endpoint): Endpoint[] | string => {
    const out: Endpoint[] = [];
    for (const r of registryFor(e)) {
      const cname = (byName.get(normalizeName(r.name)) ?? []).find((c) => c.type.toUpperCase() === 'CNAME');
      if (r.type.toUpperCase() !== 'CNAME' && cname !== undefined)
        return `its owner record ${normalizeName(r.name)} would sit next to a CNAME record with that name`;
      const existing = currentByKey.get(endpointKey(r));
      if (existing === undefined) out.push(r);
      else if (!endpointsEqual(existing, { ...r, ttl: undefined }))
        return `its owner record ${normalizeName(r.name)} exists with other contents`;
    }
    return out;
  };
  const registryDeletes = (e: Endpoint): Endpoint[] =>
    registryFor(e).flatMap((r) => {
      const existing = currentByKey.get(endpointKey(r));
      return existing === undefined ? [] : [{ ...existing, group: normalizeName(e.name) }];
    });

  for (const d of accepted) {
    const atName = byName.get(d.name) ?? [];
    const registryClash = (registryByName.get(d.name) ?? []).find(
      (r) => d.type === 'CNAME' || r.type.toUpperCase() === d.type,
    );
    if (registryClash !== undefined) {
      skipped.push({
        endpoint: d,
        reason: `conflicts with an ownership ${registryClash.type} record with this name`,
      });
      continue;
    }
    const same = atName.find((e) => e.type.toUpperCase() === d.type && e.setIdentifier === undefined);
    if (same !== undefined) {
      if (!owned.has(same)) {
        skipped.push({
          endpoint: d,
          reason: `an existing ${same.type} record with this name is not owned by this controller`,
        });
        continue;
      }
      matched.add(same);
      if (endpointsEqual(same, d)) unchanged += 1;
      else if (policy !== 'create-only') update.push({ from: same, to: d });
      continue;
    }
    const conflicts = atName.filter((e) =>
      d.type === 'CNAME' ? true : e.type.toUpperCase() === 'CNAME' || e.type.toUpperCase() === d.type,
    );
    const foreign = conflicts.find((e) => !owned.has(e));
    if (foreign !== undefined) {
      skipped.push({
        endpoint: d,
        reason: `conflicts with a ${foreign.type} record with this name not owned by this controller`,
      });
      continue;
    }
    const regs = registryCreates(d);
    if (typeof regs === 'string') {
      skipped.push({ endpoint: d, reason: regs });
      continue;
    }
    const [first, ...rest] = conflicts;
    if (first === undefined) {
      create.push(d, ...regs);
      continue;
    }
    if (policy === 'create-only') {
      skipped.push({
        endpoint: d,
        reason: `policy create-only does not replace the owned ${first.type} record with this name`,
      });
      for (const c of conflicts) matched.add(c);
      continue;
    }
    // A type change: one update (the provider writes delete + create in one batch), plus deletes
    // of any other owned record the new one cannot coexist with.
    update.push({ from: { ...first, group: d.name }, to: { ...d, group: d.name } });
    matched.add(first);
    create.push(...regs.map((r) => ({ ...r, group: d.name })));
    del.push(...registryDeletes(first));
    for (const c of rest) {
      matched.add(c);
      del.push({ ...c, group: d.name }, ...registryDeletes(c));
    }
  }

  // A name none of whose desired records could be written keeps what it has: deleting it would
  // take the name off DNS because of a record we refused.
  const refusedEndpoints = new Set(skipped.map((s) => s.endpoint));
  const placed = new Set(accepted.filter((d) => !refusedEndpoints.has(d)).map((d) => d.name));
  const refusedNames = new Set(
    skipped.map((s) => normalizeName(s.endpoint.name)).filter((n) => !placed.has(n)),
  );
  let orphaned = 0;
  for (const e of owned) {
    if (matched.has(e)) continue;
    const name = normalizeName(e.name);
    if (keep.has(name)) unchanged += 1;
    else if (policy === 'sync' && !refusedNames.has(name)) {
      orphaned += 1;
      del.push(e, ...registryDeletes(e));
    }
  }

  return { changes: { create, update, delete: del }, skipped, owned: owned.size, unchanged, orphaned };
}

/**
 * feed-dns's mass-deletion guard: a reason to apply nothing when the plan would
 * delete more than `maxShare` (0–1) of the owned records, e.g. because the desired list came
 * out (near-)empty by mistake; undefined when the plan is within bounds or deletes nothing.
 * `maxShare` 1 allows deleting everything. Pure.
 */
export function checkDeleteShare(p: Plan, maxShare: number): string | undefined {
  if (p.orphaned === 0 || p.owned === 0) return undefined;
  const share = p.orphaned / p.owned;
  if (share <= maxShare) return undefined;
  return `the plan would delete ${p.orphaned} of ${p.owned} owned records (${Math.round(share * 100)}%, more than ${Math.round(maxShare * 100)}%)`;
}
