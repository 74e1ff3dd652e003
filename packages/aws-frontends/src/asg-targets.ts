import {
  AttachLoadBalancerTargetGroupsCommand,
  DescribeAutoScalingGroupsCommand,
  DetachLoadBalancerTargetGroupsCommand,
  type AutoScalingClient,
} from '@aws-sdk/client-auto-scaling';
import { paginateDescribeInstances, type EC2Client } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTagsCommand,
  type DescribeTagsCommandOutput,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { TransientError, createNoopLogger, errorMessage, type Logger } from '@kube-edge/runtime';
import {
  APPLICATION_TAG,
  ASG_NAME_TAG,
  CLUSTER_OWNED,
  clusterTag,
  tagRecord,
  toSdkFilters,
  type Ec2Filter,
} from './ec2-discovery.js';

/** AttachLoadBalancerTargetGroups and DetachLoadBalancerTargetGroups take at most 10 ARNs. */
export const ASG_TARGET_GROUPS_PER_CALL = 10;
/** DescribeAutoScalingGroups takes at most this many names per call (we ask for one page). */
const ASG_NAMES_PER_CALL = 50;
/** ELBv2 DescribeTags takes at most 20 ARNs. */
const TAGS_PER_CALL = 20;
/** ARNs per DescribeTargetGroups call (one page). */
const TARGET_GROUPS_PER_CALL = 20;

/** The instances the load balancers target, from one DescribeInstances listing. */
export interface TargetSnapshot {
  /** Auto Scaling group name → its running instances (by the `aws:autoscaling:groupName` tag), sorted. */
  readonly autoScalingGroups: ReadonlyMap<string, readonly string[]>;
  /** Running instances outside any Auto Scaling group, sorted. */
  readonly singleInstances: readonly string[];
}

/** One change {@link AsgTargets.sync} or {@link AsgTargets.detach} made. */
export interface TargetChange {
  readonly action: 'attach' | 'detach' | 'register' | 'deregister';
  /** The Auto Scaling group (attach/detach), or the instance or IP (register/deregister). */
  readonly subject: string;
  readonly targetGroupArns: readonly string[];
}

/** Options of {@link createAsgTargets}. */
export interface AsgTargetsOptions {
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
  elbv2: ElasticLoadBalancingV2Client;
  /** DescribeInstances filters (`CUSTOM_FILTERS` or the defaults, see `parseCustomFilters`). */
  filters: readonly Ec2Filter[];
  clusterId: string;
  /** Target groups tagged `kubernetes:application=<controllerId>` and the owned cluster tag are ours. */
  controllerId: string;
  /**
   * The addresses `ip`-type target groups must hold (`--target-access-mode=AWSCNI`: the ingress
   * router pods' IPs), read at each sync. Undefined (or returning undefined, e.g. before the pod
   * list is known): `ip` target groups are left alone.
   */
  ipAddresses?: (() => readonly string[] | undefined) | undefined;
  logger?: Logger | undefined;
}

/**
 * Keeps the stacks' target groups holding the cluster's targets. An `instance`-type target
 * group is attached to every Auto Scaling group the filters find and holds every running
 * instance outside an Auto Scaling group; an `ip`-type one holds exactly the addresses of
 * {@link AsgTargetsOptions.ipAddresses} (and is never attached to a group). The type of each
 * target group is asked once (DescribeTargetGroups) and remembered: a target group's type never
 * changes, a new type means a new ARN. Not safe to call concurrently (one controller step calls it).
 */
