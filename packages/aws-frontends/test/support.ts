import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Logger, LogMeta } from '@kube-edge/runtime';
import type { FakeAws } from '@kube-edge/testkit';
import { createAsgTargets, type AsgTargets, type AsgTargetsOptions } from '../src/asg-targets.js';
import { defaultInstanceFilters } from '../src/ec2-discovery.js';

/** A logger that keeps every line. */
export interface RecordingLogger extends Logger {
  readonly lines: { level: string; message: string; meta: LogMeta }[];
}

export function createRecordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const make = (base: LogMeta): Logger => ({
    error: (message, meta) => lines.push({ level: 'error', message, meta: { ...base, ...meta } }),
    warn: (message, meta) => lines.push({ level: 'warn', message, meta: { ...base, ...meta } }),
    info: (message, meta) => lines.push({ level: 'info', message, meta: { ...base, ...meta } }),
    debug: (message, meta) => lines.push({ level: 'debug', message, meta: { ...base, ...meta } }),
    child: (meta) => make({ ...base, ...meta }),
  });
  return Object.assign(make({}), { lines });
}

/** Resolves to the rejection reason; fails if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** The cluster id of the fake-backed tests. */
export const CLUSTER = 'prod';
/** The controller id (the target groups' and stacks' `kubernetes:application` tag) of those tests. */
export const APP = 'kube-ingress-aws-controller';
/** The Auto Scaling group of the nodes, and its one instance. */
export const NODE_GROUP = 'nodes';
export const NODE = 'i-0123456789abcdef0';

/** Puts {@link NODE}, a node of {@link CLUSTER} (in `vpcId` when given), into {@link NODE_GROUP} on the fakes. */
export function putNodeGroup(fake: FakeAws, vpcId?: string): void {
  fake.ec2.putInstance({
    instanceId: NODE,
    ...(vpcId === undefined ? {} : { vpcId }),
    tags: {
      'aws:autoscaling:groupName': NODE_GROUP,
      [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
      'k8s.io/role/node': '',
    },
  });
  fake.autoscaling.putGroup({ name: NODE_GROUP, instanceIds: [NODE] });
}

/**
 * {@link createAsgTargets} on the fakes' EC2, Auto Scaling and ELBv2 clients, for {@link CLUSTER}
 * and {@link APP} with the default instance filters; `options` adds to or replaces those.
 */
export function fakeAsgTargets(fake: FakeAws, options: Partial<AsgTargetsOptions> = {}): AsgTargets {
  const config = fake.clientConfig();
  return createAsgTargets({
    ec2: new EC2Client(config),
    autoScaling: new AutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    filters: defaultInstanceFilters(CLUSTER),
    clusterId: CLUSTER,
    controllerId: APP,
    ...options,
  });
}
