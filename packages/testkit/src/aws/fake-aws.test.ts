import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AccessPointNotFoundException,
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeLoadBalancersCommand as DescribeV2LoadBalancersCommand,
  DescribeTagsCommand as DescribeV2TagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  DeregisterTargetsCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createFakeAws, type FakeAws } from './fake-aws.js';

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

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('fake classic ELB behind the real SDK client', () => {
  it('pages DescribeLoadBalancers with NextMarker and returns every field the frontends read', async () => {
    for (let i = 0; i < 5; i++)
      fake.elb.createLoadBalancer({
        name: `page-${i}`,
        scheme: i % 2 === 0 ? 'internal' : 'internet-facing',
      });
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await elb.send(
        new DescribeLoadBalancersCommand({
          PageSize: 2,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      pages += 1;
      for (const lb of out.LoadBalancerDescriptions ?? []) {
        expect(lb.DNSName).toMatch(/elb\.amazonaws\.com$/);
        expect(lb.CanonicalHostedZoneNameID).toBe('Z32O12XQLNTSW2');
        seen.push(`${lb.LoadBalancerName ?? ''}/${lb.Scheme ?? ''}`);
      }
      marker = out.NextMarker;
    } while (marker !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([
      'page-0/internal',
      'page-1/internet-facing',
      'page-2/internal',
      'page-3/internet-facing',
      'page-4/internal',
    ]);
  });

  it('registers and deregisters instances, and the fake state follows', async () => {
    fake.elb.createLoadBalancer({ name: 'reg', instances: ['i-00000000000000001'] });
    const out = await elb.send(
      new RegisterInstancesWithLoadBalancerCommand({
        LoadBalancerName: 'reg',
        Instances: [{ InstanceId: 'i-0123456789abcdef0' }],
      }),
    );
    expect(out.Instances?.map((i) => i.InstanceId)).toEqual(['i-00000000000000001', 'i-0123456789abcdef0']);
    expect(fake.elb.loadBalancersWithInstance('i-0123456789abcdef0')).toEqual(['reg']);
    await elb.send(
      new DeregisterInstancesFromLoadBalancerCommand({
        LoadBalancerName: 'reg',
        Instances: [{ InstanceId: 'i-0123456789abcdef0' }],
      }),
    );
    expect(fake.elb.loadBalancer('reg')?.instances).toEqual(['i-00000000000000001']);
  });

  it('answers LoadBalancerNotFound as the typed AccessPointNotFoundException', async () => {
    const err = await errorOf(
      elb.send(
        new RegisterInstancesWithLoadBalancerCommand({
          LoadBalancerName: 'missing',
          Instances: [{ InstanceId: 'i-0123456789abcdef0' }],
        }),
      ),
    );
    expect(err).toBeInstanceOf(AccessPointNotFoundException);
  });

  it('returns tags for up to 20 names and rejects 21 with ValidationError', async () => {
    const names = Array.from({ length: 21 }, (_, i) => `tags-${i}`);
    for (const name of names) fake.elb.createLoadBalancer({ name, tags: { owner: name } });
    const out = await elb.send(new DescribeTagsCommand({ LoadBalancerNames: names.slice(0, 20) }));
    expect(out.TagDescriptions).toHaveLength(20);
    expect(out.TagDescriptions?.[3]?.Tags).toEqual([{ Key: 'owner', Value: 'tags-3' }]);
    const err = await errorOf(elb.send(new DescribeTagsCommand({ LoadBalancerNames: names })));
    expect((err as Error).name).toBe('ValidationError');
  });

  it('has its throttling retried by the SDK, and exhausts attempts when throttling persists', async () => {
    fake.elb.createLoadBalancer({ name: 'throttled' });
    fake.resetCalls();
    fake.throttleNext('elb', 2, 'DescribeLoadBalancers');
    const out = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['throttled'] }));
    expect(out.LoadBalancerDescriptions?.[0]?.LoadBalancerName).toBe('throttled');
    expect(out.$metadata.attempts).toBe(3);
    expect(fake.calls('elb')).toEqual([
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
    ]);

    fake.throttleNext('elb', 3);
    const err = await errorOf(
      elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['throttled'] })),
    );
    expect((err as Error).name).toBe('Throttling');
    expect((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });
});

