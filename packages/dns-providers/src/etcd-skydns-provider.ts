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
  /**
   * Most compares and most operations in one transaction: etcd's `--max-txn-ops` (default 128).
   * Changes are packed into transactions up to it.
   */
  maxTxnOps?: number;
  /**
   * Default true: changes after a {@link EtcdSkyDnsProvider.records} call are planned on the keys
   * it read and packed into as few transactions as `maxTxnOps` allows. False: each change reads
   * its name's keys and commits alone (one range and one transaction per change; the benchmark's
   * "before").
   */
  batch?: boolean;
}

/** A record key as read, with the revision that guards its rewrite. */
interface ListedKey {
  key: string;
  raw: string;
  modRevision: string;
}

/** One change's transaction parts: the guards (key, target, revision) and the writes. */
interface PlannedChange {
  change: Change;
  compares: { key: string; target: 'Mod' | 'Create'; value: string | number }[];
  puts: { key: string; value: string }[];
  deletes: string[];
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
 * (one range per domain; no cache across passes).
 *
 * Changes applied right after `records()` (a DNS pass) are planned on the keys that listing read
 * and packed into transactions of up to `maxTxnOps` compares and operations, so a pass costs one
 * range per domain plus one transaction per 128 keys written, not a range and a transaction per
 * record. A packed transaction whose guards fail (someone wrote meanwhile) is redone change by
 * change on fresh reads, so each change still succeeds or fails on its own. A name with more than
 * one change, or outside the listing, is applied alone on a fresh read.
 */
export class EtcdSkyDnsProvider implements DnsProvider {
  readonly #client: Etcd3;
  readonly #domains: string[];
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #maxTxnOps: number;
  readonly #batch: boolean;
  /** Keys by name directory from the last `records()`, for the next `applyChanges` only. */
  #listing: { domains: readonly string[]; byDir: Map<string, ListedKey[]> } | undefined;

  constructor(options: EtcdSkyDnsProviderOptions) {
    if (options.domains.length === 0)
      throw new ConfigError('at least one SkyDNS domain is required', { key: 'skydns-domain' });
    this.#client = options.client;
    this.#domains = options.domains.map(normalizeName);
    this.#prefix = (options.prefix ?? '/skydns').replace(/\/+$/, '');
    this.#logger = (options.logger ?? createNoopLogger()).child({ provider: 'etcd-skydns' });
    const max = options.maxTxnOps ?? 128;
    if (!Number.isInteger(max) || max < 2)
      throw new ConfigError('maxTxnOps must be a whole number ≥ 2', { key: 'skydns-max-txn-ops' });
    this.#maxTxnOps = max;
    this.#batch = options.batch ?? true;
  }

