import { isIP } from 'node:net';
import {
  changeList,
  normalizeName,
  type ApplyResult,
  type Change,
  type Changes,
  type DnsProvider,
  type Endpoint,
  type FailedChange,
} from '@kube-edge/dns-providers';
import { TransientError, type Logger } from '@kube-edge/runtime';
import type { DnsBackend } from './backends.js';

interface V2Node {
  key: string;
  dir?: boolean;
  value?: string;
  nodes?: V2Node[];
}

interface Entry {
  key: string;
  index: number;
  type: string;
  value: string;
  ttl: number | undefined;
  raw: string;
}

const RECORD = /^x(\d+)$/;

function parse(key: string, raw: string): Entry | undefined {
  const m = RECORD.exec(key.slice(key.lastIndexOf('/') + 1));
  if (m === null) return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const { host, ttl } = msg as { host?: unknown; ttl?: unknown };
  if (typeof host !== 'string' || host === '') return undefined;
  const family = isIP(host);
  return {
    key,
    index: Number(m[1]),
    type: family === 4 ? 'A' : family === 6 ? 'AAAA' : 'CNAME',
    value: host,
    ttl: typeof ttl === 'number' ? ttl : undefined,
    raw,
  };
}

/**
 * The same SkyDNS layout as dns-providers' EtcdSkyDnsProvider (`<prefix>/<reversed labels>/x<i>`,
 * `{"host", "ttl"}`, stale keys deleted), written through etcd's **v2** keys API for legacy
 * SkyDNS (`[skydns] api = v2`; etcd 3.4 serves it with `--enable-v2`). v2 has no multi-key
 * transactions: a change is a sequence of PUTs and DELETEs, so a concurrent writer can
 * interleave (kuberoute is the only writer of its names).
 */
export class EtcdV2SkyDnsProvider implements DnsProvider {
  readonly #url: string;
  readonly #prefix: string;
  readonly #domain: string;
  readonly #fetch: typeof fetch;

  constructor(options: { url: string; prefix: string; domain: string; fetch?: typeof fetch }) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#prefix = options.prefix.replace(/\/+$/, '');
    this.#domain = normalizeName(options.domain);
    this.#fetch = options.fetch ?? fetch;
  }

  /** `www.example.com` → `/skydns/com/example/www`. Pure. */
  keyOf(name: string): string {
    return `${this.#prefix}/${normalizeName(name).slice(0, -1).split('.').reverse().join('/')}`;
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
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
      throw new TransientError(`etcd v2 ${method} ${key} answered ${res.status}`);
    }
  }

  /** See DnsProvider.records: every x<i> record below the domain, grouped by name and type. */
  async records(): Promise<Endpoint[]> {
    const root = await this.#get(this.keyOf(this.#domain), true);
    const groups = new Map<string, { name: string; type: string; entries: Entry[] }>();
    const walk = (n: V2Node): void => {
      if (n.dir === true) {
        for (const c of n.nodes ?? []) walk(c);
        return;
      }
      const e = parse(n.key, n.value ?? '');
      if (e === undefined) return;
      const dir = n.key.slice(0, n.key.lastIndexOf('/'));
      const name = normalizeName(
        dir
          .slice(this.#prefix.length + 1)
          .split('/')
          .reverse()
          .join('.'),
      );
      const id = `${name}|${e.type}`;
      const g = groups.get(id) ?? { name, type: e.type, entries: [] };
      g.entries.push(e);
      groups.set(id, g);
    };
    if (root !== undefined) walk(root);
    return [...groups.values()].map((g) => {
      const ttls = g.entries.map((e) => e.ttl).filter((t): t is number => t !== undefined);
      return {
        name: g.name,
        type: g.type,
        // etcd v2 lists a directory in no fixed order: x1, x2, … give the record's order.
        targets: g.entries
          .sort((a, b) => a.index - b.index || a.key.localeCompare(b.key))
          .map((e) => e.value),
        ...(ttls.length === 0 ? {} : { ttl: Math.min(...ttls) }),
      };
    });
  }

  /** See DnsProvider.applyChanges. Changes run one after another. */
  async applyChanges(changes: Changes): Promise<ApplyResult> {
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    for (const change of changeList(changes)) {
      try {
        await this.#apply(change);
        applied.push(change);
      } catch (err) {
        failed.push({ change, reason: err instanceof Error ? err.message : String(err), retryable: true });
      }
    }
    return { applied, failed };
  }

  async #apply(change: Change): Promise<void> {
    const target = change.kind === 'update' ? change.to : change.endpoint;
    const dir = this.keyOf(target.name);
    const node = await this.#get(dir, false);
    const entries = (node?.nodes ?? [])
      .filter((n) => n.dir !== true)
      .map((n) => parse(n.key, n.value ?? ''))
      .filter((e): e is Entry => e !== undefined)
      .sort((a, b) => a.index - b.index);
    const removed =
      change.kind === 'create'
        ? undefined
        : (change.kind === 'update' ? change.from : change.endpoint).type.toUpperCase();
    const added = change.kind === 'delete' ? undefined : target;
    const wanted = [
      ...entries.filter((e) => e.type !== removed && e.type !== added?.type.toUpperCase()).map((e) => e.raw),
      ...(added === undefined
        ? []
        : [...new Set(added.targets)].map((v) =>
            JSON.stringify({
              host: added.type.toUpperCase() === 'CNAME' ? v.replace(/\.$/, '') : v,
              ...(added.ttl === undefined ? {} : { ttl: added.ttl }),
            }),
          )),
    ];
    const byIndex = new Map(entries.map((e) => [e.index, e] as const));
    for (let i = 0; i < wanted.length; i++) {
      if (byIndex.get(i + 1)?.raw !== wanted[i]) await this.#write('PUT', `${dir}/x${i + 1}`, wanted[i]);
    }
    for (const e of entries) if (e.index > wanted.length) await this.#write('DELETE', e.key);
  }
}

/** `[skydns] api = v2`: one {@link EtcdV2SkyDnsProvider} per domain. */
export function createEtcdV2SkyDnsBackend(options: {
  url: string;
  prefix: string;
  logger: Logger;
  fetch?: typeof fetch;
}): DnsBackend {
  const providers = new Map<string, DnsProvider>();
  return {
    kind: 'skydns',
    provider(domain) {
      let p = providers.get(domain);
      if (p === undefined) {
        p = new EtcdV2SkyDnsProvider({
          url: options.url,
          prefix: options.prefix,
          domain,
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        });
        providers.set(domain, p);
      }
      return p;
    },
    close: () => Promise.resolve(),
  };
}
