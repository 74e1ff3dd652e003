import { afterEach, describe, expect, it } from '@jest/globals';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createFakeClock } from '@kube-edge/runtime';
import { createFakeAws, type FakeAws } from './fake-aws.js';
import { serveFakeAws } from './serve-fake-aws.js';

let fake: FakeAws | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const T0 = Date.parse('2026-06-01T00:00:00Z');

async function describeOne(client: ElasticLoadBalancingV2Client, arn: string) {
  const out = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
  const lb = out.LoadBalancers?.[0];
  return { state: lb?.State?.Code, createdAt: lb?.CreatedTime?.getTime() };
}

describe('fake ELBv2 load balancer lifecycle (by the injected clock)', () => {
  it('is provisioning for provisioningMs after CreatedTime, then active; a fixed state wins until cleared', async () => {
    const clock = createFakeClock(T0);
    fake = await createFakeAws({ now: () => clock.now(), elbv2: { provisioningMs: 120_000 } });
    const client = new ElasticLoadBalancingV2Client(fake.clientConfig());
    const lb = fake.elbv2.createLoadBalancer({ name: 'alb', type: 'application' });
    expect(lb).toMatchObject({ state: 'provisioning', createdAt: T0 });
    expect(await describeOne(client, lb.arn)).toEqual({ state: 'provisioning', createdAt: T0 });
    await clock.advance(119_999);
    expect((await describeOne(client, lb.arn)).state).toBe('provisioning');
    await clock.advance(1);
    expect(await describeOne(client, lb.arn)).toEqual({ state: 'active', createdAt: T0 });

    fake.elbv2.setLoadBalancerState(lb.arn, 'failed');
    expect((await describeOne(client, lb.arn)).state).toBe('failed');
    fake.elbv2.setLoadBalancerState(lb.arn, undefined);
    expect(fake.elbv2.loadBalancer(lb.arn)?.state).toBe('active');
    expect(() => fake?.elbv2.setLoadBalancerState('arn:nope', 'active')).toThrow('unknown load balancer');
    client.destroy();
  });

  it('is active at once by default, with the seeded CreatedTime; a stack-made load balancer follows provisioningMs', async () => {
    const clock = createFakeClock(T0);
    fake = await createFakeAws({ now: () => clock.now(), elbv2: { provisioningMs: 60_000 } });
    const seeded = fake.elbv2.createLoadBalancer({
      name: 'old',
      createdAt: T0 - 86_400_000,
      state: 'active',
    });
    const client = new ElasticLoadBalancingV2Client(fake.clientConfig());
    expect(await describeOne(client, seeded.arn)).toEqual({ state: 'active', createdAt: T0 - 86_400_000 });

    const cf = new CloudFormationClient(fake.clientConfig());
    await cf.send(
      new CreateStackCommand({
        StackName: 'lb',
        TemplateBody: JSON.stringify({
          Resources: { LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: {} } },
        }),
      }),
    );
    fake.cloudformation.settle();
    const made = fake.elbv2.loadBalancers().find((l) => l.arn !== seeded.arn);
    expect(made?.state).toBe('provisioning');
    await clock.advance(60_000);
    expect(fake.elbv2.loadBalancer(made?.arn ?? '')?.state).toBe('active');
    cf.destroy();
    client.destroy();

    const plain = await createFakeAws();
    try {
      expect(plain.elbv2.createLoadBalancer({ name: 'x' }).state).toBe('active');
    } finally {
      await plain.close();
    }
  });
});

describe('serveFakeAws', () => {
  it('serves the fakes over HTTP for a client with only an endpoint, sharing state and the call log', async () => {
    fake = await createFakeAws();
    const lb = fake.elbv2.createLoadBalancer({ name: 'served' });
    const served = await serveFakeAws(fake.clientConfig().requestHandler);
    try {
      const client = new ElasticLoadBalancingV2Client({
        region: 'eu-west-1',
        endpoint: served.url,
        credentials: { accessKeyId: 'AKIDSERVED', secretAccessKey: 'x' },
      });
      const out = await client.send(new DescribeLoadBalancersCommand({}));
      expect(out.LoadBalancers?.map((l) => l.LoadBalancerArn)).toEqual([lb.arn]);
      expect(fake.calls('elbv2')).toEqual(['DescribeLoadBalancers']);
      client.destroy();
    } finally {
      await served.close();
      await served.close();
    }
  });
});
