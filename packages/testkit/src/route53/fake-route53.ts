import { Readable } from 'node:stream';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { RetryStrategyV2 } from '@smithy/types';
import { createTinyBackoffRetryStrategy, type FakeAwsRequestHandler } from '../aws/fake-aws.js';
import { el, xmlEscape } from '../aws/query-protocol.js';
import { canonicalName, canonicalTarget, compareRecordKeys, isInZone } from './names.js';
import { child, childText, children, parseXml, type XmlNode } from './xml.js';
import { requestBodyText } from '../aws/request-body.js';

/** The Route53 REST-XML namespace every request and answer carries. */
export const ROUTE53_NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** Route53's limits per request; the defaults are the quotas AWS documents for Route53. */
export interface FakeRoute53Limits {
  /** ResourceRecord elements per request, an UPSERT counting twice and an alias once. Default 1000. */
  maxRecordsPerBatch: number;
  /** Characters of all `Value`s per request, an UPSERT counting twice. Default 32000. */
  maxValueCharsPerBatch: number;
  /** Most record sets one ListResourceRecordSets page returns. Default 300. */
  maxListItems: number;
}

/** Options of {@link createFakeRoute53}. */
export interface FakeRoute53Options {
  /** SDK attempts per call (first try included) in {@link FakeRoute53.clientConfig}. Default 3. */
  maxAttempts?: number;
  /** Override Route53's limits, e.g. to make paging visible with few records. */
  limits?: Partial<FakeRoute53Limits>;
  /**
   * How long a change takes to be accepted, in ms. Default 0. While one is in flight, another
   * change to the same zone answers `PriorRequestNotComplete`, as Route53 does for overlapping
   * writes to a zone.
   */
  changeLatencyMs?: number;
}

/** A hosted zone of the fake. `id` is bare (`Z…`), `name` canonical (`example.com.`). */
export interface FakeHostedZone {
  readonly id: string;
  readonly name: string;
  readonly privateZone: boolean;
}

/** Options of {@link FakeRoute53.createHostedZone}. */
export interface FakeHostedZoneInit {
  /** Domain name, with or without trailing dot. */
  name: string;
  /** Default a generated `Z…` id. */
  id?: string;
  /** Default false. */
  privateZone?: boolean;
}

/** A fault to inject into the next matching requests. */
export interface FakeRoute53Fault {
  /** Only this operation (e.g. `ChangeResourceRecordSets`); default any. */
  operation?: string;
  /** Error code, e.g. `Throttling`, `PriorRequestNotComplete`, `InvalidChangeBatch`, `AccessDenied`. */
  code: string;
  /** Default `injected fault`. */
  message?: string;
  /** Default 400. */
  status?: number;
  /** Default 1. */
  count?: number;
}

/** One ChangeResourceRecordSets request as received, and how it was answered. */
export interface FakeRoute53ChangeBatch {
  zoneId: string;
  changes: { action: string; name: string; type: string }[];
  /** HTTP status answered (200 applied, 400 refused). */
  status: number;
  /** Error code when refused. */
  code?: string;
}

/** Client settings routing a `Route53Client` to the fake: `new Route53Client(fake.clientConfig())`. */
export interface FakeRoute53ClientConfig {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestHandler: FakeAwsRequestHandler;
  maxAttempts: number;
  retryStrategy: RetryStrategyV2;
}

/**
 * A stateful in-memory Route53 behind the real SDK v3 client (through its `requestHandler`),
 * enforcing Route53's rules so a test asserts on the zone's contents. Not thread-safe across
 * processes; one instance per test file is typical. Every method is synchronous.
 */
