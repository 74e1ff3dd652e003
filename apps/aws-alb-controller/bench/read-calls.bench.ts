// Steady-state AWS calls per pass: the controller in-process against testkit's API server and
// AWS fakes, with N Ingresses over 50 wildcard certificates (so 3 ALBs); after the stacks are
// created, complete and the statuses written, one more pass is counted per API and action.
// Then the same with --target-access-mode=AWSCNI and 3 router pods (ip target groups).
// Run from the sources: `pnpm bench` (node with the TypeScript-source loader).
import { cpus, loadavg } from 'node:os';
import { createFakeClock } from '@kube-edge/runtime';
import { createFakeAws, startApiServer } from '@kube-edge/testkit';
import { CLUSTER, DAY, NODE, NODE_GROUP, seedAccount, startApp } from '../test/harness.js';

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
    // The tests' account (its one *.example.org certificate serves none of these hosts), with
    // three nodes in the group.
    seedAccount(aws, clock.now());
    const nodes = [NODE, 'i-0000000000000001', 'i-0000000000000002'];
    for (const instanceId of nodes.slice(1))
      aws.ec2.putInstance({
        instanceId,
        vpcId: 'vpc-1',
        tags: {
          'aws:autoscaling:groupName': NODE_GROUP,
          [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
          'k8s.io/role/node': '',
        },
      });
    aws.autoscaling.putGroup({ name: NODE_GROUP, instanceIds: nodes });
    for (let c = 0; c < CERTS; c++)
      aws.acm.addCertificate({
        domainName: `*.d${c}.example.com`,
        notBefore: new Date(clock.now() - DAY),
        notAfter: new Date(clock.now() + 365 * DAY),
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
    const app = await startApp({ api, aws, clock }, ['--min-load-balancer-age=0s', ...extraArgs], {
      context: { identity: 'bench' },
      ready: false,
    });
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
