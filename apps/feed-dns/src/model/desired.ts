import {
  createTargetOwnership,
  normalizeName,
  planDnsPass,
  type DnsPassPlanOptions,
  type Endpoint,
  type Ownership,
  type Plan,
  type SkippedEndpoint,
} from '@kube-edge/dns-providers';
import {
  selectEntries,
  type ClassFilter,
  type HostEntry,
  type IngressLike,
  type IngressRef,
  type SkippedEntry,
} from './entries.js';

/** A load balancer records point at with a Route53 ALIAS. */
export interface AliasFrontend {
  kind: 'alias';
  /** The load balancer's name (for logs). */
  name: string;
  /** Its DNS name (any case, with or without the trailing dot). */
  dnsName: string;
  /** Its canonical hosted zone id (the ALIAS target's zone, feed #122). */
  hostedZoneId: string;
}

/** A static hostname records point at with a CNAME (feed's static mode). */
export interface CnameFrontend {
  kind: 'cname';
  hostname: string;
}

/** What a scheme's records point at. */
export type Frontend = AliasFrontend | CnameFrontend;

/** Frontends by scheme (`internal`, `internet-facing`). All of one kind. */
export type Frontends = ReadonlyMap<string, Frontend>;

/** Inputs of {@link buildDesired}. */
export interface DesiredInput {
  ingresses: readonly IngressLike[];
  frontends: Frontends;
  /** The managed zones' domains (any form). */
  zoneDomains: readonly string[];
  classFilter: ClassFilter | undefined;
  /** TTL of CNAME records, seconds. */
  cnameTtlSeconds: number;
}

/** The desired records and everything that was left out. */
export interface Desired {
  endpoints: Endpoint[];
  /** Which ingress asked for each record name (normalised), to report plan and apply failures on it. */
  owners: Map<string, IngressRef>;
  skipped: SkippedEntry[];
  selectedIngresses: number;
  entries: HostEntry[];
}

/** The zone a name belongs to: the managed domain with the longest match, or undefined. Pure. */
export function zoneOf(name: string, zoneDomains: readonly string[]): string | undefined {
  const n = normalizeName(name);
  let best: string | undefined;
  for (const d of zoneDomains.map(normalizeName)) {
    if ((n === d || n.endsWith(`.${d}`)) && (best === undefined || d.length > best.length)) best = d;
  }
  return best;
}

/**
 * The records the ingresses ask for: per host, an A ALIAS to the
 * scheme's load balancer (EvaluateTargetHealth false, the load balancer's canonical zone) or,
 * in static mode, a CNAME to the scheme's hostname with the configured TTL. Hosts outside every
 * managed zone, with no or an unknown scheme, or whose scheme has no frontend are skipped with
 * a reason; so is a CNAME at a zone apex (DNS forbids it). Pure and deterministic.
 */
export function buildDesired(input: DesiredInput): Desired {
  const selection = selectEntries(input.ingresses, input.classFilter);
  const skipped = [...selection.skipped];
  const endpoints: Endpoint[] = [];
  const owners = new Map<string, IngressRef>();
  const entries: HostEntry[] = [];
  for (const entry of selection.entries) {
    const host = entry.name.slice(0, -1);
    const skip = (reason: SkippedEntry['reason'], message: string): void => {
      skipped.push({ ingress: entry.ingress, host, reason, message });
    };
    const zone = zoneOf(entry.name, input.zoneDomains);
    if (zone === undefined) {
      skip('out-of-zone', 'the host is in none of the managed hosted zones');
      continue;
    }
    const frontend = input.frontends.get(entry.scheme);
    if (frontend === undefined) {
      skip('no-frontend', `no load balancer or hostname is configured for scheme ${entry.scheme}`);
      continue;
    }
    if (frontend.kind === 'alias') {
      endpoints.push({
        name: entry.name,
        type: 'A',
        targets: [frontend.dnsName],
        alias: { hostedZoneId: frontend.hostedZoneId, evaluateTargetHealth: false },
      });
    } else {
      if (zone === entry.name) {
        skip('cname-at-apex', 'a CNAME cannot be the apex of a zone');
        continue;
      }
      endpoints.push({
        name: entry.name,
        type: 'CNAME',
        targets: [frontend.hostname],
        ttl: input.cnameTtlSeconds,
      });
    }
    owners.set(entry.name, entry.ingress);
    entries.push(entry);
  }
  return { endpoints, owners, skipped, selectedIngresses: selection.selectedIngresses, entries };
}