export interface FakeRoute53 {
  clientConfig(): FakeRoute53ClientConfig;
  /** Creates a zone with its apex SOA and NS records, as Route53 does. */
  createHostedZone(init: FakeHostedZoneInit): FakeHostedZone;
  deleteHostedZone(id: string): void;
  zones(): FakeHostedZone[];
  /** Every record set of the zone in Route53's list order (SOA and NS included). */
  records(zoneId: string): ResourceRecordSet[];
  /** One record set by name and type (name in any form), or undefined. */
  record(zoneId: string, name: string, type: string, setIdentifier?: string): ResourceRecordSet | undefined;
  /** Seeds a record set without any rule (name canonicalised), replacing one with the same key. */
  putRecord(zoneId: string, record: ResourceRecordSet): void;
  /**
   * Declares a valid alias target (e.g. a load balancer's DNS name and canonical hosted zone id).
   * Once any is declared, an alias to an undeclared target outside the fake's own zones is
   * refused with Route53's "alias target name does not lie within the target zone" error.
   */
  addAliasTarget(dnsName: string, hostedZoneId: string): void;
  /** The next `count` requests (optionally only `operation`) answer 400 `Throttling: Rate exceeded`. */
  throttleNext(count: number, operation?: string): void;
  failNext(fault: FakeRoute53Fault): void;
  clearFaults(): void;
  /** Every request received (throttled and failed attempts included), as operation names in order. */
  calls(): string[];
  /** Every ChangeResourceRecordSets request, with what it asked and how it was answered. */
  changeBatches(): FakeRoute53ChangeBatch[];
  /** Forgets recorded calls and change batches (state and faults stay). */
  resetCalls(): void;
}

class Route53Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface StoredRecord {
  name: string;
  type: string;
  setIdentifier?: string | undefined;
  weight?: number | undefined;
  region?: string | undefined;
  failover?: string | undefined;
  multiValueAnswer?: boolean | undefined;
  ttl?: number | undefined;
  values?: string[] | undefined;
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean } | undefined;
  healthCheckId?: string | undefined;
}

interface Zone {
  id: string;
  name: string;
  privateZone: boolean;
  callerReference: string;
  records: Map<string, StoredRecord>;
  busyUntil: number;
}

const keyOf = (r: { name: string; type: string; setIdentifier?: string | undefined }): string =>
  `${r.name}|${r.type}|${r.setIdentifier ?? ''}`;

