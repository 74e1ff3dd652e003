// Steady-state AWS calls per pass: the controller in-process against testkit's API server and
// AWS fakes, with N Ingresses over 50 wildcard certificates (so 3 ALBs); after the stacks are
// created, complete and the statuses written, one more pass is counted per API and action.
// Then the same with --target-access-mode=AWSCNI and 3 router pods (ip target groups).
// Run from the sources: `pnpm bench` (node with the TypeScript-source loader).
import { cpus, loadavg } from 'node:os';
import { ACMClient } from '@aws-sdk/client-acm';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createFakeClock, createNoopLogger } from '@kube-edge/runtime';
import { createFakeAws, startApiServer } from '@kube-edge/testkit';
import { run } from '../src/app.js';
import { controllerCli } from '../src/cli.js';
import { buildConfig } from '../src/config.js';

const CLUSTER = 'prod';
const CERTS = 50;

const CNI_ARGS = [
  '--target-access-mode=AWSCNI',
  '--target-cni-namespace=kube-system',
  '--target-cni-pod-labelselector=application=skipper-ingress',
];

async function measure(
  count: number,
  extraArgs: readonly string[] = [],
): Promise<{
  reads: Record<string, number>;
  mutating: number;
  ms: number;
  stacks: number;
  withStatus: number;
}> {
  const clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));
  const api = await startApiServer();
  const aws = await createFakeAws({ now: () => clock.now(), cloudformation: { completeImmediately: true } });
  try {
    aws.ec2.putVpc({ vpcId: 'vpc-1' });
    aws.ec2.putSubnet({ subnetId: 'subnet-a', vpcId: 'vpc-1', availabilityZone: 'eu-west-1a' });
    aws.ec2.putSubnet({ subnetId: 'subnet-b', vpcId: 'vpc-1', availabilityZone: 'eu-west-1b' });
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
      tags: {
        [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
        'kubernetes:application': 'kube-ingress-aws-controller',
      },
    });
    for (let i = 0; i < 3; i++)
      aws.ec2.putInstance({
        instanceId: `i-000000000000000${i}`,
        vpcId: 'vpc-1',
        tags: {
          'aws:autoscaling:groupName': 'nodes',
          [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
          'k8s.io/role/node': '',
        },
      });
    aws.autoscaling.putGroup({
      name: 'nodes',
      instanceIds: ['i-0000000000000000', 'i-0000000000000001', 'i-0000000000000002'],
    });
    for (let c = 0; c < CERTS; c++)
      aws.acm.addCertificate({
        domainName: `*.d${c}.example.com`,
        notBefore: new Date(clock.now() - 86_400_000),
        notAfter: new Date(clock.now() + 365 * 86_400_000),
      });
    if (extraArgs.includes(CNI_ARGS[0] ?? ''))
      for (let i = 0; i < 3; i++)
        api.store.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `skipper-${i}`,
            namespace: 'kube-system',
            labels: { application: 'skipper-ingress' },
          },
          spec: { containers: [{ name: 'skipper', image: 'skipper' }] },
          status: { phase: 'Running', podIP: `10.0.${i}.10` },
        });
    for (let i = 0; i < count; i++)
      api.store.create({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: `ing-${i}`, namespace: 'default' },
        spec: { rules: [{ host: `h${i}.d${i % CERTS}.example.com` }] },
      });
    const r = controllerCli.parse(
      [
        `--cluster-id=${CLUSTER}`,
        '--vpc-id=vpc-1',
        '--metrics-address=127.0.0.1:0',
        '--no-leader-elect',
        '--polling-interval=1h',
        '--min-load-balancer-age=0s',
        ...extraArgs,
      ],
      {},
    );
    if (r.kind !== 'run') throw new Error('flags');
    const c = aws.clientConfig();
    const app = await run(
      {
        ...buildConfig(r.values, { namespace: 'default', identity: 'bench', customFilters: undefined }),
        trigger: { quietMs: 10, maxWaitMs: 100, minIntervalMs: 0 },
      },
      {
        logger: createNoopLogger(),
        kubeClient: createKubeClient({
          kubeConfig: loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() }).kubeConfig,
        }),
        aws: {
          cloudFormation: new CloudFormationClient(c),
          acm: new ACMClient(c),
          iam: new IAMClient(c),
          ec2: new EC2Client(c),
          autoScaling: new AutoScalingClient(c),
          elbv2: new ElasticLoadBalancingV2Client(c),
        },
        clock,
      },
    );
    try {
      await app.ready;
      // Create, then attach and write statuses, then one more to let the informer see them.
      for (let i = 0; i < 4; i++) {
        aws.cloudformation.settle();
        await app.reconcileNow();
      }
      aws.resetCalls();
      const t = performance.now();
      const p = await app.reconcileNow();
      const ms = performance.now() - t;
      if (p.result !== 'success') throw new Error(`pass ${p.result}: ${String(p.error)}`);
      const counts = aws.callCounts();
      const reads = Object.fromEntries(
        Object.entries(counts).filter(([a]) => /:(Describe|List|Get)/.test(a)),
      );
      const withStatus = api.store
        .list('networking.k8s.io/v1', 'Ingress')
        .filter(
          (i) =>
            (
              (i as { status?: { loadBalancer?: { ingress?: unknown[] } } }).status?.loadBalancer?.ingress ??
              []
            ).length > 0,
        ).length;
      return {
        reads,
        mutating: aws.mutatingCalls().length,
        ms,
        stacks: aws.cloudformation.stacks().length,
        withStatus,
      };
    } finally {
      await app.stop();
    }
  } finally {
    await aws.close();
    await api.close();
  }
}

console.log(
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}, ${new Date().toISOString()}`,
);
for (const [mode, args] of [
  ['Legacy', []],
  ['AWSCNI', CNI_ARGS],
] as const) {
  for (const n of [100, 1000]) {
    const m = await measure(n, args);
    const total = Object.values(m.reads).reduce((a, b) => a + b, 0);
    console.log(
      `${mode}, ${n} Ingresses (${m.stacks} stacks, ${m.withStatus} with status): ${total} read calls, ${m.mutating} mutating, pass ${m.ms.toFixed(0)} ms`,
    );
    for (const [k, v] of Object.entries(m.reads).sort()) console.log(`  ${k}: ${v}`);
  }
}
