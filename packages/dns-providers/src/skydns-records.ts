import { isIP } from 'node:net';
import { endpointKey, normalizeName, type Change, type Endpoint } from './endpoint.js';

/**
 * The SkyDNS/CoreDNS etcd layout, shared by the etcd v3 and v2 providers so they read and write
 * the same keys and values:
 * - a name's records are the keys `<prefix>/<labels reversed>/x1…xN`, one value each;
 * - a value is `{"host": "<ip or name>", "ttl": <ttl>}` (an IP host is an A/AAAA record, a name a
 *   CNAME) or `{"text": "…", "ttl": <ttl>}` for TXT;
 * - `ttl` is written only when it is a positive number; a missing, zero or negative `ttl` reads
 *   back as none (SkyDNS then serves its default TTL).
 */

/** One `x<i>` value under a name's directory, parsed. */
export interface SkyDnsEntry {
  readonly key: string;
  /** The i of `x<i>`. */
  readonly index: number;
  readonly type: string;
  readonly value: string;
  readonly ttl: number | undefined;
  /** The value exactly as stored (kept byte for byte when another type is rewritten). */
  readonly raw: string;
}

const RECORD_KEY = /^x(\d+)$/;

/** The etcd directory of a name: (`/skydns`, `www.example.com.`) → `/skydns/com/example/www`. Pure. */
export function skyDnsDirectory(prefix: string, name: string): string {
  return `${prefix}/${normalizeName(name).slice(0, -1).split('.').reverse().join('/')}`;
}

/** The name of a record directory: (`/skydns`, `/skydns/com/example/www`) → `www.example.com.`. Pure. */
export function skyDnsName(prefix: string, directory: string): string {
  return normalizeName(
    directory
      .slice(prefix.length + 1)
      .split('/')
      .reverse()
      .join('.'),
  );
}

/** A stored value as type, value and TTL; undefined for values this layout does not manage. Pure. */
export function parseSkyDnsMessage(
  raw: string,
): { type: string; value: string; ttl: number | undefined } | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const { host, text, ttl } = msg as { host?: unknown; text?: unknown; ttl?: unknown };
  const t = typeof ttl === 'number' && ttl > 0 ? ttl : undefined;
  if (typeof host === 'string' && host !== '') {
    const family = isIP(host);
    return { type: family === 4 ? 'A' : family === 6 ? 'AAAA' : 'CNAME', value: host, ttl: t };
  }
  if (typeof text === 'string') return { type: 'TXT', value: text, ttl: t };
  return undefined;
}

/** The stored value of one record value (a CNAME target without its trailing dot). Pure. */
export function skyDnsMessage(type: string, value: string, ttl: number | undefined): string {
  const t = type.toUpperCase();
  const body: Record<string, unknown> =
    t === 'TXT' ? { text: value } : { host: t === 'CNAME' ? value.replace(/\.$/, '') : value };
  if (ttl !== undefined && ttl > 0) body.ttl = ttl;
  return JSON.stringify(body);
}

/** A key and its stored value as an entry, when the key is an `x<i>` record key directly under `directory` (undefined otherwise). Pure. */
export function parseSkyDnsEntry(directory: string, key: string, raw: string): SkyDnsEntry | undefined {
  if (!key.startsWith(`${directory}/`)) return undefined;
  const m = RECORD_KEY.exec(key.slice(directory.length + 1));
  if (m === null) return undefined;
  const parsed = parseSkyDnsMessage(raw);
  return parsed === undefined ? undefined : { key, index: Number(m[1]), raw, ...parsed };
}

/**
 * Any key below `prefix` with its stored value, as a name and an entry, for listing: an `x<i>`
 * key is a record of its directory's name; a value stored at a name's own key (older SkyDNS
 * writers did that) reads as that name's record with index 0. Undefined for values this layout
 * does not manage. Pure.
 */
export function parseSkyDnsKey(
  prefix: string,
  key: string,
  raw: string,
): { name: string; entry: SkyDnsEntry } | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const slash = key.lastIndexOf('/');
  const m = RECORD_KEY.exec(key.slice(slash + 1));
  const directory = m === null ? key : key.slice(0, slash);
  if (directory.length <= prefix.length + 1) return undefined;
  const parsed = parseSkyDnsMessage(raw);
  if (parsed === undefined) return undefined;
  return {
    name: skyDnsName(prefix, directory),
    entry: { key, index: m === null ? 0 : Number(m[1]), raw, ...parsed },
  };
}

/**
 * Entries of many names as endpoints: grouped by name and type, targets in x1…xN order (etcd
 * returns x10 before x2, or in no order at all), TTL the smallest given. `providerRecord` is the
 * list of keys. Pure.
 */
export function skyDnsEndpoints(entries: readonly { name: string; entry: SkyDnsEntry }[]): Endpoint[] {
  const groups = new Map<string, { name: string; type: string; entries: SkyDnsEntry[] }>();
  for (const { name, entry } of entries) {
    const id = `${name}|${entry.type}`;
    const g = groups.get(id) ?? { name, type: entry.type, entries: [] };
    g.entries.push(entry);
    groups.set(id, g);
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g.entries].sort((a, b) => a.index - b.index || a.key.localeCompare(b.key));
    const ttls = sorted.map((e) => e.ttl).filter((t): t is number => t !== undefined);
    return {
      name: g.name,
      type: g.type,
      targets: sorted.map((e) => e.value),
      ...(ttls.length === 0 ? {} : { ttl: Math.min(...ttls) }),
      providerRecord: sorted.map((e) => e.key),
    };
  });
}

/**
 * What one change makes of a name's entries: the values to store as x1…xN (values of other types
 * kept first, in their order, then the written record's values), or the reason the change is
 * refused (a name outside `domains`, a rename, creating a type that exists, removing one that
 * does not, a CNAME next to other records). Pure.
 */
export function skyDnsChangeValues(
  entries: readonly SkyDnsEntry[],
  change: Change,
  domains: readonly string[],
): { values: string[] } | { reason: string } {
  const target = change.kind === 'update' ? change.to : change.endpoint;
  const name = normalizeName(target.name);
  if (!domains.some((d) => name === d || name.endsWith(`.${d}`)))
    return { reason: `${name} is not in a served domain` };
  if (change.kind === 'update' && normalizeName(change.from.name) !== name)
    return { reason: 'an update cannot rename a record' };
  const sorted = [...entries].sort((a, b) => a.index - b.index);
  const has = (type: string): boolean => sorted.some((e) => e.type === type);
  const removed =
    change.kind === 'create'
      ? undefined
      : (change.kind === 'update' ? change.from : change.endpoint).type.toUpperCase();
  const added = change.kind === 'delete' ? undefined : target;
  const addedType = added?.type.toUpperCase();
  if (change.kind === 'create' && addedType !== undefined && has(addedType))
    return { reason: `${endpointKey(target)} already exists` };
  if (removed !== undefined && !has(removed))
    return { reason: `${endpointKey({ name, type: removed })} does not exist` };
  const types = new Set([
    ...sorted.filter((e) => e.type !== removed).map((e) => e.type),
    ...(addedType === undefined ? [] : [addedType]),
  ]);
  if (types.has('CNAME') && types.size > 1)
    return { reason: `a CNAME at ${name} conflicts with other records` };
  const kept = sorted.filter((e) => e.type !== removed && e.type !== addedType).map((e) => e.raw);
  const written =
    added === undefined || addedType === undefined
      ? []
      : [...new Set(added.targets)].map((v) => skyDnsMessage(addedType, v, added.ttl));
  return { values: [...kept, ...written] };
}
