import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  findClassicElbFrontends,
  findElbv2Frontends,
  findElbv2LoadBalancersByName,
  type FrontendsByScheme,
} from '@kube-edge/aws-frontends';
import { ConfigError, createNoopLogger, type Logger } from '@kube-edge/runtime';
import type { FrontendSource } from './config.js';
import type { Frontend, Frontends } from './model/desired.js';

/** The AWS clients discovery may need; only the one for the configured source is used. */
export interface DiscoveryClients {
  elb?: ElasticLoadBalancingClient | undefined;
  elbv2?: ElasticLoadBalancingV2Client | undefined;
}

function aliasFrontends(found: FrontendsByScheme, logger: Logger): Map<string, Frontend> {
  const out = new Map<string, Frontend>();
  for (const [scheme, lb] of found) {
    if (lb.dnsName === '' || lb.canonicalHostedZoneId === '') {
      logger.warn('ignoring load balancer without DNS name or canonical hosted zone', {
        name: lb.name,
        scheme,
      });
      continue;
    }
    out.set(scheme, {
      kind: 'alias',
      name: lb.name,
      dnsName: lb.dnsName.replace(/\.$/, ''),
      hostedZoneId: lb.canonicalHostedZoneId,
    });
  }
  return out;
}

/**
 * Finds what each scheme's records point at: classic ELBs by the
 * `sky.uk/KubernetesClusterFrontend` tag (no class tag, as feed-dns), ELBv2 load balancers by the
 * same tag or by name, or the static hostnames. One per scheme; read-only; rejects with the
 * SDK's error after its retries, or ConfigError when the needed client is missing.
 */
export async function discoverFrontends(
  source: FrontendSource,
  clients: DiscoveryClients,
  logger: Logger = createNoopLogger(),
): Promise<Frontends> {
  switch (source.kind) {
    case 'static': {
      const out = new Map<string, Frontend>();
      if (source.internal !== undefined) out.set('internal', { kind: 'cname', hostname: source.internal });
      if (source.external !== undefined)
        out.set('internet-facing', { kind: 'cname', hostname: source.external });
      return out;
    }
    case 'elb-tags': {
      if (clients.elb === undefined)
        throw new ConfigError('no classic ELB client', { key: '--elb-label-value' });
      const found = await findClassicElbFrontends(clients.elb, {
        frontendTagValue: source.frontendTagValue,
        logger,
      });
      return aliasFrontends(found, logger);
    }
    case 'nlb-tags': {
      if (clients.elbv2 === undefined) throw new ConfigError('no ELBv2 client', { key: '--nlb-label-value' });
      const found = await findElbv2Frontends(clients.elbv2, {
        frontendTagValue: source.frontendTagValue,
        logger,
      });
      return aliasFrontends(found, logger);
    }
    case 'alb-names': {
      if (clients.elbv2 === undefined) throw new ConfigError('no ELBv2 client', { key: '--alb-names' });
      const found = await findElbv2LoadBalancersByName(clients.elbv2, source.names, { logger });
      return aliasFrontends(found, logger);
    }
  }
}

/** Frontends as log metadata: `{ internal: 'name (dns)', ... }`. Pure. */
export function describeFrontends(frontends: Frontends): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [scheme, f] of frontends)
    out[scheme] = f.kind === 'alias' ? `${f.name} (${f.dnsName})` : f.hostname;
  return out;
}
