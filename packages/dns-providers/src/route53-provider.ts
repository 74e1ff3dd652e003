import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Change as Route53Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import {
  ConfigError,
  createSerialRunner,
  TerminalError,
  TransientError,
  createNoopLogger,
  type Logger,
  type SerialRunner,
} from '@kube-edge/runtime';
import { Counter, type Registry } from 'prom-client';
import { packBatches, type BatchSize } from './batch.js';
import { systemClock, type Clock } from './clock.js';
import {
  bareZoneId,
  changeList,
  endpointKey,
  normalizeName,
  type ApplyResult,
  type Change,
  type Changes,
  type DnsProvider,
  type Endpoint,
  type FailedChange,
} from './endpoint.js';

/** Options of {@link Route53Provider}. */
export interface Route53ProviderOptions {
  /** The Route53 client; its `maxAttempts`/retry strategy is what retries `Throttling` and `PriorRequestNotComplete`. */
  client: Route53Client;
  /**
   * Hosted zones to manage, each a zone id (`Z123…`, `/hostedzone/Z123…`) or a domain
   * (`example.com`). A domain must name exactly one zone (else use the id). At least one.
   */
  zones: readonly string[];
  /** Default a no-op logger. */
  logger?: Logger;
  /** Default the system clock. */
  clock?: Clock;
  /**
   * How long {@link Route53Provider.records} answers from its cache before listing the zones
   * again, in ms. Default 900000 (15 min, feed-dns's `-resync-period`). 0 lists on every call.
   */
  resyncPeriodMs?: number;
  /** TTL written for non-alias records that give none. Default 300. */
  defaultTtl?: number;
  /** Record types `records()` returns. Default `['A', 'AAAA', 'CNAME', 'TXT']`. */
  recordTypes?: readonly string[];
  /** ResourceRecord elements per request (UPSERT counts twice). Default 1000, Route53's limit. */
  maxRecordsPerBatch?: number;
  /** Value characters per request (UPSERT counts twice). Default 32000, Route53's limit. */
  maxValueCharsPerBatch?: number;
  /** Change elements per request. Default 1000 (feed used 100, the old API's cap). */
  maxChangesPerBatch?: number;
  /** Registry for `<metricPrefix>_route53_requests_total{operation,outcome}`. Default none. */
  registry?: Registry;
  /** Default `dns_provider`. */
  metricPrefix?: string;
}

/** A resolved hosted zone. */
export interface Route53Zone {
  /** Bare id (`Z…`). */
  readonly id: string;
  /** Normalised domain (`example.com.`). */
  readonly name: string;
  readonly privateZone: boolean;
}

interface ZoneCache {
  records: Map<string, Endpoint>;
  listedAt: number;
  stale: boolean;
}

interface Group {
  zone: Route53Zone;
  changes: Change[];
  r53: Route53Change[];
  size: BatchSize;
}

const ZONE_ID = /^(\/?hostedzone\/)?Z[A-Z0-9]{1,32}$/;
const MAX_LIST_PAGES = 10_000;

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Errors retrying cannot fix (the SDK has retried throttling and 5xx already). */
function isPermanent(err: unknown): boolean {
  return [
    'AccessDenied',
    'AccessDeniedException',
    'NoSuchHostedZone',
    'InvalidInput',
    'InvalidChangeBatch',
    'InvalidDomainName',
    'UnrecognizedClientException',
  ].includes(errorName(err));
}

/** Turns a listed record set into an {@link Endpoint}, keeping the original for exact deletes. */
export function endpointFromRoute53(record: ResourceRecordSet): Endpoint {
  const alias = record.AliasTarget;
  return {
    name: normalizeName(record.Name ?? ''),
    type: record.Type ?? '',
    targets:
      alias !== undefined ? [alias.DNSName ?? ''] : (record.ResourceRecords ?? []).map((r) => r.Value ?? ''),
    ...(record.TTL === undefined ? {} : { ttl: record.TTL }),
    ...(alias === undefined
      ? {}
      : {
          alias: {
            hostedZoneId: bareZoneId(alias.HostedZoneId ?? ''),
            evaluateTargetHealth: alias.EvaluateTargetHealth ?? false,
          },
        }),
    ...(record.SetIdentifier === undefined ? {} : { setIdentifier: record.SetIdentifier }),
    providerRecord: record,
  };
}

function isRecordSet(value: unknown): value is ResourceRecordSet {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ResourceRecordSet).Name === 'string' &&
    typeof (value as ResourceRecordSet).Type === 'string'
  );
}