function bareId(id: string): string {
  return id.replace(/^\/?(hostedzone|change)\//, '');
}

function toSdk(r: StoredRecord): ResourceRecordSet {
  return {
    Name: r.name,
    Type: r.type as ResourceRecordSet['Type'],
    ...(r.setIdentifier === undefined ? {} : { SetIdentifier: r.setIdentifier }),
    ...(r.weight === undefined ? {} : { Weight: r.weight }),
    ...(r.region === undefined ? {} : { Region: r.region as ResourceRecordSet['Region'] }),
    ...(r.failover === undefined ? {} : { Failover: r.failover as ResourceRecordSet['Failover'] }),
    ...(r.multiValueAnswer === undefined ? {} : { MultiValueAnswer: r.multiValueAnswer }),
    ...(r.ttl === undefined ? {} : { TTL: r.ttl }),
    ...(r.values === undefined ? {} : { ResourceRecords: r.values.map((Value) => ({ Value })) }),
    ...(r.alias === undefined
      ? {}
      : {
          AliasTarget: {
            HostedZoneId: r.alias.hostedZoneId,
            DNSName: r.alias.dnsName,
            EvaluateTargetHealth: r.alias.evaluateTargetHealth,
          },
        }),
    ...(r.healthCheckId === undefined ? {} : { HealthCheckId: r.healthCheckId }),
  };
}

function fromSdk(r: ResourceRecordSet): StoredRecord {
  if (r.Name === undefined || r.Type === undefined)
    throw new Error('FakeRoute53: a record needs Name and Type');
  return {
    name: canonicalName(r.Name),
    type: r.Type,
    setIdentifier: r.SetIdentifier,
    weight: r.Weight,
    region: r.Region,
    failover: r.Failover,
    multiValueAnswer: r.MultiValueAnswer,
    ttl: r.TTL,
    values: r.ResourceRecords?.map((v) => v.Value ?? ''),
    alias:
      r.AliasTarget === undefined
        ? undefined
        : {
            hostedZoneId: bareId(r.AliasTarget.HostedZoneId ?? ''),
            dnsName: canonicalTarget(r.AliasTarget.DNSName ?? ''),
            evaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth ?? false,
          },
    healthCheckId: r.HealthCheckId,
  };
}

function recordXml(r: StoredRecord): string {
  return (
    '<ResourceRecordSet>' +
    el('Name', r.name) +
    el('Type', r.type) +
    el('SetIdentifier', r.setIdentifier) +
    el('Weight', r.weight) +
    el('Region', r.region) +
    el('Failover', r.failover) +
    el('MultiValueAnswer', r.multiValueAnswer) +
    el('TTL', r.ttl) +
    (r.values === undefined
      ? ''
      : `<ResourceRecords>${r.values.map((v) => `<ResourceRecord>${el('Value', v)}</ResourceRecord>`).join('')}</ResourceRecords>`) +
    (r.alias === undefined
      ? ''
      : `<AliasTarget>${el('HostedZoneId', r.alias.hostedZoneId)}${el('DNSName', r.alias.dnsName)}${el('EvaluateTargetHealth', r.alias.evaluateTargetHealth)}</AliasTarget>`) +
    el('HealthCheckId', r.healthCheckId) +
    '</ResourceRecordSet>'
  );
}

function zoneXml(z: Zone): string {
  return (
    `<HostedZone>${el('Id', `/hostedzone/${z.id}`)}${el('Name', z.name)}${el('CallerReference', z.callerReference)}` +
    `<Config><PrivateZone>${z.privateZone}</PrivateZone></Config>${el('ResourceRecordSetCount', z.records.size)}</HostedZone>`
  );
}

function parseRecord(node: XmlNode | undefined, action: string): StoredRecord {
  const name = childText(node, 'Name');
  const type = childText(node, 'Type');
  if (node === undefined || name === undefined || type === undefined) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid request: Missing field 'Name' or 'Type' in Change with [Action=${action}]`,
    );
  }
  const ttl = childText(node, 'TTL');
  const weight = childText(node, 'Weight');
  const mva = childText(node, 'MultiValueAnswer');
  const rrs = child(node, 'ResourceRecords');
  const alias = child(node, 'AliasTarget');
  return {
    name,
    type,
    setIdentifier: childText(node, 'SetIdentifier'),
    weight: weight === undefined ? undefined : Number(weight),
    region: childText(node, 'Region'),
    failover: childText(node, 'Failover'),
    multiValueAnswer: mva === undefined ? undefined : mva === 'true',
    ttl: ttl === undefined ? undefined : Number(ttl),
    values:
      rrs === undefined ? undefined : children(rrs, 'ResourceRecord').map((r) => childText(r, 'Value') ?? ''),
    alias:
      alias === undefined
        ? undefined
        : {
            hostedZoneId: childText(alias, 'HostedZoneId') ?? '',
            dnsName: childText(alias, 'DNSName') ?? '',
            evaluateTargetHealth: childText(alias, 'EvaluateTargetHealth') === 'true',
          },
    healthCheckId: childText(node, 'HealthCheckId'),
  };
}

function describe(r: StoredRecord): string {
  return `[name='${r.name}', type='${r.type}'${r.setIdentifier === undefined ? '' : `, set-identifier='${r.setIdentifier}'`}]`;
}

function sameRecordData(a: StoredRecord, b: StoredRecord): boolean {
  if (a.ttl !== b.ttl || a.weight !== b.weight || a.region !== b.region || a.failover !== b.failover)
    return false;
  if ((a.multiValueAnswer ?? false) !== (b.multiValueAnswer ?? false) || a.healthCheckId !== b.healthCheckId)
    return false;
  if ((a.alias === undefined) !== (b.alias === undefined)) return false;
  if (a.alias !== undefined && b.alias !== undefined) {
    if (a.alias.hostedZoneId !== b.alias.hostedZoneId || a.alias.dnsName !== b.alias.dnsName) return false;
    if (a.alias.evaluateTargetHealth !== b.alias.evaluateTargetHealth) return false;
  }
  const va = [...(a.values ?? [])].sort();
  const vb = [...(b.values ?? [])].sort();
  return va.length === vb.length && va.every((v, i) => v === vb[i]);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Creates an empty fake Route53. Nothing to close: it holds no sockets or timers. */
export function createFakeRoute53(options: FakeRoute53Options = {}): FakeRoute53 {
  const maxAttempts = options.maxAttempts ?? 3;
  const limits: FakeRoute53Limits = {
    maxRecordsPerBatch: 1000,
    maxValueCharsPerBatch: 32000,
    maxListItems: 300,
    ...options.limits,
  };
  const changeLatencyMs = options.changeLatencyMs ?? 0;
  const zones = new Map<string, Zone>();
  const aliasTargets = new Map<string, string>();
  const calls: string[] = [];
  const batches: FakeRoute53ChangeBatch[] = [];
  const faults: { operation: string | undefined; error: Route53Error; remaining: number }[] = [];
  let zoneCounter = 0;
  let changeCounter = 0;
  let requestCounter = 0;

  const zoneOf = (id: string): Zone => {
    const zone = zones.get(bareId(id));
    if (zone === undefined)
      throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${bareId(id)}`, 404);
    return zone;
  };

  const createHostedZone = (init: FakeHostedZoneInit): FakeHostedZone => {
    zoneCounter += 1;
    const id =
      init.id ?? `Z${String(zoneCounter).padStart(4, '0')}FAKE${String(zoneCounter * 7919).padStart(8, '0')}`;
    if (zones.has(id)) throw new Error(`FakeRoute53: zone ${id} exists`);
    const name = canonicalName(init.name);
    const zone: Zone = {
      id,
      name,
      privateZone: init.privateZone ?? false,
      callerReference: `ref-${id}`,
      records: new Map(),
      busyUntil: 0,
    };
    const nameServers = [1, 2, 3, 4].map((i) => `ns-${i}.awsdns-fake.net.`);
    zone.records.set(keyOf({ name, type: 'NS' }), { name, type: 'NS', ttl: 172800, values: nameServers });
    zone.records.set(keyOf({ name, type: 'SOA' }), {
      name,
      type: 'SOA',
      ttl: 900,
      values: [`${nameServers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`],
    });
    zones.set(id, zone);
    return { id, name, privateZone: zone.privateZone };
  };

  const sortedRecords = (zone: Zone): StoredRecord[] =>
    [...zone.records.values()].sort(
      (a, b) => compareRecordKeys(a, b) || (a.setIdentifier ?? '').localeCompare(b.setIdentifier ?? ''),
    );

  const validateAlias = (zone: Zone, r: StoredRecord, messages: string[]): void => {
    if (r.alias === undefined) return;
    const target = canonicalTarget(r.alias.dnsName);
    const ownZone = zones.get(bareId(r.alias.hostedZoneId));
    const ok =
      ownZone !== undefined
        ? isInZone(target, ownZone.name)
        : aliasTargets.size === 0 ||
          aliasTargets.get(target.replace(/^dualstack\./, '')) === bareId(r.alias.hostedZoneId);
    if (!ok) {
      messages.push(
        `Tried to create an alias that targets ${target}, type ${r.type} in zone ${bareId(r.alias.hostedZoneId)}, but the alias target name does not lie within the target zone`,
      );
    }
    void zone;
  };

  const changeRecords = (
    zone: Zone,
    body: string,
  ): { status: number; xml: string; batch: FakeRoute53ChangeBatch } => {
    const batch: FakeRoute53ChangeBatch = { zoneId: zone.id, changes: [], status: 400 };
    let root: XmlNode;
    try {
      root = parseXml(body);
    } catch (err) {
      throw Object.assign(
        new Route53Error('MalformedInput', `Could not parse request: ${(err as Error).message}`),
        { batch },
      );
    }
    const changeNodes = children(child(child(root, 'ChangeBatch'), 'Changes'), 'Change');
    const changes = changeNodes.map((node) => {
      const action = childText(node, 'Action') ?? '';
      const record = parseRecord(child(node, 'ResourceRecordSet'), action);
      batch.changes.push({ action, name: canonicalName(record.name), type: record.type });
      return { action, record };
    });
    const fail = (err: Route53Error): never => {
      batch.code = err.code;
      throw Object.assign(err, { batch });
    };
    if (changes.length === 0) {
      fail(
        new Route53Error(
          'InvalidInput',
          "1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
      );
    }
    let recordCount = 0;
    let valueChars = 0;
    for (const { action, record } of changes) {
      if (!['CREATE', 'DELETE', 'UPSERT'].includes(action)) {
        fail(
          new Route53Error(
            'InvalidInput',
            `Invalid XML ; cvc-enumeration-valid: Value '${action}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'.`,
          ),
        );
      }
      const hasRecords = record.ttl !== undefined && record.values !== undefined;
      if (
        hasRecords === (record.alias !== undefined) ||
        (record.alias === undefined && (record.values?.length ?? 0) === 0)
      ) {
        fail(
          new Route53Error(
            'InvalidInput',
            `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${action}, Name=${record.name}, Type=${record.type}, SetIdentifier=${record.setIdentifier ?? 'null'}]`,
          ),
        );
      }
      const factor = action === 'UPSERT' ? 2 : 1;
      recordCount += factor * (record.alias === undefined ? (record.values?.length ?? 0) : 1);
      valueChars += factor * (record.values ?? []).reduce((n, v) => n + v.length, 0);
    }
    if (recordCount > limits.maxRecordsPerBatch) {
      fail(
        new Route53Error(
          'InvalidChangeBatch',
          `[Number of records limit of ${limits.maxRecordsPerBatch} exceeded.]`,
        ),
      );
    }
    if (valueChars > limits.maxValueCharsPerBatch) {
      fail(
        new Route53Error(
          'InvalidChangeBatch',
          `[Number of characters limit of ${limits.maxValueCharsPerBatch} exceeded.]`,
        ),
      );
    }

    // Route53 applies a batch all or nothing: work on a copy and commit only if no rule broke.
    const next = new Map(zone.records);
    const messages: string[] = [];
    const touched = new Set<string>();
    for (const { action, record: raw } of changes) {
      const record: StoredRecord = {
        ...raw,
        name: canonicalName(raw.name),
        alias:
          raw.alias === undefined
            ? undefined
            : {
                ...raw.alias,
                hostedZoneId: bareId(raw.alias.hostedZoneId),
                dnsName: canonicalTarget(raw.alias.dnsName),
              },
      };
      if (!isInZone(record.name, zone.name)) {
        messages.push(`RRSet with DNS name ${record.name} is not permitted in zone ${zone.name}`);
        continue;
      }
      touched.add(record.name);
      const key = keyOf(record);
      const existing = next.get(key);
      if (action === 'DELETE') {
        if (existing === undefined)
          messages.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
        else if (!sameRecordData(existing, record)) {
          messages.push(
            `Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`,
          );
        } else if (record.name === zone.name && (record.type === 'SOA' || record.type === 'NS')) {
          messages.push(
            `A HostedZone must contain exactly one SOA record and at least one NS record for the zone itself.`,
          );
        } else next.delete(key);
        continue;
      }
      const before = messages.length;
      if (action === 'CREATE' && existing !== undefined)
        messages.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      if (record.type === 'A' && record.values !== undefined) {
        for (const v of record.values)
          if (!IPV4.test(v))
            messages.push(
              `ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${v}'`,
            );
      }
      if (record.type === 'CNAME' && (record.values?.length ?? 0) > 1) {
        messages.push(`RRSet of type CNAME with DNS name ${record.name} has more than one resource record`);
      }
      if (record.type === 'CNAME' && record.name === zone.name) {
        messages.push(
          `RRSet of type CNAME with DNS name ${record.name} is not permitted at apex in zone ${zone.name}`,
        );
      }
      validateAlias(zone, record, messages);
      if (messages.length === before) next.set(key, record);
    }
    for (const name of touched) {
      const atName = [...next.values()].filter((r) => r.name === name);
      if (atName.some((r) => r.type === 'CNAME') && atName.some((r) => r.type !== 'CNAME')) {
        messages.push(
          `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`,
        );
      }
    }
    if (messages.length > 0) fail(new Route53Error('InvalidChangeBatch', `[${messages.join(', ')}]`));
    zone.records = next;
    changeCounter += 1;
    batch.status = 200;
    const changeId = `C${String(changeCounter).padStart(12, '0')}`;
    return {
      status: 200,
      batch,
      xml:
        `<ChangeResourceRecordSetsResponse xmlns="${ROUTE53_NAMESPACE}"><ChangeInfo>${el('Id', `/change/${changeId}`)}<Status>PENDING</Status>` +
        `${el('SubmittedAt', new Date().toISOString())}</ChangeInfo></ChangeResourceRecordSetsResponse>`,
    };
  };

  const listRecords = (zone: Zone, query: Record<string, string>): string => {
    const maxItems = Math.min(
      Number(query.maxitems ?? limits.maxListItems) || limits.maxListItems,
      limits.maxListItems,
    );
    if (query.type !== undefined && query.name === undefined) {
      throw new Route53Error(
        'InvalidInput',
        'The input is not valid: StartRecordType requires StartRecordName',
      );
    }
    const all = sortedRecords(zone);
    let start = 0;
    if (query.name !== undefined) {
      const from = { name: canonicalName(query.name), type: query.type ?? '' };
      start = all.findIndex(
        (r) =>
          compareRecordKeys(r, from) >= 0 &&
          (query.identifier === undefined ||
            r.type !== from.type ||
            r.name !== from.name ||
            (r.setIdentifier ?? '') >= query.identifier),
      );
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + maxItems);
    const next = all[start + maxItems];
    return (
      `<ListResourceRecordSetsResponse xmlns="${ROUTE53_NAMESPACE}"><ResourceRecordSets>${page.map(recordXml).join('')}</ResourceRecordSets>` +
      `<IsTruncated>${next !== undefined}</IsTruncated>` +
      (next === undefined
        ? ''
        : el('NextRecordName', next.name) +
          el('NextRecordType', next.type) +
          el('NextRecordIdentifier', next.setIdentifier)) +
      `${el('MaxItems', maxItems)}</ListResourceRecordSetsResponse>`
    );
  };

  const listZones = (query: Record<string, string>): string => {
    const maxItems = Math.min(Number(query.maxitems ?? 100) || 100, 100);
    const all = [...zones.values()];
    const start = query.marker === undefined ? 0 : all.findIndex((z) => z.id === query.marker);
    if (start < 0) throw new Route53Error('InvalidInput', 'The specified marker is not valid');
    const page = all.slice(start, start + maxItems);
    const next = all[start + maxItems];
    return (
      `<ListHostedZonesResponse xmlns="${ROUTE53_NAMESPACE}"><HostedZones>${page.map(zoneXml).join('')}</HostedZones>` +
      `${el('Marker', query.marker ?? '')}<IsTruncated>${next !== undefined}</IsTruncated>${next === undefined ? '' : el('NextMarker', next.id)}` +
      `${el('MaxItems', maxItems)}</ListHostedZonesResponse>`
    );
  };

  const listZonesByName = (query: Record<string, string>): string => {
    const maxItems = Math.min(Number(query.maxitems ?? 100) || 100, 100);
    if (query.hostedzoneid !== undefined && query.dnsname === undefined) {
      throw new Route53Error('InvalidInput', 'The input is not valid: HostedZoneId requires DNSName');
    }
    const all = [...zones.values()].sort((a, b) =>
      compareRecordKeys({ name: a.name, type: a.id }, { name: b.name, type: b.id }),
    );
    let start = 0;
    if (query.dnsname !== undefined) {
      const from = { name: canonicalName(query.dnsname), type: query.hostedzoneid ?? '' };
      start = all.findIndex((z) => compareRecordKeys({ name: z.name, type: z.id }, from) >= 0);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + maxItems);
    const next = all[start + maxItems];
    return (
      `<ListHostedZonesByNameResponse xmlns="${ROUTE53_NAMESPACE}"><HostedZones>${page.map(zoneXml).join('')}</HostedZones>` +
      `${el('DNSName', query.dnsname)}${el('HostedZoneId', query.hostedzoneid)}<IsTruncated>${next !== undefined}</IsTruncated>` +
      (next === undefined ? '' : el('NextDNSName', next.name) + el('NextHostedZoneId', next.id)) +
      `${el('MaxItems', maxItems)}</ListHostedZonesByNameResponse>`
    );
  };

  const operationOf = (method: string, path: string): { operation: string; id?: string } => {
    const p = path.replace(/\/$/, '');
    let m: RegExpExecArray | null;
    if ((m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset$/.exec(p)) !== null) {
      return {
        operation: method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets',
        id: decodeURIComponent(m[1] ?? ''),
      };
    }
    if ((m = /^\/2013-04-01\/hostedzone\/([^/]+)$/.exec(p)) !== null && method === 'GET')
      return { operation: 'GetHostedZone', id: decodeURIComponent(m[1] ?? '') };
    if (p === '/2013-04-01/hostedzone' && method === 'GET') return { operation: 'ListHostedZones' };
    if (p === '/2013-04-01/hostedzonesbyname' && method === 'GET')
      return { operation: 'ListHostedZonesByName' };
    if ((m = /^\/2013-04-01\/change\/([^/]+)$/.exec(p)) !== null && method === 'GET')
      return { operation: 'GetChange', id: decodeURIComponent(m[1] ?? '') };
    return { operation: `Unknown ${method} ${p}` };
  };

  const respond = (status: number, xml: string, requestId: string): { response: HttpResponse } => ({
    response: new HttpResponse({
      statusCode: status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: Readable.from([Buffer.from(`<?xml version="1.0"?>\n${xml}`, 'utf8')]),
    }),
  });
  // Route53 answers errors in the standard REST-XML envelope; since 2024 that includes
  // InvalidChangeBatch, whose Message lists every broken rule as `[first, second]`
  // (the older `<InvalidChangeBatch><Messages>` root is gone; aws-sdk-kotlin#1435).
  const errorXml = (err: Route53Error, requestId: string): string =>
    `<ErrorResponse xmlns="${ROUTE53_NAMESPACE}"><Error><Type>Sender</Type>${el('Code', err.code)}${el('Message', err.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;

  const requestHandler: FakeAwsRequestHandler = {
    async handle(request: HttpRequest) {
      requestCounter += 1;
      const requestId = `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`;
      const { operation, id } = operationOf(request.method, request.path);
      calls.push(operation);
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.query ?? {})) {
        const value = Array.isArray(v) ? v[0] : v;
        if (typeof value === 'string') query[k] = value;
      }
      const body = await requestBodyText(request.body, 'FakeRoute53');
      try {
        if (request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ') !== true) {
          throw new Route53Error('MissingAuthenticationToken', 'Missing Authentication Token', 403);
        }
        const fault = faults.find((f) => f.operation === undefined || f.operation === operation);
        if (fault !== undefined) {
          fault.remaining -= 1;
          if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
          if (operation === 'ChangeResourceRecordSets') {
            batches.push({
              zoneId: bareId(id ?? ''),
              changes: [],
              status: fault.error.status,
              code: fault.error.code,
            });
          }
          throw fault.error;
        }
        switch (operation) {
          case 'ChangeResourceRecordSets': {
            const zone = zoneOf(id ?? '');
            const now = Date.now();
            if (zone.busyUntil > now) {
              batches.push({ zoneId: zone.id, changes: [], status: 400, code: 'PriorRequestNotComplete' });
              throw new Route53Error(
                'PriorRequestNotComplete',
                'The request was rejected because Route 53 was still processing a prior request.',
              );
            }
            let result: ReturnType<typeof changeRecords>;
            try {
              result = changeRecords(zone, body);
            } catch (err) {
              const batch = (err as { batch?: FakeRoute53ChangeBatch }).batch;
              if (batch !== undefined) batches.push(batch);
              throw err;
            }
            batches.push(result.batch);
            if (changeLatencyMs > 0) {
              zone.busyUntil = now + changeLatencyMs;
              await new Promise((resolve) => setTimeout(resolve, changeLatencyMs));
            }
            return respond(result.status, result.xml, requestId);
          }
          case 'ListResourceRecordSets':
            return respond(200, listRecords(zoneOf(id ?? ''), query), requestId);
          case 'GetHostedZone': {
            const zone = zoneOf(id ?? '');
            const ns = zone.records.get(keyOf({ name: zone.name, type: 'NS' }))?.values ?? [];
            return respond(
              200,
              `<GetHostedZoneResponse xmlns="${ROUTE53_NAMESPACE}">${zoneXml(zone)}<DelegationSet><NameServers>${ns.map((n) => el('NameServer', n)).join('')}</NameServers></DelegationSet></GetHostedZoneResponse>`,
              requestId,
            );
          }
          case 'ListHostedZones':
            return respond(200, listZones(query), requestId);
          case 'ListHostedZonesByName':
            return respond(200, listZonesByName(query), requestId);
          case 'GetChange': {
            const changeId = bareId(id ?? '');
            const n = Number(changeId.replace(/^C/, ''));
            if (!(n >= 1 && n <= changeCounter))
              throw new Route53Error('NoSuchChange', `Could not find resource with ID: ${changeId}`, 404);
            return respond(
              200,
              `<GetChangeResponse xmlns="${ROUTE53_NAMESPACE}"><ChangeInfo>${el('Id', `/change/${changeId}`)}<Status>INSYNC</Status>${el('SubmittedAt', new Date().toISOString())}</ChangeInfo></GetChangeResponse>`,
              requestId,
            );
          }
          default:
            throw new Route53Error(
              'UnknownOperationException',
              `The fake does not implement ${xmlEscape(operation)}`,
              404,
            );
        }
      } catch (err) {
        if (err instanceof Route53Error) return respond(err.status, errorXml(err, requestId), requestId);
        throw err;
      }
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };

  return {
    clientConfig: () => ({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
      requestHandler,
      maxAttempts,
      retryStrategy: createTinyBackoffRetryStrategy(maxAttempts),
    }),
    createHostedZone,
    deleteHostedZone: (id) => {
      zones.delete(bareId(id));
    },
    zones: () => [...zones.values()].map((z) => ({ id: z.id, name: z.name, privateZone: z.privateZone })),
    records: (zoneId) => sortedRecords(zoneOf(zoneId)).map(toSdk),
    record: (zoneId, name, type, setIdentifier) => {
      const r = zoneOf(zoneId).records.get(keyOf({ name: canonicalName(name), type, setIdentifier }));
      return r === undefined ? undefined : toSdk(r);
    },
    putRecord: (zoneId, record) => {
      const r = fromSdk(record);
      zoneOf(zoneId).records.set(keyOf(r), r);
    },
    addAliasTarget: (dnsName, hostedZoneId) => {
      aliasTargets.set(canonicalTarget(dnsName), bareId(hostedZoneId));
    },
    throttleNext: (count, operation) => {
      if (count > 0)
        faults.push({ operation, error: new Route53Error('Throttling', 'Rate exceeded'), remaining: count });
    },
    failNext: (fault) => {
      const count = fault.count ?? 1;
      if (count > 0)
        faults.push({
          operation: fault.operation,
          error: new Route53Error(fault.code, fault.message ?? 'injected fault', fault.status ?? 400),
          remaining: count,
        });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    calls: () => [...calls],
    changeBatches: () => batches.map((b) => ({ ...b, changes: [...b.changes] })),
    resetCalls: () => {
      calls.length = 0;
      batches.length = 0;
    },
  };
}
