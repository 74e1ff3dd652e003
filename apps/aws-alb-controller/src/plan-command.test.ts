import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { planCli } from './cli.js';
import { computeOfflinePlan, parseAwsState, runPlanCommand } from './plan-command.js';

const examples = fileURLToPath(new URL('../../../examples/aws-alb-controller/', import.meta.url));
const ORG = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-1111-1111-1111-111111111111';
const API = 'arn:aws:acm:eu-west-1:123456789012:certificate/22222222-2222-2222-2222-222222222222';
const BLOG = 'arn:aws:iam::123456789012:server-certificate/blog';

function values(args: string[]) {
  const r = planCli.parse(args, {});
  if (r.kind !== 'run') throw new Error('expected a run');
  return r.values;
}

const base = [
  '-f',
  `${examples}ingresses.yaml`,
  '--aws-state',
  `${examples}aws-state.json`,
  '--now',
  '2026-06-01T00:00:00Z',
];

describe('aws-alb-controller plan on the examples', () => {
  it('adopts the existing stack for the shared ingresses, and creates the dedicated and NLB ones', async () => {
    const plan = await computeOfflinePlan(values(base));
    expect(
      plan.loadBalancers.map((l) => [
        l.action,
        l.stackName.replace(/[0-9a-f-]{36}$/, '<uuid>'),
        l.type,
        l.scheme,
        l.owner,
        l.ingresses,
        Object.keys(l.certificates),
      ]),
    ).toEqual([
      [
        'update',
        'kube-ingress-aws-controller-prod-<uuid>',
        'application',
        'internet-facing',
        undefined,
        ['default/blog', 'default/shop'],
        [ORG, BLOG].sort(),
      ],
      [
        'create',
        'kube-ingress-aws-controller-prod-<new 1>',
        'application',
        'internal',
        'default/admin',
        ['default/admin'],
        [ORG],
      ],
      [
        'create',
        'kube-ingress-aws-controller-prod-<new 2>',
        'network',
        'internet-facing',
        undefined,
        ['default/api'],
        [API],
      ],
    ]);
    const [adopted, admin, nlb] = plan.loadBalancers;
    // The original's stack keeps its name, security group and subnets; parameters it lacked are added.
    expect(adopted?.parameters).toMatchObject({
      LoadBalancerSecurityGroupParameter: 'sg-0123456789abcdef0',
      LoadBalancerSubnetsParameter: 'subnet-0a,subnet-0b',
      TargetGroupVPCIDParameter: 'vpc-0123456789abcdef0',
    });
    expect(admin?.parameters).toMatchObject({
      LoadBalancerSchemeParameter: 'internal',
      // Internal may use private subnets: one per zone, the role-tagged one first, else the lowest id.
      LoadBalancerSubnetsParameter: 'subnet-0b,subnet-1a',
      ListenerSslPolicyParameter: 'ELBSecurityPolicy-TLS-1-2-2017-01',
    });
    expect(admin?.tags['ingress:owner']).toBe('default/admin');
    expect(nlb?.parameters.Type).toBe('network');
    expect(plan.skipped).toEqual([]);
  });

  it('prints one block per stack with its template (text), or JSON', async () => {
    const text = await runPlanCommand(values(base));
    expect(text.split('\n').filter((l) => /^(create|update|delete|unchanged|wait) /.test(l))).toEqual([
      expect.stringMatching(
        /^update stack kube-ingress-aws-controller-prod-[0-9a-f-]{36} \(application, internet-facing\)$/,
      ),
      'create stack kube-ingress-aws-controller-prod-<new 1> (application, internal, owner default/admin)',
      'create stack kube-ingress-aws-controller-prod-<new 2> (network, internet-facing)',
    ]);
    expect(text).toContain('"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer"');
    const json = JSON.parse(await runPlanCommand(values([...base, '--output', 'json']))) as {
      loadBalancers: unknown[];
    };
    expect(json.loadBalancers).toHaveLength(3);
  });

  it('without AWS state there are no certificates: every ingress is skipped with a reason', async () => {
    const plan = await computeOfflinePlan(values(['-f', `${examples}ingresses.yaml`]));
    expect(plan.loadBalancers).toEqual([]);
    expect(plan.skipped.map((s) => s.split(': ').slice(0, 2).join(': '))).toEqual([
      'default/admin: NoCertificate',
      'default/api: CertificateNotFound',
      'default/blog: NoCertificate',
      'default/shop: NoCertificate',
    ]);
  });

  it('takes RouteGroups from the files too (shown as routegroup/<namespace>/<name>)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alb-plan-'));
    try {
      writeFileSync(
        join(dir, 'rg.yaml'),
        [
          'apiVersion: zalando.org/v1',
          'kind: RouteGroup',
          'metadata: {name: catalog, namespace: default}',
          'spec: {hosts: [catalog.example.org]}',
        ].join('\n'),
      );
      const plan = await computeOfflinePlan(values([...base, '-f', join(dir, 'rg.yaml')]));
      expect(
        plan.loadBalancers.find((l) => l.ingresses.includes('routegroup/default/catalog'))?.ingresses,
      ).toEqual(['default/blog', 'routegroup/default/catalog', 'default/shop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad state file naming the field', () => {
    expect(() => parseAwsState('{"certificates":[{"arn":"x","notBefore":"no"}]}', undefined)).toThrow(
      ConfigError,
    );
    expect(() => parseAwsState('{"certificates":[{"arn":"x","notBefore":"no"}]}', undefined)).toThrow(
      /certificates\[0\]\.notBefore/,
    );
  });
});