describe('fake ELBv2 behind the real SDK client', () => {
  it('maps load balancers to target groups and registers ip and instance targets', async () => {
    const lb = fake.elbv2.createLoadBalancer({ name: 'nlb-a', scheme: 'internal', tags: { k: 'v' } });
    const ipTg = fake.elbv2.createTargetGroup({
      name: 'tg-ip',
      targetType: 'ip',
      port: 8080,
      loadBalancerArns: [lb.arn],
    });
    const instTg = fake.elbv2.createTargetGroup({ name: 'tg-inst', loadBalancerArns: [lb.arn] });
    const tgs = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.arn }));
    expect(tgs.TargetGroups?.map((t) => [t.TargetGroupName, t.TargetType, t.LoadBalancerArns])).toEqual([
      ['tg-inst', 'instance', [lb.arn]],
      ['tg-ip', 'ip', [lb.arn]],
    ]);
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: ipTg.arn, Targets: [{ Id: '10.0.1.23' }] }),
    );
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: instTg.arn, Targets: [{ Id: 'i-0123456789abcdef0' }] }),
    );
    expect(fake.elbv2.targetsOf(ipTg.arn)).toEqual([{ id: '10.0.1.23', port: 8080 }]);
    expect(fake.elbv2.targetGroupsWithTarget('i-0123456789abcdef0')).toEqual([instTg.arn]);
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: ipTg.arn }));
    expect(health.TargetHealthDescriptions?.[0]?.Target).toEqual({ Id: '10.0.1.23', Port: 8080 });
    await elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: ipTg.arn, Targets: [{ Id: '10.0.1.23' }] }),
    );
    expect(fake.elbv2.targetsOf(ipTg.arn)).toEqual([]);
    const lbs = await elbv2.send(new DescribeV2LoadBalancersCommand({ Names: ['nlb-a'] }));
    expect(lbs.LoadBalancers?.[0]).toMatchObject({
      LoadBalancerArn: lb.arn,
      Scheme: 'internal',
      Type: 'network',
      CanonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
    });
  });

  it('rejects a target of the wrong kind with InvalidTarget and an unknown group with TargetGroupNotFound', async () => {
    const tg = fake.elbv2.createTargetGroup({ name: 'tg-kind', targetType: 'ip' });
    expect(
      await errorOf(
        elbv2.send(
          new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: 'i-0123456789abcdef0' }] }),
        ),
      ),
    ).toBeInstanceOf(InvalidTargetException);
    expect(fake.elbv2.targetsOf(tg.arn)).toEqual([]);
    const missing = tg.arn.replace('tg-kind', 'tg-none');
    expect(
      await errorOf(
        elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: missing, Targets: [{ Id: '10.0.0.1' }] })),
      ),
    ).toBeInstanceOf(TargetGroupNotFoundException);
  });

  it('returns tags for up to 20 ARNs and rejects 21 with ValidationError', async () => {
    const arns = Array.from(
      { length: 21 },
      (_, i) => fake.elbv2.createLoadBalancer({ name: `v2tags-${i}`, tags: { n: String(i) } }).arn,
    );
    const out = await elbv2.send(new DescribeV2TagsCommand({ ResourceArns: arns.slice(0, 20) }));
    expect(out.TagDescriptions?.[19]).toEqual({ ResourceArn: arns[19], Tags: [{ Key: 'n', Value: '19' }] });
    const err = await errorOf(elbv2.send(new DescribeV2TagsCommand({ ResourceArns: arns })));
    expect((err as Error).name).toBe('ValidationError');
  });

  it('pages DescribeTargetGroups and serves injected faults only to the matching action', async () => {
    const before = (await elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups?.length ?? 0;
    for (let i = 0; i < 3; i++) fake.elbv2.createTargetGroup({ name: `zz-page-${i}` });
    const first = await elbv2.send(new DescribeTargetGroupsCommand({ PageSize: before + 2 }));
    expect(first.NextMarker).toBeDefined();
    const second = await elbv2.send(
      new DescribeTargetGroupsCommand({ PageSize: before + 2, Marker: first.NextMarker }),
    );
    expect(second.TargetGroups?.map((t) => t.TargetGroupName)).toEqual(['zz-page-2']);
    expect(second.NextMarker).toBeUndefined();

    fake.failNext('elbv2', { action: 'RegisterTargets', code: 'InternalFailure', status: 500, count: 1 });
    const ok = await elbv2.send(new DescribeTargetGroupsCommand({ Names: ['zz-page-0'] }));
    expect(ok.TargetGroups).toHaveLength(1);
    const tg = ok.TargetGroups?.[0]?.TargetGroupArn ?? '';
    fake.resetCalls();
    // A 500 is transient to the SDK: it retries, and the second attempt lands.
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: 'i-0123456789abcdef0' }] }),
    );
    expect(fake.calls('elbv2')).toEqual(['RegisterTargets', 'RegisterTargets']);
    expect(fake.elbv2.targetsOf(tg)).toEqual([{ id: 'i-0123456789abcdef0', port: 80 }]);
  });
});

describe('fake IMDS', () => {
  it('serves the identity document only with an IMDSv2 token', async () => {
    const noToken = await fetch(`${fake.imds.url}/latest/dynamic/instance-identity/document`);
    expect(noToken.status).toBe(401);
    const tokenRes = await fetch(`${fake.imds.url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    });
    expect(tokenRes.status).toBe(200);
    const token = await tokenRes.text();
    const doc = await fetch(`${fake.imds.url}/latest/dynamic/instance-identity/document`, {
      headers: { 'x-aws-ec2-metadata-token': token },
    });
    expect(await doc.json()).toMatchObject({
      instanceId: 'i-0123456789abcdef0',
      privateIp: '10.0.1.23',
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1a',
    });
  });

  it('refuses a token request without a TTL header', async () => {
    const res = await fetch(`${fake.imds.url}/latest/api/token`, { method: 'PUT' });
    expect(res.status).toBe(400);
  });
});

describe('failNext afterApply (a lost response)', () => {
  it('applies the request, then answers the error; a fault without it refuses before any change', async () => {
    const tg = fake.elbv2.createTargetGroup({ name: 'tg-lost', targetType: 'ip', port: 80 });
    const register = (id: string) =>
      elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: id }] }));
    fake.failNext('elbv2', {
      action: 'RegisterTargets',
      code: 'AccessDenied',
      status: 403,
      afterApply: true,
    });
    await expect(register('10.0.9.1')).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(fake.elbv2.targetsOf(tg.arn).map((t) => t.id)).toEqual(['10.0.9.1']);
    fake.failNext('elbv2', { action: 'RegisterTargets', code: 'AccessDenied', status: 403 });
    await expect(register('10.0.9.2')).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(fake.elbv2.targetsOf(tg.arn).map((t) => t.id)).toEqual(['10.0.9.1']);
  });
});
