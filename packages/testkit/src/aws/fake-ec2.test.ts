import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { createFakeAws, type FakeAws } from './fake-aws.js';

let fake: FakeAws;
let ec2: EC2Client;

const CLUSTER_TAG = 'kubernetes.io/cluster/test';

beforeAll(async () => {
  fake = await createFakeAws();
  ec2 = new EC2Client(fake.clientConfig());
  fake.ec2.putVpc({ vpcId: 'vpc-1', isDefault: false, tags: { Name: 'main' } });
  for (const [n, az] of [
    [1, 'eu-west-1a'],
    [2, 'eu-west-1b'],
    [3, 'eu-west-1a'],
  ] as const) {
    fake.ec2.putInstance({
      instanceId: `i-000000000000000${n}`,
      vpcId: 'vpc-1',
      subnetId: `subnet-${n}`,
      availabilityZone: az,
      privateIpAddress: `10.0.0.${n}`,
      state: n === 3 ? 'stopped' : 'running',
      securityGroupIds: ['sg-nodes'],
      tags: {
        [CLUSTER_TAG]: 'owned',
        'node-role.kubernetes.io/worker': '',
        'aws:autoscaling:groupName': `asg-${az}`,
      },
    });
  }
  fake.ec2.putInstance({
    instanceId: 'i-00000000000000ff',
    vpcId: 'vpc-1',
    tags: { [CLUSTER_TAG]: 'shared' },
  });
  fake.ec2.putSubnet({
    subnetId: 'subnet-pub',
    vpcId: 'vpc-1',
    availabilityZone: 'eu-west-1a',
    tags: { [CLUSTER_TAG]: 'shared' },
  });
  fake.ec2.putSubnet({ subnetId: 'subnet-priv', vpcId: 'vpc-1', availabilityZone: 'eu-west-1a' });
  fake.ec2.putSubnet({ subnetId: 'subnet-other', vpcId: 'vpc-2', availabilityZone: 'eu-west-1b' });
  fake.ec2.putRouteTable({
    routeTableId: 'rtb-main',
    vpcId: 'vpc-1',
    main: true,
    routes: [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-1' }],
  });
  fake.ec2.putRouteTable({
    routeTableId: 'rtb-public',
    vpcId: 'vpc-1',
    subnetIds: ['subnet-pub'],
    routes: [
      { destinationCidrBlock: '10.0.0.0/16', gatewayId: 'local' },
      { destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' },
    ],
  });
  fake.ec2.putSecurityGroup({
    groupId: 'sg-lb',
    groupName: 'ingress-lb',
    vpcId: 'vpc-1',
    tags: { [CLUSTER_TAG]: 'owned', 'kubernetes:application': 'kube-ingress-aws-controller' },
  });
  fake.ec2.putSecurityGroup({
    groupId: 'sg-nodes',
    groupName: 'nodes',
    vpcId: 'vpc-1',
    tags: { [CLUSTER_TAG]: 'owned' },
  });
});

afterAll(async () => {
  ec2.destroy();
  await fake.close();
});

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('fake EC2 behind the real SDK client', () => {
  it('filters instances by tag value, tag key and state, and returns the fields a controller reads', async () => {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${CLUSTER_TAG}`, Values: ['owned'] },
          { Name: 'tag-key', Values: ['node-role.kubernetes.io/*'] },
          { Name: 'instance-state-name', Values: ['running', 'pending'] },
        ],
      }),
    );
    const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances.map((i) => i.InstanceId)).toEqual(['i-0000000000000001', 'i-0000000000000002']);
    const first = instances[0];
    expect(first?.State).toEqual({ Code: 16, Name: 'running' });
    expect(first?.PrivateIpAddress).toBe('10.0.0.1');
    expect(first?.VpcId).toBe('vpc-1');
    expect(first?.SubnetId).toBe('subnet-1');
    expect(first?.Placement?.AvailabilityZone).toBe('eu-west-1a');
    expect(first?.SecurityGroups).toEqual([{ GroupId: 'sg-nodes' }]);
    expect(first?.Tags).toContainEqual({ Key: 'aws:autoscaling:groupName', Value: 'asg-eu-west-1a' });
  });

  it('pages DescribeInstances with MaxResults/NextToken', async () => {
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ec2.send(
        new DescribeInstancesCommand({ MaxResults: 5, ...(token === undefined ? {} : { NextToken: token }) }),
      );
      pages += 1;
      ids.push(
        ...(out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId ?? '')),
      );
      token = out.NextToken;
    } while (token !== undefined && pages < 10);
    expect(pages).toBe(1);
    expect(ids).toHaveLength(4);
  });

  it('answers an unknown filter with InvalidParameterValue and an unknown id with InvalidInstanceID.NotFound', async () => {
    const badFilter = await errorOf(
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
    );
    expect(badFilter).toBeInstanceOf(EC2ServiceException);
    expect((badFilter as EC2ServiceException).name).toBe('InvalidParameterValue');
    expect((badFilter as Error).message).toBe("The filter 'no-such-filter' is invalid");
    const missing = await errorOf(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000aa'] })),
    );
    expect((missing as EC2ServiceException).name).toBe('InvalidInstanceID.NotFound');
    expect((missing as EC2ServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('describes subnets, route tables (public by an igw- route, main table) and security groups by tags', async () => {
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] }),
    );
    expect(subnets.Subnets?.map((s) => `${s.SubnetId ?? ''}/${s.AvailabilityZone ?? ''}`)).toEqual([
      'subnet-pub/eu-west-1a',
      'subnet-priv/eu-west-1a',
    ]);
    expect(subnets.Subnets?.[0]?.Tags).toEqual([{ Key: CLUSTER_TAG, Value: 'shared' }]);

    const tables = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] }),
    );
    const main = tables.RouteTables?.find((t) => t.Associations?.some((a) => a.Main === true));
    expect(main?.RouteTableId).toBe('rtb-main');
    const pub = tables.RouteTables?.find((t) => t.Associations?.some((a) => a.SubnetId === 'subnet-pub'));
    expect(pub?.Routes?.map((r) => r.GatewayId)).toEqual(['local', 'igw-1']);

    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: `tag:${CLUSTER_TAG}`, Values: ['owned'] },
          { Name: 'tag:kubernetes:application', Values: ['kube-ingress-aws-controller'] },
        ],
      }),
    );
    expect(groups.SecurityGroups?.map((g) => `${g.GroupId ?? ''}/${g.GroupName ?? ''}`)).toEqual([
      'sg-lb/ingress-lb',
    ]);

    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-1'] }));
    expect(vpcs.Vpcs?.[0]).toMatchObject({
      VpcId: 'vpc-1',
      IsDefault: false,
      Tags: [{ Key: 'Name', Value: 'main' }],
    });
    expect(fake.mutatingCalls('ec2')).toEqual([]);
  });

  it('retries RequestLimitExceeded as throttling', async () => {
    fake.resetCalls();
    fake.throttleNext('ec2', 1);
    await ec2.send(new DescribeVpcsCommand({}));
    expect(fake.calls('ec2')).toEqual(['DescribeVpcs', 'DescribeVpcs']);
  });
});
