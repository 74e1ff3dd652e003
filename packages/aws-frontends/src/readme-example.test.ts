import { createFakeClock } from '@kube-edge/runtime';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createFakeAws, type FakeAws } from '@kube-edge/testkit';
import { TargetGroupFrontend, createInstanceMetadataClient, resolveRegion } from './index.js';

// Runs the README's usage example against the fakes, so the example cannot rot.
let aws: FakeAws;

beforeAll(async () => {
  aws = await createFakeAws({
    region: 'eu-west-2',
    imds: { identity: { instanceId: 'i-0123456789abcdef0', privateIp: '10.0.1.23' } },
  });
});

afterAll(async () => {
  await aws.close();
});

it('attaches and detaches a node as the README shows', async () => {
  const lb = aws.elbv2.createLoadBalancer({
    name: 'edge',
    scheme: 'internal',
    tags: { 'sky.uk/KubernetesClusterFrontend': 'blue', 'sky.uk/KubernetesClusterIngressClass': 'edge' },
  });
  const tg = aws.elbv2.createTargetGroup({ name: 'edge-http', targetType: 'ip', loadBalancerArns: [lb.arn] });
  const clock = createFakeClock(1_700_000_000_000, { autoAdvance: true });

  // --- README example (with the test's endpoint, client config and clock) ---
  const instance = createInstanceMetadataClient({ baseUrl: aws.imds.url });
  const client = new ElasticLoadBalancingV2Client({
    ...aws.clientConfig(),
    region: await resolveRegion(undefined, instance),
  });
  const nlb = new TargetGroupFrontend({
    client,
    instance,
    clock,
    select: { kind: 'load-balancer-tags', frontendTagValue: 'blue', ingressClass: 'edge' },
  });
  await nlb.start();
  await nlb.update({});
  expect(aws.elbv2.targetsOf(tg.arn)).toEqual([{ id: '10.0.1.23', port: 80 }]);
  await nlb.stop();
  // ---

  expect(await client.config.region()).toBe('eu-west-2');
  expect(aws.elbv2.targetsOf(tg.arn)).toEqual([]);
  expect(clock.delays).toEqual([60_000]);
  client.destroy();
});
