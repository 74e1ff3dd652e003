import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigError, TransientError, createFakeClock, type FakeClock } from '@kube-edge/runtime';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import { Registry } from 'prom-client';
import { FRONTEND_TAG, INGRESS_CLASS_TAG } from './discovery.js';
import { createInstanceMetadataClient, type InstanceIdentitySource } from './instance-metadata.js';
import { TargetGroupFrontend, type TargetGroupFrontendOptions } from './target-group-frontend.js';
import { rejectionOf } from '../test/support.js';

const ME = 'i-0123456789abcdef0';
const MY_IP = '10.0.7.42';
const ours = { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' };

let fake: FakeAws;
let client: ElasticLoadBalancingV2Client;
let instance: InstanceIdentitySource;
let clock: FakeClock;

beforeAll(async () => {
  fake = await createFakeAws({ imds: { identity: { instanceId: ME, privateIp: MY_IP } } });
  client = new ElasticLoadBalancingV2Client(fake.clientConfig());
  instance = createInstanceMetadataClient({ baseUrl: fake.imds.url });
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  for (const tg of fake.elbv2.targetGroups()) fake.elbv2.deleteTargetGroup(tg.arn);
  for (const lb of fake.elbv2.loadBalancers()) fake.elbv2.deleteLoadBalancer(lb.arn);
  fake.clearFaults();
  fake.resetCalls();
  clock = createFakeClock(1_700_000_000_000, { autoAdvance: true });
});

/** Where I am registered, as `group-name=target` strings. */
function membership(): string[] {
  return fake.elbv2
    .targetGroups()
    .flatMap((tg) =>
      tg.targets.filter((t) => t.id === ME || t.id === MY_IP).map((t) => `${tg.name}=${t.id}:${t.port}`),
    );
}

function nlb(extra: Partial<TargetGroupFrontendOptions> = {}, expectedNumber?: number): TargetGroupFrontend {
  return new TargetGroupFrontend({
    client,
    instance,
    clock,
    select: {
      kind: 'load-balancer-tags',
      frontendTagValue: 'blue',
      ingressClass: 'edge',
      ...(expectedNumber === undefined ? {} : { expectedNumber }),
    },
    ...extra,
  });
}

function seedNlbs(): { internal: string; publicLb: string } {
  const internal = fake.elbv2.createLoadBalancer({ name: 'nlb-int', scheme: 'internal', tags: ours });
  const publicLb = fake.elbv2.createLoadBalancer({ name: 'nlb-pub', scheme: 'internet-facing', tags: ours });
  const foreign = fake.elbv2.createLoadBalancer({
    name: 'nlb-foreign',
    scheme: 'internal',
    tags: { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'other' },
  });
  fake.elbv2.createTargetGroup({
    name: 'int-http-ip',
    targetType: 'ip',
    port: 8080,
    loadBalancerArns: [internal.arn],
  });
  fake.elbv2.createTargetGroup({
    name: 'int-https-inst',
    targetType: 'instance',
    port: 8443,
    loadBalancerArns: [internal.arn],
  });
  fake.elbv2.createTargetGroup({
    name: 'pub-http-inst',
    targetType: 'instance',
    port: 8080,
    loadBalancerArns: [publicLb.arn],
  });
  fake.elbv2.createTargetGroup({ name: 'foreign-ip', targetType: 'ip', loadBalancerArns: [foreign.arn] });
  fake.elbv2.createTargetGroup({ name: 'loose-inst', targetType: 'instance' });
  return { internal: internal.arn, publicLb: publicLb.arn };
}

describe('TargetGroupFrontend for NLBs (load balancer tags)', () => {
  it('registers the private IP in ip groups and the instance id in instance groups of every tagged NLB, and nothing else', async () => {
    seedNlbs();
    const registry = new Registry();
    const frontend = nlb({ registry });
    await frontend.start();
    expect(fake.calls('elbv2')).toEqual([]);
    await frontend.update({});
    expect(membership()).toEqual([
      'int-http-ip=10.0.7.42:8080',
      'int-https-inst=i-0123456789abcdef0:8443',
      'pub-http-inst=i-0123456789abcdef0:8080',
    ]);
    expect(await registry.getSingleMetricAsString('feed_ingress_frontends_attached')).toMatch(/ 2$/m);
    const calls = fake.calls('elbv2');
    expect(calls.filter((c) => c === 'DescribeTargetGroups')).toHaveLength(1);

    await frontend.update({});
    expect(fake.calls('elbv2')).toHaveLength(calls.length);
  });

  it('becomes ready only after the readiness delay has passed on the clock', async () => {
    seedNlbs();
    const frontend = nlb({ readinessDelayMs: 300_000 });
    expect(frontend.readiness().ok).toBe(false);
    await frontend.update({});
    expect(frontend.health().ok).toBe(true);
    expect(frontend.readiness().ok).toBe(false);
    await clock.advance(299_000);
    expect(frontend.readiness().ok).toBe(false);
    await clock.advance(1_000);
    expect(frontend.readiness()).toMatchObject({ ok: true });
  });

  it('deregisters from every target group on stop and then waits the drain delay', async () => {
    seedNlbs();
    const frontend = nlb({ drainDelayMs: 30_000 });
    await frontend.update({});
    await frontend.stop();
    expect(membership()).toEqual([]);
    expect(clock.delays).toEqual([30_000]);
  });

  it('still drains when some deregistrations succeed, then reports the failed ARN', async () => {
    seedNlbs();
    const frontend = nlb();
    await frontend.update({});
    fake.failNext('elbv2', { action: 'DeregisterTargets', code: 'AccessDenied', status: 403 });
    const err = await rejectionOf(frontend.stop());
    expect((err as TransientError).code).toBe('TARGET_DEREGISTER_FAILED');
    expect(clock.delays).toEqual([60_000]);
    expect(membership()).toHaveLength(1);
    expect((err as Error).message).toContain(frontend.attachedTargetGroups()[0]);
  });

  it('does not drain when every deregistration failed', async () => {
    seedNlbs();
    const frontend = nlb();
    await frontend.update({});
    fake.failNext('elbv2', { action: 'DeregisterTargets', code: 'AccessDenied', status: 403, count: 3 });
    await rejectionOf(frontend.stop());
    expect(clock.delays).toEqual([]);
  });

  it('retries a failed attach on the next update', async () => {
    seedNlbs();
    const frontend = nlb();
    fake.failNext('elbv2', { action: 'RegisterTargets', code: 'AccessDenied', status: 403 });
    const err = await rejectionOf(frontend.update({}));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/arn:aws:elasticloadbalancing:.*:targetgroup\//);
    expect(membership()).toHaveLength(2);
    await frontend.update({});
    expect(membership()).toHaveLength(3);
  });

  it('survives throttling of every call because the SDK retries it', async () => {
    seedNlbs();
    const frontend = nlb();
    for (const action of ['DescribeTargetGroups', 'DescribeLoadBalancers', 'DescribeTags'])
      fake.throttleNext('elbv2', 1, action);
    fake.throttleNext('elbv2', 2, 'RegisterTargets');
    await frontend.update({});
    expect(membership()).toHaveLength(3);
    expect(fake.calls('elbv2').filter((c) => c === 'DescribeTags')).toHaveLength(2);
  });

  it('names the target group whose target type it cannot register and registers the rest', async () => {
    const { internal } = seedNlbs();
    const lambda = fake.elbv2.createTargetGroup({
      name: 'int-lambda',
      targetType: 'lambda',
      loadBalancerArns: [internal],
    });
    const frontend = nlb();
    const err = await rejectionOf(frontend.update({}));
    expect((err as Error).message).toContain(lambda.arn);
    expect(membership()).toHaveLength(3);
    expect(frontend.readiness().ok).toBe(false);
  });

  it('counts load balancers for the expected number and fails health on a mismatch', async () => {
    seedNlbs();
    const frontend = nlb({}, 3);
    const err = await rejectionOf(frontend.update({}));
    expect((err as TransientError).code).toBe('TARGET_EXPECTED_NUMBER');
    expect(frontend.health()).toEqual({ ok: false, message: 'expected 3 load balancer(s), attached 2' });
    const exact = nlb({}, 2);
    await exact.update({});
    expect(exact.health().ok).toBe(true);
  });

  it('asks DescribeTags for 20 load balancer ARNs at a time', async () => {
    for (let i = 0; i < 45; i++) fake.elbv2.createLoadBalancer({ name: `bulk-${i}` });
    seedNlbs();
    await nlb().update({});
    const tagCalls = fake.calls('elbv2').filter((c) => c === 'DescribeTags').length;
    expect(tagCalls).toBe(Math.ceil((45 + 3) / 20));
    expect(membership()).toHaveLength(3);
  });
});

describe('TargetGroupFrontend for ALBs (target group names)', () => {
  function alb(
    names: readonly string[],
    extra: Partial<TargetGroupFrontendOptions> = {},
  ): TargetGroupFrontend {
    return new TargetGroupFrontend({
      client,
      instance,
      clock,
      select: { kind: 'target-group-names', names },
      ...extra,
    });
  }

  it('registers only in the named target groups and reports the ALB gauge', async () => {
    fake.elbv2.createTargetGroup({ name: 'alb-a' });
    fake.elbv2.createTargetGroup({ name: 'alb-b', port: 9090 });
    fake.elbv2.createTargetGroup({ name: 'alb-c' });
    const registry = new Registry();
    const frontend = alb(['alb-a', 'alb-b'], { registry });
    await frontend.update({});
    expect(membership()).toEqual(['alb-a=i-0123456789abcdef0:80', 'alb-b=i-0123456789abcdef0:9090']);
    expect(frontend.health().ok).toBe(true);
    expect(frontend.readiness().ok).toBe(true);
    expect(await registry.getSingleMetricAsString('feed_ingress_alb_frontends_attached')).toMatch(/ 2$/m);
  });

  it('fails the update when a named target group does not exist', async () => {
    fake.elbv2.createTargetGroup({ name: 'alb-a' });
    const frontend = alb(['alb-a', 'alb-missing']);
    expect(await rejectionOf(frontend.update({}))).toBeInstanceOf(TargetGroupNotFoundException);
    expect(membership()).toEqual([]);
    expect(frontend.health().ok).toBe(false);
  });

  it('always waits the deregistration delay on stop, even when a deregistration fails', async () => {
    fake.elbv2.createTargetGroup({ name: 'alb-a' });
    fake.elbv2.createTargetGroup({ name: 'alb-b' });
    const frontend = alb(['alb-a', 'alb-b']);
    await frontend.update({});
    fake.failNext('elbv2', { action: 'DeregisterTargets', code: 'AccessDenied', status: 403 });
    await frontend.stop();
    expect(membership()).toHaveLength(1);
    expect(clock.delays).toEqual([300_000]);
  });

  it('refuses an empty list of names', () => {
    expect(() => alb([])).toThrow(ConfigError);
    expect(() => alb(['ok', ' '])).toThrow(ConfigError);
  });
});
