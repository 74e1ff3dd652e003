import { ConfigError, createNoopLogger, TransientError, type Logger } from '@kube-edge/runtime';
import type { Etcd3 } from 'etcd3';
import {
  changeList,
  normalizeName,
  type ApplyResult,
  type Change,
  type Changes,
  type DnsProvider,
  type Endpoint,
  type FailedChange,
} from './endpoint.js';
import {
  parseSkyDnsEntry,
  parseSkyDnsKey,
  skyDnsChangeValues,
  skyDnsDirectory,
  skyDnsEndpoints,
  type SkyDnsEntry,
} from './skydns-records.js';

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

/**
 * SkyDNS/CoreDNS records in etcd (kuberoute's `skydns` backend) as a
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
    return skyDnsDirectory(this.#prefix, name);
  }

  /** See {@link DnsProvider.records}. Throws TransientError when etcd cannot be read. */
  async records(): Promise<Endpoint[]> {
    const entries: { name: string; entry: SkyDnsEntry }[] = [];
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
        const parsed = parseSkyDnsKey(this.#prefix, kv.key.toString('utf8'), kv.value.toString('utf8'));
        if (parsed !== undefined) entries.push(parsed);
      }
    }
    return skyDnsEndpoints(entries);
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
    const dir = this.keyOf(name);
    const kvs = (await this.#client.getAll().prefix(`${dir}/`).exec()).kvs;
    const entries: (SkyDnsEntry & { modRevision: string })[] = [];
    for (const kv of kvs) {
      // Keys of deeper names (…/www/deeper/x1) are not parsed: not ours to touch.
      const entry = parseSkyDnsEntry(dir, kv.key.toString('utf8'), kv.value.toString('utf8'));
      if (entry !== undefined) entries.push({ ...entry, modRevision: kv.mod_revision });
    }
    const next = skyDnsChangeValues(entries, change, this.#domains);
    if ('reason' in next) return next.reason;
    const wanted = next.values;

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
    for (const e of entries) if (e.index > wanted.length) ops.push(this.#client.delete().key(e.key));
    if (ops.length === 0) return undefined;
    const result = await txn.then(...ops).commit();
    if (!result.succeeded) throw new TransientError(`the records of ${name} changed in etcd meanwhile`);
    return undefined;
  }
}
