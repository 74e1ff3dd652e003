import { createNoopLogger, type Logger } from '@kube-edge/runtime';
import {
  changeList,
  describeChange,
  type ApplyResult,
  type Changes,
  type DnsProvider,
  type Endpoint,
} from './endpoint.js';

/** Options of {@link DryRunProvider}. */
export interface DryRunProviderOptions {
  /** Where records come from. Default none: `records()` is empty, so every desired record is a create. */
  inner?: DnsProvider;
  /** Receives one info line per change (`dns change (dry run)`). Default a no-op logger. */
  logger?: Logger;
}

/**
 * Reads through `inner` and writes nothing: `applyChanges` logs each change and reports it as
 * applied (what kuberoute's `fakedns` backend and a `--dry-run` flag want). Stateless; safe to
 * call concurrently.
 */
export class DryRunProvider implements DnsProvider {
  readonly #inner: DnsProvider | undefined;
  readonly #logger: Logger;

  constructor(options: DryRunProviderOptions = {}) {
    this.#inner = options.inner;
    this.#logger = (options.logger ?? createNoopLogger()).child({ provider: 'dry-run' });
  }

  /** The inner provider's records, or none. */
  records(): Promise<Endpoint[]> {
    return this.#inner?.records() ?? Promise.resolve([]);
  }

  /** Logs every change at info, then reports all as applied. Never rejects; writes nothing. */
  applyChanges(changes: Changes): Promise<ApplyResult> {
    const all = changeList(changes);
    for (const change of all) {
      const e = change.kind === 'update' ? change.to : change.endpoint;
      this.#logger.info('dns change (dry run)', {
        action: change.kind,
        name: e.name,
        type: e.type,
        targets: e.targets,
        ttl: e.ttl,
        change: describeChange(change),
      });
    }
    return Promise.resolve({ applied: all, failed: [] });
  }
}