export interface AsgTargets {
  /**
   * Lists the running instances matching the filters (all pages). Rejects with TransientError
   * when the listing fails: the caller must then change nothing this cycle.
   */
  describe(): Promise<TargetSnapshot>;
  /**
   * Makes `targetGroupArns` (empty ARNs ignored) the controller's target groups everywhere:
   * attaches the missing ones to each group (≤ 10 per call), detaches from each group the target
   * groups that carry our ownership tags but are not in the list (or that an earlier sync kept
   * and that no longer exist: AWS leaves them on the groups, blocking launches; a missing one not
   * known as ours is left alone), registers running single
   * instances that are missing from a target group, and deregisters single instances that were
   * seen in an earlier snapshot and are gone now — one DeregisterTargets call per target group
   * per cycle, with every such instance in it. Target groups that do not exist (any more) are
   * neither attached nor registered into. Each `ip` target group gets the missing addresses in
   * one RegisterTargets call and loses the others (except those already draining) in one
   * DeregisterTargets call. Reads first and writes only what differs: an unchanged cycle makes no
   * mutating call. With no target groups nothing is touched.
   * Rejects with TransientError on an AWS failure; changes already made stay (the next cycle
   * continues from the state it reads).
   */
  sync(snapshot: TargetSnapshot, targetGroupArns: readonly string[]): Promise<TargetChange[]>;
  /**
   * Detaches `targetGroupArns` from every Auto Scaling group of the last snapshot that has them
   * (before their stack is deleted). Idempotent.
   */
  detach(targetGroupArns: readonly string[]): Promise<TargetChange[]>;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** ELBv2's answer for an ARN that names no target group (the query code, or the SDK's class name). */
function isTargetGroupNotFound(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'TargetGroupNotFoundException' || err.name === 'TargetGroupNotFound')
  );
}

