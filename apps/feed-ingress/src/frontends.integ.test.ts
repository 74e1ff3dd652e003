import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FRONTEND_TAG, INGRESS_CLASS_TAG, createInstanceMetadataClient } from '@kube-edge/aws-frontends';
import {
  createFakeAws,
  startEchoServer,
  startGorbServer,
  type EchoServer,
  type FakeAws,
} from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness } from '../test/harness.js';

const INSTANCE_ID = 'i-0123456789abcdef0';
const PRIVATE_IP = '10.0.1.23';
const TAGS = { [FRONTEND_TAG]: 'blue', [INGRESS_CLASS_TAG]: 'edge' };

// Each subcommand end to end with testkit's fakes: the node joins its load balancer only after
// nginx serves the first config, and leaves it on shutdown (before nginx quits).
describe('feed-ingress frontend subcommands', () => {
  let aws: FakeAws;
  let pod: EchoServer;

  beforeAll(async () => {
    aws = await createFakeAws({ imds: { identity: { instanceId: INSTANCE_ID, privateIp: PRIVATE_IP } } });
    pod = await startEchoServer({ host: '127.0.0.51', name: 'pod' });
  });

  afterAll(async () => {
    await aws?.close();
    await pod?.close();
  });

  const awsDeps = () => ({
    awsClientConfig: aws.clientConfig(),
    instance: createInstanceMetadataClient({ baseUrl: aws.imds.url }),
  });

  it('elb: registers the instance with the tagged ELB, publishes its DNS name as status, deregisters on stop', async () => {
    aws.elb.createLoadBalancer({
      name: 'edge-internal',
      scheme: 'internal',
      dnsName: 'internal-edge.elb.test',
      tags: TAGS,
    });
    aws.elb.createLoadBalancer({ name: 'other', scheme: 'internal', tags: { [FRONTEND_TAG]: 'green' } });
    const h = await startHarness({
      command: ['elb', '--elb-frontend-tag-value=blue', '--drain-delay=10ms'],
      frontend: awsDeps(),
    });
    try {
      expect(aws.elb.loadBalancersWithInstance(INSTANCE_ID)).toEqual(['edge-internal']);
      h.api.store.create(service('default', 'svc', '127.0.0.51', pod.port));
      h.api.store.create(
        ingress('default', 'web', 'web.test', [{ path: '/', service: 'svc', port: pod.port }], {
          'sky.uk/frontend-scheme': 'internal',
        }),
      );
      const status = await eventually(() => {
        const ing = h.api.store.get('networking.k8s.io/v1', 'Ingress', 'default', 'web') as {
          status?: { loadBalancer?: { ingress?: unknown[] } };
        };
        const list = ing.status?.loadBalancer?.ingress ?? [];
        return list.length > 0 ? Promise.resolve(list) : Promise.reject(new Error('no status yet'));
      });
      expect(status).toEqual([{ hostname: 'internal-edge.elb.test' }]);
    } finally {
      await h.stop();
    }
    expect(aws.elb.loadBalancersWithInstance(INSTANCE_ID)).toEqual([]);
  });

  it('nlb: registers the private IP in every target group of the tagged NLB, deregisters on stop', async () => {
    const lb = aws.elbv2.createLoadBalancer({
      name: 'edge-nlb',
      type: 'network',
      scheme: 'internet-facing',
      tags: TAGS,
    });
    const http = aws.elbv2.createTargetGroup({
      name: 'nlb-http',
      targetType: 'ip',
      port: 80,
      loadBalancerArns: [lb.arn],
    });
    const https = aws.elbv2.createTargetGroup({
      name: 'nlb-https',
      targetType: 'ip',
      port: 443,
      loadBalancerArns: [lb.arn],
    });
    const h = await startHarness({
      command: ['nlb', '--nlb-frontend-tag-value=blue', '--drain-delay=10ms'],
      frontend: awsDeps(),
    });
    try {
      expect(aws.elbv2.targetsOf(http.arn)).toEqual([{ id: PRIVATE_IP, port: 80 }]);
      expect(aws.elbv2.targetsOf(https.arn)).toEqual([{ id: PRIVATE_IP, port: 443 }]);
    } finally {
      await h.stop();
    }
    expect(aws.elbv2.targetsOf(http.arn)).toEqual([]);
    expect(aws.elbv2.targetsOf(https.arn)).toEqual([]);
  });

  it('alb: registers the instance id in the named target groups, deregisters on stop', async () => {
    const tg = aws.elbv2.createTargetGroup({ name: 'alb-http', targetType: 'instance', port: 8080 });
    const h = await startHarness({
      command: ['alb', '--alb-target-group-names=alb-http', '--alb-target-group-deregistration-delay=10ms'],
      frontend: awsDeps(),
    });
    try {
      expect(aws.elbv2.targetsOf(tg.arn)).toEqual([{ id: INSTANCE_ID, port: 8080 }]);
    } finally {
      await h.stop();
    }
    expect(aws.elbv2.targetsOf(tg.arn)).toEqual([]);
  });

  it('gorb: adds node-<vs>-<ip> to each virtual service, removes it on stop', async () => {
    const gorb = await startGorbServer({
      services: { 'http-proxy': { port: 80 }, 'https-proxy': { port: 443 } },
    });
    try {
      const h = await startHarness({
        command: [
          'gorb',
          `--gorb-endpoint=${gorb.url}`,
          '--gorb-management-loopback=false',
          '--gorb-ingress-instance-ip=127.0.0.1',
          '--drain-delay=10ms',
        ],
      });
      try {
        const services = gorb.state().services;
        expect(Object.keys(services['http-proxy']?.backends ?? {})).toEqual(['node-http-proxy-127.0.0.1']);
        expect(Object.keys(services['https-proxy']?.backends ?? {})).toEqual(['node-https-proxy-127.0.0.1']);
        expect(services['http-proxy']?.backends['node-http-proxy-127.0.0.1']?.weight).toBe(1000);
      } finally {
        await h.stop();
      }
      const after = gorb.state().services;
      expect(Object.keys(after['http-proxy']?.backends ?? {})).toEqual([]);
      expect(Object.keys(after['https-proxy']?.backends ?? {})).toEqual([]);
      // Drained at weight 0 before the DELETE.
      const methods = gorb.requests().map((r) => r.method);
      expect(methods.indexOf('PATCH')).toBeLessThan(methods.lastIndexOf('DELETE'));
    } finally {
      await gorb.stop();
    }
  });
});