/**
 * feed-dns's ownership (feed #144): a record is ours when it points at one of our
 * frontends — an A ALIAS to one of our load balancers, or (static mode) a CNAME to one of our
 * hostnames. Other records, other types and routing-policy records are never touched. Pure.
 */
export function ownershipFor(frontends: Frontends): Ownership {
  const all = [...frontends.values()];
  const alias = all.some((f) => f.kind === 'alias');
  return createTargetOwnership({
    targets: all.map((f) => (f.kind === 'alias' ? f.dnsName : f.hostname)),
    types: alias ? ['A'] : ['CNAME'],
  });
}

/** Skip reasons that leave a host's existing record alone rather than deleting it. */
const KEEP_REASONS: ReadonlySet<string> = new Set(['missing-scheme', 'invalid-scheme', 'no-frontend']);

/**
 * feed deletes only managed records whose name no ingress host has: a host
 * still named by an ingress keeps its record while its scheme is missing, unknown or has no
 * frontend, so a typo in an annotation cannot take a site off DNS. These are the names whose
 * owned records the plan keeps as they are (its `keep` option). Pure.
 */
function keptNames(desired: Desired): string[] {
  const names = new Set(
    desired.skipped.filter((s) => KEEP_REASONS.has(s.reason)).map((s) => normalizeName(s.host)),
  );
  for (const e of desired.endpoints) names.delete(normalizeName(e.name));
  return [...names];
}

/** The inputs of dns-providers' DNS pass for one feed-dns reconcile, and the desired records behind them. */
export interface FeedDnsPass {
  desired: Desired;
  /** Desired records, ownership, managed domains, kept names and the mass-deletion guard. */
  pass: DnsPassPlanOptions;
}

/**
 * The desired records of the ingresses and how to plan them (feed-dns's ownership, the zones'
 * domains, the names to keep, and the mass-deletion guard, which acts only while selected
 * ingresses exist: with none, the cluster is genuinely empty and the records go). The live
 * pass (`runDnsPass`) and the offline `plan` (`planDnsPass`) both start from this. Pure.
 */
export function feedDnsPass(input: DesiredInput & { maxDeleteShare: number }): FeedDnsPass {
  const desired = buildDesired(input);
  return {
    desired,
    pass: {
      desired: desired.endpoints,
      ownership: ownershipFor(input.frontends),
      domains: input.zoneDomains,
      keep: keptNames(desired),
      maxDeleteShare: desired.selectedIngresses > 0 ? input.maxDeleteShare : undefined,
    },
  };
}

/** The plan's skipped records as skipped ingress entries, on the ingress that asked for the name. Pure. */
export function planSkippedEntries(skipped: readonly SkippedEndpoint[], desired: Desired): SkippedEntry[] {
  return skipped.map((s) => {
    const name = normalizeName(s.endpoint.name);
    return {
      ingress: desired.owners.get(name) ?? { namespace: '', name: '', uid: undefined },
      host: name.slice(0, -1),
      reason: /not owned/.test(s.reason) ? 'record-not-owned' : 'invalid-record',
      message: s.reason,
    };
  });
}

/** The outcome of {@link planPass}. */
export interface PassPlan {
  desired: Desired;
  plan: Plan;
  /** Desired records the plan refused (mostly: a record of that name exists and is not ours). */
  planSkipped: SkippedEntry[];
  /** Set when the mass-deletion guard refuses the plan: apply nothing. */
  refused: string | undefined;
}

/** Inputs of {@link planPass}. */
export interface PassInput extends DesiredInput {
  /** The zones' current records (every type; the plan filters by ownership). */
  current: readonly Endpoint[];
  /** Mass-deletion guard: the share of managed records a plan may delete while ingresses exist. */
  maxDeleteShare: number;
}

/**
 * One whole reconcile decision: desired records, the plan against the current ones under
 * feed-dns's ownership, and the mass-deletion guard (refuse a plan deleting more
 * than `maxDeleteShare` of the managed records while selected ingresses exist). The live
 * controller and the offline `plan` both call this. Pure.
 */
export function planPass(input: PassInput): PassPlan {
  const { desired, pass } = feedDnsPass(input);
  const { plan: p, refused } = planDnsPass(input.current, pass);
  return { desired, plan: p, planSkipped: planSkippedEntries(p.skipped, desired), refused };
}
