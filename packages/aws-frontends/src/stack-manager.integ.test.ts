import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createFakeClock, type FakeClock } from '@kube-edge/runtime';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import type { AsgTargets } from './asg-targets.js';
import { findBestCertificates, listCertificates, type CertificateSummary } from './certificates.js';
import {
  CycleAbortedError,
  createStackManager,
  desiredCertificates,
  newStackName,
  stackAcceptsIngresses,
  type CycleSnapshot,
  type DesiredStack,
  type StackManager,
} from './stack-manager.js';
import { APP, CLUSTER, fakeAsgTargets, putNodeGroup } from '../test/support.js';

const TTL = 30 * 60_000;
const TEMPLATE = (certs: readonly string[]): string =>
  JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { LoadBalancerSchemeParameter: { Type: 'String', Default: 'internet-facing' } },
    Resources: {
      LB: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        Properties: { Scheme: { Ref: 'LoadBalancerSchemeParameter' }, Subnets: ['subnet-a'] },
      },
      TG: {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: { Port: 9999, Protocol: 'HTTP', VpcId: 'vpc-1' },
      },
    },
    Outputs: {
      LoadBalancerDNSName: { Value: { 'Fn::GetAtt': ['LB', 'DNSName'] } },
      TargetGroupARN: { Value: { Ref: 'TG' } },
    },
    Metadata: { certificates: certs },
  });

/** The app's part, reduced: one load balancer holding every host's certificates. */
function planFor(hosts: () => string[]) {
  return (snap: CycleSnapshot): DesiredStack[] => {
    const inUse = findBestCertificates(snap.certificates, hosts(), snap.now).certificates.map((c) => c.arn);
    const existing = snap.stacks.filter((s) => stackAcceptsIngresses(s));
    if (existing.length === 0) {
      if (inUse.length === 0) return [];
      const certificates = desiredCertificates(new Map(), inUse, snap.now, TTL);
      return [{ templateBody: TEMPLATE(inUse), parameters: {}, certificates }];
    }
    return existing.map((stack) => {
      const certificates = desiredCertificates(stack.certificates, inUse, snap.now, TTL);
      return {
        stackName: stack.name,
        templateBody: TEMPLATE([...certificates.keys()].sort()),
        parameters: {},
        certificates,
      };
    });
  };
}

