import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeClock, type FakeClock } from '@kube-edge/runtime';
import {
  createFakeAws,
  eventually,
  makeTestCertificate,
  startApiServer,
  type ApiServer,
  type FakeAws,
} from '@kube-edge/testkit';
import type { AlbApp } from './app.js';
import {
  APP,
  CLUSTER,
  DAY,
  controllerActions,
  ingress,
  ingressStatus,
  liveStacks,
  pass,
  seedAccount,
  startApp,
} from '../test/harness.js';

const TTL = 30 * 60_000;

let api: ApiServer;
let aws: FakeAws;
let clock: FakeClock;
let app: AlbApp | undefined;
let certArn: string;

async function start(args: string[] = []): Promise<AlbApp> {
  app = await startApp({ api, aws, clock }, ['--min-load-balancer-age=0s', ...args]);
  return app;
}

const stacks = () => liveStacks(aws);
const statusOf = (name: string): unknown => ingressStatus(api, name);

beforeEach(async () => {
  clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));
  api = await startApiServer();
  aws = await createFakeAws({ now: () => clock.now() });
  ({ certArn } = seedAccount(aws, clock.now()));
});

afterEach(async () => {
  // Every call of every test is allowed by the IAM policy document.
  expect(aws.iamActions().filter((a) => !controllerActions.includes(a))).toEqual([]);
  await app?.stop();
  app = undefined;
  await aws.close();
  await api.close();
});

