import {
  DescribeTagsCommand as DescribeClassicTagsCommand,
  paginateDescribeLoadBalancers as paginateClassicLoadBalancers,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigError, createNoopLogger, type Logger } from '@kube-edge/runtime';

/** Tag naming the frontend group a load balancer belongs to (`--elb-frontend-tag-value`). */
export const FRONTEND_TAG = 'sky.uk/KubernetesClusterFrontend';
/** Tag naming the ingress class a load balancer serves (`--ingress-class`). */
export const INGRESS_CLASS_TAG = 'sky.uk/KubernetesClusterIngressClass';

/** AWS pages at most this many load balancers or target groups per Describe call. */
const PAGE_SIZE = 400;
/** DescribeTags takes at most 20 names (classic) or ARNs (ELBv2) per call. */
const TAGS_BATCH = 20;

/** One load balancer a frontend attaches to, with what DNS and status writers need. */
export interface FrontendLoadBalancer {
  /** `classic` for a classic ELB, else the ELBv2 type (`network`, `application`, `gateway`). */
  kind: string;
  name: string;
  /** ELBv2 ARN; undefined for classic ELBs, which are addressed by name. */
  arn: string | undefined;
  /** `internal` or `internet-facing`. */
  scheme: string;
  /** The load balancer's DNS name, without a trailing dot. */
  dnsName: string;
  /** The Route 53 hosted zone of `dnsName`, for ALIAS records. */
  canonicalHostedZoneId: string;
}

/** Load balancers keyed by scheme: at most one per scheme. */
export type FrontendsByScheme = ReadonlyMap<string, FrontendLoadBalancer>;

/** Which tagged load balancers belong to us. */
export interface FrontendTagSelector {
  /** Value of {@link FRONTEND_TAG}. Required, non-empty. */
  frontendTagValue: string;
  /**
   * Value of {@link INGRESS_CLASS_TAG}. When undefined the class tag is not checked (feed-dns
   * mode); feed-ingress always passes its `--ingress-class`.
   */
  ingressClass?: string | undefined;
}

/** Options of the `find*Frontends` helpers. */
export interface FindFrontendsOptions extends FrontendTagSelector {
  /** Told (at warn) about a load balancer ignored because another of its scheme won. */
  logger?: Logger;
}

/** Throws ConfigError for an empty tag value: it would match nothing, or everything untagged. */
export function checkTagSelector(selector: FrontendTagSelector, key = 'frontend-tag-value'): void {
  if (selector.frontendTagValue.trim() === '') {
    throw new ConfigError('the frontend tag value must not be empty', { key });
  }
}

function matches(tags: ReadonlyMap<string, string>, selector: FrontendTagSelector): boolean {
  if (tags.get(FRONTEND_TAG) !== selector.frontendTagValue) return false;
  return selector.ingressClass === undefined || tags.get(INGRESS_CLASS_TAG) === selector.ingressClass;
}

/**
 * One load balancer per scheme. feed let the last one listed win; kube-edge picks the lowest
 * name so every replica and every restart chooses the same one, and names the ones it ignores.
 */
