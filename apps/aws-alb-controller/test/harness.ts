// Shared set-up of the aws-alb-controller tests that run the app (two replicas, the status gate,
// the real API server): an AWS account seeded as the original's users have it (a VPC with
// cluster-tagged subnets in two zones, the ingress security group, an Auto Scaling node group,
// a wildcard ACM certificate), the config from command-line flags, and the SDK clients.
import { ACMClient } from '@aws-sdk/client-acm';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import type { PassResult } from '@kube-edge/k8s-watch';
import type { FakeAws } from '@kube-edge/testkit';
import type { AlbApp, AwsClients } from '../src/app.js';
import { controllerCli } from '../src/cli.js';
import { buildConfig, type AlbControllerConfig } from '../src/config.js';
import type { ParsedIngresses } from '../src/model/ingresses.js';

/** The cluster id of the seeded account. */
export const CLUSTER = 'prod';
/** The default controller id (the stacks' kubernetes:application tag). */
export const APP = 'kube-ingress-aws-controller';
/** The Auto Scaling group of the nodes, and its one instance. */
export const NODE_GROUP = 'nodes';
export const NODE = 'i-0123456789abcdef0';
export const DAY = 86_400_000;

/** An Ingress with one `/` path per host to service `web:80`. */
export function ingress(
  name: string,
  hosts: string[],
  annotations: Record<string, string> = {},
  namespace = 'default',
) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, annotations },
    spec: {
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      })),
    },
  };
}

/**
 * Seeds the account: VPC `vpc-1`, subnets `subnet-a`/`subnet-b` (two zones, a main route table
 * to an internet gateway), security group `sg-1` with the cluster and controller tags, the node
 * group with one instance, and an ISSUED `*.example.org` certificate. Returns its ARN.
 */
export function seedAccount(aws: FakeAws, now: number): { certArn: string } {
  aws.ec2.putVpc({ vpcId: 'vpc-1' });
  for (const [id, az] of [
    ['subnet-a', 'eu-west-1a'],
    ['subnet-b', 'eu-west-1b'],
  ] as const)
    aws.ec2.putSubnet({
      subnetId: id,
      vpcId: 'vpc-1',
      availabilityZone: az,
      tags: { [`kubernetes.io/cluster/${CLUSTER}`]: 'shared' },
    });
  aws.ec2.putRouteTable({
    routeTableId: 'rtb-1',
    vpcId: 'vpc-1',
    main: true,
    routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }],
  });
  aws.ec2.putSecurityGroup({
    groupId: 'sg-1',
    groupName: 'ingress',
    vpcId: 'vpc-1',
    tags: { [`kubernetes.io/cluster/${CLUSTER}`]: 'owned', 'kubernetes:application': APP },
  });
  aws.ec2.putInstance({
    instanceId: NODE,
    vpcId: 'vpc-1',
    tags: {
      'aws:autoscaling:groupName': NODE_GROUP,
      [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
      'k8s.io/role/node': '',
    },
  });
  aws.autoscaling.putGroup({ name: NODE_GROUP, instanceIds: [NODE] });
  const certArn = aws.acm.addCertificate({
    domainName: '*.example.org',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  }).arn;
  return { certArn };
}

/**
 * The config the app gets from these flags (after `--cluster-id=prod --vpc-id=vpc-1
 * --metrics-address=127.0.0.1:0 --no-leader-elect --polling-interval=1h`), with a short
 * trigger debounce. Later flags win, so `args` may turn leader election back on.
 */
export function testConfig(
  args: string[] = [],
  context: { namespace?: string; identity?: string } = {},
): AlbControllerConfig {
  const r = controllerCli.parse(
    [
      `--cluster-id=${CLUSTER}`,
      '--vpc-id=vpc-1',
      '--metrics-address=127.0.0.1:0',
      '--no-leader-elect',
      '--polling-interval=1h',
      ...args,
    ],
    {},
  );
  if (r.kind !== 'run') throw new Error(`expected a run, got ${r.kind}`);
  return {
    ...buildConfig(r.values, {
      namespace: context.namespace ?? 'default',
      identity: context.identity ?? 'test',
      customFilters: undefined,
    }),
    trigger: { quietMs: 10, maxWaitMs: 100, minIntervalMs: 0 },
  };
}

/** One SDK client of each service the app uses, all routed to the fakes. */
export function awsClients(aws: FakeAws): AwsClients {
  const c = aws.clientConfig();
  return {
    cloudFormation: new CloudFormationClient(c),
    acm: new ACMClient(c),
    iam: new IAMClient(c),
    ec2: new EC2Client(c),
    autoScaling: new AutoScalingClient(c),
    elbv2: new ElasticLoadBalancingV2Client(c),
  };
}

/** One pass that starts now; rejects on a failed pass, with its error. */
export async function pass(a: AlbApp): Promise<PassResult<ParsedIngresses>> {
  const p = await a.reconcileNow();
  if (p.result !== 'success') throw new Error(`pass ${p.result}: ${String(p.error)}`);
  return p;
}

/** The live (not DELETE_COMPLETE) stacks of the fake. */
export const liveStacks = (aws: FakeAws) =>
  aws.cloudformation.stacks().filter((s) => s.status !== 'DELETE_COMPLETE');
