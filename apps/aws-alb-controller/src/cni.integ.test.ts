import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeClock, type FakeClock } from '@kube-edge/runtime';
import {
  createFakeAws,
  eventually,
  makeTestCertificate,
  ROUTEGROUP_CRD_FILE,
  startApiServer,
  type ApiServer,
  type FakeAws,
} from '@kube-edge/testkit';
import type { AlbApp } from './app.js';
import { DAY, controllerActions, liveStacks, pass, seedAccount, startApp } from '../test/harness.js';

// --target-access-mode=AWSCNI on the API test server and the AWS fakes: the ingress router pods'
// IPs are the targets of the (ip) target groups, the Auto Scaling groups get none. The same
// lifecycle runs with --cert-filter-tag: it and the other tests' lifecycle together call exactly
// the actions of the IAM policy document. Last, the later template flags (TGHTTP, HTTPS targets,
// deny rules) on a created stack.

let api: ApiServer;
let aws: FakeAws;
let clock: FakeClock;
let app: AlbApp | undefined;
let taggedArn: string;

function pod(
  name: string,
  ip: string,
  o: { namespace?: string; labels?: Record<string, string>; phase?: string } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'kube-system',
      labels: o.labels ?? { application: 'skipper-ingress' },
    },
    spec: { containers: [{ name: 'skipper', image: 'skipper' }] },
    status: { phase: o.phase ?? 'Running', podIP: ip },
  };
}

const CNI = [
  '--target-access-mode=AWSCNI',
  '--target-cni-namespace=kube-system',
  '--target-cni-pod-labelselector=application=skipper-ingress',
  '--cert-filter-tag=team=edge',
];

async function start(args: string[]): Promise<AlbApp> {
  app = await startApp({ api, aws, clock }, ['--min-load-balancer-age=0s', ...args]);
  return app;
}

const stacks = () => liveStacks(aws);
const targetIps = (): string[] => {
  const tg = stacks()[0]?.outputs.TargetGroupARN ?? '';
  return aws.elbv2
    .targetsOf(tg)
    .map((t) => t.id)
    .sort();
};

beforeEach(async () => {
  clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));
  api = await startApiServer();
  aws = await createFakeAws({ now: () => clock.now() });
  ({ certArn: taggedArn } = seedAccount(aws, clock.now(), { certificateTags: { team: 'edge' } }));
  // A better match (the exact host), but not tagged: --cert-filter-tag leaves it out.
  aws.acm.addCertificate({
    domainName: 'shop.example.org',
    notBefore: new Date(clock.now() - DAY),
    notAfter: new Date(clock.now() + 365 * DAY),
  });
  aws.iam.addServerCertificate({
    name: 'legacy',
    body: (await makeTestCertificate({ commonName: 'shop.example.org' })).cert,
  });
});

afterEach(async () => {
  expect(aws.iamActions().filter((a) => !controllerActions.includes(a))).toEqual([]);
  await app?.stop();
  app = undefined;
  await aws.close();
  await api.close();
});

