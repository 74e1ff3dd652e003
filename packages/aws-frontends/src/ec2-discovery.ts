import {
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  type EC2Client,
  type Filter,
  type RouteTable,
  type Subnet,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  ConfigError,
  TerminalError,
  TransientError,
  createNoopLogger,
  errorMessage,
  type Logger,
} from '@kube-edge/runtime';
import type { InstanceIdentitySource } from './instance-metadata.js';

/** Tag key prefix of the cluster tag `kubernetes.io/cluster/<cluster id>`. */
export const CLUSTER_TAG_PREFIX = 'kubernetes.io/cluster/';
/** Value of the cluster tag on resources the cluster owns. */
export const CLUSTER_OWNED = 'owned';
/** Legacy tag holding the cluster id, read when no `owned` cluster tag is present. */
export const LEGACY_CLUSTER_TAG = 'KubernetesCluster';
/** Tag naming the controller that owns a stack, load balancer, target group or security group. */
export const APPLICATION_TAG = 'kubernetes:application';
/** The original's controller id, the default of `--controller-id`. */
export const DEFAULT_CONTROLLER_ID = 'kube-ingress-aws-controller';
/** Cluster id used when an instance carries no cluster tag. */
export const UNKNOWN_CLUSTER_ID = 'unknown-cluster';
/** Role tag preferring a subnet for internet-facing load balancers. */
export const PUBLIC_ELB_ROLE_TAG = 'kubernetes.io/role/elb';
/** Role tag preferring a subnet for internal load balancers. */
export const INTERNAL_ELB_ROLE_TAG = 'kubernetes.io/role/internal-elb';
/** Tag EC2 Auto Scaling puts on its instances. */
export const ASG_NAME_TAG = 'aws:autoscaling:groupName';

/** The tag key of the cluster tag for `clusterId`. */
export function clusterTag(clusterId: string): string {
  return CLUSTER_TAG_PREFIX + clusterId;
}

/** One EC2 filter (`Name`, `Values`) of DescribeInstances. */
export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** The instance filters without `CUSTOM_FILTERS`: `tag:kubernetes.io/cluster/<id>=owned tag-key=k8s.io/role/node`. */
export function defaultInstanceFilters(clusterId: string): Ec2Filter[] {
  return [
    { name: `tag:${clusterTag(clusterId)}`, values: [CLUSTER_OWNED] },
    { name: 'tag-key', values: ['k8s.io/role/node'] },
  ];
}

/**
 * Parses `CUSTOM_FILTERS`: whitespace-separated terms `name=v1,v2` (EC2 filter syntax, e.g.
 * `tag:kubernetes.io/cluster/prod=owned tag-key=k8s.io/role/node`). Unset or blank: the
 * {@link defaultInstanceFilters}. A term without exactly one `=`, with an empty name, or with an
 * empty value throws ConfigError (key `CUSTOM_FILTERS`) naming the term — the original silently
 * fell back to the defaults, which can widen the instance set.
 */
export function parseCustomFilters(text: string | undefined, clusterId: string): Ec2Filter[] {
  if (text === undefined || text.trim() === '') return defaultInstanceFilters(clusterId);
  const filters: Ec2Filter[] = [];
  for (const term of text.trim().split(/\s+/)) {
    const parts = term.split('=');
    const name = parts[0] ?? '';
    const values = (parts[1] ?? '').split(',');
    if (parts.length !== 2 || name === '' || values.some((v) => v === '')) {
      throw new ConfigError(
        `CUSTOM_FILTERS: bad filter "${term}": expected name=value[,value...] (terms separated by spaces)`,
        { key: 'CUSTOM_FILTERS' },
      );
    }
    filters.push({ name, values });
  }
  return filters;
}

/** SDK form of filters. */
export function toSdkFilters(filters: readonly Ec2Filter[]): Filter[] {
  return filters.map((f) => ({ Name: f.name, Values: [...f.values] }));
}

