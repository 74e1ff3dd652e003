import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import {
  findInstanceMembership,
  setClassicElbInstance,
  setTargetGroupInstance,
} from './instance-membership.js';

const ID = 'i-0123456789abcdef0';
const OTHER = 'i-0fedcba9876543210';
let fake: FakeAws;
let elb: ElasticLoadBalancingClient;
let elbv2: ElasticLoadBalancingV2Client;

beforeAll(async () => {
  fake = await createFakeAws();
  elb = new ElasticLoadBalancingClient(fake.clientConfig());
  elbv2 = new ElasticLoadBalancingV2Client(fake.clientConfig());
});
afterAll(async () => {
  elb.destroy();
  elbv2.destroy();
  await fake.close();
});
beforeEach(() => {
  for (const lb of fake.elb.loadBalancers()) fake.elb.deleteLoadBalancer(lb.name);
  for (const tg of fake.elbv2.targetGroups()) fake.elbv2.deleteTargetGroup(tg.arn);
  fake.resetCalls();
  fake.clearFaults();
});

describe('findInstanceMembership', () => {
  it('finds the classic load balancers and instance target groups (every port) holding the instance, not ip groups', async () => {
    fake.elb.createLoadBalancer({ name: 'b-clb', instances: [ID, OTHER] });
    fake.elb.createLoadBalancer({ name: 'a-clb', instances: [ID] });
    fake.elb.createLoadBalancer({ name: 'other-clb', instances: [OTHER] });
    const tg1 = fake.elbv2.createTargetGroup({
      name: 'tg1',
      port: 80,
      targets: [{ id: ID }, { id: ID, port: 8080 }],
    });
    fake.elbv2.createTargetGroup({ name: 'tg2', targets: [{ id: OTHER }] });
    const ip = fake.elbv2.createTargetGroup({ name: 'ip', targetType: 'ip', targets: [{ id: '10.0.0.1' }] });
    const got = await findInstanceMembership({ instanceId: ID, elb, elbv2 });
    expect(got).toEqual({
      loadBalancers: ['a-clb', 'b-clb'],
      targets: [
        { arn: tg1.arn, port: 80 },
        { arn: tg1.arn, port: 8080 },
      ],
    });
    expect(fake.calls('elbv2').filter((c) => c === 'DescribeTargetHealth')).toHaveLength(2);
    expect(ip.targetType).toBe('ip');
  });

  it('searches only the APIs it is given a client for', async () => {
    fake.elb.createLoadBalancer({ name: 'clb', instances: [ID] });
    expect(await findInstanceMembership({ instanceId: ID, elbv2 })).toEqual({
      loadBalancers: [],
      targets: [],
    });
    expect(fake.calls('elb')).toEqual([]);
  });
});

describe('setClassicElbInstance / setTargetGroupInstance', () => {
  it('deregisters and registers again, idempotently, on the recorded port', async () => {
    fake.elb.createLoadBalancer({ name: 'clb', instances: [ID, OTHER] });
    const tg = fake.elbv2.createTargetGroup({
      name: 'tg',
      port: 80,
      targets: [{ id: ID, port: 8080 }, { id: OTHER }],
    });
    for (let i = 0; i < 2; i++) {
      expect(await setClassicElbInstance(elb, 'clb', ID, false)).toBe('done');
      expect(await setTargetGroupInstance(elbv2, { arn: tg.arn, port: 8080 }, ID, false)).toBe('done');
    }
    expect(fake.elb.loadBalancer('clb')?.instances).toEqual([OTHER]);
    expect(fake.elbv2.targetsOf(tg.arn)).toEqual([{ id: OTHER, port: 80 }]);
    for (let i = 0; i < 2; i++) {
      await setClassicElbInstance(elb, 'clb', ID, true);
      await setTargetGroupInstance(elbv2, { arn: tg.arn, port: 8080 }, ID, true);
    }
    expect(fake.elb.loadBalancer('clb')?.instances).toEqual([ID, OTHER].sort());
    expect(fake.elbv2.targetsOf(tg.arn)).toEqual([
      { id: ID, port: 8080 },
      { id: OTHER, port: 80 },
    ]);
  });

  it('answers gone for a deleted load balancer or target group, and rethrows other errors', async () => {
    const tg = fake.elbv2.createTargetGroup({ name: 'tg' });
    fake.elbv2.deleteTargetGroup(tg.arn);
    expect(await setClassicElbInstance(elb, 'nope', ID, false)).toBe('gone');
    expect(await setTargetGroupInstance(elbv2, { arn: tg.arn, port: 80 }, ID, true)).toBe('gone');
    fake.elb.createLoadBalancer({ name: 'clb', instances: [ID] });
    fake.failNext('elb', { code: 'AccessDenied', status: 403 });
    await expect(setClassicElbInstance(elb, 'clb', ID, false)).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(fake.elb.loadBalancer('clb')?.instances).toEqual([ID]);
  });
});