  /** The etcd directory of a name: `www.example.com.` → `/skydns/com/example/www`. Pure. */
  keyOf(name: string): string {
    return skyDnsDirectory(this.#prefix, name);
  }

  /** See {@link DnsProvider.records}. Throws TransientError when etcd cannot be read. */
  async records(): Promise<Endpoint[]> {
    const entries: { name: string; entry: SkyDnsEntry }[] = [];
    const byDir = new Map<string, ListedKey[]>();
    this.#listing = undefined;
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
        const raw = kv.value.toString('utf8');
        const parsed = parseSkyDnsKey(this.#prefix, key, raw);
        if (parsed !== undefined) entries.push(parsed);
        const dir = key.slice(0, key.lastIndexOf('/'));
        const listed = byDir.get(dir) ?? [];
        listed.push({ key, raw, modRevision: kv.mod_revision });
        byDir.set(dir, listed);
      }
    }
    if (this.#batch) this.#listing = { domains: this.#domains, byDir };
    return skyDnsEndpoints(entries);
  }

  /**
   * See {@link DnsProvider.applyChanges}. Each change is atomic on its own. After `records()`,
   * changes are packed into transactions (see the class); otherwise, and for a name with several
   * changes, they run one after another, each on a fresh read.
   */
  async applyChanges(changes: Changes): Promise<ApplyResult> {
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    const listing = this.#listing;
    this.#listing = undefined;
    const all = changeList(changes);
    const perName = new Map<string, number>();
    for (const c of all) {
      const dir = this.#dirOf(c);
      perName.set(dir, (perName.get(dir) ?? 0) + 1);
    }
    const alone: Change[] = [];
    const planned: PlannedChange[] = [];
    for (const change of all) {
      const dir = this.#dirOf(change);
      const name = this.#nameOf(change);
      const listed =
        listing !== undefined && listing.domains.some((d) => name === d || name.endsWith(`.${d}`));
      if (!listed || (perName.get(dir) ?? 0) > 1) {
        alone.push(change);
        continue;
      }
      const p = this.#plan(change, dir, listing.byDir.get(dir) ?? []);
      if ('reason' in p) failed.push({ change, reason: p.reason, retryable: false });
      else if (p.puts.length + p.deletes.length === 0) applied.push(change);
      else planned.push(p);
    }
    for (const batch of this.#pack(planned)) {
      try {
        if (await this.#commit(batch)) applied.push(...batch.map((p) => p.change));
        else alone.push(...batch.map((p) => p.change)); // someone wrote meanwhile: redo each on a fresh read
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        for (const p of batch) failed.push({ change: p.change, reason, retryable: true });
      }
    }
    for (const change of alone) {
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

  #dirOf(change: Change): string {
    return this.keyOf(this.#nameOf(change));
  }

  /** What a change writes over the name's keys as read: guards and writes, or why it is refused. */
  #plan(change: Change, dir: string, keys: readonly ListedKey[]): PlannedChange | { reason: string } {
    const entries: (SkyDnsEntry & { modRevision: string })[] = [];
    for (const kv of keys) {
      // Keys of deeper names (…/www/deeper/x1) are not parsed: not ours to touch.
      const entry = parseSkyDnsEntry(dir, kv.key, kv.raw);
      if (entry !== undefined) entries.push({ ...entry, modRevision: kv.modRevision });
    }
    const next = skyDnsChangeValues(entries, change, this.#domains);
    if ('reason' in next) return next;
    const wanted = next.values;
    const existing = new Map(entries.map((e) => [e.key, e] as const));
    const p: PlannedChange = { change, compares: [], puts: [], deletes: [] };
    for (const e of entries) p.compares.push({ key: e.key, target: 'Mod', value: e.modRevision });
    for (let i = 0; i < wanted.length; i++) {
      const key = `${dir}/x${i + 1}`;
      const value = wanted[i] ?? '';
      const before = existing.get(key);
      if (before === undefined) p.compares.push({ key, target: 'Create', value: 0 });
      if (before?.raw !== value) p.puts.push({ key, value });
    }
    for (const e of entries) if (e.index > wanted.length) p.deletes.push(e.key);
    return p;
  }

  /** Planned changes in groups whose compares and operations each stay within `maxTxnOps`. */
  #pack(planned: readonly PlannedChange[]): PlannedChange[][] {
    const batches: PlannedChange[][] = [];
    let current: PlannedChange[] = [];
    let compares = 0;
    let ops = 0;
    for (const p of planned) {
      const c = p.compares.length;
      const o = p.puts.length + p.deletes.length;
      if (current.length > 0 && (compares + c > this.#maxTxnOps || ops + o > this.#maxTxnOps)) {
        batches.push(current);
        current = [];
        compares = 0;
        ops = 0;
      }
      current.push(p);
      compares += c;
      ops += o;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  /** Commits planned changes as one transaction; false when a guard failed (nothing written). */
  async #commit(batch: readonly PlannedChange[]): Promise<boolean> {
    const compares = batch.flatMap((p) => p.compares);
    const [first, ...rest] = compares;
    // A key never written (always true) starts the chain when there is no guard.
    let txn =
      first === undefined
        ? this.#client.if(`${this.#prefix}/x0`, 'Create', '==', 0)
        : this.#client.if(first.key, first.target, '==', first.value);
    for (const c of rest) txn = txn.and(c.key, c.target, '==', c.value);
    const ops = batch.flatMap((p) => [
      ...p.puts.map((w) => this.#client.put(w.key).value(w.value)),
      ...p.deletes.map((k) => this.#client.delete().key(k)),
    ]);
    const result = await txn.then(...ops).commit();
    return result.succeeded;
  }

  async #apply(change: Change): Promise<string | undefined> {
    const dir = this.#dirOf(change);
    const kvs = (await this.#client.getAll().prefix(`${dir}/`).exec()).kvs;
    const keys = kvs.map((kv) => ({
      key: kv.key.toString('utf8'),
      raw: kv.value.toString('utf8'),
      modRevision: kv.mod_revision,
    }));
    const p = this.#plan(change, dir, keys);
    if ('reason' in p) return p.reason;
    if (p.puts.length + p.deletes.length === 0) return undefined;
    if (!(await this.#commit([p])))
      throw new TransientError(`the records of ${this.#nameOf(change)} changed in etcd meanwhile`);
    return undefined;
  }

  #nameOf(change: Change): string {
    return normalizeName(change.kind === 'update' ? change.to.name : change.endpoint.name);
  }
}
