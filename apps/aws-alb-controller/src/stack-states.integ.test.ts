import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeClock, createMetrics, type FakeClock, type Metrics } from '@kube-edge/runtime';
import { createFakeAws, eventually, startApiServer, type ApiServer, type FakeAws } from '@kube-edge/testkit';
import type { AlbApp } from './app.js';
import {
  APP,
  CLUSTER,
  ingress,
  ingressStatus,
  liveStacks,
  pass,
  seedAccount,
  startApp,
} from '../test/harness.js';

// The Ingress status gate and the stack states, through the AWS fakes' own lifecycles: a new
// load balancer is `provisioning` for PROVISIONING by the fake clock, then `active`; stacks move
// only when the test settles them.
const PROVISIONING = 3 * 60_000;
const MIN_AGE = 6 * 60_000;

let api: ApiServer;
let aws: FakeAws;
let clock: FakeClock;
let metrics: Metrics;
let app: AlbApp | undefined;
let certArn: string;

beforeEach(async () => {
  clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));
  api = await startApiServer();
  aws = await createFakeAws({ now: () => clock.now(), elbv2: { provisioningMs: PROVISIONING } });
  ({ certArn } = seedAccount(aws, clock.now()));
  metrics = createMetrics({ prefix: 'aws_alb_controller', collectDefaultMetrics: false });
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await aws.close();
  await api.close();
});

async function start(args: string[], options: { ready?: boolean } = {}): Promise<AlbApp> {
  app = await startApp({ api, aws, clock }, args, { deps: { metrics }, ready: options.ready });
  return app;
}

const statusOf = (name: string): unknown => ingressStatus(api, name);

async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metrics.registry.getSingleMetric(`aws_alb_controller_${name}`)?.get();
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((n, v) => n + v.value, 0);
}

describe('the Ingress status gate on the fakes: stack complete, load balancer active, old enough', () => {
  it('points the Ingress at its load balancer only once it is active and --min-load-balancer-age old, and not while its stack is updating', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await start([`--min-load-balancer-age=${MIN_AGE / 60_000}m`]);
    await pass(a);
    aws.cloudformation.settle();
    const lbArn = liveStacks(aws)[0]?.outputs.LoadBalancerARN ?? aws.elbv2.loadBalancers()[0]?.arn ?? '';
    const dns = liveStacks(aws)[0]?.outputs.LoadBalancerDNSName?.toLowerCase();
    expect(aws.elbv2.loadBalancer(lbArn)?.state).toBe('provisioning');

    // Stack complete, load balancer provisioning: no status.
    await pass(a);
    expect(statusOf('shop')).toBeUndefined();
    expect(a.lastSummary()?.statusWrites).toBe(0);

    // Active, but younger than the minimum age: no status.
    await clock.advance(PROVISIONING);
    expect(aws.elbv2.loadBalancer(lbArn)?.state).toBe('active');
    await pass(a);
    expect(statusOf('shop')).toBeUndefined();

    // Active and old enough: the status.
    await clock.advance(MIN_AGE - PROVISIONING);
    await pass(a);
    expect(statusOf('shop')).toEqual([{ hostname: dns }]);
    expect(await counter('ingress_status_writes_total')).toBe(1);

    // A failed load balancer is not pointed at.
    aws.elbv2.setLoadBalancerState(lbArn, 'failed');
    api.store.create(ingress('cart', ['cart.example.org']));
    await a.idle();
    await pass(a);
    expect(statusOf('cart')).toBeUndefined();
    aws.elbv2.setLoadBalancerState(lbArn, undefined);
    await pass(a);
    expect(statusOf('cart')).toEqual([{ hostname: dns }]);

    // An Ingress whose certificate the stack is being updated to add: no status in the pass that
    // starts the update, nor while the stack is updating; once it is complete, the status.
    aws.acm.addCertificate({
      domainName: 'blog.example.net',
      notBefore: new Date(clock.now() - 86_400_000),
      notAfter: new Date(clock.now() + 365 * 86_400_000),
    });
    api.store.create(ingress('blog', ['blog.example.net']));
    await a.idle();
    await pass(a); // the certificate cache has not read the new certificate yet: blog is skipped
    expect(liveStacks(aws)[0]?.status).toMatch(/_COMPLETE$/);
    await clock.advance(30 * 60_000); // the certificate cache's refresh reads it
    await eventually(async () => {
      await pass(a);
      expect(liveStacks(aws)[0]?.status).toBe('UPDATE_IN_PROGRESS');
    });
    expect(liveStacks(aws)).toHaveLength(1);
    expect(statusOf('blog')).toBeUndefined();
    await pass(a);
    expect(statusOf('blog')).toBeUndefined();
    aws.cloudformation.settle();
    await pass(a);
    expect(statusOf('blog')).toEqual([{ hostname: dns }]);
  });
});

