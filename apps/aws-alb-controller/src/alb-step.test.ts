import { describe, expect, it } from '@jest/globals';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type {
  CertificateCache,
  CycleSnapshot,
  DesiredStack,
  ManagedStack,
  StackManager,
} from '@kube-edge/aws-frontends';
import type { EventRecorder } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { SSL_POLICIES } from './cli.js';
import { createAlbStep } from './alb-step.js';
import { parseIngresses } from './model/ingresses.js';
import type { StaticSettings } from './config.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/a';
const LB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1';
const settings: StaticSettings = {
  controllerId: 'kube-ingress-aws-controller',
  additionalStackTags: {},
  certsPerLoadBalancer: 24,
  certTtlMs: 1_800_000,
  defaultWafWebAclId: undefined,
  defaultSslPolicy: 'ELBSecurityPolicy-2016-08',
  sslPolicy: 'ELBSecurityPolicy-2016-08',
  healthCheckPath: '/kube-system/healthz',
  healthCheckPort: 9999,
  healthCheckIntervalSeconds: 10,
  healthCheckTimeoutSeconds: 5,
  albHealthyThresholdCount: 5,
  albUnhealthyThresholdCount: 2,
  nlbHealthyThresholdCount: 3,
  targetPort: 9999,
  idleTimeoutSeconds: 60,
  deregistrationDelaySeconds: 300,
  targetAccessMode: 'Legacy',
  redirectHttpToHttps: false,
  nlbCrossZone: false,
  nlbHttpEnabled: false,
  nlbZoneAffinity: 'any_availability_zone',
  logsS3Bucket: undefined,
  logsS3Prefix: undefined,
};

function stack(status: string): ManagedStack {
  return {
    name: 's1',
    id: 'id',
    status,
    statusReason: undefined,
    dnsName: 'X-1.eu-west-1.ELB.amazonaws.com',
    loadBalancerArn: LB_ARN,
    targetGroupArns: [],
    parameters: {},
    tags: {},
    certificates: new Map([[ARN, null]]),
    owner: undefined,
    terminationProtection: false,
    createdAt: NOW,
  };
}

/** One step pass with a stack in `status` and a load balancer in `state`, created `ageMs` ago. */
async function statusWrites(status: string, state: string, ageMs: number, minAgeMs = 360_000) {
  const writes: string[] = [];
  const cert = {
    arn: ARN,
    domainNames: ['*.example.org'],
    notBefore: new Date(0),
    notAfter: new Date('2030-01-01'),
    source: 'acm' as const,
  };
  const snapshot: CycleSnapshot = {
    now: NOW,
    certificates: [cert],
    stacks: [stack(status)],
    targets: { autoScalingGroups: new Map(), singleInstances: [] },
  };
  const stacks = {
    listManagedStacks: () => Promise.resolve([]),
    cycle: (plan: (s: CycleSnapshot) => readonly DesiredStack[]) => {
      plan(snapshot);
      return Promise.resolve({ snapshot, stacks: [], targets: [], mutatingCalls: 0 });
    },
    reset: () => undefined,
  } as StackManager;
  const step = createAlbStep({
    settings,
    certificates: { start: () => Promise.resolve(), stop: () => undefined } as unknown as CertificateCache,
    connect: () =>
      Promise.resolve({
        cluster: {
          instanceId: undefined,
          clusterId: 'prod',
          vpcId: 'vpc-1',
          securityGroupId: 'sg-1',
          subnets: [],
        },
        stacks,
      }),
    elbv2: {
      send: () =>
        Promise.resolve({
          LoadBalancers: [
            { LoadBalancerArn: LB_ARN, State: { Code: state }, CreatedTime: new Date(NOW.getTime() - ageMs) },
          ],
        }),
    } as unknown as ElasticLoadBalancingV2Client,
    status: {
      write: (ns, name, addresses) => {
        writes.push(`${ns}/${name}=${addresses.map((a) => a.hostname ?? '').join(',')}`);
        return Promise.resolve('updated');
      },
    },
    minLoadBalancerAgeMs: minAgeMs,
    events: { record: () => undefined } as unknown as EventRecorder,
    metrics: createMetrics({ prefix: 't' }),
    logger: createNoopLogger(),
    now: () => NOW,
  });
  const parsed = parseIngresses(
    [
      { metadata: { name: 'shop', namespace: 'default' }, spec: { rules: [{ host: 'shop.example.org' }] } },
      {
        metadata: { name: 'local', namespace: 'default' },
        spec: { rules: [{ host: 'x.svc.cluster.local' }] },
        status: { loadBalancer: { ingress: [{ hostname: 'old.example.org' }] } },
      },
    ],
    {
      classFilter: undefined,
      clusterLocalDomain: 'cluster.local',
      defaultType: 'application',
      defaultIpAddressType: 'ipv4',
      sslPolicies: SSL_POLICIES,
    },
  );
  await step.update(parsed);
  return writes;
}