/**
 * Route53 as a {@link DnsProvider}.
 *
 * - `records()` lists every managed zone (300 record sets a page) and keeps the result; later
 *   calls answer from that cache until `resyncPeriodMs` has passed, and `applyChanges` updates
 *   it, so a steady state makes no Route53 calls at all.
 * - `applyChanges` sends each change to the zone with the longest matching domain, as CREATE
 *   (create), UPSERT (update of the same type) or DELETE + CREATE (type change), and DELETEs
 *   built from the record exactly as listed. Changes are packed into as few requests as
 *   Route53's limits allow (1,000 records, 32,000 value characters, UPSERT counting twice);
 *   requests to one zone go one at a time. A request refused as `InvalidChangeBatch` is split
 *   in halves until the bad change is alone, so every other change still applies.
 * - Throttling and `PriorRequestNotComplete` are retried by the SDK client (its `maxAttempts`),
 *   not here.
 */
export class Route53Provider implements DnsProvider {
  readonly #client: Route53Client;
  readonly #zoneRefs: readonly string[];
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #resyncPeriodMs: number;
  readonly #defaultTtl: number;
  readonly #types: ReadonlySet<string>;
  readonly #limits: { maxRecords: number; maxValueChars: number; maxChanges: number };
  readonly #requests: Counter<'operation' | 'outcome'> | undefined;
  readonly #cache = new Map<string, ZoneCache>();
  readonly #serial = new Map<string, SerialRunner>();
  #zones: Promise<Route53Zone[]> | undefined;

