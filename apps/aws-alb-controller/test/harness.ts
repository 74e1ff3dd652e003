// Shared set-up of the aws-alb-controller tests that run the app (two replicas, the status gate,
// the real API server): an AWS account seeded as the original's users have it (a VPC with
// cluster-tagged subnets in two zones, the ingress security group, an Auto Scaling node group,
// a wildcard ACM certificate), the config from command-line flags, the SDK clients, and the app
// started in-process on testkit's API server and the fakes.
import { readFileSync } from 'node:fs';
import { ACMClient } from '@aws-sdk/client-acm';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { createKubeClient, loadKubeConfig, type PassResult } from '@kube-edge/k8s-watch';
import { createNoopLogger, type Clock } from '@kube-edge/runtime';
import type { ApiServer, FakeAws } from '@kube-edge/testkit';
import { run, type AlbApp, type AppDeps, type AwsClients } from '../src/app.js';
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

const policy = JSON.parse(
  readFileSync(new URL('../../../charts/aws-alb-controller/iam-policy.json', import.meta.url), 'utf8'),
) as { Statement: { Sid: string; Action: string[] }[] };
/** The actions the chart's IAM policy document allows the controller (statement `ControllerCalls`). */
export const controllerActions: readonly string[] =
  policy.Statement.find((s) => s.Sid === 'ControllerCalls')?.Action ?? [];

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
 * group with one instance, and an ISSUED `*.example.org` certificate (with `certificateTags`,
 * default none). Returns its ARN.
 */
export function seedAccount(
  aws: FakeAws,
  now: number,
  options: { certificateTags?: Record<string, string> } = {},
): { certArn: string } {
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
    ...(options.certificateTags === undefined ? {} : { tags: options.certificateTags }),
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

/** Where {@link startApp} runs the app: testkit's API server, the AWS fakes, the clock. */
export interface AppEnv {
  api: ApiServer;
  aws: FakeAws;
  clock: Clock;
}

/**
 * Runs the app in-process with {@link testConfig}`(args)` (and `context`), a no-op logger, a
 * client of `env.api`, {@link awsClients} and `env.clock`; `deps` replaces any of those. Awaits
 * `ready` unless `options.ready` is false (the app is stopped if that fails); otherwise the caller
 * stops the app.
 */
export async function startApp(
  env: AppEnv,
  args: string[] = [],
  options: {
    deps?: Partial<AppDeps>;
    context?: { namespace?: string; identity?: string };
    ready?: boolean | undefined;
  } = {},
): Promise<AlbApp> {
  const app = await run(testConfig(args, options.context), {
    logger: createNoopLogger(),
    kubeClient: createKubeClient({
      kubeConfig: loadKubeConfig({ kubeconfigYaml: env.api.kubeconfigYaml() }).kubeConfig,
    }),
    aws: awsClients(env.aws),
    clock: env.clock,
    ...options.deps,
  });
  if (options.ready !== false)
    try {
      await app.ready;
    } catch (e) {
      await app.stop();
      throw e;
    }
  return app;
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

/** `status.loadBalancer.ingress` of Ingress `default/<name>` on the API server (undefined: none). */
export const ingressStatus = (api: ApiServer, name: string): unknown =>
  (
    api.store.get('networking.k8s.io/v1', 'Ingress', 'default', name) as {
      status?: { loadBalancer?: { ingress?: unknown } };
    }
  )?.status?.loadBalancer?.ingress;