describe('Ingress status', () => {
  it('points at the lower-cased DNS name once the stack is complete, the LB active and old enough', async () => {
    expect(await statusWrites('UPDATE_COMPLETE', 'active', 400_000)).toEqual([
      'default/shop=x-1.eu-west-1.elb.amazonaws.com',
      'default/local=',
    ]);
  });

  it.each([
    ['a young load balancer', 'CREATE_COMPLETE', 'active', 60_000],
    ['a provisioning load balancer', 'CREATE_COMPLETE', 'provisioning', 400_000],
    ['a stack in progress', 'UPDATE_IN_PROGRESS', 'active', 400_000],
    ['a stack rolling back', 'ROLLBACK_IN_PROGRESS', 'active', 400_000],
  ])('is not written for %s (only the cluster-local one is cleared)', async (_what, status, state, age) => {
    expect(await statusWrites(status, state, age)).toEqual(['default/local=']);
  });
});

describe('stack problems', () => {
  it('puts a failed create on the Ingresses of the new load balancer as a Warning Event', async () => {
    const events: string[] = [];
    const cert = {
      arn: ARN,
      domainNames: ['*.example.org'],
      notBefore: new Date(0),
      notAfter: new Date('2030-01-01'),
      source: 'acm' as const,
    };
    const snapshot: CycleSnapshot = {
      now: NOW,
      certificates: [cert],
      stacks: [],
      targets: { autoScalingGroups: new Map(), singleInstances: [] },
    };
    const stacks = {
      listManagedStacks: () => Promise.resolve([]),
      cycle: (plan: (s: CycleSnapshot) => readonly DesiredStack[]) => {
        const desired = plan(snapshot);
        return Promise.resolve({
          snapshot,
          stacks: desired.map((d) => ({
            stackName: 'kube-ingress-aws-controller-prod-new',
            action: 'failed' as const,
            status: undefined,
            desired: d,
            error: new Error('LimitExceeded'),
            problem: { reason: 'StackCreateFailed', message: 'LimitExceeded' },
          })),
          targets: [],
          mutatingCalls: 1,
        });
      },
      reset: () => undefined,
    } as StackManager;
    const step = createAlbStep({
      settings,
      certificates: { start: () => Promise.resolve(), stop: () => undefined } as unknown as CertificateCache,
      connect: () =>
        Promise.resolve({
          cluster: {
            instanceId: undefined,
            clusterId: 'prod',
            vpcId: 'vpc-1',
            securityGroupId: 'sg-1',
            subnets: [],
          },
          stacks,
        }),
      elbv2: { send: () => Promise.resolve({}) } as unknown as ElasticLoadBalancingV2Client,
      status: { write: () => Promise.resolve('unchanged') },
      minLoadBalancerAgeMs: 0,
      events: {
        record: (ref: { namespace?: string; name: string }, type: string, reason: string) => {
          events.push(`${type} ${reason} ${ref.namespace ?? ''}/${ref.name}`);
        },
      } as unknown as EventRecorder,
      metrics: createMetrics({ prefix: 't' }),
      logger: createNoopLogger(),
      now: () => NOW,
    });
    const parsed = parseIngresses(
      [{ metadata: { name: 'shop', namespace: 'default' }, spec: { rules: [{ host: 'shop.example.org' }] } }],
      {
        classFilter: undefined,
        clusterLocalDomain: 'cluster.local',
        defaultType: 'application',
        defaultIpAddressType: 'ipv4',
        sslPolicies: SSL_POLICIES,
      },
    );
    await expect(step.update(parsed)).rejects.toThrow(/LimitExceeded/);
    expect(events).toEqual(['Warning StackCreateFailed default/shop']);
  });
});