/** Creates an {@link AsgTargets}; makes no AWS call until used. */
export function createAsgTargets(options: AsgTargetsOptions): AsgTargets {
  const { ec2, autoScaling, elbv2 } = options;
  const logger = options.logger ?? createNoopLogger();
  const ownerCluster = clusterTag(options.clusterId);
  /** Single instances seen in earlier snapshots and not yet deregistered after vanishing. */
  let knownSingles = new Set<string>();
  const gone = new Set<string>();
  let lastGroups: readonly string[] = [];

  const aws = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new TransientError(`${what} failed: ${errorMessage(err)}`, { cause: err });
    }
  };

  const groupTargetGroups = async (names: readonly string[]): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    for (const batch of chunks(names, ASG_NAMES_PER_CALL)) {
      const res = await aws('DescribeAutoScalingGroups', () =>
        autoScaling.send(
          new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: batch,
            MaxRecords: ASG_NAMES_PER_CALL,
          }),
        ),
      );
      for (const g of res.AutoScalingGroups ?? []) {
        if (g.AutoScalingGroupName !== undefined)
          out.set(g.AutoScalingGroupName, [...(g.TargetGroupARNs ?? [])]);
      }
    }
    return out;
  };

  const detachFrom = async (
    group: string,
    arns: readonly string[],
    changes: TargetChange[],
  ): Promise<void> => {
    for (const batch of chunks(arns, ASG_TARGET_GROUPS_PER_CALL)) {
      await aws('DetachLoadBalancerTargetGroups', () =>
        autoScaling.send(
          new DetachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: group, TargetGroupARNs: batch }),
        ),
      );
      changes.push({ action: 'detach', subject: group, targetGroupArns: batch });
    }
  };

  /** Target groups a sync of this process kept (ours for sure, also once deleted). */
  const keptBefore = new Set<string>();
  /** Missing target groups already warned about. */
  const warnedMissing = new Set<string>();

  /**
   * Which of `arns` (target groups attached to the Auto Scaling groups) are ours: tagged with our
   * ownership tags, or — when one no longer exists (AWS keeps a deleted target group on the
   * groups, where it blocks instance launches) — one this process kept before. A missing one we
   * cannot prove ours is left alone (warned once); it never fails the sync.
   */
  const ours = async (arns: readonly string[]): Promise<Set<string>> => {
    const owned = new Set<string>();
    const missing: string[] = [];
    // A missing target group keeps its AWS error (to tell it apart); any other failure is transient.
    const describeTags = async (batch: readonly string[]): Promise<DescribeTagsCommandOutput> => {
      try {
        return await elbv2.send(new DescribeTagsCommand({ ResourceArns: [...batch] }));
      } catch (err) {
        if (isTargetGroupNotFound(err)) throw err;
        throw new TransientError(`DescribeTags failed: ${errorMessage(err)}`, { cause: err });
      }
    };
    const tagged: DescribeTagsCommandOutput[] = [];
    for (const batch of chunks(arns, TAGS_PER_CALL)) {
      try {
        tagged.push(await describeTags(batch));
      } catch (err) {
        if (!isTargetGroupNotFound(err)) throw err;
        // One missing ARN fails the whole call: ask one by one.
        for (const arn of batch) {
          try {
            tagged.push(await describeTags([arn]));
          } catch (e) {
            if (!isTargetGroupNotFound(e)) throw e;
            missing.push(arn);
          }
        }
      }
    }
    for (const arn of missing) {
      if (keptBefore.has(arn)) owned.add(arn);
      else if (!warnedMissing.has(arn)) {
        warnedMissing.add(arn);
        logger.warn('an Auto Scaling group holds a target group that does not exist; not ours, left alone', {
          targetGroup: arn,
        });
      }
    }
    for (const res of tagged) {
      for (const d of res.TagDescriptions ?? []) {
        const tags = tagRecord(d.Tags);
        if (
          d.ResourceArn !== undefined &&
          tags[ownerCluster] === CLUSTER_OWNED &&
          tags[APPLICATION_TAG] === options.controllerId
        ) {
          owned.add(d.ResourceArn);
        }
      }
    }
    return owned;
  };

  /** Target group ARN → TargetType, for the ones that exist; asked once per ARN. */
  const targetTypes = new Map<string, string>();
  const describeTypes = async (arns: readonly string[]): Promise<void> => {
    const res = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...arns] }));
    for (const g of res.TargetGroups ?? [])
      if (g.TargetGroupArn !== undefined) targetTypes.set(g.TargetGroupArn, g.TargetType ?? 'instance');
  };
  const classify = async (arns: readonly string[]): Promise<void> => {
    const unknown = arns.filter((a) => !targetTypes.has(a));
    for (const batch of chunks(unknown, TARGET_GROUPS_PER_CALL)) {
      try {
        await describeTypes(batch);
      } catch (err) {
        // One unknown ARN fails the whole call: ask one by one, and leave out those not found.
        if (!isTargetGroupNotFound(err)) {
          throw new TransientError(`DescribeTargetGroups failed: ${errorMessage(err)}`, { cause: err });
        }
        for (const arn of batch) {
          try {
            await describeTypes([arn]);
          } catch (e) {
            if (!isTargetGroupNotFound(e))
              throw new TransientError(`DescribeTargetGroups failed: ${errorMessage(e)}`, { cause: e });
            logger.warn('target group not found', { targetGroup: arn });
          }
        }
      }
    }
  };

  /** Registers the missing addresses and deregisters the others, one call each at most. */
  const syncIpTargets = async (
    tg: string,
    addresses: readonly string[],
    changes: TargetChange[],
  ): Promise<void> => {
    const health = await aws('DescribeTargetHealth', () =>
      elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })),
    );
    const wanted = new Set(addresses);
    const present = new Set<string>();
    const extra: { Id: string; Port?: number }[] = [];
    for (const d of health.TargetHealthDescriptions ?? []) {
      const id = d.Target?.Id;
      // A draining target is on its way out: re-register it if wanted, never deregister it again.
      if (id === undefined || d.TargetHealth?.State === 'draining') continue;
      present.add(id);
      if (!wanted.has(id))
        extra.push({ Id: id, ...(d.Target?.Port === undefined ? {} : { Port: d.Target.Port }) });
    }
    const missing = [...wanted].filter((a) => !present.has(a)).sort();
    if (missing.length > 0) {
      await aws('RegisterTargets', () =>
        elbv2.send(
          new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: missing.map((Id) => ({ Id })) }),
        ),
      );
      for (const id of missing) changes.push({ action: 'register', subject: id, targetGroupArns: [tg] });
    }
    if (extra.length > 0) {
      extra.sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
      await aws('DeregisterTargets', () =>
        elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: extra })),
      );
      for (const t of extra) changes.push({ action: 'deregister', subject: t.Id, targetGroupArns: [tg] });
    }
  };

  return {
    async describe() {
      const groups = new Map<string, string[]>();
      const singles: string[] = [];
      await aws('DescribeInstances', async () => {
        for await (const page of paginateDescribeInstances(
          { client: ec2 },
          { Filters: toSdkFilters(options.filters) },
        )) {
          for (const r of page.Reservations ?? []) {
            for (const inst of r.Instances ?? []) {
              if (inst.InstanceId === undefined || ((inst.State?.Code ?? 0) & 0xff) !== 16) continue;
              const group = tagRecord(inst.Tags)[ASG_NAME_TAG];
              if (group !== undefined && group !== '') {
                const list = groups.get(group) ?? [];
                list.push(inst.InstanceId);
                groups.set(group, list);
              } else singles.push(inst.InstanceId);
            }
          }
        }
      });
      for (const list of groups.values()) list.sort();
      return { autoScalingGroups: groups, singleInstances: singles.sort() };
    },

    async sync(snapshot, targetGroupArns) {
      const wanted = [...new Set(targetGroupArns.filter((a) => a !== ''))].sort();
      const changes: TargetChange[] = [];
      const current = new Set(snapshot.singleInstances);
      for (const id of knownSingles) if (!current.has(id)) gone.add(id);
      for (const id of current) gone.delete(id);
      knownSingles = current;
      lastGroups = [...snapshot.autoScalingGroups.keys()].sort();
      if (wanted.length === 0) return changes;
      const wantedSet = new Set(wanted);
      await classify(wanted);
      for (const a of wanted) if (targetTypes.has(a)) keptBefore.add(a);
      const instanceGroups = wanted.filter((a) => targetTypes.get(a) === 'instance');
      const ipGroups = wanted.filter((a) => targetTypes.get(a) === 'ip');

      const attached = await groupTargetGroups(lastGroups);
      const foreign = new Set<string>();
      for (const arns of attached.values()) for (const a of arns) if (!wantedSet.has(a)) foreign.add(a);
      const owned = foreign.size > 0 ? await ours([...foreign].sort()) : new Set<string>();
      for (const group of lastGroups) {
        const has = attached.get(group);
        if (has === undefined) {
          logger.warn('auto scaling group not found', { group });
          continue;
        }
        const obsolete = has.filter((a) => owned.has(a)).sort();
        if (obsolete.length > 0) await detachFrom(group, obsolete, changes);
        const missing = instanceGroups.filter((a) => !has.includes(a));
        for (const batch of chunks(missing, ASG_TARGET_GROUPS_PER_CALL)) {
          await aws('AttachLoadBalancerTargetGroups', () =>
            autoScaling.send(
              new AttachLoadBalancerTargetGroupsCommand({
                AutoScalingGroupName: group,
                TargetGroupARNs: batch,
              }),
            ),
          );
          changes.push({ action: 'attach', subject: group, targetGroupArns: batch });
        }
      }

      const addresses = ipGroups.length > 0 ? options.ipAddresses?.() : undefined;
      if (addresses !== undefined) for (const tg of ipGroups) await syncIpTargets(tg, addresses, changes);

      if (current.size === 0 && gone.size === 0) return changes;
      for (const tg of instanceGroups) {
        const health = await aws('DescribeTargetHealth', () =>
          elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })),
        );
        const registered = new Set(
          (health.TargetHealthDescriptions ?? [])
            .map((d) => d.Target?.Id)
            .filter((id): id is string => id !== undefined),
        );
        const toRegister = [...current].filter((id) => !registered.has(id)).sort();
        for (const id of toRegister) {
          await aws('RegisterTargets', () =>
            elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: id }] })),
          );
          changes.push({ action: 'register', subject: id, targetGroupArns: [tg] });
        }
        const toDeregister = [...gone].filter((id) => registered.has(id)).sort();
        if (toDeregister.length > 0) {
          await aws('DeregisterTargets', () =>
            elbv2.send(
              new DeregisterTargetsCommand({
                TargetGroupArn: tg,
                Targets: toDeregister.map((Id) => ({ Id })),
              }),
            ),
          );
          for (const id of toDeregister) {
            changes.push({ action: 'deregister', subject: id, targetGroupArns: [tg] });
          }
        }
      }
      // Every target group was checked: a vanished instance is now in none of them.
      gone.clear();
      return changes;
    },

    async detach(targetGroupArns) {
      const arns = new Set(targetGroupArns.filter((a) => a !== ''));
      const changes: TargetChange[] = [];
      if (arns.size === 0 || lastGroups.length === 0) return changes;
      const attached = await groupTargetGroups(lastGroups);
      for (const [group, has] of [...attached].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const drop = has.filter((a) => arns.has(a)).sort();
        if (drop.length > 0) await detachFrom(group, drop, changes);
      }
      return changes;
    },
  };
}
