import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import {
  ConfigError,
  TransientError,
  createUpdaterChain,
  type Updater,
  createFakeClock,
  type FakeClock,
} from '@kube-edge/runtime';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import { Registry } from 'prom-client';
import { ClassicElbFrontend, type ClassicElbFrontendOptions } from './classic-elb-frontend.js';
import { FRONTEND_TAG, INGRESS_CLASS_TAG } from './discovery.js';
import { createInstanceMetadataClient, type InstanceIdentitySource } from './instance-metadata.js';
import { rejectionOf } from '../test/support.js';

const ME = 'i-0123456789abcdef0';
const OTHER = 'i-0fffffffffffffff1';
const ours = { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' };

let fake: FakeAws;
let client: ElasticLoadBalancingClient;
let instance: InstanceIdentitySource;
let clock: FakeClock;

beforeAll(async () => {
  fake = await createFakeAws({ imds: { identity: { instanceId: ME } } });
  client = new ElasticLoadBalancingClient(fake.clientConfig());
  instance = createInstanceMetadataClient({ baseUrl: fake.imds.url });
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  for (const lb of fake.elb.loadBalancers()) fake.elb.deleteLoadBalancer(lb.name);
  fake.clearFaults();
  fake.resetCalls();
  clock = createFakeClock(1_700_000_000_000, { autoAdvance: true });
});

function frontend(extra: Partial<ClassicElbFrontendOptions> = {}): ClassicElbFrontend {
  return new ClassicElbFrontend({
    client,
    instance,
    frontendTagValue: 'blue',
    ingressClass: 'edge',
    clock,
    ...extra,
  });
}

function seedTypicalAccount(): void {
  fake.elb.createLoadBalancer({ name: 'edge-internal', scheme: 'internal', tags: ours, instances: [OTHER] });
  fake.elb.createLoadBalancer({ name: 'edge-public', scheme: 'internet-facing', tags: ours });
  // Same scheme as edge-public but a higher name: deterministic choice ignores it.
  fake.elb.createLoadBalancer({ name: 'zz-edge-public-2', scheme: 'internet-facing', tags: ours });
  fake.elb.createLoadBalancer({
    name: 'other-frontend',
    scheme: 'internal',
    tags: { [FRONTEND_TAG]: 'green', [INGRESS_CLASS_TAG]: 'edge' },
  });
  fake.elb.createLoadBalancer({
    name: 'other-class',
    scheme: 'internal',
    tags: { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'other' },
  });
  fake.elb.createLoadBalancer({ name: 'untagged', scheme: 'internal', instances: [ME] });
}

describe('ClassicElbFrontend', () => {
  it('attaches nothing at start and registers the instance with exactly one tagged ELB per scheme on the first update', async () => {
    seedTypicalAccount();
    const registry = new Registry();
    const elb = frontend({ registry });
    await elb.start();
    expect(fake.calls('elb')).toEqual([]);
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);

    await elb.update({});
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['edge-internal', 'edge-public', 'untagged']);
    expect(fake.elb.loadBalancer('edge-internal')?.instances).toEqual([ME, OTHER].sort());
    expect(elb.attachedLoadBalancers()).toEqual(['edge-internal', 'edge-public']);
    expect(await registry.getSingleMetricAsString('feed_ingress_frontends_attached')).toMatch(
      /feed_ingress_frontends_attached 2$/m,
    );

    // Steady state: a second update makes no AWS call at all.
    const callsAfterAttach = fake.calls('elb').length;
    await elb.update({});
    expect(fake.calls('elb')).toHaveLength(callsAfterAttach);
  });

  it('deregisters on stop, leaves untagged ELBs alone, and then waits the drain delay', async () => {
    seedTypicalAccount();
    const elb = frontend({ drainDelayMs: 45_000 });
    await elb.start();
    await elb.update({});
    await elb.stop();
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);
    expect(fake.elb.loadBalancer('edge-internal')?.instances).toEqual([OTHER]);
    expect(clock.delays).toEqual([45_000]);
    expect(elb.attachedLoadBalancers()).toEqual([]);
  });

  it('retries a failed attach on the next update', async () => {
    seedTypicalAccount();
    const elb = frontend();
    fake.failNext('elb', { action: 'RegisterInstancesWithLoadBalancer', code: 'AccessDenied', status: 403 });
    const err = await rejectionOf(elb.update({}));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/edge-(internal|public)/);
    expect(fake.elb.loadBalancersWithInstance(ME).filter((n) => n.startsWith('edge-'))).toHaveLength(1);
    expect(elb.readiness().ok).toBe(true);

    await elb.update({});
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['edge-internal', 'edge-public', 'untagged']);
  });

  it('survives throttling of discovery and registration because the SDK retries it', async () => {
    seedTypicalAccount();
    const elb = frontend();
    fake.throttleNext('elb', 1, 'DescribeLoadBalancers');
    fake.throttleNext('elb', 1, 'DescribeTags');
    fake.throttleNext('elb', 2, 'RegisterInstancesWithLoadBalancer');
    await elb.update({});
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['edge-internal', 'edge-public', 'untagged']);
    expect(fake.calls('elb').filter((c) => c === 'RegisterInstancesWithLoadBalancer')).toHaveLength(4);
  });

  it('fails the update without crashing when throttling outlasts the SDK retries, and attaches on the next update', async () => {
    seedTypicalAccount();
    const elb = frontend();
    fake.throttleNext('elb', 3, 'DescribeLoadBalancers');
    const err = await rejectionOf(elb.update({}));
    expect((err as Error).name).toBe('Throttling');
    expect(fake.calls('elb')).toEqual([
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
    ]);
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);
    await elb.update({});
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['edge-internal', 'edge-public', 'untagged']);
  });

  it('pages through DescribeLoadBalancers and asks DescribeTags 20 names at a time', async () => {
    for (let i = 0; i < 405; i++)
      fake.elb.createLoadBalancer({ name: `bulk-${String(i).padStart(3, '0')}`, scheme: 'internal' });
    fake.elb.createLoadBalancer({ name: 'zzz-ours', scheme: 'internal', tags: ours });
    const elb = frontend();
    await elb.update({});
    const calls = fake.calls('elb');
    expect(calls.filter((c) => c === 'DescribeLoadBalancers')).toHaveLength(2);
    expect(calls.filter((c) => c === 'DescribeTags')).toHaveLength(Math.ceil(406 / 20));
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['zzz-ours']);
  });

  it('treats expected number 0 as "don\'t check" and otherwise fails attach and health on a mismatch', async () => {
    seedTypicalAccount();
    const unchecked = frontend();
    expect(unchecked.health().ok).toBe(true);
    expect(unchecked.readiness().ok).toBe(false);
    await unchecked.update({});
    expect(unchecked.health().ok).toBe(true);
    expect(unchecked.readiness().ok).toBe(true);

    const strict = frontend({ expectedNumber: 3 });
    const err = await rejectionOf(strict.update({}));
    expect((err as TransientError).code).toBe('ELB_EXPECTED_NUMBER');
    expect(strict.health()).toEqual({ ok: false, message: 'expected 3 ELB(s), attached 2' });
    expect(strict.readiness().ok).toBe(false);

    const exact = frontend({ expectedNumber: 2 });
    await exact.update({});
    expect(exact.health().ok).toBe(true);
  });

  it('rejects stop without waiting when a deregistration fails', async () => {
    seedTypicalAccount();
    const elb = frontend();
    await elb.update({});
    fake.failNext('elb', {
      action: 'DeregisterInstancesFromLoadBalancer',
      code: 'AccessDenied',
      status: 403,
    });
    const err = await rejectionOf(elb.stop());
    expect((err as TransientError).code).toBe('ELB_DEREGISTER_FAILED');
    expect(clock.delays).toEqual([]);
    expect(elb.attachedLoadBalancers()).toHaveLength(1);
  });

  it('never attaches after stop, and a stop with nothing attached neither calls AWS nor waits', async () => {
    seedTypicalAccount();
    const elb = frontend();
    await elb.start();
    await elb.stop();
    await elb.update({});
    expect(fake.calls('elb')).toEqual([]);
    expect(clock.delays).toEqual([]);
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);
  });

  it('waits for an in-flight update before deregistering', async () => {
    seedTypicalAccount();
    const elb = frontend();
    const updating = elb.update({});
    const stopping = elb.stop();
    await Promise.all([updating, stopping]);
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);
    expect(clock.delays).toEqual([60_000]);
  });

  it('attaches only after the earlier chain member succeeded, and detaches before it stops', async () => {
    seedTypicalAccount();
    const events: string[] = [];
    let nginxOk = false;
    const nginx: Updater<unknown> = {
      name: 'nginx',
      start: () => Promise.resolve(),
      update: () => (nginxOk ? Promise.resolve() : Promise.reject(new Error('nginx -t failed'))),
      stop: () => {
        events.push(`nginx stopped; attached=${fake.elb.loadBalancersWithInstance(ME).join(',')}`);
        return Promise.resolve();
      },
      health: () => ({ ok: true }),
      readiness: () => ({ ok: true }),
    };
    const chain = createUpdaterChain('feed-ingress', [nginx, frontend()]);
    await chain.start();
    await rejectionOf(chain.update({}));
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['untagged']);
    nginxOk = true;
    await chain.update({});
    expect(fake.elb.loadBalancersWithInstance(ME)).toEqual(['edge-internal', 'edge-public', 'untagged']);
    await chain.stop();
    expect(events).toEqual(['nginx stopped; attached=untagged']);
    expect(clock.delays).toEqual([60_000]);
  });

  it('refuses an empty tag value or a negative expected number', () => {
    expect(() => frontend({ frontendTagValue: '' })).toThrow(ConfigError);
    expect(() => frontend({ expectedNumber: -1 })).toThrow(ConfigError);
  });
});