describe('--target-access-mode=AWSCNI', () => {
  it('registers the running router pods of the namespace and selector in the ip target group, and follows them', async () => {
    api.store.create(pod('skipper-a', '10.0.1.10'));
    const b = pod('skipper-b', '10.0.2.20');
    api.store.create({ ...b, metadata: { ...b.metadata, finalizers: ['example.org/hold'] } });
    api.store.create(pod('skipper-pending', '10.0.3.30', { phase: 'Pending' }));
    api.store.create(pod('web', '10.0.4.40', { labels: { application: 'web' } }));
    api.store.create(pod('skipper-elsewhere', '10.0.5.50', { namespace: 'default' }));
    api.store.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { rules: [{ host: 'shop.example.org' }] },
    });
    const a = await start(CNI);
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);

    expect(
      Object.keys(stacks()[0]?.tags ?? {}).filter((k) => k.startsWith('ingress:certificate-arn/')),
    ).toEqual([`ingress:certificate-arn/${taggedArn}`]);
    expect(aws.iamActions()).toEqual(
      expect.arrayContaining(['acm:ListTagsForCertificate', 'iam:ListServerCertificateTags']),
    );
    const tgArn = stacks()[0]?.outputs.TargetGroupARN ?? '';
    expect(aws.elbv2.targetGroup(tgArn)?.targetType).toBe('ip');
    expect(targetIps()).toEqual(['10.0.1.10', '10.0.2.20']);
    // An ip target group is never attached to the nodes' Auto Scaling group.
    expect(aws.autoscaling.group('nodes')?.targetGroupArns).toEqual([]);

    // Nothing changed: no write.
    aws.resetCalls();
    await pass(a);
    expect(aws.mutatingCalls()).toEqual([]);

    // A pod goes, another becomes ready: one register and one deregister call.
    api.store.delete('v1', 'Pod', 'kube-system', 'skipper-a');
    api.store.patchMerge('v1', 'Pod', 'kube-system', 'skipper-pending', { status: { phase: 'Running' } });
    await eventually(async () => {
      await pass(a);
      expect(targetIps()).toEqual(['10.0.2.20', '10.0.3.30']);
    });
    expect(aws.callCounts('elbv2')['elasticloadbalancing:DeregisterTargets']).toBe(1);

    // A terminating pod (deletion timestamp) leaves the target group before it stops.
    api.store.delete('v1', 'Pod', 'kube-system', 'skipper-b');
    expect(
      (
        api.store.get('v1', 'Pod', 'kube-system', 'skipper-b') as {
          metadata?: { deletionTimestamp?: string };
        }
      )?.metadata?.deletionTimestamp,
    ).toBeDefined();
    await eventually(async () => {
      await pass(a);
      expect(targetIps()).toEqual(['10.0.3.30']);
    });

    // The last pod goes: no pod at all keeps the targets (a wrong selector must not empty them).
    api.store.delete('v1', 'Pod', 'kube-system', 'skipper-pending');
    aws.resetCalls();
    await eventually(async () => {
      const p = await a.reconcileNow();
      expect(p.result).toBe('success');
      expect(p.model?.podTargets).toEqual([]); // the pass saw no pod
    });
    expect(aws.mutatingCalls()).toEqual([]);
    expect(targetIps()).toEqual(['10.0.3.30']);
  });
});

describe('the later template flags on the fakes', () => {
  it('--alb-http-target-port, --target-https and --deny-internal-domains: a second target group on the ASG, HTTPS targets, deny rules on both listeners', async () => {
    api.store.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { rules: [{ host: 'shop.example.org' }] },
    });
    const a = await start([
      '--target-access-mode=HostPort',
      '--alb-http-target-port=9998',
      '--target-https',
      '--deny-internal-domains',
      '--internal-domains=*.cluster.local',
      '--internal-domains=*.svc',
      '--deny-internal-domains-response-status-code=403',
    ]);
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);

    const [stack] = stacks();
    const tg = stack?.outputs.TargetGroupARN ?? '';
    const http = stack?.outputs.HTTPTargetGroupARN ?? '';
    expect(http).not.toBe('');
    expect(stack?.parameters.TargetGroupHTTPTargetPortParameter).toBe('9998');
    // Both target groups reach the nodes through their Auto Scaling group.
    expect(aws.autoscaling.group('nodes')?.targetGroupArns.sort()).toEqual([tg, http].sort());

    const t = JSON.parse(stack?.templateBody ?? '{}') as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    expect(t.Resources.TG?.Properties).toMatchObject({ Protocol: 'HTTPS', HealthCheckProtocol: 'HTTPS' });
    expect(t.Resources.HTTPListener?.Properties.DefaultActions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: 'TGHTTP' } },
    ]);
    for (const rule of ['HTTPRuleBlockInternalTraffic', 'HTTPSRuleBlockInternalTraffic'])
      expect(t.Resources[rule]?.Properties).toMatchObject({
        Priority: 1,
        Conditions: [{ Field: 'host-header', Values: ['*.cluster.local', '*.svc'] }],
        Actions: [
          {
            Type: 'fixed-response',
            FixedResponseConfig: {
              ContentType: 'text/plain',
              MessageBody: 'Unauthorized',
              StatusCode: '403',
            },
          },
        ],
      });

    aws.resetCalls();
    await pass(a);
    expect(aws.mutatingCalls()).toEqual([]);
  });
});

