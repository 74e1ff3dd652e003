import {
  DeregisterInstancesFromLoadBalancerCommand,
  RegisterInstancesWithLoadBalancerCommand,
  paginateDescribeLoadBalancers as paginateClassicLoadBalancers,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  paginateDescribeTargetGroups,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';

const PAGE_SIZE = 400;
/** DescribeTargetHealth calls in flight at once while looking an instance up. */
const HEALTH_CONCURRENCY = 4;

/** One target-group registration of an instance: the group and the port it is registered on. */
export interface InstanceTarget {
  readonly arn: string;
  readonly port: number;
}

/** Where an EC2 instance is registered, found by {@link findInstanceMembership}. */
export interface InstanceMembership {
  /** Names of the classic load balancers that list the instance, sorted. */
  readonly loadBalancers: readonly string[];
  /** The target-group registrations of the instance (one per port), sorted by ARN then port. */
  readonly targets: readonly InstanceTarget[];
}

/** Options of {@link findInstanceMembership}. */
export interface FindInstanceMembershipOptions {
  readonly instanceId: string;
  /** Classic ELB client; without it no classic load balancer is searched. */
  readonly elb?: ElasticLoadBalancingClient;
  /** ELBv2 client; without it no target group is searched. */
  readonly elbv2?: ElasticLoadBalancingV2Client;
}

/** The error `name`s meaning the load balancer or target group no longer exists. */
const GONE = new Set([
  'LoadBalancerNotFound',
  'AccessPointNotFoundException',
  'TargetGroupNotFoundException',
  'TargetGroupNotFound',
]);

function isGone(err: unknown): boolean {
  return err instanceof Error && GONE.has(err.name);
}

/**
 * Finds every classic load balancer and every `instance`-type target group the instance is
 * registered in, by instance id: DescribeLoadBalancers (all pages), then DescribeTargetGroups
 * (all pages) and DescribeTargetHealth per `instance` group (`ip`, `lambda` and `alb` groups
 * cannot hold an instance id and are not queried). Read-only; safe to call concurrently;
 * rejects with the SDK's error after the SDK's own retries.
 */
export async function findInstanceMembership(
  options: FindInstanceMembershipOptions,
): Promise<InstanceMembership> {
  const { instanceId, elb, elbv2 } = options;
  const loadBalancers: string[] = [];
  if (elb !== undefined) {
    for await (const out of paginateClassicLoadBalancers(
      { client: elb, pageSize: PAGE_SIZE, stopOnSameToken: true },
      {},
    )) {
      for (const lb of out.LoadBalancerDescriptions ?? []) {
        if (
          lb.LoadBalancerName !== undefined &&
          (lb.Instances ?? []).some((i) => i.InstanceId === instanceId)
        )
          loadBalancers.push(lb.LoadBalancerName);
      }
    }
  }
  const targets: InstanceTarget[] = [];
  if (elbv2 !== undefined) {
    const arns: string[] = [];
    for await (const out of paginateDescribeTargetGroups(
      { client: elbv2, pageSize: PAGE_SIZE, stopOnSameToken: true },
      {},
    )) {
      for (const tg of out.TargetGroups ?? []) {
        if (tg.TargetGroupArn !== undefined && (tg.TargetType ?? 'instance') === 'instance')
          arns.push(tg.TargetGroupArn);
      }
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < arns.length) {
        const arn = arns[next++] ?? '';
        try {
          const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
          for (const d of out.TargetHealthDescriptions ?? []) {
            if (d.Target?.Id === instanceId && d.Target.Port !== undefined)
              targets.push({ arn, port: d.Target.Port });
          }
        } catch (err) {
          if (!isGone(err)) throw err; // deleted between the two calls: the instance is not in it
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(HEALTH_CONCURRENCY, arns.length) }, worker));
  }
  loadBalancers.sort();
  targets.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : a.port - b.port));
  return { loadBalancers, targets };
}

/** What a register or deregister call found: `done`, or `gone` when the load balancer or target group no longer exists. */
export type MembershipChange = 'done' | 'gone';

/**
 * Registers (`register: true`) or deregisters the instance with one classic load balancer.
 * Idempotent (AWS accepts both twice). Resolves `gone` when the load balancer does not exist;
 * rejects with the SDK's error otherwise (after the SDK's own retries).
 */
export async function setClassicElbInstance(
  client: ElasticLoadBalancingClient,
  loadBalancerName: string,
  instanceId: string,
  register: boolean,
): Promise<MembershipChange> {
  const input = { LoadBalancerName: loadBalancerName, Instances: [{ InstanceId: instanceId }] };
  try {
    await client.send(
      register
        ? new RegisterInstancesWithLoadBalancerCommand(input)
        : new DeregisterInstancesFromLoadBalancerCommand(input),
    );
    return 'done';
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
}

/**
 * Registers (`register: true`) or deregisters the instance on `port` in one target group.
 * Idempotent (AWS accepts both twice). Resolves `gone` when the target group does not exist;
 * rejects with the SDK's error otherwise (after the SDK's own retries).
 */
export async function setTargetGroupInstance(
  client: ElasticLoadBalancingV2Client,
  target: InstanceTarget,
  instanceId: string,
  register: boolean,
): Promise<MembershipChange> {
  const input = { TargetGroupArn: target.arn, Targets: [{ Id: instanceId, Port: target.port }] };
  try {
    await client.send(register ? new RegisterTargetsCommand(input) : new DeregisterTargetsCommand(input));
    return 'done';
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
}
