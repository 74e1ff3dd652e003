import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AttachLoadBalancerTargetGroupsCommand,
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  DescribeLoadBalancerTargetGroupsCommand,
  DetachLoadBalancerTargetGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { createFakeAws, type FakeAws } from './fake-aws.js';

let fake: FakeAws;
let asg: AutoScalingClient;

beforeAll(async () => {
  fake = await createFakeAws();
  asg = new AutoScalingClient(fake.clientConfig());
  fake.autoscaling.putGroup({
    name: 'nodes-a',
    instanceIds: ['i-000000000000000a', 'i-000000000000000b'],
    tags: { 'kubernetes.io/cluster/test': 'owned' },
  });
  fake.autoscaling.putGroup({ name: 'nodes-b', tags: { 'kubernetes.io/cluster/other': 'owned' } });
});

afterAll(async () => {
  asg.destroy();
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

describe('fake Auto Scaling behind the real SDK client', () => {
  it('describes groups by name and by tag filter, with instances and tags', async () => {
    const byTag = await asg.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [{ Name: 'tag:kubernetes.io/cluster/test', Values: ['owned'] }],
      }),
    );
    expect(byTag.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['nodes-a']);
    const group = byTag.AutoScalingGroups?.[0];
    expect(group?.Instances?.map((i) => `${i.InstanceId ?? ''}:${i.LifecycleState ?? ''}`)).toEqual([
      'i-000000000000000a:InService',
      'i-000000000000000b:InService',
    ]);
    expect(group?.Tags).toContainEqual(
      expect.objectContaining({ Key: 'kubernetes.io/cluster/test', Value: 'owned', PropagateAtLaunch: true }),
    );
    const byName = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nodes-b'] }),
    );
    expect(byName.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['nodes-b']);
  });

  it('attaches target groups (registering the instances in ELBv2) and detaches them', async () => {
    const tg = fake.elbv2.createTargetGroup({ name: 'ingress-tg', port: 9999 });
    await asg.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: 'nodes-a',
        TargetGroupARNs: [tg.arn],
      }),
    );
    const attached = await asg.send(
      new DescribeLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: 'nodes-a' }),
    );
    expect(attached.LoadBalancerTargetGroups).toEqual([
      { LoadBalancerTargetGroupARN: tg.arn, State: 'InService' },
    ]);
    expect(fake.elbv2.targetsOf(tg.arn)).toEqual([
      { id: 'i-000000000000000a', port: 9999 },
      { id: 'i-000000000000000b', port: 9999 },
    ]);
    // Attaching again changes nothing.
    await asg.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: 'nodes-a',
        TargetGroupARNs: [tg.arn],
      }),
    );
    expect(fake.autoscaling.group('nodes-a')?.targetGroupArns).toEqual([tg.arn]);

    await asg.send(
      new DetachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: 'nodes-a',
        TargetGroupARNs: [tg.arn],
      }),
    );
    expect(fake.autoscaling.group('nodes-a')?.targetGroupArns).toEqual([]);
    expect(fake.elbv2.targetsOf(tg.arn)).toEqual([]);
  });

  it('refuses more than 10 target groups per call, unknown target groups and unknown groups with ValidationError', async () => {
    const arns = Array.from(
      { length: 11 },
      (_, i) => fake.elbv2.createTargetGroup({ name: `many-${i}` }).arn,
    );
    const tooMany = await errorOf(
      asg.send(
        new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: 'nodes-b', TargetGroupARNs: arns }),
      ),
    );
    expect(tooMany).toBeInstanceOf(AutoScalingServiceException);
    expect((tooMany as Error).name).toBe('ValidationError');
    expect((tooMany as Error).message).toMatch(/less than or equal to 10/);
    expect(fake.autoscaling.group('nodes-b')?.targetGroupArns).toEqual([]);
    await asg.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: 'nodes-b',
        TargetGroupARNs: arns.slice(0, 10),
      }),
    );
    expect(fake.autoscaling.group('nodes-b')?.targetGroupArns).toHaveLength(10);

    const unknownTg = await errorOf(
      asg.send(
        new AttachLoadBalancerTargetGroupsCommand({
          AutoScalingGroupName: 'nodes-b',
          TargetGroupARNs: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/nope/0'],
        }),
      ),
    );
    expect((unknownTg as Error).name).toBe('ValidationError');
    const unknownGroup = await errorOf(
      asg.send(new DescribeLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: 'missing' })),
    );
    expect((unknownGroup as Error).message).toMatch(/AutoScalingGroup name not found/);
  });

  it('records mutating calls separately from reads, with IAM action names', async () => {
    fake.resetCalls();
    const tg = fake.elbv2.createTargetGroup({ name: 'count-tg' });
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    await asg.send(
      new AttachLoadBalancerTargetGroupsCommand({
        AutoScalingGroupName: 'nodes-a',
        TargetGroupARNs: [tg.arn],
      }),
    );
    await asg.send(new DescribeLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: 'nodes-a' }));
    expect(fake.calls('autoscaling')).toEqual([
      'DescribeAutoScalingGroups',
      'AttachLoadBalancerTargetGroups',
      'DescribeLoadBalancerTargetGroups',
    ]);
    expect(fake.mutatingCalls()).toEqual(['autoscaling:AttachLoadBalancerTargetGroups']);
    expect(fake.iamActions()).toEqual([
      'autoscaling:AttachLoadBalancerTargetGroups',
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeLoadBalancerTargetGroups',
    ]);
    expect(fake.callLog('autoscaling')[1]).toEqual({
      api: 'autoscaling',
      action: 'AttachLoadBalancerTargetGroups',
      iamAction: 'autoscaling:AttachLoadBalancerTargetGroups',
      mutating: true,
    });
  });
});
