/**
 * The records a {@link DnsProvider} lists and the changes it applies, independent of any DNS
 * service. Names and targets may come in any case and with or without the trailing dot; every
 * comparison goes through {@link normalizeName} / {@link normalizeTarget}.
 */

/** A DNS record type. The plan manages A, AAAA, CNAME and TXT; others pass through untouched. */
export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | (string & {});

/** A Route53 ALIAS: the record answers with the target's addresses instead of a CNAME. */
export interface AliasTarget {
  /** The target's canonical hosted zone id (for a load balancer: its `CanonicalHostedZoneId`). */
  readonly hostedZoneId: string;
  /** Default false (feed's choice: DNS follows the ingress, not the load balancer's health). */
  readonly evaluateTargetHealth?: boolean | undefined;
}

/** One record set: a name, a type and its values. */
export interface Endpoint {
  /** Any case, with or without the trailing dot; `*` and Route53's `\052` are the same. */
  readonly name: string;
  readonly type: RecordType;
  /**
   * Values, order not significant: addresses for A/AAAA, one host name for CNAME and for an
   * alias (the alias DNS name), quoted strings for TXT.
   */
  readonly targets: readonly string[];
  /** Seconds. None for an alias. On a desired record, none means "the provider's default". */
  readonly ttl?: number | undefined;
  /** Set for a Route53 ALIAS record (A or AAAA); the target is `targets[0]`. */
  readonly alias?: AliasTarget | undefined;
  /** Set on routing-policy records (weighted, latency, failover…). The plan never owns these. */
  readonly setIdentifier?: string | undefined;
  /**
   * Changes with the same group are written in one batch, so they succeed or fail together.
   * Default: the normalised name. Ownership records use their owner's name.
   */
  readonly group?: string | undefined;
  /**
   * Opaque: the record exactly as the provider listed it. A provider builds a DELETE from it, so
   * the delete matches what is really there (Route53 refuses deletes that differ in any value).
   */
  readonly providerRecord?: unknown;
}

/** A record to re-point: `from` as currently listed, `to` as desired. */
export interface EndpointUpdate {
  readonly from: Endpoint;
  readonly to: Endpoint;
}

/** What to change, as the plan computes it. Apply with {@link DnsProvider.applyChanges}. */
export interface Changes {
  readonly create: readonly Endpoint[];
  readonly update: readonly EndpointUpdate[];
  readonly delete: readonly Endpoint[];
}

/** One change, as reported in an {@link ApplyResult}. */
export type Change =
  | { readonly kind: 'create'; readonly endpoint: Endpoint }
  | { readonly kind: 'update'; readonly from: Endpoint; readonly to: Endpoint }
  | { readonly kind: 'delete'; readonly endpoint: Endpoint };

/** A change that was not applied, and why. */
export interface FailedChange {
  readonly change: Change;
  /** The service's own words where there are some (e.g. Route53's InvalidChangeBatch message). */
  readonly reason: string;
  /**
   * True when trying again later may work (throttling, network, a conflicting concurrent write);
   * false when the change itself is refused (invalid value, record not in a managed zone).
   */
  readonly retryable: boolean;
}

/** The outcome of one {@link DnsProvider.applyChanges} call. */
export interface ApplyResult {
  readonly applied: readonly Change[];
  readonly failed: readonly FailedChange[];
}

/**
 * A DNS service kube-edge can write to (external-dns's two verbs). Route53, in-memory and
 * dry-run implementations are in this package; an etcd/SkyDNS one plugs in the same way.
 */
export interface DnsProvider {
  /**
   * Every record set in the managed zones. May answer from a cache (see each provider); never
   * returns stale data after its own {@link applyChanges} except where that call reported
   * failures. Throws `TransientError` (retry later) or `TerminalError`/`ConfigError`.
   * Safe to call concurrently.
   */
  records(): Promise<Endpoint[]>;
  /**
   * Applies the changes and reports each one as applied or failed; never throws for a bad
   * record, so one refused change cannot block the others. Not idempotent (a second identical
   * call fails the creates as "already exists"): plan again from {@link records} instead.
   * Concurrent calls are serialised per zone.
   */
  applyChanges(changes: Changes): Promise<ApplyResult>;
}

