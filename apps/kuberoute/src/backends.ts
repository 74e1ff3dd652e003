import type { Route53Client } from '@aws-sdk/client-route-53';
import {
  DryRunProvider,
  EtcdSkyDnsProvider,
  EtcdV2SkyDnsProvider,
  Route53Provider,
  changeList,
  type ApplyResult,
  type Changes,
  type DnsProvider,
  type Endpoint,
} from '@kube-edge/dns-providers';
import { type Logger } from '@kube-edge/runtime';
import type { Etcd3 } from 'etcd3';

/** One DNS client per domain (records are grouped by domain, each written through its own client), created on first use and kept. */
export interface DnsBackend {
  /** The backend's name as in `dns_backend`. */
  readonly kind: 'route53' | 'skydns' | 'fakedns';
  /** The provider of a domain. Cheap after the first call for that domain; never does I/O itself. */
  provider(domain: string): DnsProvider;
  /** Releases clients (etcd connections). Idempotent. */
  close(): Promise<void>;
}

function memo(make: (domain: string) => DnsProvider): (domain: string) => DnsProvider {
  const providers = new Map<string, DnsProvider>();
  return (domain) => {
    let p = providers.get(domain);
    if (p === undefined) {
      p = make(domain);
      providers.set(domain, p);
    }
    return p;
  };
}

/**
 * Route53: the hosted zone whose name is exactly the domain. A missing zone
 * surfaces as a ConfigError from the provider's `records()`, which the reconcile reports per
 * domain. The provider caches the zone's records (`resyncPeriodMs`), so an unchanged pass makes
 * no Route53 call.
 */
export function createRoute53Backend(options: {
  client: Route53Client;
  logger: Logger;
  resyncPeriodMs?: number;
}): DnsBackend {
  const provider = memo(
    (domain) =>
      new Route53Provider({
        client: options.client,
        zones: [domain],
        logger: options.logger,
        defaultTtl: 60,
        ...(options.resyncPeriodMs === undefined ? {} : { resyncPeriodMs: options.resyncPeriodMs }),
      }),
  );
  return { kind: 'route53', provider, close: () => Promise.resolve() };
}

/** SkyDNS/CoreDNS keys in etcd v3, through dns-providers' EtcdSkyDnsProvider. */
export function createSkyDnsBackend(options: { client: Etcd3; prefix: string; logger: Logger }): DnsBackend {
  let closed = false;
  const provider = memo(
    (domain) =>
      new EtcdSkyDnsProvider({
        client: options.client,
        domains: [domain],
        prefix: options.prefix,
        logger: options.logger,
      }),
  );
  return {
    kind: 'skydns',
    provider,
    close: () => {
      if (!closed) {
        closed = true;
        options.client.close();
      }
      return Promise.resolve();
    },
  };
}

/**
 * `[skydns] api = v2`: the same layout through etcd's v2 keys API (legacy SkyDNS), through
 * dns-providers' EtcdV2SkyDnsProvider, one per domain.
 */
export function createEtcdV2SkyDnsBackend(options: {
  url: string;
  prefix: string;
  logger: Logger;
  fetch?: typeof fetch;
}): DnsBackend {
  const provider = memo(
    (domain) =>
      new EtcdV2SkyDnsProvider({
        url: options.url,
        prefix: options.prefix,
        domains: [domain],
        logger: options.logger,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      }),
  );
  return { kind: 'skydns', provider, close: () => Promise.resolve() };
}

/** The original fakedns line: `Update dns record (name, values, ttl, record_type)`. Pure. */
export function fakeDnsLine(
  name: string,
  values: readonly string[] | undefined,
  ttl: number,
  type: string,
): string {
  const shown = values === undefined ? 'None' : `[${values.map((v) => `'${v}'`).join(', ')}]`;
  return `Update dns record (${name}, ${shown}, ${ttl}, ${type})`;
}

/**
 * fakedns: prints the original's line per change to `print` and logs
 * through dns-providers' DryRunProvider; writes nothing, and since it remembers nothing every
 * pass prints every record again, as the original did.
 */
export function createFakeDnsBackend(options: { print: (line: string) => void; logger: Logger }): DnsBackend {
  const provider = memo(() => {
    const dry = new DryRunProvider({ logger: options.logger });
    const wrapped: DnsProvider = {
      records: () => dry.records(),
      applyChanges: async (changes: Changes): Promise<ApplyResult> => {
        for (const c of changeList(changes)) {
          const e: Endpoint = c.kind === 'update' ? c.to : c.endpoint;
          const name = e.name.replace(/\.$/, '');
          options.print(fakeDnsLine(name, c.kind === 'delete' ? undefined : e.targets, e.ttl ?? 60, e.type));
        }
        return dry.applyChanges(changes);
      },
    };
    return wrapped;
  });
  return { kind: 'fakedns', provider, close: () => Promise.resolve() };
}