describe('--cloudwatch-alarms-config-map on the fakes', () => {
  it('puts the ConfigMap alarms on every stack, skips a bad key with a Warning Event on the ConfigMap, and updates the stacks when it changes', async () => {
    const alarm = (metric: string) =>
      `- {AlarmName: a, MetricName: ${metric}, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 5}`;
    api.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'alb-alarms', namespace: 'kube-system' },
      data: { good: alarm('HTTPCode_ELB_5XX_Count'), bad: '- {MetricName: m}' },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'other', namespace: 'kube-system' },
      data: { x: alarm('Ignored') },
    });
    api.store.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { rules: [{ host: 'shop.example.org' }] },
    });
    const a = await start(['--cloudwatch-alarms-config-map=kube-system/alb-alarms']);
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);

    const alarms = (): Record<string, { Type: string; Properties: Record<string, unknown> }> => {
      const t = JSON.parse(stacks()[0]?.templateBody ?? '{}') as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      return Object.fromEntries(Object.entries(t.Resources).filter(([k]) => k.startsWith('CloudWatchAlarm')));
    };
    expect(Object.keys(alarms())).toEqual(['CloudWatchAlarm0']);
    expect(alarms().CloudWatchAlarm0?.Properties.MetricName).toBe('HTTPCode_ELB_5XX_Count');
    const hash = stacks()[0]?.tags['cloudwatch:alarm-config-hash'];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    await eventually(() => {
      const events = api.store.list('v1', 'Event', 'kube-system') as {
        reason?: string;
        message?: string;
        involvedObject?: { kind?: string; name?: string };
      }[];
      expect(
        events.some(
          (e) =>
            e.involvedObject?.kind === 'ConfigMap' &&
            e.involvedObject.name === 'alb-alarms' &&
            e.reason === 'InvalidCloudWatchAlarms' &&
            /data key "bad"/.test(e.message ?? ''),
        ),
      ).toBe(true);
    });

    // The ConfigMap changes: the stack follows (template and hash tag).
    api.store.patchMerge('v1', 'ConfigMap', 'kube-system', 'alb-alarms', {
      data: { good: alarm('TargetResponseTime') },
    });
    await eventually(async () => {
      await pass(a);
      expect(alarms().CloudWatchAlarm0?.Properties.MetricName).toBe('TargetResponseTime');
    });
    expect(stacks()[0]?.tags['cloudwatch:alarm-config-hash']).not.toBe(hash);
    expect(stacks()).toHaveLength(1);
  });
});

describe('RouteGroups (zalando.org/v1) on the fakes', () => {
  const rgStatus = (name: string): unknown =>
    (
      api.store.get('zalando.org/v1', 'RouteGroup', 'default', name) as {
        status?: { loadBalancer?: { routegroup?: unknown } };
      }
    )?.status?.loadBalancer?.routegroup;

  it('puts a RouteGroup on a load balancer like an Ingress, writes its status.loadBalancer.routegroup, and skips a bad one with an Event on it', async () => {
    api.store.loadYaml(ROUTEGROUP_CRD_FILE);
    api.store.create({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      metadata: { name: 'shop', namespace: 'default' },
      spec: { hosts: ['shop.example.org'] },
    });
    api.store.create({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      metadata: {
        name: 'broken',
        namespace: 'default',
        annotations: { 'zalando.org/aws-load-balancer-type': 'gwlb' },
      },
      spec: { hosts: ['broken.example.org'] },
    });
    api.store.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'blog', namespace: 'default' },
      spec: { rules: [{ host: 'blog.example.org' }] },
    });
    const a = await start([]);
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);

    // One load balancer for both (same certificate wildcard, shared).
    expect(stacks()).toHaveLength(1);
    const dns = stacks()[0]?.outputs.LoadBalancerDNSName?.toLowerCase();
    await eventually(() => expect(rgStatus('shop')).toEqual([{ hostname: dns }]));
    expect(
      (
        api.store.get('zalando.org/v1', 'RouteGroup', 'default', 'shop') as {
          status?: { loadBalancer?: { ingress?: unknown } };
        }
      ).status?.loadBalancer?.ingress,
    ).toBeUndefined();
    await eventually(() => {
      const events = api.store.list('v1', 'Event', 'default') as {
        reason?: string;
        involvedObject?: { kind?: string; name?: string };
      }[];
      expect(
        events.some(
          (e) =>
            e.involvedObject?.kind === 'RouteGroup' &&
            e.involvedObject.name === 'broken' &&
            e.reason === 'InvalidLoadBalancerType',
        ),
      ).toBe(true);
    });
    expect(rgStatus('broken')).toBeUndefined();
  });
});