describe('a ROLLBACK_COMPLETE stack', () => {
  it('that no load balancer holds is deleted, reported as a Warning Event on the Ingresses of its certificates and counted, and its Ingresses get a new stack', async () => {
    const failed = `kube-ingress-aws-controller-${CLUSTER}-11111111-2222-4333-8444-555555555555`;
    aws.cloudformation.createStack({
      stackName: failed,
      status: 'ROLLBACK_COMPLETE',
      statusReason: 'The following resource(s) failed to create: [LB].',
      tags: {
        'kubernetes:application': APP,
        [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
        [`ingress:certificate-arn/${certArn}`]: '0001-01-01T00:00:00Z',
      },
    });
    api.store.create(ingress('shop', ['shop.example.org']));
    api.store.create(ingress('other', ['other.example.net'])); // no certificate: skipped, no Event of the stack
    const a = await start(['--min-load-balancer-age=0s']);
    await pass(a);

    // The failed stack goes; the Ingress gets a new one.
    expect(aws.cloudformation.stack(failed)?.status ?? 'DELETE_COMPLETE').toMatch(/^DELETE_/);
    const live = liveStacks(aws).filter((s) => s.stackName !== failed);
    expect(live).toHaveLength(1);
    expect(live[0]?.tags[`ingress:certificate-arn/${certArn}`]).toBe('0001-01-01T00:00:00Z');
    expect(await counter('stack_problems_total', { reason: 'StackRollbackComplete' })).toBe(1);
    const events = await eventually(() => {
      const found = (
        api.store.list('v1', 'Event', 'default') as {
          reason?: string;
          type?: string;
          message?: string;
          involvedObject?: { name?: string };
        }[]
      ).filter((e) => e.reason === 'StackRollbackComplete');
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    expect(events.map((e) => [e.involvedObject?.name, e.type])).toEqual([['shop', 'Warning']]);
    expect(events[0]?.message).toContain(failed);
    expect(events[0]?.message).toContain('failed to create');

    aws.cloudformation.settle();
    await pass(a);
    expect(liveStacks(aws).map((s) => s.stackName)).toEqual([live[0]?.stackName]);
    expect(await counter('stack_problems_total', { reason: 'StackRollbackComplete' })).toBe(1);
  });
});

describe('certificates that cannot be listed', () => {
  it('at start: the pass fails having changed nothing; on a refresh: the last good list is kept, so no certificate expires and nothing is deleted', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    aws.failNext('acm', {
      action: 'ListCertificates',
      code: 'AccessDeniedException',
      status: 400,
      count: 100,
    });
    // (Not ready: the first pass fails and is retried.)
    const a = await start(['--min-load-balancer-age=0s'], { ready: false });
    const failed = await a.waitForPass(() => true);
    expect(failed.result).not.toBe('success');
    expect(String(failed.error)).toMatch(/listing ACM certificates failed/);
    expect(aws.mutatingCalls()).toEqual([]);
    expect(liveStacks(aws)).toEqual([]);

    aws.clearFaults();
    await pass(a);
    aws.cloudformation.settle();
    await pass(a);
    expect(liveStacks(aws)).toHaveLength(1);

    // ACM fails from now on; the cache's refresh keeps the list it had, the stack keeps its
    // certificate in use, and passes go on without a change.
    aws.failNext('acm', { code: 'ThrottlingException', status: 400, count: 1000 });
    aws.resetCalls();
    await clock.advance(30 * 60_000);
    await clock.advance(30 * 60_000);
    await eventually(() => expect(aws.calls('acm')).toContain('ListCertificates')); // the refresh ran, and failed
    aws.resetCalls();
    await pass(a);
    expect(aws.mutatingCalls()).toEqual([]);
    expect(liveStacks(aws)[0]?.tags[`ingress:certificate-arn/${certArn}`]).toBe('0001-01-01T00:00:00Z');
  });
});
