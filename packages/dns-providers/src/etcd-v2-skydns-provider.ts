import { ConfigError, createNoopLogger, errorMessage, TransientError, type Logger } from '@kube-edge/runtime';
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

/** Options of {@link EtcdV2SkyDnsProvider}. */
export interface EtcdV2SkyDnsProviderOptions {
  /** etcd's client URL, e.g. `http://127.0.0.1:2379` (etcd 3.4 serves the v2 API with `--enable-v2`). */
  url: string;
  /** Domains served; `records()` reads only below them and a change outside them fails. At least one. */
  domains: readonly string[];
  /** Key prefix. Default `/skydns`. */
  prefix?: string;
  /** HTTP client. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Default a no-op logger. */
  logger?: Logger;
}

interface V2Node {
  key: string;
  dir?: boolean;
  value?: string;
  nodes?: V2Node[];
}

/**
 * The SkyDNS layout of {@link EtcdSkyDnsProvider} (same keys, same values, same rules per change:
 * see `skydns-records.ts`) written through etcd's **v2** keys API, for legacy SkyDNS (kuberoute's
 * `[skydns] api = v2`). v2 has no multi-key transactions: a change is a sequence of PUTs and
 * DELETEs, so a concurrent writer of the same name can interleave (kuberoute is the only writer
 * of its names). `records()` reads etcd every time (no cache).
 */
export class EtcdV2SkyDnsProvider implements DnsProvider {
  readonly #url: string;
  readonly #prefix: string;
  readonly #domains: string[];
  readonly #fetch: typeof fetch;
  readonly #logger: Logger;

  constructor(options: EtcdV2SkyDnsProviderOptions) {
    if (options.domains.length === 0)
      throw new ConfigError('at least one SkyDNS domain is required', { key: 'skydns-domain' });
    this.#url = options.url.replace(/\/+$/, '');
    this.#prefix = (options.prefix ?? '/skydns').replace(/\/+$/, '');
    this.#domains = options.domains.map(normalizeName);
    this.#fetch = options.fetch ?? fetch;
    this.#logger = (options.logger ?? createNoopLogger()).child({ provider: 'etcd-v2-skydns' });
  }

  /** The etcd directory of a name: `www.example.com.` → `/skydns/com/example/www`. Pure. */
  keyOf(name: string): string {
    return skyDnsDirectory(this.#prefix, name);
  }

  async #get(dir: string, recursive: boolean): Promise<V2Node | undefined> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#url}/v2/keys${dir}${recursive ? '?recursive=true' : ''}`);
    } catch (err) {
      throw new TransientError(`cannot read ${dir} from etcd v2`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new TransientError(`etcd v2 answered ${res.status} for ${dir}`);
    return ((await res.json()) as { node?: V2Node }).node;
  }

  async #write(method: 'PUT' | 'DELETE', key: string, value?: string): Promise<void> {
    const res = await this.#fetch(`${this.#url}/v2/keys${key}`, {
      method,
      ...(value === undefined
        ? {}
        : {
            body: new URLSearchParams({ value }).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
    });
    if (!res.ok && !(method === 'DELETE' && res.status === 404))
      throw new TransientError(`etcd v2 ${method} ${key} answered ${res.status}`);
  }

  /** See {@link DnsProvider.records}. Throws TransientError when etcd cannot be read. */
  async records(): Promise<Endpoint[]> {
    const entries: { name: string; entry: SkyDnsEntry }[] = [];
    const walk = (n: V2Node): void => {
      if (n.dir === true) for (const c of n.nodes ?? []) walk(c);
      else {
        const parsed = parseSkyDnsKey(this.#prefix, n.key, n.value ?? '');
        if (parsed !== undefined) entries.push(parsed);
      }
    };
    for (const domain of this.#domains) {
      const root = await this.#get(this.keyOf(domain), true);
      if (root !== undefined) walk(root);
    }
    return skyDnsEndpoints(entries);
  }

  /** See {@link DnsProvider.applyChanges}. Changes run one after another; a change is not atomic (see the class). */
  async applyChanges(changes: Changes): Promise<ApplyResult> {
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    for (const change of changeList(changes)) {
      try {
        const reason = await this.#apply(change);
        if (reason === undefined) applied.push(change);
        else failed.push({ change, reason, retryable: false });
      } catch (err) {
        failed.push({ change, reason: errorMessage(err), retryable: true });
      }
    }
    if (failed.length > 0)
      this.#logger.warn('skydns changes failed', { applied: applied.length, failed: failed.length });
    return { applied, failed };
  }

  async #apply(change: Change): Promise<string | undefined> {
    const target = change.kind === 'update' ? change.to : change.endpoint;
    const dir = this.keyOf(target.name);
    const node = await this.#get(dir, false);
    const entries = (node?.nodes ?? [])
      .filter((n) => n.dir !== true)
      .map((n) => parseSkyDnsEntry(dir, n.key, n.value ?? ''))
      .filter((e): e is SkyDnsEntry => e !== undefined);
    const next = skyDnsChangeValues(entries, change, this.#domains);
    if ('reason' in next) return next.reason;
    const byIndex = new Map(entries.map((e) => [e.index, e] as const));
    for (let i = 0; i < next.values.length; i++) {
      if (byIndex.get(i + 1)?.raw !== next.values[i])
        await this.#write('PUT', `${dir}/x${i + 1}`, next.values[i]);
    }
    for (const e of entries) if (e.index > next.values.length) await this.#write('DELETE', e.key);
    return undefined;
  }
}