  /** Validates options; throws ConfigError naming the bad option. Performs no I/O. */
  constructor(options: Route53ProviderOptions) {
    if (options.zones.length === 0 || options.zones.some((z) => z.trim() === '')) {
      throw new ConfigError('at least one Route53 hosted zone (id or domain) is required, none empty', {
        key: 'route53-hosted-zone',
      });
    }
    const positive = (value: number | undefined, fallback: number, key: string, min = 1): number => {
      const v = value ?? fallback;
      if (!Number.isInteger(v) || v < min)
        throw new ConfigError(`${key} must be a whole number ≥ ${min}`, { key });
      return v;
    };
    this.#client = options.client;
    this.#zoneRefs = options.zones.map((z) => z.trim());
    this.#logger = (options.logger ?? createNoopLogger()).child({ provider: 'route53' });
    this.#clock = options.clock ?? systemClock;
    this.#resyncPeriodMs = positive(options.resyncPeriodMs, 900_000, 'route53-resync-period', 0);
    this.#defaultTtl = positive(options.defaultTtl, 300, 'route53-default-ttl', 0);
    this.#types = new Set((options.recordTypes ?? ['A', 'AAAA', 'CNAME', 'TXT']).map((t) => t.toUpperCase()));
    this.#limits = {
      maxRecords: positive(options.maxRecordsPerBatch, 1000, 'route53-batch-max-records'),
      maxValueChars: positive(options.maxValueCharsPerBatch, 32000, 'route53-batch-max-value-chars'),
      maxChanges: positive(options.maxChangesPerBatch, 1000, 'route53-batch-max-changes'),
    };
    if (options.registry !== undefined) {
      const name = `${options.metricPrefix ?? 'dns_provider'}_route53_requests_total`;
      const existing = options.registry.getSingleMetric(name);
      this.#requests =
        existing instanceof Counter
          ? existing
          : new Counter({
              name,
              help: 'Route53 API requests by operation and outcome (SDK retries counted once).',
              labelNames: ['operation', 'outcome'],
              registers: [options.registry],
            });
    }
  }

  /**
   * The managed zones, resolved on first use (GetHostedZone for ids, ListHostedZonesByName for
   * domains) and then kept. Throws ConfigError for a zone that does not exist or a domain that
   * names several zones, TransientError for anything else. Safe to call concurrently.
   */
  zones(): Promise<Route53Zone[]> {
    this.#zones ??= this.#resolveZones().catch((err: unknown) => {
      this.#zones = undefined;
      throw err;
    });
    return this.#zones;
  }

  /** Makes the next {@link records} call list every zone again. Synchronous; idempotent. */
  invalidate(): void {
    for (const cache of this.#cache.values()) cache.stale = true;
  }

  /** See {@link DnsProvider.records}. Record sets of other types (NS, SOA, MX…) are left out. */
  async records(): Promise<Endpoint[]> {
    const zones = await this.zones();
    const lists = await Promise.all(zones.map((z) => this.#zoneRecords(z)));
    return lists.flat();
  }

  /** See {@link DnsProvider.applyChanges}. Zones are written concurrently, each zone's requests one at a time. */
  async applyChanges(changes: Changes): Promise<ApplyResult> {
    const all = changeList(changes);
    if (all.length === 0) return { applied: [], failed: [] };
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    let zones: Route53Zone[];
    try {
      zones = await this.zones();
    } catch (err) {
      const reason = errorMessage(err);
      return {
        applied: [],
        failed: all.map((change) => ({ change, reason, retryable: err instanceof TransientError })),
      };
    }

    // Group the changes: one group per zone and group key, in the order they came.
    const groups = new Map<string, Group>();
    for (const change of all) {
      const endpoint = change.kind === 'update' ? change.to : change.endpoint;
      const zone = this.#zoneFor(zones, endpoint.name);
      if (zone === undefined) {
        failed.push({
          change,
          reason: `no managed hosted zone for ${normalizeName(endpoint.name)}`,
          retryable: false,
        });
        continue;
      }
      const key = `${zone.id}|${endpoint.group ?? normalizeName(endpoint.name)}`;
      const group = groups.get(key) ?? {
        zone,
        changes: [],
        r53: [],
        size: { records: 0, chars: 0, changes: 0 },
      };
      groups.set(key, group);
      group.changes.push(change);
      for (const c of this.#toRoute53(change)) {
        const factor = c.Action === 'UPSERT' ? 2 : 1;
        const rrs = c.ResourceRecordSet;
        const values = rrs?.ResourceRecords ?? [];
        group.r53.push(c);
        group.size = {
          records: group.size.records + factor * (rrs?.AliasTarget !== undefined ? 1 : values.length),
          chars: group.size.chars + factor * values.reduce((n, v) => n + (v.Value ?? '').length, 0),
          changes: group.size.changes + 1,
        };
      }
    }

    const byZone = new Map<string, Group[]>();
    for (const g of groups.values()) byZone.set(g.zone.id, [...(byZone.get(g.zone.id) ?? []), g]);
    await Promise.all(
      [...byZone.entries()].map(([zoneId, zoneGroups]) =>
        this.#serialFor(zoneId).run(async () => {
          const { batches, oversized } = packBatches(zoneGroups, this.#limits);
          for (const g of oversized) {
            for (const change of g.changes)
              failed.push({
                change,
                reason: 'the change is larger than one Route53 request allows',
                retryable: false,
              });
          }
          for (let i = 0; i < batches.length; i++) {
            const outcome = await this.#submit(batches[i] ?? [], applied, failed);
            if (outcome !== undefined) {
              // Not the batch's fault (throttled beyond the SDK's retries, denied, network):
              // the remaining batches would meet the same fate, so leave them for the next pass.
              for (const rest of batches.slice(i + 1)) {
                for (const g of rest)
                  for (const change of g.changes)
                    failed.push({
                      change,
                      reason: `not attempted: ${outcome.reason}`,
                      retryable: outcome.retryable,
                    });
              }
              break;
            }
          }
        }),
      ),
    );
    if (failed.length > 0)
      this.#logger.warn('route53 changes failed', { applied: applied.length, failed: failed.length });
    return { applied, failed };
  }

  async #resolveZones(): Promise<Route53Zone[]> {
    const zones: Route53Zone[] = [];
    for (const ref of this.#zoneRefs) {
      const zone = ZONE_ID.test(ref) ? await this.#zoneById(bareZoneId(ref)) : await this.#zoneByName(ref);
      if (zones.some((z) => z.id === zone.id)) continue;
      const clash = zones.find((z) => z.name === zone.name);
      if (clash !== undefined) {
        throw new ConfigError(
          `hosted zones ${clash.id} and ${zone.id} both serve ${zone.name}; manage one of them`,
          { key: 'route53-hosted-zone' },
        );
      }
      zones.push(zone);
    }
    this.#logger.info('route53 zones resolved', { zones: zones.map((z) => `${z.id}=${z.name}`) });
    return zones;
  }

  async #zoneById(id: string): Promise<Route53Zone> {
    try {
      const out = await this.#send('GetHostedZone', () =>
        this.#client.send(new GetHostedZoneCommand({ Id: id })),
      );
      const zone = out.HostedZone;
      if (zone?.Id === undefined || zone.Name === undefined)
        throw new TransientError(`GetHostedZone ${id} returned no zone`);
      return {
        id: bareZoneId(zone.Id),
        name: normalizeName(zone.Name),
        privateZone: zone.Config?.PrivateZone ?? false,
      };
    } catch (err) {
      if (errorName(err) === 'NoSuchHostedZone')
        throw new ConfigError(`Route53 hosted zone ${id} does not exist`, {
          key: 'route53-hosted-zone',
          cause: err,
        });
      throw this.#classify(err, `cannot read Route53 hosted zone ${id}`);
    }
  }

  async #zoneByName(domain: string): Promise<Route53Zone> {
    const name = normalizeName(domain);
    let out;
    try {
      out = await this.#send('ListHostedZonesByName', () =>
        this.#client.send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 100 })),
      );
    } catch (err) {
      throw this.#classify(err, `cannot look up the Route53 hosted zone for ${name}`);
    }
    const matches = (out.HostedZones ?? []).filter(
      (z) => z.Name !== undefined && normalizeName(z.Name) === name,
    );
    const [only, ...others] = matches;
    if (only?.Id === undefined)
      throw new ConfigError(`no Route53 hosted zone is named ${name}`, { key: 'route53-hosted-zone' });
    if (others.length > 0) {
      throw new ConfigError(
        `${matches.length} Route53 hosted zones are named ${name} (${matches.map((z) => bareZoneId(z.Id ?? '')).join(', ')}); give the zone id instead`,
        {
          key: 'route53-hosted-zone',
        },
      );
    }
    return { id: bareZoneId(only.Id), name, privateZone: only.Config?.PrivateZone ?? false };
  }

  #zoneFor(zones: readonly Route53Zone[], name: string): Route53Zone | undefined {
    const n = normalizeName(name);
    let best: Route53Zone | undefined;
    for (const z of zones) {
      if (
        (n === z.name || n.endsWith(`.${z.name}`)) &&
        (best === undefined || z.name.length > best.name.length)
      )
        best = z;
    }
    return best;
  }

  #serialFor(zoneId: string): SerialRunner {
    let s = this.#serial.get(zoneId);
    if (s === undefined) {
      s = createSerialRunner();
      this.#serial.set(zoneId, s);
    }
    return s;
  }

  async #zoneRecords(zone: Route53Zone): Promise<Endpoint[]> {
    const cached = this.#cache.get(zone.id);
    if (cached !== undefined && !cached.stale && this.#clock.now() - cached.listedAt < this.#resyncPeriodMs) {
      return [...cached.records.values()];
    }
    // A write in flight would make the listing stale the moment it lands: list after it.
    return this.#serialFor(zone.id).run(async () => {
      const listedAt = this.#clock.now();
      const records = new Map<string, Endpoint>();
      let start: { name?: string; type?: string; identifier?: string } = {};
      for (let page = 0; ; page++) {
        if (page >= MAX_LIST_PAGES)
          throw new TerminalError(`Route53 zone ${zone.id} has more than ${MAX_LIST_PAGES} pages of records`);
        let out;
        try {
          out = await this.#send('ListResourceRecordSets', () =>
            this.#client.send(
              new ListResourceRecordSetsCommand({
                HostedZoneId: zone.id,
                MaxItems: 300,
                ...(start.name === undefined ? {} : { StartRecordName: start.name }),
                ...(start.type === undefined
                  ? {}
                  : { StartRecordType: start.type as ResourceRecordSet['Type'] }),
                ...(start.identifier === undefined ? {} : { StartRecordIdentifier: start.identifier }),
              }),
            ),
          );
        } catch (err) {
          throw this.#classify(err, `cannot list Route53 zone ${zone.id}`);
        }
        for (const rrs of out.ResourceRecordSets ?? []) {
          if (!this.#types.has((rrs.Type ?? '').toUpperCase())) continue;
          const e = endpointFromRoute53(rrs);
          records.set(endpointKey(e), e);
        }
        if (out.IsTruncated !== true) break;
        if (out.NextRecordName === undefined)
          throw new TransientError(`Route53 listed zone ${zone.id} as truncated without a next record`);
        start = {
          name: out.NextRecordName,
          ...(out.NextRecordType === undefined ? {} : { type: out.NextRecordType }),
          ...(out.NextRecordIdentifier === undefined ? {} : { identifier: out.NextRecordIdentifier }),
        };
      }
      this.#cache.set(zone.id, { records, listedAt, stale: false });
      this.#logger.debug('route53 zone listed', { zone: zone.id, records: records.size });
      return [...records.values()];
    });
  }

  #recordSet(e: Endpoint): ResourceRecordSet {
    const base = { Name: normalizeName(e.name), Type: e.type.toUpperCase() as ResourceRecordSet['Type'] };
    if (e.alias !== undefined) {
      return {
        ...base,
        AliasTarget: {
          HostedZoneId: bareZoneId(e.alias.hostedZoneId),
          DNSName: e.targets[0] ?? '',
          EvaluateTargetHealth: e.alias.evaluateTargetHealth ?? false,
        },
      };
    }
    return {
      ...base,
      TTL: e.ttl ?? this.#defaultTtl,
      ResourceRecords: e.targets.map((Value) => ({ Value })),
    };
  }

  /** The record as Route53 has it: what it listed, or, for a record it never listed, built from the endpoint. */
  #exact(e: Endpoint): ResourceRecordSet {
    return isRecordSet(e.providerRecord) ? e.providerRecord : this.#recordSet(e);
  }

  #toRoute53(change: Change): Route53Change[] {
    switch (change.kind) {
      case 'create':
        return [{ Action: 'CREATE', ResourceRecordSet: this.#recordSet(change.endpoint) }];
      case 'delete':
        return [{ Action: 'DELETE', ResourceRecordSet: this.#exact(change.endpoint) }];
      case 'update':
        if (endpointKey(change.from) === endpointKey(change.to))
          return [{ Action: 'UPSERT', ResourceRecordSet: this.#recordSet(change.to) }];
        return [
          { Action: 'DELETE', ResourceRecordSet: this.#exact(change.from) },
          { Action: 'CREATE', ResourceRecordSet: this.#recordSet(change.to) },
        ];
    }
  }

  /**
   * Sends one batch; on InvalidChangeBatch splits it until the bad group is alone. Returns
   * undefined when every group was either applied or refused on its own merits, or the failure
   * that is not the changes' fault.
   */
  async #submit(
    batch: Group[],
    applied: Change[],
    failed: FailedChange[],
  ): Promise<{ reason: string; retryable: boolean } | undefined> {
    const zone = batch[0]?.zone;
    if (zone === undefined) return undefined;
    try {
      await this.#send('ChangeResourceRecordSets', () =>
        this.#client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zone.id,
            ChangeBatch: { Changes: batch.flatMap((g) => g.r53) },
          }),
        ),
      );
    } catch (err) {
      const name = errorName(err);
      const reason = errorMessage(err);
      // Our view of the zone may be what was wrong (someone else wrote it): list again next time.
      const cache = this.#cache.get(zone.id);
      if (cache !== undefined) cache.stale = true;
      if (name === 'InvalidChangeBatch' || name === 'InvalidInput') {
        if (batch.length === 1) {
          for (const change of batch[0]?.changes ?? []) failed.push({ change, reason, retryable: false });
          this.#logger.warn('route53 change refused', {
            zone: zone.id,
            changes: batch[0]?.r53.map(
              (c) => `${c.Action} ${c.ResourceRecordSet?.Type} ${c.ResourceRecordSet?.Name}`,
            ),
            reason,
          });
          return undefined;
        }
        const half = Math.ceil(batch.length / 2);
        const first = await this.#submit(batch.slice(0, half), applied, failed);
        if (first !== undefined) {
          for (const g of batch.slice(half))
            for (const change of g.changes)
              failed.push({ change, reason: `not attempted: ${first.reason}`, retryable: first.retryable });
          return first;
        }
        return this.#submit(batch.slice(half), applied, failed);
      }
      const retryable = !isPermanent(err);
      for (const g of batch) for (const change of g.changes) failed.push({ change, reason, retryable });
      this.#logger.warn('route53 batch failed', { zone: zone.id, changes: batch.length, reason, retryable });
      return { reason, retryable };
    }
    const cache = this.#cache.get(zone.id);
    for (const g of batch) {
      applied.push(...g.changes);
      if (cache === undefined) continue;
      for (const c of g.r53) {
        const rrs = c.ResourceRecordSet;
        if (rrs === undefined) continue;
        const e = endpointFromRoute53(rrs);
        if (c.Action === 'DELETE') cache.records.delete(endpointKey(e));
        else if (this.#types.has(e.type.toUpperCase())) cache.records.set(endpointKey(e), e);
      }
    }
    this.#logger.debug('route53 batch applied', { zone: zone.id, groups: batch.length });
    return undefined;
  }

  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      const out = await call();
      this.#requests?.inc({ operation, outcome: 'ok' });
      return out;
    } catch (err) {
      this.#requests?.inc({ operation, outcome: errorName(err) });
      throw err;
    }
  }

  #classify(err: unknown, message: string): Error {
    if (err instanceof ConfigError || err instanceof TerminalError || err instanceof TransientError)
      return err;
    return isPermanent(err)
      ? new TerminalError(`${message}: ${errorMessage(err)}`, { cause: err })
      : new TransientError(`${message}: ${errorMessage(err)}`, { cause: err });
  }
}
