import type { Logger } from '@kube-edge/runtime';
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

interface IngressLike {
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
   */
  write(namespace: string, name: string, addresses: LoadBalancerIngress[]): Promise<IngressStatusResult>;
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
export function sameLoadBalancerIngress(a: LoadBalancerIngress[] | undefined, b: LoadBalancerIngress[] | undefined): boolean {
  return JSON.stringify(normaliseLoadBalancerIngress(a)) === JSON.stringify(normaliseLoadBalancerIngress(b));
}

/** Creates an {@link IngressStatusWriter}. */
export function createIngressStatusWriter(options: IngressStatusWriterOptions): IngressStatusWriter {
  const { client } = options;
  const resource = options.resource ?? INGRESSES;
  const maxRetries = options.maxConflictRetries ?? 5;
  const log = options.logger ?? createNoopLogger();
  return {
    async write(namespace, name, addresses) {
      const desired = normaliseLoadBalancerIngress(addresses);
      for (let attempt = 0; ; attempt++) {
        let ing: IngressLike;
        try {
          ing = await client.request<IngressLike>({ path: resourcePath(resource, namespace, name) });
        } catch (err) {
          if (statusCodeOf(err) === 404) return 'not-found';
          throw err;
        }
        if (sameLoadBalancerIngress(ing.status?.loadBalancer?.ingress, desired)) return 'unchanged';
        const body: IngressLike = {
          ...ing,
          status: { ...ing.status, loadBalancer: { ...ing.status?.loadBalancer, ingress: desired } },
        };
        try {
          await client.request({ method: 'PUT', path: resourcePath(resource, namespace, name, 'status'), body });
          log.info('ingress status updated', { namespace, name, addresses: desired.map((d) => d.ip ?? d.hostname) });
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
