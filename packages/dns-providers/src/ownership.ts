import { normalizeName, normalizeTarget, type Endpoint } from './endpoint.js';

/**
 * Which existing records this controller may change or delete. The plan never touches a record
 * its ownership does not claim: it neither deletes it nor writes over it.
 */
export interface Ownership {
  /** The records of `current` this controller owns (by identity). Pure. */
  owned(current: readonly Endpoint[]): ReadonlySet<Endpoint>;
  /**
   * True for the ownership scheme's own bookkeeping records (TXT owner records); the plan leaves
   * them out of the reconciliation and manages them only through {@link registryRecords}.
   */
  isRegistryRecord?(endpoint: Endpoint): boolean;
  /** The bookkeeping records that mark `endpoint` as owned; created and deleted along with it. */
  registryRecords?(endpoint: Endpoint): Endpoint[];
}

/** Options of {@link createTargetOwnership}. */
export interface TargetOwnershipOptions {
  /**
   * This controller's targets: load balancer DNS names (for ALIAS records) and CNAME targets.
   * Compared normalised (case, trailing dot, `dualstack.` prefix of aliases ignored).
   */
  targets: readonly string[];
  /** Record types that can be owned. Default `['A', 'AAAA', 'CNAME']`. */
  types?: readonly string[];
}

/**
 * feed-dns's rule (feed #144): a record is ours when it is an A/AAAA/CNAME without a set
 * identifier and every value points at one of our targets. A records with plain addresses have
 * no target to recognise and are never owned. Pure; stateless.
 */
export function createTargetOwnership(options: TargetOwnershipOptions): Ownership {
  const targets = new Set(options.targets.map((t) => normalizeName(t).replace(/^dualstack\./, '')));
  const types = new Set((options.types ?? ['A', 'AAAA', 'CNAME']).map((t) => t.toUpperCase()));
  const owns = (e: Endpoint): boolean => {
    if (e.setIdentifier !== undefined || !types.has(e.type.toUpperCase()) || e.targets.length === 0)
      return false;
    if (e.alias === undefined && e.type !== 'CNAME') return false;
    return e.targets.every((t) => targets.has(normalizeTarget(e, t)));
  };
  return { owned: (current) => new Set(current.filter(owns)) };
}

/**
 * Ownership decided by a predicate, e.g. kuberoute owning the names it computes. The predicate
 * must be pure. Records with a set identifier are never passed to it.
 */
export function createPredicateOwnership(owns: (endpoint: Endpoint) => boolean): Ownership {
  return { owned: (current) => new Set(current.filter((e) => e.setIdentifier === undefined && owns(e))) };
}

/** Options of {@link createTxtOwnership}. */
export interface TxtOwnershipOptions {
  /** This controller's id (external-dns's `--txt-owner-id`). */
  ownerId: string;
  /** Put before `<type>-<name>` in the TXT record's name. Default ''. */
  prefix?: string;
  /** TTL of the TXT records. Default 300. */
  ttl?: number;
}

const HERITAGE = 'heritage=external-dns';

function ownerOf(txt: Endpoint): string | undefined {
  for (const raw of txt.targets) {
    const value = raw.replace(/^"|"$/g, '');
    const fields = value.split(',');
    if (fields[0] !== HERITAGE) continue;
    const owner = fields.find((f) => f.startsWith('external-dns/owner='));
    if (owner !== undefined) return owner.slice('external-dns/owner='.length);
  }
  return undefined;
}

/**
 * external-dns-style TXT owner records: a record is ours when a TXT record named
 * `<prefix><type>-<name>` (external-dns's "new format", e.g. `a-www.example.com`) says
 * `"heritage=external-dns,external-dns/owner=<ownerId>"`. The plan creates and deletes that TXT
 * record together with the record, in the same batch. Limitation: an apex record's TXT name
 * (`a-example.com`) lies outside the zone, so apex records cannot be owned this way unless a
 * `prefix` ending in `.` puts it inside (external-dns has the same problem). Pure; stateless.
 */
export function createTxtOwnership(options: TxtOwnershipOptions): Ownership {
  const prefix = options.prefix ?? '';
  const ttl = options.ttl ?? 300;
  const value = `"${HERITAGE},external-dns/owner=${options.ownerId}"`;
  const txtName = (e: Endpoint): string =>
    normalizeName(`${prefix}${e.type.toLowerCase()}-${normalizeName(e.name)}`);
  const isRegistryRecord = (e: Endpoint): boolean => e.type === 'TXT' && ownerOf(e) !== undefined;
  return {
    isRegistryRecord,
    owned: (current) => {
      const ours = new Set(
        current
          .filter((e) => isRegistryRecord(e) && ownerOf(e) === options.ownerId)
          .map((e) => normalizeName(e.name)),
      );
      return new Set(
        current.filter((e) => !isRegistryRecord(e) && e.setIdentifier === undefined && ours.has(txtName(e))),
      );
    },
    registryRecords: (e) => [
      { name: txtName(e), type: 'TXT', targets: [value], ttl, group: normalizeName(e.name) },
    ],
  };
}
