import { isIP } from 'node:net';
import { ConfigError, createNoopLogger, TransientError, type Logger } from '@kube-edge/runtime';
import type { Etcd3 } from 'etcd3';
import {
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

/** Options of {@link EtcdSkyDnsProvider}. */
export interface EtcdSkyDnsProviderOptions {
  /** An `etcd3` client (etcd v3 API, which CoreDNS's etcd plugin reads). */
  client: Etcd3;
  /** Domains served; `records()` reads only below them and a change outside them fails. At least one. */
  domains: readonly string[];
  /** Key prefix (CoreDNS `path`). Default `/skydns`. */
  prefix?: string;
  /** Default a no-op logger. */
  logger?: Logger;
}

interface SkyDnsEntry {
  key: string;
  modRevision: string;
  type: string;
  value: string;
  ttl: number | undefined;
  raw: string;
}

const RECORD_KEY = /^x\d+$/;

/** `{"host": …, "ttl": …}` → type and value; undefined for messages this provider does not manage. */
function parseMessage(raw: string): { type: string; value: string; ttl: number | undefined } | undefined {
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

function message(type: string, value: string, ttl: number | undefined): string {
  const body: Record<string, unknown> =
    type === 'TXT' ? { text: value } : { host: type === 'CNAME' ? value.replace(/\.$/, '') : value };
  if (ttl !== undefined) body.ttl = ttl;
  return JSON.stringify(body);
}

/**
 * SkyDNS/CoreDNS records in etcd (kuberoute's `skydns` backend, kuberoute.md §5.2) as a
 * {@link DnsProvider}. A name's records are the keys `<prefix>/<labels reversed>/x1…xN`, each
 * `{"host": "<ip or name>", "ttl": <ttl>}` (`{"text": …}` for TXT); an IP host is an A/AAAA
 * record, a name host a CNAME.
 *
 * Each change is one etcd transaction over the name's keys: the values are rewritten as
 * x1…xN, stale higher keys deleted (kuberoute never deleted them), values of other types at the
 * name kept. The transaction is guarded on the revisions it read, so a concurrent writer makes
 * the change fail (retryable) instead of being overwritten. `records()` reads etcd every time
 * (no cache; etcd reads are cheap and local).
 */
export class EtcdSkyDnsProvider implements DnsProvider {
  readonly #client: Etcd3;
  readonly #domains: string[];
  readonly #prefix: string;
  readonly #logger: Logger;

  constructor(options: EtcdSkyDnsProviderOptions) {
    if (options.domains.length === 0)
      throw new ConfigError('at least one SkyDNS domain is required', { key: 'skydns-domain' });
    this.#client = options.client;
    this.#domains = options.domains.map(normalizeName);
    this.#prefix = (options.prefix ?? '/skydns').replace(/\/+$/, '');
    this.#logger = (options.logger ?? createNoopLogger()).child({ provider: 'etcd-skydns' });
  }

  /** The etcd directory of a name: `www.example.com.` → `/skydns/com/example/www`. Pure. */
  keyOf(name: string): string {
    return `${this.#prefix}/${normalizeName(name).slice(0, -1).split('.').reverse().join('/')}`;
  }

  /** See {@link DnsProvider.records}. Throws TransientError when etcd cannot be read. */
  async records(): Promise<Endpoint[]> {
    const groups = new Map<string, { name: string; type: string; entries: SkyDnsEntry[] }>();
    for (const domain of this.#domains) {
      let kvs;
      try {
        kvs = (
          await this.#client
            .getAll()
            .prefix(`${this.keyOf(domain)}/`)
            .exec()
        ).kvs;
      } catch (err) {
        throw new TransientError(`cannot read SkyDNS records of ${domain} from etcd`, { cause: err });
      }
      for (const kv of kvs) {
        const key = kv.key.toString('utf8');
        const segments = key.slice(this.#prefix.length + 1).split('/');
        const last = segments[segments.length - 1] ?? '';
        const nameSegments = RECORD_KEY.test(last) ? segments.slice(0, -1) : segments;
        const parsed = parseMessage(kv.value.toString('utf8'));
        if (parsed === undefined || nameSegments.length === 0) continue;
        const name = normalizeName([...nameSegments].reverse().join('.'));
        const id = `${name}|${parsed.type}`;
        const group = groups.get(id) ?? { name, type: parsed.type, entries: [] };
        groups.set(id, group);
        group.entries.push({ key, modRevision: kv.mod_revision, raw: kv.value.toString('utf8'), ...parsed });
      }
    }
    return [...groups.values()].map((g) => {
      // etcd returns keys in byte order (x1, x10, x2): x<i> gives the record's order.
      g.entries.sort((a, b) => recordIndex(a.key) - recordIndex(b.key) || a.key.localeCompare(b.key));
      const ttls = g.entries.map((e) => e.ttl).filter((t): t is number => t !== undefined);
      return {
        name: g.name,
        type: g.type,
        targets: g.entries.map((e) => e.value),
        ...(ttls.length === 0 ? {} : { ttl: Math.min(...ttls) }),
        providerRecord: g.entries.map((e) => e.key),
      };
    });
  }

  /** See {@link DnsProvider.applyChanges}. Each change is atomic on its own; changes run one after another. */
  async applyChanges(changes: Changes): Promise<ApplyResult> {
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    for (const change of changeList(changes)) {
      try {
        const reason = await this.#apply(change);
        if (reason === undefined) applied.push(change);
        else failed.push({ change, reason, retryable: false });
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        failed.push({ change, reason, retryable: true });
      }
    }
    if (failed.length > 0)
      this.#logger.warn('skydns changes failed', { applied: applied.length, failed: failed.length });
    return { applied, failed };
  }

  async #apply(change: Change): Promise<string | undefined> {
    const target = change.kind === 'update' ? change.to : change.endpoint;
    const name = normalizeName(target.name);
    if (!this.#domains.some((d) => name === d || name.endsWith(`.${d}`)))
      return `${name} is not in a served domain`;
    if (change.kind === 'update' && normalizeName(change.from.name) !== name)
      return 'an update cannot rename a record';
    const dir = this.keyOf(name);
    const kvs = (await this.#client.getAll().prefix(`${dir}/`).exec()).kvs;
    const entries: SkyDnsEntry[] = [];
    for (const kv of kvs) {
      const key = kv.key.toString('utf8');
      if (!RECORD_KEY.test(key.slice(dir.length + 1))) continue; // a deeper name, not ours to touch
      const raw = kv.value.toString('utf8');
      const parsed = parseMessage(raw);
      if (parsed !== undefined) entries.push({ key, modRevision: kv.mod_revision, raw, ...parsed });
    }
    entries.sort((a, b) => Number(a.key.slice(dir.length + 2)) - Number(b.key.slice(dir.length + 2)));
    const has = (type: string): boolean => entries.some((e) => e.type === type);
    const removed =
      change.kind === 'create'
        ? undefined
        : change.kind === 'update'
          ? change.from.type.toUpperCase()
          : change.endpoint.type.toUpperCase();
    const added = change.kind === 'delete' ? undefined : target;
    if (change.kind === 'create' && has(target.type.toUpperCase()))
      return `${endpointKey(target)} already exists`;
    if (removed !== undefined && !has(removed))
      return `${endpointKey({ name, type: removed })} does not exist`;

    const kept = entries
      .filter((e) => e.type !== removed && e.type !== added?.type.toUpperCase())
      .map((e) => e.raw);
    const wanted = [
      ...kept,
      ...(added === undefined
        ? []
        : [...new Set(added.targets)].map((v) => message(added.type.toUpperCase(), v, added.ttl))),
    ];
    const types = new Set([
      ...entries.filter((e) => e.type !== removed).map((e) => e.type),
      ...(added === undefined ? [] : [added.type.toUpperCase()]),
    ]);
    if (types.has('CNAME') && types.size > 1) return `a CNAME at ${name} conflicts with other records`;

    const existing = new Map(entries.map((e) => [e.key, e] as const));
    let txn = this.#client.if(`${dir}/x0`, 'Create', '==', 0); // a key never written: always true, only starts the chain
    for (const e of entries) txn = txn.and(e.key, 'Mod', '==', e.modRevision);
    const ops = [];
    for (let i = 0; i < wanted.length; i++) {
      const key = `${dir}/x${i + 1}`;
      const value = wanted[i] ?? '';
      const before = existing.get(key);
      if (before === undefined) txn = txn.and(key, 'Create', '==', 0);
      if (before?.raw !== value) ops.push(this.#client.put(key).value(value));
    }
    for (const e of entries) {
      if (Number(e.key.slice(dir.length + 2)) > wanted.length) ops.push(this.#client.delete().key(e.key));
    }
    if (ops.length === 0) return undefined;
    const result = await txn.then(...ops).commit();
    if (!result.succeeded) throw new TransientError(`the records of ${name} changed in etcd meanwhile`);
    return undefined;
  }
}

/** The i of a `.../x<i>` record key, or 0 for a key without one. */
function recordIndex(key: string): number {
  const m = /\/x(\d+)$/.exec(key);
  return m ? Number(m[1]) : 0;
}