describe('stack manager on the AWS fakes', () => {
  let fake: FakeAws;
  let clock: FakeClock;
  let certs: CertificateSummary[];
  let targets: AsgTargets;
  let manager: StackManager;
  let hosts: string[];

  beforeEach(async () => {
    clock = createFakeClock(Date.parse('2025-06-01T00:00:00Z'));
    fake = await createFakeAws({ now: () => clock.now() });
    const config = fake.clientConfig();
    fake.acm.addCertificate({
      domainName: '*.example.org',
      notBefore: new Date(clock.now() - 86_400_000),
      notAfter: new Date(clock.now() + 90 * 86_400_000),
    });
    certs = await listCertificates({ acm: new ACMClient(config) });
    putNodeGroup(fake);
    fake.ec2.putInstance({
      instanceId: 'i-0fedcba9876543210',
      tags: { 'kubernetes.io/cluster/prod': 'owned', 'k8s.io/role/node': '' },
    });
    targets = fakeAsgTargets(fake);
    hosts = ['www.example.org'];
    manager = createStackManager({
      cloudFormation: new CloudFormationClient(config),
      clusterId: CLUSTER,
      controllerId: APP,
      certificates: () => certs,
      targets,
      clock,
    });
  });
  afterEach(async () => {
    await fake.close();
  });

  const cycle = () => manager.cycle(planFor(() => hosts));

  it('creates with OnFailure=DELETE, attaches the target group, then a second cycle changes nothing', async () => {
    const first = await cycle();
    expect(first.stacks.map((r) => r.action)).toEqual(['created']);
    const [stack] = fake.cloudformation.stacks();
    expect(stack?.onFailure).toBe('DELETE');
    expect(stack?.tags).toMatchObject({
      'kubernetes:application': APP,
      'kubernetes.io/cluster/prod': 'owned',
      [`ingress:certificate-arn/${certs[0]?.arn}`]: '0001-01-01T00:00:00Z',
    });
    fake.cloudformation.settle();

    await cycle(); // attaches the target group now that the stack has outputs
    const tg = fake.cloudformation.stacks()[0]?.outputs['TargetGroupARN'];
    expect(tg).toBeDefined();
    expect(fake.autoscaling.group('nodes')?.targetGroupArns).toEqual([tg]);

    fake.resetCalls();
    const steady = await cycle();
    expect(steady.stacks.map((r) => r.action)).toEqual(['unchanged']);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('last host gone: tags the certificate with an expiry, deletes only after the TTL, detaching first', async () => {
    await cycle();
    fake.cloudformation.settle();
    await cycle();
    const name = fake.cloudformation.stacks()[0]?.stackName ?? '';
    hosts = [];
    const tagged = await cycle();
    expect(tagged.stacks.map((r) => r.action)).toEqual(['updated']);
    fake.cloudformation.settle();
    expect(fake.cloudformation.stack(name)?.status).toBe('UPDATE_COMPLETE');

    await clock.advance(TTL - 60_000);
    expect((await cycle()).stacks.map((r) => r.action)).toEqual(['unchanged']);

    await clock.advance(120_000);
    fake.resetCalls();
    const gone = await cycle();
    expect(gone.stacks.map((r) => r.action)).toEqual(['deleted']);
    expect(fake.autoscaling.group('nodes')?.targetGroupArns).toEqual([]);
    const calls = fake.mutatingCalls();
    expect(calls.indexOf('autoscaling:DetachLoadBalancerTargetGroups')).toBeLessThan(
      calls.indexOf('cloudformation:DeleteStack'),
    );
  });

  it('a listing failure deletes nothing: the cycle aborts before any change', async () => {
    await cycle();
    fake.cloudformation.settle();
    hosts = [];
    await clock.advance(10 * TTL);
    for (const api of ['cloudformation', 'ec2'] as const) {
      fake.failNext(api, { code: 'InternalFailure', status: 400, count: 1 });
      fake.resetCalls();
      await expect(cycle()).rejects.toBeInstanceOf(CycleAbortedError);
      expect(fake.mutatingCalls()).toEqual([]);
    }
    const noCerts = createStackManager({
      cloudFormation: new CloudFormationClient(fake.clientConfig()),
      clusterId: CLUSTER,
      controllerId: APP,
      certificates: () => [],
      targets,
    });
    await expect(noCerts.cycle(planFor(() => hosts))).rejects.toMatchObject({ reason: 'NoCertificates' });
    expect(fake.cloudformation.stacks()).toHaveLength(1);
  });

  it('adopts a stack of the original (name and tags) with one update, never a second stack', async () => {
    const name = newStackName(CLUSTER);
    fake.cloudformation.createStack({
      stackName: name,
      templateBody: TEMPLATE([]),
      tags: {
        'kubernetes:application': APP,
        'kubernetes.io/cluster/prod': 'owned',
        [`ingress:certificate-arn/${certs[0]?.arn}`]: '0001-01-01T00:00:00Z',
      },
    });
    const r = await cycle();
    expect(r.stacks.map((s) => [s.stackName, s.action])).toEqual([[name, 'updated']]);
    expect(fake.cloudformation.stacks()).toHaveLength(1);
  });

  it('a create whose answer was lost: the SDK retry meets AlreadyExists, and the stack it made is adopted, not duplicated', async () => {
    // CloudFormation made the stack, the answer was a 500; the SDK retries the same CreateStack.
    fake.failNext('cloudformation', {
      action: 'CreateStack',
      code: 'InternalFailure',
      status: 500,
      afterApply: true,
    });
    const r = await cycle();
    expect(fake.calls('cloudformation').filter((a) => a === 'CreateStack')).toHaveLength(2);
    const [stack] = fake.cloudformation.stacks();
    expect(r.stacks.map((s) => [s.stackName, s.action])).toEqual([[stack?.stackName, 'adopted']]);
    expect(fake.cloudformation.stacks()).toHaveLength(1);
    fake.cloudformation.settle();
    await cycle();
    fake.resetCalls();
    expect((await cycle()).stacks.map((s) => s.action)).toEqual(['unchanged']);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('reports a stack in ROLLBACK_COMPLETE and deletes it, and creates the load balancer anew', async () => {
    const broken = newStackName(CLUSTER);
    fake.cloudformation.createStack({
      stackName: broken,
      status: 'ROLLBACK_COMPLETE',
      tags: { 'kubernetes:application': APP, 'kubernetes.io/cluster/prod': 'owned' },
    });
    const r = await cycle();
    const byName = new Map(r.stacks.map((s) => [s.stackName, s]));
    expect(byName.get(broken)).toMatchObject({
      action: 'deleted',
      problem: { reason: 'StackRollbackComplete' },
    });
    expect(r.stacks.filter((s) => s.action === 'created')).toHaveLength(1);
  });

  it('treats "No updates are to be performed" as success', async () => {
    await cycle();
    fake.cloudformation.settle();
    await cycle();
    const name = fake.cloudformation.stacks()[0]?.stackName ?? '';
    fake.failNext('cloudformation', {
      action: 'UpdateStack',
      code: 'ValidationError',
      message: 'No updates are to be performed.',
      status: 400,
    });
    hosts = [];
    const r = await cycle();
    expect(r.stacks).toEqual([expect.objectContaining({ stackName: name, action: 'unchanged' })]);
  });
});
