import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { LoadBalancerPlan } from './pack.js';
import { stackAttributes } from './stacks.js';
import {
  TEMPLATE_LIMITS,
  listenerCertificateLogicalId,
  renderStack,
  type TemplateSettings,
} from './template.js';

const golden = (name: string): string => fileURLToPath(new URL(`./__golden__/${name}`, import.meta.url));
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
const update = process.env.UPDATE_GOLDEN === '1';

const arn = (n: string): string => `arn:aws:acm:eu-west-1:123456789012:certificate/${n}`;

const settings: TemplateSettings = {
  vpcId: 'vpc-1',
  subnets: { 'internet-facing': ['subnet-a', 'subnet-b'], internal: ['subnet-a', 'subnet-b', 'subnet-c'] },
  securityGroup: 'sg-1',
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

function lb(p: Partial<LoadBalancerPlan> = {}): LoadBalancerPlan {
  return {
    stack: undefined,
    scheme: 'internet-facing',
    type: 'application',
    ipAddressType: 'ipv4',
    http2: true,
    securityGroup: undefined,
    wafWebAclId: undefined,
    sslPolicy: undefined,
    owner: undefined,
    certificates: new Map([
      [arn('b'), null],
      [arn('a'), new Date('2026-01-01T00:30:00Z')],
    ]),
    ingresses: [],
    ...p,
  };
}

const cases: { name: string; lb: LoadBalancerPlan; settings?: Partial<TemplateSettings> }[] = [
  { name: 'alb-shared', lb: lb() },
  { name: 'alb-no-certificates', lb: lb({ certificates: new Map() }) },
  {
    name: 'alb-owned-internal-redirect-waf-v2-ip-targets',
    lb: lb({
      scheme: 'internal',
      owner: 'shop/web',
      securityGroup: 'sg-2',
      sslPolicy: 'ELBSecurityPolicy-TLS-1-2-2017-01',
      wafWebAclId:
        'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/w/01234567-89ab-cdef-0123-456789abcdef',
      http2: false,
      ipAddressType: 'dualstack',
    }),
    settings: {
      redirectHttpToHttps: true,
      targetAccessMode: 'AWSCNI',
      deregistrationDelaySeconds: 30,
      logsS3Bucket: 'logs',
      logsS3Prefix: 'alb',
    },
  },
  { name: 'alb-waf-classic', lb: lb({ wafWebAclId: '01234567-89ab-cdef-0123-456789abcdef' }) },
  {
    name: 'nlb',
    lb: lb({ type: 'network' }),
    settings: { nlbHttpEnabled: true, nlbCrossZone: true, targetAccessMode: 'HostPort' },
  },
  {
    name: 'alb-target-https-http-target-port-deny-internal',
    lb: lb(),
    settings: {
      targetHttps: true,
      albHttpTargetPort: 9998,
      denyInternalDomains: {
        domains: ['*.cluster.local', 'internal.example.org'],
        body: 'Unauthorized',
        contentType: 'text/plain',
        statusCode: 401,
      },
    },
  },
  {
    name: 'alb-cloudwatch-alarms',
    lb: lb(),
    settings: {
      cloudWatchAlarms: [
        {
          AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:pager'],
          AlarmName: '5xx',
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 2,
          MetricName: 'HTTPCode_ELB_5XX_Count',
          Period: 60,
          Statistic: 'Sum',
          Threshold: 10,
        },
        {
          ComparisonOperator: 'LessThanThreshold',
          Dimensions: [{ Name: 'TargetGroup', Value: 'x' }],
          EvaluationPeriods: 1,
          MetricName: 'HealthyHostCount',
          Period: 60,
          Statistic: 'Minimum',
          Threshold: 1,
        },
      ],
    },
  },
  {
    name: 'nlb-http-target-port',
    lb: lb({ type: 'network' }),
    settings: {
      nlbHttpEnabled: true,
      nlbHttpTargetPort: 9998,
      targetHttps: true,
      denyInternalDomains: {
        domains: ['*.cluster.local'],
        body: 'x',
        contentType: 'text/plain',
        statusCode: 401,
      },
    },
  },
];

describe('renderStack', () => {
  it.each(cases)('renders $name as its golden file', ({ name, lb: plan, settings: extra }) => {
    const spec = renderStack(plan, { ...settings, ...extra });
    const text = `${JSON.stringify(
      { template: JSON.parse(spec.templateBody) as unknown, parameters: spec.parameters },
      null,
      2,
    )}\n`;
    const file = golden(`${name}.json`);
    if (update) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it('names the listener certificate after the hash of the sorted ARNs (the original test vector)', () => {
    expect(listenerCertificateLogicalId(['DUMMY'])).toBe(
      'HTTPSListenerCertificatefc48082457b770e278fc0bd3d392d127869993166f76e8df57d19a0e662820ea',
    );
  });

  it('gives the same bytes for the same load balancer, whatever the map order', () => {
    const a = renderStack(lb(), settings);
    const b = renderStack(lb({ certificates: new Map([...lb().certificates].reverse()) }), settings);
    expect(b).toEqual(a);
  });

  it('stays within CloudFormation limits with 24 certificates and long ARNs', () => {
    const certificates = new Map(
      Array.from({ length: 24 }, (_, i) => [arn(`${'x'.repeat(400)}-${i}`), null] as const),
    );
    const spec = renderStack(lb({ certificates }), { ...settings, redirectHttpToHttps: true });
    expect(Buffer.byteLength(spec.templateBody)).toBeLessThanOrEqual(TEMPLATE_LIMITS.maxBodyBytes);
    expect(
      Object.keys((JSON.parse(spec.templateBody) as { Resources: object }).Resources).length,
    ).toBeLessThanOrEqual(TEMPLATE_LIMITS.maxResources);
  });

  it('refuses a template over the inline size limit (TerminalError)', () => {
    const certificates = new Map(
      Array.from({ length: 120 }, (_, i) => [arn(`${'x'.repeat(400)}-${i}`), null] as const),
    );
    expect(() => renderStack(lb({ certificates }), settings)).toThrow(/bytes; CloudFormation takes 51200/);
  });

  it('sends port 80 to TGHTTP only when that listener forwards and the port differs; redirecting ALBs keep one target group', () => {
    const body = (extra: Partial<TemplateSettings>, plan = lb()) =>
      JSON.parse(renderStack(plan, { ...settings, ...extra }).templateBody) as {
        Resources: Record<string, unknown>;
        Outputs: Record<string, unknown>;
      };
    expect(Object.keys(body({ albHttpTargetPort: 9998 }).Resources)).toContain('TGHTTP');
    expect(Object.keys(body({ albHttpTargetPort: 9999 }).Resources)).not.toContain('TGHTTP');
    const redirecting = body({ albHttpTargetPort: 9998, redirectHttpToHttps: true });
    expect(Object.keys(redirecting.Resources)).not.toContain('TGHTTP');
    expect(Object.keys(redirecting.Outputs)).not.toContain('HTTPTargetGroupARN');
    expect(Object.keys(body({ nlbHttpTargetPort: 9998 }, lb({ type: 'network' })).Resources)).not.toContain(
      'TGHTTP',
    );
    expect(
      renderStack(lb(), { ...settings, albHttpTargetPort: 9998 }).parameters
        .TargetGroupHTTPTargetPortParameter,
    ).toBe('9998');
  });

  it('puts the deny rule only on forwarding ALB listeners (not on a redirecting port 80, not on NLBs)', () => {
    const deny = { domains: ['*.cluster.local'], body: 'no', contentType: 'text/plain', statusCode: 401 };
    const keys = (extra: Partial<TemplateSettings>, plan = lb()): string[] =>
      Object.keys(
        (JSON.parse(renderStack(plan, { ...settings, ...extra }).templateBody) as { Resources: object })
          .Resources,
      ).filter((k) => k.includes('BlockInternalTraffic'));
    expect(keys({ denyInternalDomains: deny })).toEqual([
      'HTTPRuleBlockInternalTraffic',
      'HTTPSRuleBlockInternalTraffic',
    ]);
    expect(keys({ denyInternalDomains: deny, redirectHttpToHttps: true })).toEqual([
      'HTTPSRuleBlockInternalTraffic',
    ]);
    expect(keys({ denyInternalDomains: deny }, lb({ certificates: new Map() }))).toEqual([
      'HTTPRuleBlockInternalTraffic',
    ]);
    expect(keys({ denyInternalDomains: deny, nlbHttpEnabled: true }, lb({ type: 'network' }))).toEqual([]);
  });

  it('writes parameters a stack reads back (round trip)', () => {
    const plan = lb({ scheme: 'internal', securityGroup: 'sg-9', http2: false, ipAddressType: 'dualstack' });
    const spec = renderStack(plan, settings);
    expect(stackAttributes({ parameters: spec.parameters })).toEqual({
      scheme: 'internal',
      type: 'application',
      ipAddressType: 'dualstack',
      http2: false,
      securityGroup: 'sg-9',
      wafWebAclId: undefined,
      sslPolicy: 'ELBSecurityPolicy-2016-08',
    });
  });
});

describe('stackAttributes', () => {
  it('reads the defaults of the original v0.7.2 stacks, which lack the later parameters', () => {
    expect(
      stackAttributes({
        parameters: {
          LoadBalancerSchemeParameter: 'internet-facing',
          LoadBalancerSecurityGroupParameter: 'sg-1',
        },
      }),
    ).toEqual({
      scheme: 'internet-facing',
      type: 'application',
      ipAddressType: 'ipv4',
      http2: true,
      securityGroup: 'sg-1',
      wafWebAclId: undefined,
      sslPolicy: undefined,
    });
  });
});

describe('the IAM policy document', () => {
  // What CloudFormation calls, with the controller's credentials, to build each resource type of
  // the templates (DescribeLoadBalancers is in the controller's own statement).
  const byResourceType: Record<string, string[]> = {
    'AWS::ElasticLoadBalancingV2::LoadBalancer': [
      'ec2:DescribeAccountAttributes',
      'ec2:DescribeAddresses',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeVpcs',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:DeleteLoadBalancer',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:RemoveTags',
      'elasticloadbalancing:SetSecurityGroups',
      'elasticloadbalancing:SetSubnets',
    ],
    'AWS::ElasticLoadBalancingV2::TargetGroup': [
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:RemoveTags',
    ],
    'AWS::ElasticLoadBalancingV2::Listener': [
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:DeleteListener',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:ModifyListener',
    ],
    'AWS::CloudWatch::Alarm': [
      'cloudwatch:DeleteAlarms',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:PutMetricAlarm',
    ],
    'AWS::ElasticLoadBalancingV2::ListenerRule': [
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:ModifyRule',
    ],
    'AWS::ElasticLoadBalancingV2::ListenerCertificate': [
      'elasticloadbalancing:AddListenerCertificates',
      'elasticloadbalancing:DescribeListenerCertificates',
      'elasticloadbalancing:RemoveListenerCertificates',
    ],
    'AWS::WAFv2::WebACLAssociation': [
      'wafv2:AssociateWebACL',
      'wafv2:DisassociateWebACL',
      'wafv2:GetWebACLForResource',
    ],
    'AWS::WAFRegional::WebACLAssociation': [
      'waf-regional:AssociateWebACL',
      'waf-regional:DisassociateWebACL',
      'waf-regional:GetWebACLForResource',
    ],
  };

  it('lets CloudFormation build exactly the resource types the templates use', () => {
    const types = new Set<string>();
    for (const c of cases) {
      const t = JSON.parse(renderStack(c.lb, { ...settings, ...c.settings }).templateBody) as {
        Resources: Record<string, { Type: string }>;
      };
      for (const r of Object.values(t.Resources)) types.add(r.Type);
    }
    expect([...types].sort()).toEqual(Object.keys(byResourceType).sort());
    const policy = JSON.parse(
      readFileSync(new URL('../../../../charts/aws-alb-controller/iam-policy.json', import.meta.url), 'utf8'),
    ) as { Statement: { Sid: string; Action: string[] }[] };
    const statement = policy.Statement.find((s) => s.Sid === 'CloudFormationBuildsTheLoadBalancers');
    expect(statement?.Action).toEqual([...new Set(Object.values(byResourceType).flat())].sort());
  });
});