/** Tags as a record. */
export function tagRecord(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** What {@link clusterIdFromTags} found. */
export interface ClusterIdFromTags {
  clusterId: string;
  /** Every id with an `owned` cluster tag, when there is more than one (the caller warns). */
  ambiguous: string[];
}

/**
 * The cluster id of an instance: the id of a `kubernetes.io/cluster/<id>=owned` tag (with several,
 * the lowest, reported in `ambiguous`), else the `KubernetesCluster` tag, else `unknown-cluster`.
 */
export function clusterIdFromTags(tags: Readonly<Record<string, string>>): ClusterIdFromTags {
  const owned = Object.entries(tags)
    .filter(([k, v]) => k.startsWith(CLUSTER_TAG_PREFIX) && v === CLUSTER_OWNED)
    .map(([k]) => k.slice(CLUSTER_TAG_PREFIX.length))
    .filter((id) => id !== '')
    .sort();
  const first = owned[0];
  if (first !== undefined) return { clusterId: first, ambiguous: owned.length > 1 ? owned : [] };
  const legacy = tags[LEGACY_CLUSTER_TAG];
  return { clusterId: legacy !== undefined && legacy !== '' ? legacy : UNKNOWN_CLUSTER_ID, ambiguous: [] };
}

/** A subnet as load-balancer placement sees it. */
export interface SubnetInfo {
  readonly id: string;
  readonly availabilityZone: string;
  /** Its route table (explicit association, else the VPC's main table) routes to an `igw-…`. */
  readonly public: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** What {@link classifySubnets} returns. */
export interface ClassifiedSubnets {
  subnets: SubnetInfo[];
  /** No subnet carried the cluster tag, so every subnet of the VPC is used (the caller warns). */
  untagged: boolean;
}

/**
 * Pure: the subnets to place load balancers in. If any subnet carries the cluster tag key
 * `kubernetes.io/cluster/<id>` (any value), only those; otherwise all. A subnet is public when
 * its route table has a route whose gateway id starts with `igw`; the table is the one explicitly
 * associated with the subnet, else the VPC's main table. Throws TerminalError for a subnet
 * without any route table and when no subnet is left. Sorted by id.
 */
export function classifySubnets(
  subnets: readonly Subnet[],
  routeTables: readonly RouteTable[],
  clusterId: string,
): ClassifiedSubnets {
  const key = clusterTag(clusterId);
  const tagged = subnets.filter((s) => (s.Tags ?? []).some((t: Tag) => t.Key === key));
  const chosen = tagged.length > 0 ? tagged : subnets;
  const explicit = new Map<string, RouteTable>();
  let main: RouteTable | undefined;
  for (const rt of routeTables) {
    for (const a of rt.Associations ?? []) {
      if (a.Main === true) main = rt;
      if (a.SubnetId !== undefined) explicit.set(a.SubnetId, rt);
    }
  }
  const out: SubnetInfo[] = [];
  for (const s of chosen) {
    if (s.SubnetId === undefined) continue;
    const rt = explicit.get(s.SubnetId) ?? main;
    if (rt === undefined) throw new TerminalError(`subnet ${s.SubnetId} has no route table`);
    out.push({
      id: s.SubnetId,
      availabilityZone: s.AvailabilityZone ?? '',
      public: (rt.Routes ?? []).some((r) => r.GatewayId?.startsWith('igw') === true),
      tags: tagRecord(s.Tags),
    });
  }
  if (out.length === 0) throw new TerminalError('no subnets found for the load balancers');
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { subnets: out, untagged: tagged.length === 0 };
}

/**
 * Pure: one subnet per availability zone for a load balancer of `scheme`. `internet-facing` uses
 * public subnets only; `internal` may use any. In each zone the subnet carrying the role tag
 * (`kubernetes.io/role/elb`, or `kubernetes.io/role/internal-elb` for internal) wins; a tie goes
 * to the lowest subnet id. Result sorted by id (stable parameters, no spurious stack updates).
 */
export function selectLoadBalancerSubnets(subnets: readonly SubnetInfo[], scheme: string): string[] {
  const internal = scheme === 'internal';
  const role = internal ? INTERNAL_ELB_ROLE_TAG : PUBLIC_ELB_ROLE_TAG;
  const perZone = new Map<string, SubnetInfo>();
  const better = (a: SubnetInfo, b: SubnetInfo): boolean => {
    const ar = role in a.tags;
    const br = role in b.tags;
    if (ar !== br) return ar;
    return a.id < b.id;
  };
  for (const s of subnets) {
    if (!internal && !s.public) continue;
    const cur = perZone.get(s.availabilityZone);
    if (cur === undefined || better(s, cur)) perZone.set(s.availabilityZone, s);
  }
  return [...perZone.values()].map((s) => s.id).sort();
}

/** Options of {@link discoverCluster}. */
export interface DiscoverClusterOptions {
  ec2: EC2Client;
  /** Where this instance's id comes from when `clusterId` or `vpcId` is missing (IMDS). */
  identity?: InstanceIdentitySource | undefined;
  /** `--cluster-id`; with `vpcId`, no instance metadata is read. */
  clusterId?: string | undefined;
  /** `--vpc-id`. */
  vpcId?: string | undefined;
  /** `--controller-id`, matched against the security group's `kubernetes:application` tag. */
  controllerId: string;
  /** A fixed security group id; skips the lookup by tags. */
  securityGroupId?: string | undefined;
  logger?: Logger | undefined;
}

/** Facts about the cluster's network the load balancers need. */
export interface ClusterInfo {
  /** This instance, when instance metadata was read. */
  instanceId: string | undefined;
  clusterId: string;
  vpcId: string;
  /** The security group for load balancers (tags or `securityGroupId`). */
  securityGroupId: string;
  /** Sorted by id. */
  subnets: SubnetInfo[];
}

/**
 * Reads the cluster's network once (at start): the instance (when the id or VPC must come from
 * it: must be running), the cluster id and VPC, the security group tagged
 * `kubernetes.io/cluster/<id>=owned` and `kubernetes:application=<controllerId>` (unless given),
 * and the VPC's subnets with their route tables. Rejects with TerminalError when the instance is
 * not running, no security group matches or no subnet is found; TransientError when a call fails.
 */
export async function discoverCluster(options: DiscoverClusterOptions): Promise<ClusterInfo> {
  const { ec2 } = options;
  const logger = options.logger ?? createNoopLogger();
  let clusterId = options.clusterId;
  let vpcId = options.vpcId;
  let instanceId: string | undefined;
  const aws = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new TransientError(`${what} failed: ${errorMessage(err)}`, { cause: err });
    }
  };
  if (clusterId === undefined || vpcId === undefined) {
    if (options.identity === undefined) {
      throw new ConfigError('--cluster-id and --vpc-id are required outside EC2', { key: 'cluster-id' });
    }
    const identity = options.identity;
    instanceId = (await identity.identity()).instanceId;
    const res = await aws('DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId as string] })),
    );
    const inst = res.Reservations?.[0]?.Instances?.[0];
    if (inst === undefined || ((inst.State?.Code ?? 0) & 0xff) !== 16) {
      throw new TerminalError(`instance ${instanceId} is not running`);
    }
    const found = clusterIdFromTags(tagRecord(inst.Tags));
    if (found.ambiguous.length > 0) {
      logger.warn('several owned cluster tags on this instance; using the lowest', {
        clusterIds: found.ambiguous,
        clusterId: found.clusterId,
      });
    }
    clusterId ??= found.clusterId;
    vpcId ??= inst.VpcId;
    if (vpcId === undefined) throw new TerminalError(`instance ${instanceId} has no VPC`);
  }
  const vpc = vpcId;
  const cluster = clusterId;
  let securityGroupId = options.securityGroupId;
  if (securityGroupId === undefined) {
    const res = await aws('DescribeSecurityGroups', () =>
      ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: `tag:${clusterTag(cluster)}`, Values: [CLUSTER_OWNED] },
            { Name: `tag:${APPLICATION_TAG}`, Values: [options.controllerId] },
          ],
        }),
      ),
    );
    const ids = (res.SecurityGroups ?? [])
      .map((g) => g.GroupId)
      .filter((id): id is string => id !== undefined)
      .sort();
    securityGroupId = ids[0];
    if (securityGroupId === undefined) {
      throw new TerminalError(
        `required security group was not found: tag ${clusterTag(cluster)}=owned and ${APPLICATION_TAG}=${options.controllerId}`,
      );
    }
  }
  const subnets: Subnet[] = [];
  const routeTables: RouteTable[] = [];
  await aws('DescribeSubnets', async () => {
    for await (const page of paginateDescribeSubnets(
      { client: ec2 },
      { Filters: [{ Name: 'vpc-id', Values: [vpc] }] },
    )) {
      subnets.push(...(page.Subnets ?? []));
    }
  });
  await aws('DescribeRouteTables', async () => {
    for await (const page of paginateDescribeRouteTables(
      { client: ec2 },
      { Filters: [{ Name: 'vpc-id', Values: [vpc] }] },
    )) {
      routeTables.push(...(page.RouteTables ?? []));
    }
  });
  const classified = classifySubnets(subnets, routeTables, cluster);
  if (classified.untagged) {
    logger.warn('no subnet carries the cluster tag; using every subnet of the VPC', {
      tag: clusterTag(cluster),
      vpcId: vpc,
    });
  }
  return { instanceId, clusterId: cluster, vpcId: vpc, securityGroupId, subnets: classified.subnets };
}
