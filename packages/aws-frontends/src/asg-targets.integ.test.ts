import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import type { AsgTargets } from './asg-targets.js';
import { APP, CLUSTER, fakeAsgTargets, putNodeGroup } from '../test/support.js';

const OWNED = { [`kubernetes.io/cluster/${CLUSTER}`]: 'owned', 'kubernetes:application': APP };

describe('target groups of both types on the AWS fakes', () => {
  let fake: FakeAws;
  let targets: AsgTargets;
  let pods: readonly string[] | undefined;

  beforeEach(async () => {
    fake = await createFakeAws();
    fake.ec2.putVpc({ vpcId: 'vpc-1' });
    putNodeGroup(fake, 'vpc-1');
    pods = ['10.0.1.10', '10.0.2.20'];
    targets = fakeAsgTargets(fake, { ipAddresses: () => pods });
  });

  afterEach(async () => {
    await fake.close();
  });

  const ids = (arn: string): string[] =>
    fake.elbv2
      .targetsOf(arn)
      .map((t) => `${t.id}:${t.port}`)
      .sort();

  it('registers the pod IPs in an ip target group (never attached to a group) and attaches the instance one', async () => {
    const ip = fake.elbv2.createTargetGroup({ name: 'tg-ip', targetType: 'ip', port: 9999, tags: OWNED });
    const inst = fake.elbv2.createTargetGroup({ name: 'tg-inst', port: 9999, tags: OWNED });
    await targets.sync(await targets.describe(), [ip.arn, inst.arn]);
    expect(ids(ip.arn)).toEqual(['10.0.1.10:9999', '10.0.2.20:9999']);
    expect(fake.autoscaling.group('nodes')?.targetGroupArns).toEqual([inst.arn]);
    expect(fake.callCounts('elbv2')['elasticloadbalancing:RegisterTargets']).toBe(1);

    // Nothing changed: the types are remembered, and nothing is written.
    fake.resetCalls();
    await targets.sync(await targets.describe(), [ip.arn, inst.arn]);
    expect(fake.mutatingCalls()).toEqual([]);
    expect(fake.calls('elbv2')).toEqual(['DescribeTargetHealth']);
  });

  it('moves the pods in one register and one deregister call per target group and pass', async () => {
    const ip = fake.elbv2.createTargetGroup({
      name: 'tg-ip',
      targetType: 'ip',
      port: 9999,
      tags: OWNED,
      targets: [{ id: '10.0.9.1' }, { id: '10.0.9.2' }, { id: '10.0.1.10' }],
    });
    const changes = await targets.sync(await targets.describe(), [ip.arn]);
    expect(ids(ip.arn)).toEqual(['10.0.1.10:9999', '10.0.2.20:9999']);
    expect(fake.callCounts('elbv2')).toMatchObject({
      'elasticloadbalancing:RegisterTargets': 1,
      'elasticloadbalancing:DeregisterTargets': 1,
    });
    expect(changes.map((c) => `${c.action} ${c.subject}`)).toEqual([
      'register 10.0.2.20',
      'deregister 10.0.9.1',
      'deregister 10.0.9.2',
    ]);

    pods = ['10.0.2.20'];
    fake.resetCalls();
    await targets.sync(await targets.describe(), [ip.arn]);
    expect(ids(ip.arn)).toEqual(['10.0.2.20:9999']);
    expect(fake.mutatingCalls()).toEqual(['elasticloadbalancing:DeregisterTargets']);
  });

  it('leaves an ip target group alone while the pod list is unknown', async () => {
    pods = undefined;
    const ip = fake.elbv2.createTargetGroup({
      name: 'tg-ip',
      targetType: 'ip',
      tags: OWNED,
      targets: [{ id: '10.0.9.1' }],
    });
    await targets.sync(await targets.describe(), [ip.arn]);
    expect(ids(ip.arn)).toEqual(['10.0.9.1:80']);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('a target group of ours deleted while attached (TGHTTP dropped, a replaced TG) is detached; an unknown missing one is left alone; the pass does not fail', async () => {
    const inst = fake.elbv2.createTargetGroup({ name: 'tg-inst', tags: OWNED });
    const http = fake.elbv2.createTargetGroup({ name: 'tg-http', tags: OWNED });
    await targets.sync(await targets.describe(), [inst.arn, http.arn]);
    expect(fake.autoscaling.group('nodes')?.targetGroupArns.sort()).toEqual([inst.arn, http.arn].sort());
    // Someone else's target group, deleted while attached: no tags to prove it is ours.
    const foreign = inst.arn.replace('tg-inst', 'tg-foreign');
    fake.autoscaling.putGroup({
      name: 'nodes',
      instanceIds: ['i-0123456789abcdef0'],
      targetGroupArns: [inst.arn, http.arn, foreign],
    });
    // CloudFormation deletes TGHTTP (the stack no longer has it); the group keeps the ARN, as AWS does.
    fake.elbv2.deleteTargetGroup(http.arn);

    const changes = await targets.sync(await targets.describe(), [inst.arn]);
    expect(changes).toEqual([{ action: 'detach', subject: 'nodes', targetGroupArns: [http.arn] }]);
    expect(fake.autoscaling.group('nodes')?.targetGroupArns.sort()).toEqual([inst.arn, foreign].sort());
    // Nothing left to do: the next pass writes nothing.
    fake.resetCalls();
    await targets.sync(await targets.describe(), [inst.arn]);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('neither attaches nor registers into a target group that does not exist', async () => {
    const inst = fake.elbv2.createTargetGroup({ name: 'tg-inst', tags: OWNED });
    const gone = inst.arn.replace('tg-inst', 'tg-gone');
    await targets.sync(await targets.describe(), [inst.arn, gone]);
    expect(fake.autoscaling.group('nodes')?.targetGroupArns).toEqual([inst.arn]);
  });
});
