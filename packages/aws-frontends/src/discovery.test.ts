import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import {
  ElasticLoadBalancingV2Client,
  LoadBalancerNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigError } from '@kube-edge/runtime';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import {
  FRONTEND_TAG,
  INGRESS_CLASS_TAG,
  findClassicElbFrontends,
  findElbv2Frontends,
  findElbv2FrontendsWithTargetGroups,
  findElbv2LoadBalancersByName,
} from './discovery.js';
import { createRecordingLogger, rejectionOf } from '../test/support.js';

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
  for (const lb of fake.elbv2.loadBalancers()) fake.elbv2.deleteLoadBalancer(lb.arn);
  fake.resetCalls();
});

describe('findClassicElbFrontends', () => {
  it('returns one ELB per scheme with its DNS name and canonical hosted zone id', async () => {
    fake.elb.createLoadBalancer({
      name: 'a-int',
      scheme: 'internal',
      dnsName: 'internal-a.example.elb.amazonaws.com',
      canonicalHostedZoneNameId: 'ZINT',
      tags: { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' },
    });
    fake.elb.createLoadBalancer({
      name: 'b-pub',
      scheme: 'internet-facing',
      dnsName: 'b.example.elb.amazonaws.com',
      canonicalHostedZoneNameId: 'ZPUB',
      tags: { [FRONTEND_TAG]: 'blue' },
    });
    const found = await findClassicElbFrontends(elb, { frontendTagValue: 'blue' });
    expect([...found.entries()]).toEqual([
      [
        'internal',
        {
          kind: 'classic',
          name: 'a-int',
          arn: undefined,
          scheme: 'internal',
          dnsName: 'internal-a.example.elb.amazonaws.com',
          canonicalHostedZoneId: 'ZINT',
        },
      ],
      [
        'internet-facing',
        {
          kind: 'classic',
          name: 'b-pub',
          arn: undefined,
          scheme: 'internet-facing',
          dnsName: 'b.example.elb.amazonaws.com',
          canonicalHostedZoneId: 'ZPUB',
        },
      ],
    ]);
    expect(fake.calls('elb').every((c) => c.startsWith('Describe'))).toBe(true);
  });

  it('checks the ingress class tag only when a class is given', async () => {
    fake.elb.createLoadBalancer({ name: 'classless', scheme: 'internal', tags: { [FRONTEND_TAG]: 'blue' } });
    expect((await findClassicElbFrontends(elb, { frontendTagValue: 'blue' })).get('internal')?.name).toBe(
      'classless',
    );
    expect(
      (await findClassicElbFrontends(elb, { frontendTagValue: 'blue', ingressClass: 'edge' })).size,
    ).toBe(0);
  });

  it('keeps the lowest name when two ELBs share a scheme and warns about the other', async () => {
    const tags = { [FRONTEND_TAG]: 'blue' };
    fake.elb.createLoadBalancer({ name: 'zeta', scheme: 'internal', tags });
    fake.elb.createLoadBalancer({ name: 'alpha', scheme: 'internal', tags });
    const logger = createRecordingLogger();
    const found = await findClassicElbFrontends(elb, { frontendTagValue: 'blue', logger });
    expect(found.get('internal')?.name).toBe('alpha');
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.meta)).toEqual([
      { scheme: 'internal', ignored: 'zeta', chosen: 'alpha' },
    ]);
  });

  it('refuses an empty tag value', async () => {
    expect(await rejectionOf(findClassicElbFrontends(elb, { frontendTagValue: ' ' }))).toBeInstanceOf(
      ConfigError,
    );
  });
});

describe('ELBv2 frontend helpers', () => {
  it('finds tagged NLBs and ALBs by scheme with DNS name and zone id, ignoring untagged ones', async () => {
    const nlb = fake.elbv2.createLoadBalancer({
      name: 'nlb',
      scheme: 'internal',
      tags: { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' },
    });
    fake.elbv2.createLoadBalancer({
      name: 'alb',
      type: 'application',
      scheme: 'internet-facing',
      tags: { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' },
    });
    fake.elbv2.createLoadBalancer({ name: 'plain', scheme: 'internal' });
    const found = await findElbv2Frontends(elbv2, { frontendTagValue: 'blue', ingressClass: 'edge' });
    expect(found.get('internal')).toEqual({
      kind: 'network',
      name: 'nlb',
      arn: nlb.arn,
      scheme: 'internal',
      dnsName: nlb.dnsName,
      canonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
    });
    expect(found.get('internet-facing')).toMatchObject({
      kind: 'application',
      name: 'alb',
      canonicalHostedZoneId: 'Z32O12XQLNTSW2',
    });
  });

  it('pages through every ELBv2 load balancer to find a tagged one on the second page', async () => {
    for (let i = 0; i < 405; i++)
      fake.elbv2.createLoadBalancer({ name: `bulk-${String(i).padStart(3, '0')}`, scheme: 'internal' });
    fake.elbv2.createLoadBalancer({ name: 'zzz-ours', scheme: 'internal', tags: { [FRONTEND_TAG]: 'blue' } });
    const found = await findElbv2Frontends(elbv2, { frontendTagValue: 'blue' });
    expect(found.get('internal')?.name).toBe('zzz-ours');
    const calls = fake.calls('elbv2');
    expect(calls.filter((c) => c === 'DescribeLoadBalancers')).toHaveLength(2);
    expect(calls.filter((c) => c === 'DescribeTags')).toHaveLength(Math.ceil(406 / 20));
  });

  it('groups every target group under its load balancer with one paged listing', async () => {
    const nlb = fake.elbv2.createLoadBalancer({
      name: 'nlb',
      scheme: 'internal',
      tags: { [FRONTEND_TAG]: 'blue' },
    });
    const other = fake.elbv2.createLoadBalancer({ name: 'other', scheme: 'internal' });
    fake.elbv2.createTargetGroup({ name: 'tg-1', loadBalancerArns: [nlb.arn] });
    fake.elbv2.createTargetGroup({ name: 'tg-2', targetType: 'ip', loadBalancerArns: [nlb.arn] });
    fake.elbv2.createTargetGroup({ name: 'tg-other', loadBalancerArns: [other.arn] });
    const found = await findElbv2FrontendsWithTargetGroups(elbv2, { frontendTagValue: 'blue' });
    expect(
      found.get('internal')?.targetGroups.map((t) => `${t.TargetGroupName ?? ''}/${t.TargetType ?? ''}`),
    ).toEqual(['tg-1/instance', 'tg-2/ip']);
    expect(fake.calls('elbv2')).toEqual(['DescribeTargetGroups', 'DescribeLoadBalancers', 'DescribeTags']);
  });

  it('finds load balancers by name for the DNS side and rejects an unknown name', async () => {
    const alb = fake.elbv2.createLoadBalancer({
      name: 'web',
      type: 'application',
      scheme: 'internet-facing',
    });
    const found = await findElbv2LoadBalancersByName(elbv2, ['web']);
    expect(found.get('internet-facing')).toMatchObject({ name: 'web', arn: alb.arn, dnsName: alb.dnsName });
    expect(await rejectionOf(findElbv2LoadBalancersByName(elbv2, ['web', 'nope']))).toBeInstanceOf(
      LoadBalancerNotFoundException,
    );
  });
});
