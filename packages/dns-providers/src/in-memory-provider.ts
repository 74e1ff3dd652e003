import {
  changeList,
  endpointKey,
  endpointsEqual,
  normalizeName,
  type ApplyResult,
  type Change,
  type Changes,
  type DnsProvider,
  type Endpoint,
  type FailedChange,
} from './endpoint.js';

/** Options of {@link InMemoryProvider}. */
export interface InMemoryProviderOptions {
  /** Records present at the start. Default none. */
  records?: readonly Endpoint[];
  /** Domains it serves; a change outside all of them fails. Default: any name. */
  domains?: readonly string[];
}

/**
 * A {@link DnsProvider} holding records in memory, with Route53's rules per change: creating an
 * existing record, deleting or updating a missing or different one, and a CNAME sharing its
 * name all fail that change only. Each change applies on its own (a type-changing update
 * atomically). For tests and for the offline `plan` mode. Synchronous inside; safe to call
 * concurrently.
 */
export class InMemoryProvider implements DnsProvider {
  readonly #records = new Map<string, Endpoint>();
  readonly #domains: string[] | undefined;
  #applyCalls = 0;

  constructor(options: InMemoryProviderOptions = {}) {
    this.#domains = options.domains?.map(normalizeName);
    for (const e of options.records ?? [])
      this.#records.set(endpointKey(e), { ...e, name: normalizeName(e.name) });
  }

  /** How many times {@link applyChanges} was called with at least one change. */
  get applyCalls(): number {
    return this.#applyCalls;
  }

  /** A copy of the records, names normalised, in insertion order. Never rejects. */
  records(): Promise<Endpoint[]> {
    return Promise.resolve([...this.#records.values()]);
  }

  /** See {@link DnsProvider.applyChanges}. */
  applyChanges(changes: Changes): Promise<ApplyResult> {
    const all = changeList(changes);
    if (all.length > 0) this.#applyCalls += 1;
    const applied: Change[] = [];
    const failed: FailedChange[] = [];
    for (const change of all) {
      const reason = this.#apply(change);
      if (reason === undefined) applied.push(change);
      else failed.push({ change, reason, retryable: false });
    }
    return Promise.resolve({ applied, failed });
  }

  #apply(change: Change): string | undefined {
    const next = new Map(this.#records);
    const remove = (e: Endpoint): string | undefined => {
      const key = endpointKey(e);
      const existing = next.get(key);
      if (existing === undefined) return `${key} does not exist`;
      if (!endpointsEqual(existing, e) || existing.ttl !== e.ttl)
        return `${key} differs from the record to delete`;
      next.delete(key);
      return undefined;
    };
    const add = (e: Endpoint, overwrite: boolean): string | undefined => {
      const name = normalizeName(e.name);
      if (this.#domains !== undefined && !this.#domains.some((d) => name === d || name.endsWith(`.${d}`)))
        return `${name} is not in a served domain`;
      const key = endpointKey(e);
      if (!overwrite && next.has(key)) return `${key} already exists`;
      next.set(key, { ...e, name, providerRecord: undefined });
      const atName = [...next.values()].filter((r) => r.name === name);
      if (atName.some((r) => r.type === 'CNAME') && atName.length > 1)
        return `a CNAME at ${name} conflicts with other records`;
      return undefined;
    };
    let reason: string | undefined;
    if (change.kind === 'create') reason = add(change.endpoint, false);
    else if (change.kind === 'delete') reason = remove(change.endpoint);
    else if (endpointKey(change.from) === endpointKey(change.to))
      reason = next.has(endpointKey(change.to))
        ? add(change.to, true)
        : `${endpointKey(change.to)} does not exist`;
    else reason = remove(change.from) ?? add(change.to, false);
    if (reason === undefined) {
      this.#records.clear();
      for (const [k, v] of next) this.#records.set(k, v);
    }
    return reason;
  }
}