/** `{ create: [], update: [], delete: [] }`. */
export function emptyChanges(): Changes {
  return { create: [], update: [], delete: [] };
}

/** True when there is nothing to change. */
export function isEmptyChanges(changes: Changes): boolean {
  return changes.create.length === 0 && changes.update.length === 0 && changes.delete.length === 0;
}

/** The changes as a flat list, deletes first, then updates, then creates. */
export function changeList(changes: Changes): Change[] {
  return [
    ...changes.delete.map((endpoint): Change => ({ kind: 'delete', endpoint })),
    ...changes.update.map((u): Change => ({ kind: 'update', from: u.from, to: u.to })),
    ...changes.create.map((endpoint): Change => ({ kind: 'create', endpoint })),
  ];
}

/**
 * The canonical form of a DNS name: lower case, absolute (trailing dot), with Route53's octal
 * escapes decoded (`\052.Example.COM` → `*.example.com.`). Pure; idempotent.
 */
export function normalizeName(name: string): string {
  const plain = name
    .trim()
    .replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)))
    .toLowerCase();
  return plain.endsWith('.') ? plain : `${plain}.`;
}

/**
 * A name in Route53's listed form: {@link normalizeName}, then every character other than
 * `a-z 0-9 - _ .` as a three-digit octal escape (`*` → `\052`). Pure.
 */
export function toRoute53Name(name: string): string {
  let out = '';
  for (const ch of normalizeName(name)) {
    out += /[a-z0-9\-_.]/.test(ch) ? ch : `\\${(ch.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A target in comparable form. Host names (CNAME values, alias DNS names) are lower-cased and
 * made absolute, and an alias loses Route53's `dualstack.` prefix (Route53 may list an ELB
 * alias with it); AAAA addresses are lower-cased; anything else is kept as is.
 */
export function normalizeTarget(endpoint: Pick<Endpoint, 'type' | 'alias'>, target: string): string {
  if (endpoint.alias !== undefined) return normalizeName(target).replace(/^dualstack\./, '');
  if (endpoint.type === 'CNAME') return normalizeName(target);
  if (endpoint.type === 'AAAA') return target.toLowerCase();
  return target;
}

/** `name|type|setIdentifier` with the name normalised: one record set. */
export function endpointKey(endpoint: Pick<Endpoint, 'name' | 'type' | 'setIdentifier'>): string {
  return `${normalizeName(endpoint.name)}|${endpoint.type.toUpperCase()}|${endpoint.setIdentifier ?? ''}`;
}

/** Strips `/hostedzone/` from a hosted zone id. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, '');
}

/**
 * True when `current` already says what `desired` asks for: same type, same targets (compared
 * normalised, order ignored), same alias zone and health flag, and the same TTL when `desired`
 * gives one. Pure.
 */
export function endpointsEqual(current: Endpoint, desired: Endpoint): boolean {
  if (current.type.toUpperCase() !== desired.type.toUpperCase()) return false;
  if ((current.alias === undefined) !== (desired.alias === undefined)) return false;
  if (current.alias !== undefined && desired.alias !== undefined) {
    if (bareZoneId(current.alias.hostedZoneId) !== bareZoneId(desired.alias.hostedZoneId)) return false;
    if ((current.alias.evaluateTargetHealth ?? false) !== (desired.alias.evaluateTargetHealth ?? false))
      return false;
  } else if (desired.ttl !== undefined && current.ttl !== desired.ttl) return false;
  const a = current.targets.map((t) => normalizeTarget(current, t)).sort();
  const b = [...new Set(desired.targets.map((t) => normalizeTarget(desired, t)))].sort();
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** One line per change for logs and `plan` output, e.g. `CREATE A www.example.com. -> lb. (alias Z1)`. Pure. */
export function describeChange(change: Change): string {
  const show = (e: Endpoint): string =>
    `${e.type} ${normalizeName(e.name)} -> ${e.targets.join(',')}${e.alias === undefined ? (e.ttl === undefined ? '' : ` (ttl ${e.ttl})`) : ` (alias ${bareZoneId(e.alias.hostedZoneId)})`}`;
  if (change.kind === 'update') return `UPDATE ${show(change.from)} => ${show(change.to)}`;
  return `${change.kind.toUpperCase()} ${show(change.endpoint)}`;
}
