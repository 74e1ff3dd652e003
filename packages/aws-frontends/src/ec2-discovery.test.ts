import { describe, expect, it } from '@jest/globals';
import type { RouteTable, Subnet } from '@aws-sdk/client-ec2';
import { ConfigError, TerminalError } from '@kube-edge/runtime';
import {
  classifySubnets,
  clusterIdFromTags,
  defaultInstanceFilters,
  parseCustomFilters,
  selectLoadBalancerSubnets,
  type SubnetInfo,
} from './ec2-discovery.js';

describe('parseCustomFilters', () => {
  it('uses the default filters when unset or blank', () => {
    const want = [
      { name: 'tag:kubernetes.io/cluster/prod', values: ['owned'] },
      { name: 'tag-key', values: ['k8s.io/role/node'] },
    ];
    expect(parseCustomFilters(undefined, 'prod')).toEqual(want);
    expect(parseCustomFilters('  ', 'prod')).toEqual(want);
    expect(defaultInstanceFilters('prod')).toEqual(want);
  });

  it.each([
    ['tag:kubernetes.io/cluster/prod=owned', [{ name: 'tag:kubernetes.io/cluster/prod', values: ['owned'] }]],
    [
      'tag-key=k8s.io/role/node  tag:role=ingress,worker',
      [
        { name: 'tag-key', values: ['k8s.io/role/node'] },
        { name: 'tag:role', values: ['ingress', 'worker'] },
      ],
    ],
    [
      'vpc-id=vpc-1\tinstance-state-name=running',
      [
        { name: 'vpc-id', values: ['vpc-1'] },
        { name: 'instance-state-name', values: ['running'] },
      ],
    ],
  ])('parses %j', (text, want) => {
    expect(parseCustomFilters(text, 'prod')).toEqual(want);
  });

  it.each([
    ['tag-key', 'tag-key'],
    ['a=b=c', 'a=b=c'],
    ['=owned', '=owned'],
    ['tag:x=', 'tag:x='],
    ['tag:x=a,,b', 'tag:x=a,,b'],
    ['ok=1 broken', 'broken'],
  ])('rejects %j with a ConfigError naming %j (never the defaults)', (text, term) => {
    let caught: unknown;
    try {
      parseCustomFilters(text, 'prod');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe('CUSTOM_FILTERS');
    expect((caught as ConfigError).message).toContain(`"${term}"`);
  });
});

describe('clusterIdFromTags', () => {
  it.each([
    [{ 'kubernetes.io/cluster/prod': 'owned' }, 'prod', []],
    [{ 'kubernetes.io/cluster/prod': 'shared', KubernetesCluster: 'legacy' }, 'legacy', []],
    [{}, 'unknown-cluster', []],
    [
      { 'kubernetes.io/cluster/zeta': 'owned', 'kubernetes.io/cluster/alpha': 'owned' },
      'alpha',
      ['alpha', 'zeta'],
    ],
  ])('%j → %s', (tags, id, ambiguous) => {
    expect(clusterIdFromTags(tags)).toEqual({ clusterId: id, ambiguous });
  });
});

function subnet(id: string, az: string, tags: Record<string, string> = {}): Subnet {
  return {
    SubnetId: id,
    AvailabilityZone: az,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

describe('classifySubnets', () => {
  const publicRt: RouteTable = {
    Associations: [{ SubnetId: 'subnet-pub' }],
    Routes: [{ GatewayId: 'local' }, { GatewayId: 'igw-123', DestinationCidrBlock: '0.0.0.0/0' }],
  };
  const mainRt: RouteTable = { Associations: [{ Main: true }], Routes: [{ GatewayId: 'local' }] };

  it('marks subnets public by an igw route on their own table, else the main table', () => {
    const got = classifySubnets(
      [subnet('subnet-priv', 'a'), subnet('subnet-pub', 'a')],
      [publicRt, mainRt],
      'prod',
    );
    expect(got.untagged).toBe(true);
    expect(got.subnets.map((s) => [s.id, s.public])).toEqual([
      ['subnet-priv', false],
      ['subnet-pub', true],
    ]);
  });

  it('uses only cluster-tagged subnets when any carries the tag key', () => {
    const got = classifySubnets(
      [subnet('subnet-pub', 'a', { 'kubernetes.io/cluster/prod': 'shared' }), subnet('subnet-priv', 'a')],
      [publicRt, mainRt],
      'prod',
    );
    expect(got.untagged).toBe(false);
    expect(got.subnets.map((s) => s.id)).toEqual(['subnet-pub']);
  });

  it('refuses a subnet without a route table, and no subnets at all', () => {
    expect(() => classifySubnets([subnet('subnet-x', 'a')], [publicRt], 'prod')).toThrow(TerminalError);
    expect(() => classifySubnets([], [mainRt], 'prod')).toThrow(TerminalError);
  });
});

describe('selectLoadBalancerSubnets', () => {
  const s = (id: string, az: string, pub: boolean, tags: Record<string, string> = {}): SubnetInfo => ({
    id,
    availabilityZone: az,
    public: pub,
    tags,
  });
  const subnets = [
    s('subnet-b1', 'eu-west-1b', true),
    s('subnet-a2', 'eu-west-1a', true),
    s('subnet-a1', 'eu-west-1a', true),
    s('subnet-a0', 'eu-west-1a', false),
    s('subnet-c9', 'eu-west-1c', true, { 'kubernetes.io/role/elb': '1' }),
    s('subnet-c1', 'eu-west-1c', true),
    s('subnet-d1', 'eu-west-1d', false),
    s('subnet-d2', 'eu-west-1d', false, { 'kubernetes.io/role/internal-elb': '' }),
  ];

  it('internet-facing: public subnets only, one per zone, role tag first, then the lowest id', () => {
    expect(selectLoadBalancerSubnets(subnets, 'internet-facing')).toEqual([
      'subnet-a1',
      'subnet-b1',
      'subnet-c9',
    ]);
  });

  it('internal: any subnet, the internal role tag first, then the lowest id', () => {
    expect(selectLoadBalancerSubnets(subnets, 'internal')).toEqual([
      'subnet-a0',
      'subnet-b1',
      'subnet-c1',
      'subnet-d2',
    ]);
  });

  it('the order of the input does not change the result', () => {
    expect(selectLoadBalancerSubnets([...subnets].reverse(), 'internet-facing')).toEqual(
      selectLoadBalancerSubnets(subnets, 'internet-facing'),
    );
  });
});