describe('aws-alb-controller on the API server and the AWS fakes', () => {
  it('creates a stack, and once it is complete points the Ingress status at its load balancer; a second pass changes nothing', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start();
    await pass(a);
    const [stack] = stacks();
    expect(stack?.stackName).toMatch(new RegExp(`^kube-ingress-aws-controller-${CLUSTER}-[0-9a-f-]{36}$`));
    expect(stack?.onFailure).toBe('DELETE');
    expect(stack?.tags).toMatchObject({
      'kubernetes:application': APP,
      [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
      [`ingress:certificate-arn/${certArn}`]: '0001-01-01T00:00:00Z',
    });
    expect(stack?.parameters).toMatchObject({
      LoadBalancerSecurityGroupParameter: 'sg-1',
      LoadBalancerSubnetsParameter: 'subnet-a,subnet-b',
      TargetGroupVPCIDParameter: 'vpc-1',
    });
    expect(statusOf('shop')).toBeUndefined(); // not complete yet

    aws.cloudformation.settle();
    await pass(a);
    const dns = aws.cloudformation.stacks()[0]?.outputs.LoadBalancerDNSName;
    expect(dns).toBeDefined();
    await eventually(() => expect(statusOf('shop')).toEqual([{ hostname: dns?.toLowerCase() }]));
    const tg = aws.cloudformation.stacks()[0]?.outputs.TargetGroupARN;
    expect(aws.autoscaling.group('nodes')?.targetGroupArns).toEqual([tg]);

    aws.resetCalls();
    await pass(a);
    expect(aws.mutatingCalls()).toEqual([]);
    expect(a.lastSummary()).toMatchObject({
      loadBalancers: 1,
      created: 0,
      updated: 0,
      deleted: 0,
      statusWrites: 0,
    });
  });

  it('updates the stack when a certificate is added, and deletes it only after the TTL once the last Ingress is gone', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start();
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);

    const other = aws.acm.addCertificate({
      domainName: 'blog.example.net',
      notBefore: new Date(clock.now() - DAY),
      notAfter: new Date(clock.now() + 365 * DAY),
    }).arn;
    api.store.create(ingress('blog', ['blog.example.net']));
    await clock.advance(30 * 60_000 + 1); // the certificate cache's refresh interval: the new one is read
    await eventually(async () => {
      await pass(a);
      expect(stacks()[0]?.tags[`ingress:certificate-arn/${other}`]).toBe('0001-01-01T00:00:00Z');
    });
    expect(stacks()).toHaveLength(1);
    aws.cloudformation.settle();

    api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'shop');
    api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'blog');
    await eventually(async () => {
      await pass(a);
      expect(stacks()[0]?.tags[`ingress:certificate-arn/${certArn}`]).toBe(
        new Date(clock.now() + TTL).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      );
    });
    aws.cloudformation.settle();
    await pass(a);
    expect(stacks()).toHaveLength(1); // kept for the TTL

    await clock.advance(TTL + 1000);
    await pass(a);
    expect(aws.autoscaling.group('nodes')?.targetGroupArns).toEqual([]);
    aws.cloudformation.settle();
    expect(stacks()).toEqual([]);
  });

  it('adopts an existing stack of the original controller instead of creating another', async () => {
    aws.cloudformation.createStack({
      stackName: `kube-ingress-aws-controller-${CLUSTER}-11111111-2222-4333-8444-555555555555`,
      tags: {
        'kubernetes:application': APP,
        [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
        [`ingress:certificate-arn/${certArn}`]: '0001-01-01T00:00:00Z',
      },
    });
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start();
    await pass(a);
    expect(stacks().map((s) => s.stackName)).toEqual([
      `kube-ingress-aws-controller-${CLUSTER}-11111111-2222-4333-8444-555555555555`,
    ]);
    expect(stacks()[0]?.status).toBe('UPDATE_IN_PROGRESS');
    expect(aws.callCounts('cloudformation')['cloudformation:CreateStack']).toBeUndefined();
  });

  it('deletes nothing when the stacks cannot be listed', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start();
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);
    api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'shop');
    await clock.advance(2 * TTL);
    aws.failNext('cloudformation', {
      action: 'DescribeStacks',
      code: 'AccessDenied',
      status: 403,
      count: 10,
    });
    aws.resetCalls();
    const p = await a.reconcileNow();
    expect(p.result).not.toBe('success');
    expect(aws.mutatingCalls()).toEqual([]);
    expect(stacks()).toHaveLength(1);
  });

  it('reports a rolled-back update as a Warning Event on the Ingress', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start();
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);
    aws.cloudformation.failNextOperation({ operation: 'update' });
    api.store.create(
      ingress('dedicated', ['x.example.org'], { 'zalando.org/aws-load-balancer-http2': 'false' }),
    );
    const blog = aws.acm.addCertificate({
      domainName: 'shop2.example.org',
      notBefore: new Date(clock.now() - DAY),
      notAfter: new Date(clock.now() + 365 * DAY),
    }).arn;
    expect(blog).toBeDefined();
    // A change on the existing stack: the ingress now also serves a host of the second certificate.
    await clock.advance(30 * 60_000 + 1);
    api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'shop', {
      spec: { rules: [{ host: 'shop.example.org' }, { host: 'shop2.example.org' }] },
    });
    await eventually(async () => {
      await a.reconcileNow();
      aws.cloudformation.settle();
      const s = stacks().find((x) => x.tags[`ingress:certificate-arn/${certArn}`] !== undefined);
      expect(s?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    });
    await a.reconcileNow();
    await eventually(() => {
      const events = api.store.list('v1', 'Event', 'default') as {
        reason?: string;
        involvedObject?: { name?: string };
      }[];
      expect(
        events.some((e) => e.involvedObject?.name === 'shop' && /Rolled|Rollback/i.test(e.reason ?? '')),
      ).toBe(true);
    });
  });

  it('calls exactly the actions of the IAM policy document over a whole lifecycle (IAM certificates, a single instance, a foreign target group, termination protection)', async () => {
    const cert = await makeTestCertificate({ commonName: 'legacy.example.org' });
    aws.iam.addServerCertificate({ name: 'legacy', body: cert.cert });
    aws.ec2.putInstance({
      instanceId: 'i-0fedcba9876543210',
      vpcId: 'vpc-1',
      tags: { [`kubernetes.io/cluster/${CLUSTER}`]: 'owned', 'k8s.io/role/node': '' },
    });
    const foreign = aws.elbv2.createTargetGroup({ name: 'someone-else' });
    aws.autoscaling.putGroup({
      name: 'nodes',
      instanceIds: ['i-0123456789abcdef0'],
      targetGroupArns: [foreign.arn],
    });
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start(['--stack-termination-protection']);
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);
    const tg = stacks()[0]?.outputs.TargetGroupARN ?? '';
    // The group's instance arrives through the attachment, the single one is registered.
    expect(
      aws.elbv2
        .targetsOf(tg)
        .map((t) => t.id)
        .sort(),
    ).toEqual(['i-0123456789abcdef0', 'i-0fedcba9876543210']);
    expect(aws.autoscaling.group('nodes')?.targetGroupArns.sort()).toEqual([foreign.arn, tg].sort());

    aws.ec2.removeInstance('i-0fedcba9876543210');
    await pass(a);
    expect(aws.elbv2.targetsOf(tg).map((t) => t.id)).toEqual(['i-0123456789abcdef0']);

    api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'shop');
    await pass(a);
    aws.cloudformation.settle();
    await clock.advance(TTL + 1000);
    await pass(a);
    aws.cloudformation.settle();
    expect(stacks()).toEqual([]);
    // Only --cert-filter-tag lists certificate tags (that lifecycle is in cni.integ.test.ts).
    const filterTagActions = ['acm:ListTagsForCertificate', 'iam:ListServerCertificateTags'];
    expect(aws.iamActions()).toEqual(controllerActions.filter((a) => !filterTagActions.includes(a)).sort());
  });
});