function onePerScheme(
  candidates: readonly FrontendLoadBalancer[],
  logger: Logger,
): Map<string, FrontendLoadBalancer> {
  const sorted = [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new Map<string, FrontendLoadBalancer>();
  for (const lb of sorted) {
    const kept = out.get(lb.scheme);
    if (kept === undefined) out.set(lb.scheme, lb);
    else
      logger.warn('ignoring tagged load balancer: another one of the same scheme was chosen', {
        scheme: lb.scheme,
        ignored: lb.name,
        chosen: kept.name,
      });
  }
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Finds the classic ELBs tagged for this frontend: DescribeLoadBalancers (paged), then
 * DescribeTags in batches of 20 names. Returns one per scheme (lowest name wins). Read-only;
 * safe to call concurrently; rejects with the SDK's error after the SDK's own retries.
 */
export async function findClassicElbFrontends(
  client: ElasticLoadBalancingClient,
  options: FindFrontendsOptions,
): Promise<FrontendsByScheme> {
  checkTagSelector(options);
  const all: FrontendLoadBalancer[] = [];
  // The SDK's paginator follows NextMarker; stopOnSameToken guards against a marker that repeats.
  for await (const out of paginateClassicLoadBalancers(
    { client, pageSize: PAGE_SIZE, stopOnSameToken: true },
    {},
  )) {
    for (const lb of out.LoadBalancerDescriptions ?? []) {
      if (lb.LoadBalancerName === undefined) continue;
      all.push({
        kind: 'classic',
        name: lb.LoadBalancerName,
        arn: undefined,
        scheme: lb.Scheme ?? '',
        dnsName: lb.DNSName ?? '',
        canonicalHostedZoneId: lb.CanonicalHostedZoneNameID ?? '',
      });
    }
  }
  const tagged: FrontendLoadBalancer[] = [];
  const byName = new Map(all.map((lb) => [lb.name, lb]));
  for (const batch of chunks([...byName.keys()], TAGS_BATCH)) {
    const out = await client.send(new DescribeClassicTagsCommand({ LoadBalancerNames: batch }));
    for (const desc of out.TagDescriptions ?? []) {
      const lb = desc.LoadBalancerName === undefined ? undefined : byName.get(desc.LoadBalancerName);
      const tags = new Map((desc.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      if (lb !== undefined && matches(tags, options)) tagged.push(lb);
    }
  }
  return onePerScheme(tagged, options.logger ?? createNoopLogger());
}

/** A tagged ELBv2 load balancer and every target group forwarding from it. */
export interface Elbv2FrontendWithTargetGroups {
  loadBalancer: FrontendLoadBalancer;
  targetGroups: TargetGroup[];
}

async function describeAllElbv2(client: ElasticLoadBalancingV2Client): Promise<FrontendLoadBalancer[]> {
  const all: FrontendLoadBalancer[] = [];
  for await (const out of paginateDescribeLoadBalancers(
    { client, pageSize: PAGE_SIZE, stopOnSameToken: true },
    {},
  )) {
    for (const lb of out.LoadBalancers ?? []) {
      if (lb.LoadBalancerArn === undefined) continue;
      all.push({
        kind: lb.Type ?? '',
        name: lb.LoadBalancerName ?? '',
        arn: lb.LoadBalancerArn,
        scheme: lb.Scheme ?? '',
        dnsName: lb.DNSName ?? '',
        canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
      });
    }
  }
  return all;
}

async function taggedElbv2(
  client: ElasticLoadBalancingV2Client,
  all: readonly FrontendLoadBalancer[],
  selector: FrontendTagSelector,
): Promise<FrontendLoadBalancer[]> {
  const byArn = new Map(all.map((lb) => [lb.arn ?? '', lb]));
  const tagged: FrontendLoadBalancer[] = [];
  for (const batch of chunks([...byArn.keys()], TAGS_BATCH)) {
    const out = await client.send(new DescribeTagsCommand({ ResourceArns: batch }));
    for (const desc of out.TagDescriptions ?? []) {
      const lb = byArn.get(desc.ResourceArn ?? '');
      const tags = new Map((desc.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      if (lb !== undefined && matches(tags, selector)) tagged.push(lb);
    }
  }
  return tagged;
}

/**
 * Finds the ELBv2 load balancers (NLB or ALB) tagged for this frontend: DescribeLoadBalancers
 * (paged), DescribeTags in batches of 20 ARNs. One per scheme (lowest name wins). Read-only;
 * safe to call concurrently.
 */
export async function findElbv2Frontends(
  client: ElasticLoadBalancingV2Client,
  options: FindFrontendsOptions,
): Promise<FrontendsByScheme> {
  checkTagSelector(options);
  const tagged = await taggedElbv2(client, await describeAllElbv2(client), options);
  return onePerScheme(tagged, options.logger ?? createNoopLogger());
}

/**
 * Like {@link findElbv2Frontends}, plus every target group of each chosen load balancer. All
 * target groups are listed once (paged) and grouped by load balancer ARN rather than asked
 * per load balancer, to keep the call count flat (feed #226). Read-only.
 */
export async function findElbv2FrontendsWithTargetGroups(
  client: ElasticLoadBalancingV2Client,
  options: FindFrontendsOptions,
): Promise<Map<string, Elbv2FrontendWithTargetGroups>> {
  checkTagSelector(options);
  const byLb = new Map<string, TargetGroup[]>();
  for await (const out of paginateDescribeTargetGroups(
    { client, pageSize: PAGE_SIZE, stopOnSameToken: true },
    {},
  )) {
    for (const tg of out.TargetGroups ?? []) {
      for (const lbArn of tg.LoadBalancerArns ?? []) {
        const list = byLb.get(lbArn) ?? [];
        list.push(tg);
        byLb.set(lbArn, list);
      }
    }
  }
  const chosen = onePerScheme(
    await taggedElbv2(client, await describeAllElbv2(client), options),
    options.logger ?? createNoopLogger(),
  );
  const out = new Map<string, Elbv2FrontendWithTargetGroups>();
  for (const [scheme, lb] of chosen)
    out.set(scheme, { loadBalancer: lb, targetGroups: byLb.get(lb.arn ?? '') ?? [] });
  return out;
}

/**
 * ELBv2 load balancers by name (feed-dns `-alb-names`): DescribeLoadBalancers(Names) in
 * batches of 20, keyed by scheme (lowest name wins). Rejects with LoadBalancerNotFoundException
 * when a name does not exist. Read-only.
 */
export async function findElbv2LoadBalancersByName(
  client: ElasticLoadBalancingV2Client,
  names: readonly string[],
  options: { logger?: Logger } = {},
): Promise<FrontendsByScheme> {
  const found: FrontendLoadBalancer[] = [];
  for (const batch of chunks([...new Set(names)], TAGS_BATCH)) {
    const out = await client.send(new DescribeLoadBalancersCommand({ Names: batch }));
    for (const lb of out.LoadBalancers ?? []) {
      found.push({
        kind: lb.Type ?? '',
        name: lb.LoadBalancerName ?? '',
        arn: lb.LoadBalancerArn,
        scheme: lb.Scheme ?? '',
        dnsName: lb.DNSName ?? '',
        canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
      });
    }
  }
  return onePerScheme(found, options.logger ?? createNoopLogger());
}
