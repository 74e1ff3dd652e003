import type { Logger, Updater } from '@kube-edge/runtime';
import { createNoopLogger } from '@kube-edge/runtime';
import type { KubeClient } from './kube-client.js';
import { statusCodeOf } from './kube-client.js';
import type { ResourceRef } from './resources.js';
import { INGRESSES, resourcePath } from './resources.js';

/** One entry of `status.loadBalancer.ingress`. */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: { port: number; protocol: string; error?: string }[];
}

/** An Ingress as far as the status writer cares (an informer's cached object works). */
export interface IngressLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
  [k: string]: unknown;
}

/** Options for {@link createIngressStatusWriter}. */
export interface IngressStatusWriterOptions {
  client: KubeClient;
  /** Attempts after a 409 Conflict before giving up. Default 5. */
  maxConflictRetries?: number;
  /** Default networking.k8s.io/v1 ingresses. */
  resource?: ResourceRef;
  /**
   * The list under `status.loadBalancer` that holds the addresses. Default `ingress`; Skipper's
   * RouteGroups (`zalando.org/v1`) keep the same entries under `routegroup`.
   */
  statusField?: string;
  logger?: Logger;
}

/** The outcome of one write. */
export type IngressStatusResult = 'updated' | 'unchanged' | 'not-found';

/** Writes Ingress load-balancer status. Safe to call concurrently for different Ingresses. */
export interface IngressStatusWriter {
  /**
   * Sets `status.loadBalancer.ingress` of one Ingress to `addresses` (order-insensitive). Reads the
   * Ingress first and writes (PUT on the status subresource) only when it differs; on 409 re-reads
   * and retries. Rejects on other API errors or when conflicts persist. Idempotent.
   * With `cached` (e.g. from an informer), the first comparison uses it and no GET is sent, so an
   * unchanged status costs no request at all; a stale cache only costs a 409 and a re-read.
   */
  write(
    namespace: string,
    name: string,
    addresses: LoadBalancerIngress[],
    cached?: IngressLike,
  ): Promise<IngressStatusResult>;
}

/** A canonical, order-insensitive form of a load-balancer ingress list. Pure. */
export function normaliseLoadBalancerIngress(list: LoadBalancerIngress[] | undefined): LoadBalancerIngress[] {
  return (list ?? [])
    .map((e) => ({
      ...(e.ip ? { ip: e.ip } : {}),
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.ports && e.ports.length > 0
        ? { ports: [...e.ports].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol)) }
        : {}),
    }))
    .sort((a, b) => `${a.ip ?? ''}|${a.hostname ?? ''}`.localeCompare(`${b.ip ?? ''}|${b.hostname ?? ''}`));
}

/** True when two lists name the same addresses, ignoring order. Pure. */
export function sameLoadBalancerIngress(
  a: LoadBalancerIngress[] | undefined,
  b: LoadBalancerIngress[] | undefined,
): boolean {
  return JSON.stringify(normaliseLoadBalancerIngress(a)) === JSON.stringify(normaliseLoadBalancerIngress(b));
}

/** Creates an {@link IngressStatusWriter}. */
export function createIngressStatusWriter(options: IngressStatusWriterOptions): IngressStatusWriter {
  const { client } = options;
  const resource = options.resource ?? INGRESSES;
  const field = options.statusField ?? 'ingress';
  const current = (o: IngressLike): LoadBalancerIngress[] | undefined =>
    (o.status?.loadBalancer as Record<string, LoadBalancerIngress[] | undefined> | undefined)?.[field];
  const maxRetries = options.maxConflictRetries ?? 5;
  const log = options.logger ?? createNoopLogger();
  return {
    async write(namespace, name, addresses, cached) {
      const desired = normaliseLoadBalancerIngress(addresses);
      for (let attempt = 0; ; attempt++) {
        let ing: IngressLike;
        if (attempt === 0 && cached !== undefined) {
          ing = cached;
        } else {
          try {
            ing = await client.request<IngressLike>({ path: resourcePath(resource, namespace, name) });
          } catch (err) {
            if (statusCodeOf(err) === 404) return 'not-found';
            throw err;
          }
        }
        if (sameLoadBalancerIngress(current(ing), desired)) return 'unchanged';
        const body: IngressLike = {
          ...ing,
          status: { ...ing.status, loadBalancer: { ...ing.status?.loadBalancer, [field]: desired } },
        };
        try {
          await client.request({
            method: 'PUT',
            path: resourcePath(resource, namespace, name, 'status'),
            body,
          });
          log.info('ingress status updated', {
            namespace,
            name,
            addresses: desired.map((d) => d.ip ?? d.hostname),
          });
          return 'updated';
        } catch (err) {
          const code = statusCodeOf(err);
          if (code === 404) return 'not-found';
          if (code !== 409 || attempt >= maxRetries) throw err;
          log.debug('ingress status conflict, retrying', { namespace, name, attempt });
        }
      }
    },
  };
}

/** The model of {@link createIngressStatusUpdater}: which Ingresses get which addresses. */
export interface IngressStatusModel {
  /** The Ingresses this controller owns (objects from a lister, so unchanged ones cost no request). */
  ingresses: IngressLike[];
  /** The addresses to publish on each of them. */
  addresses: LoadBalancerIngress[];
}

/** Options for {@link createIngressStatusUpdater}. */
export interface IngressStatusUpdaterOptions {
  writer: IngressStatusWriter;
  /** Only the leader writes shared state; non-leaders skip updates. Default: always true. */
  isLeader?: () => boolean;
  logger?: Logger;
}

/**
 * The status writer as a runtime `Updater` (last in a chain, after nginx and the frontends).
 * `update` writes every Ingress whose status differs, one at a time, and rejects with the first
 * error after trying all of them; `start`/`stop` touch nothing; never called concurrently (the
 * chain serialises). Health turns bad while the last update had failures.
 */
export function createIngressStatusUpdater(
  options: IngressStatusUpdaterOptions,
): Updater<IngressStatusModel> {
  const isLeader = options.isLeader ?? (() => true);
  const log = options.logger ?? createNoopLogger();
  let lastError: string | undefined;
  return {
    name: 'ingress-status',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    async update(model) {
      if (!isLeader()) return;
      let firstError: Error | undefined;
      let failed = 0;
      let updated = 0;
      for (const ing of model.ingresses) {
        const ns = ing.metadata?.namespace ?? '';
        const name = ing.metadata?.name ?? '';
        try {
          if ((await options.writer.write(ns, name, model.addresses, ing)) === 'updated') updated++;
        } catch (err) {
          failed++;
          firstError ??=
            err instanceof Error ? err : new Error('ingress status write failed', { cause: err });
          log.warn('cannot update ingress status', { namespace: ns, name, error: String(err) });
        }
      }
      if (updated > 0 || failed > 0)
        log.info('ingress status pass', { updated, failed, total: model.ingresses.length });
      lastError = failed > 0 ? `${failed} ingress status writes failed` : undefined;
      if (firstError !== undefined) throw firstError;
    },
    health: () => (lastError === undefined ? { ok: true } : { ok: false, message: lastError }),
    readiness: () => ({ ok: true }),
  };
}
