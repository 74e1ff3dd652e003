import { createHash } from 'node:crypto';
import { TerminalError } from '@kube-edge/runtime';
import { alarmResource, type CloudWatchAlarm } from './alarms.js';
import { isWafV2 } from './ingresses.js';
import type { LoadBalancerPlan } from './pack.js';
import { PARAMETERS } from './stacks.js';

/** CloudFormation's limits on an inline template. */
export const TEMPLATE_LIMITS = { maxResources: 500, maxBodyBytes: 51_200 } as const;

/** The settings every stack shares (flags and discovery). */
export interface TemplateSettings {
  vpcId: string;
  /** Subnets for each scheme (one per zone). */
  subnets: { 'internet-facing': readonly string[]; internal: readonly string[] };
  /** The discovered security group, for ALBs without the annotation. */
  securityGroup: string;
  sslPolicy: string;
  healthCheckPath: string;
  healthCheckPort: number;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  albHealthyThresholdCount: number;
  albUnhealthyThresholdCount: number;
  nlbHealthyThresholdCount: number;
  targetPort: number;
  idleTimeoutSeconds: number;
  deregistrationDelaySeconds: number;
  /** `Legacy`: no TargetType (as the original's early stacks); `HostPort`: instance; `AWSCNI`: ip. */
  targetAccessMode: 'Legacy' | 'HostPort' | 'AWSCNI';
  redirectHttpToHttps: boolean;
  nlbCrossZone: boolean;
  nlbHttpEnabled: boolean;
  nlbZoneAffinity: string;
  logsS3Bucket: string | undefined;
  logsS3Prefix: string | undefined;
  /** `--target-https`: ALB target groups speak HTTPS to targets and health checks (NLBs stay TCP). */
  targetHttps?: boolean;
  /** `--alb-http-target-port`: the ALB port 80 listener forwards to a target group `TGHTTP` on this port. */
  albHttpTargetPort?: number | undefined;
  /** `--nlb-http-target-port`: the NLB port 80 listener (with `--nlb-http-enabled`) forwards to `TGHTTP` on this port. */
  nlbHttpTargetPort?: number | undefined;
  /** `--deny-internal-domains`: a priority-1 fixed-response rule for these hosts on the ALB listeners. */
  denyInternalDomains?: DenyInternalDomains | undefined;
  /** `--cloudwatch-alarms-config-map`: one `CloudWatchAlarm<i>` resource each, on every stack. */
  cloudWatchAlarms?: readonly CloudWatchAlarm[] | undefined;
}

/** The rule `--deny-internal-domains` puts on the ALB listeners (validated by the config). */
export interface DenyInternalDomains {
  /** Host-header patterns (`*` and `?` wildcards), e.g. `*.cluster.local`. */
  domains: readonly string[];
  body: string;
  contentType: string;
  statusCode: number;
}

/** The template and parameter values of one load balancer's stack (tags are the stack manager's). */
export interface StackSpec {
  templateBody: string;
  /** Every parameter the template declares that has no default worth keeping, in a fixed order. */
  parameters: Record<string, string>;
}

/** The parameter of the `TGHTTP` target group's port (only declared when that group exists). */
export const HTTP_TARGET_PORT_PARAMETER = 'TargetGroupHTTPTargetPortParameter';

/** `HTTPSListenerCertificate<hex sha256 of every ARN followed by NUL>`: a new name when the set changes. Pure. */
export function listenerCertificateLogicalId(sortedArns: readonly string[]): string {
  const h = createHash('sha256');
  for (const arn of sortedArns) {
    h.update(arn);
    h.update('\0');
  }
  return `HTTPSListenerCertificate${h.digest('hex')}`;
}

type Json = Record<string, unknown>;
const ref = (name: string): Json => ({ Ref: name });

/** Priority of the deny rule: before any other rule of the listener. */
const DENY_RULE_PRIORITY = 1;

/** A listener rule answering requests for the internal domains with a fixed response. */
function denyRule(d: DenyInternalDomains, listener: string): Json {
  return {
    Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
    Properties: {
      Actions: [
        {
          Type: 'fixed-response',
          FixedResponseConfig: {
            ContentType: d.contentType,
            MessageBody: d.body,
            StatusCode: String(d.statusCode),
          },
        },
      ],
      Conditions: [{ Field: 'host-header', Values: [...d.domains] }],
      ListenerArn: ref(listener),
      Priority: DENY_RULE_PRIORITY,
    },
  };
}

/**
 * The CloudFormation template and parameter values of one load balancer. Pure and
 * deterministic (keys in a fixed order), so an unchanged load balancer gives the same bytes.
 * Optional parameters (WAF) are only present when used, so older stacks update without
 * "parameters do not exist in the template" errors. Throws TerminalError when the template would
 * exceed CloudFormation's limits (500 resources, 51,200 bytes inline).
 */
export function renderStack(lb: LoadBalancerPlan, s: TemplateSettings): StackSpec {
  const alb = lb.type === 'application';
  const arns = [...lb.certificates.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const securityGroup = lb.securityGroup ?? s.securityGroup;
  const sslPolicy = lb.sslPolicy ?? s.sslPolicy;
  const waf = alb ? lb.wafWebAclId : undefined;
  const redirect = alb && s.redirectHttpToHttps && arns.length > 0;
  // A port 80 listener that forwards (not an ALB redirecting, not an NLB without HTTP) may go to a
  // target group of its own, `TGHTTP`, when its port differs from the main one.
  const forwardsHttp = alb ? !redirect : s.nlbHttpEnabled;
  const httpPort = alb ? s.albHttpTargetPort : s.nlbHttpTargetPort;
  const httpTargetPort =
    forwardsHttp && httpPort !== undefined && httpPort !== 0 && httpPort !== s.targetPort
      ? httpPort
      : undefined;
  const deny = alb ? s.denyInternalDomains : undefined;

  const parameters: Json = {
    [PARAMETERS.scheme]: {
      Type: 'String',
      Description: "The Load Balancer scheme - 'internal' or 'internet-facing'",
      Default: 'internet-facing',
    },
    [PARAMETERS.securityGroup]: {
      Type: 'List<AWS::EC2::SecurityGroup::Id>',
      Description: 'The security group ID for the Load Balancer',
    },
    [PARAMETERS.subnets]: {
      Type: 'List<AWS::EC2::Subnet::Id>',
      Description: 'The list of subnets IDs for the Load Balancer',
    },
    [PARAMETERS.healthCheckPath]: {
      Type: 'String',
      Description: 'The healthcheck path',
      Default: '/kube-system/healthz',
    },
    [PARAMETERS.healthCheckPort]: { Type: 'Number', Description: 'The healthcheck port', Default: '9999' },
    [PARAMETERS.targetPort]: { Type: 'Number', Description: 'The target port', Default: '9999' },
    [PARAMETERS.healthCheckInterval]: {
      Type: 'Number',
      Description: 'The healthcheck interval',
      Default: '10',
    },
    [PARAMETERS.healthCheckTimeout]: { Type: 'Number', Description: 'The healthcheck timeout', Default: '5' },
    [PARAMETERS.vpcId]: { Type: 'AWS::EC2::VPC::Id', Description: 'The VPCID for the TargetGroup' },
    [PARAMETERS.sslPolicy]: {
      Type: 'String',
      Description: 'The HTTPS SSL Security Policy Name',
      Default: 'ELBSecurityPolicy-2016-08',
    },
    [PARAMETERS.ipAddressType]: {
      Type: 'String',
      Description: "IP Address Type, 'ipv4' or 'dualstack'",
      Default: 'ipv4',
    },
    [PARAMETERS.type]: {
      Type: 'String',
      Description: "Loadbalancer Type, 'application' or 'network'",
      Default: 'application',
    },
    [PARAMETERS.http2]: { Type: 'String', Description: 'H2 Enabled', Default: 'true' },
    ...(waf === undefined
      ? {}
      : { [PARAMETERS.wafWebAclId]: { Type: 'String', Description: 'Associated WAF ID.' } }),
    ...(httpTargetPort === undefined
      ? {}
      : { [HTTP_TARGET_PORT_PARAMETER]: { Type: 'Number', Description: 'The HTTP target port' } }),
  };

  const lbAttributes: { Key: string; Value: string }[] = alb
    ? [
        { Key: 'idle_timeout.timeout_seconds', Value: String(s.idleTimeoutSeconds) },
        { Key: 'routing.http2.enabled', Value: String(lb.http2) },
      ]
    : [
        { Key: 'load_balancing.cross_zone.enabled', Value: String(s.nlbCrossZone) },
        { Key: 'dns_record.client_routing_policy', Value: s.nlbZoneAffinity },
      ];
  if (s.logsS3Bucket !== undefined && s.logsS3Bucket !== '') {
    lbAttributes.push(
      { Key: 'access_logs.s3.enabled', Value: 'true' },
      { Key: 'access_logs.s3.bucket', Value: s.logsS3Bucket },
      { Key: 'access_logs.s3.prefix', Value: s.logsS3Prefix ?? '' },
    );
  }

  const https = alb && s.targetHttps === true;
  const targetGroup = (portParameter: string): Json => ({
    Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    Properties: {
      HealthCheckIntervalSeconds: ref(PARAMETERS.healthCheckInterval),
      HealthCheckPath: ref(PARAMETERS.healthCheckPath),
      HealthCheckPort: ref(PARAMETERS.healthCheckPort),
      HealthCheckProtocol: https ? 'HTTPS' : 'HTTP',
      ...(alb ? { HealthCheckTimeoutSeconds: ref(PARAMETERS.healthCheckTimeout) } : {}),
      HealthyThresholdCount: alb ? s.albHealthyThresholdCount : s.nlbHealthyThresholdCount,
      Port: ref(portParameter),
      Protocol: alb ? (https ? 'HTTPS' : 'HTTP') : 'TCP',
      TargetGroupAttributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: String(s.deregistrationDelaySeconds) },
      ],
      ...(s.targetAccessMode === 'Legacy'
        ? {}
        : { TargetType: s.targetAccessMode === 'AWSCNI' ? 'ip' : 'instance' }),
      UnhealthyThresholdCount: alb ? s.albUnhealthyThresholdCount : s.nlbHealthyThresholdCount,
      VpcId: ref(PARAMETERS.vpcId),
    },
  });

  const resources: Json = {
    LB: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: {
        IpAddressType: ref(PARAMETERS.ipAddressType),
        LoadBalancerAttributes: lbAttributes,
        Scheme: ref(PARAMETERS.scheme),
        ...(alb ? { SecurityGroups: ref(PARAMETERS.securityGroup) } : {}),
        Subnets: ref(PARAMETERS.subnets),
        Tags: [{ Key: 'StackName', Value: ref('AWS::StackName') }],
        Type: ref(PARAMETERS.type),
      },
    },
    TG: targetGroup(PARAMETERS.targetPort),
    ...(httpTargetPort === undefined ? {} : { TGHTTP: targetGroup(HTTP_TARGET_PORT_PARAMETER) }),
  };

  const forward = [{ Type: 'forward', TargetGroupArn: ref('TG') }];
  const forwardHttp =
    httpTargetPort === undefined ? forward : [{ Type: 'forward', TargetGroupArn: ref('TGHTTP') }];
  if (alb) {
    resources.HTTPListener = {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        DefaultActions: redirect
          ? [
              {
                Type: 'redirect',
                RedirectConfig: {
                  Host: '#{host}',
                  Path: '/#{path}',
                  Port: '443',
                  Protocol: 'HTTPS',
                  Query: '#{query}',
                  StatusCode: 'HTTP_301',
                },
              },
            ]
          : forwardHttp,
        LoadBalancerArn: ref('LB'),
        Port: 80,
        Protocol: 'HTTP',
      },
    };
    // A redirecting listener answers every request itself; only a forwarding one needs the rule.
    if (deny !== undefined && !redirect)
      resources.HTTPRuleBlockInternalTraffic = denyRule(deny, 'HTTPListener');
  } else if (s.nlbHttpEnabled) {
    resources.HTTPListener = {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: { DefaultActions: forwardHttp, LoadBalancerArn: ref('LB'), Port: 80, Protocol: 'TCP' },
    };
  }
  const [first] = arns;
  if (first !== undefined) {
    resources.HTTPSListener = {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        Certificates: [{ CertificateArn: first }],
        DefaultActions: forward,
        LoadBalancerArn: ref('LB'),
        Port: 443,
        Protocol: alb ? 'HTTPS' : 'TLS',
        SslPolicy: ref(PARAMETERS.sslPolicy),
      },
    };
    resources[listenerCertificateLogicalId(arns)] = {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerCertificate',
      Properties: {
        Certificates: arns.map((CertificateArn) => ({ CertificateArn })),
        ListenerArn: ref('HTTPSListener'),
      },
    };
    if (deny !== undefined) resources.HTTPSRuleBlockInternalTraffic = denyRule(deny, 'HTTPSListener');
  }
  if (waf !== undefined) {
    resources.WAFAssociation = isWafV2(waf)
      ? {
          Type: 'AWS::WAFv2::WebACLAssociation',
          Properties: { ResourceArn: ref('LB'), WebACLArn: ref(PARAMETERS.wafWebAclId) },
        }
      : {
          Type: 'AWS::WAFRegional::WebACLAssociation',
          Properties: { ResourceArn: ref('LB'), WebACLId: ref(PARAMETERS.wafWebAclId) },
        };
  }

  (s.cloudWatchAlarms ?? []).forEach((alarm, i) => {
    resources[`CloudWatchAlarm${i}`] = alarmResource(alarm);
  });

  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'Load Balancer for Kubernetes Ingress',
    Parameters: parameters,
    Resources: resources,
    Outputs: {
      LoadBalancerDNSName: {
        Description: 'DNS name for the LoadBalancer',
        Value: { 'Fn::GetAtt': ['LB', 'DNSName'] },
      },
      LoadBalancerARN: { Description: 'ARN of the LoadBalancer', Value: ref('LB') },
      TargetGroupARN: { Description: 'The ARN of the TargetGroup', Value: ref('TG') },
      ...(httpTargetPort === undefined
        ? {}
        : { HTTPTargetGroupARN: { Description: 'The ARN of the HTTP TargetGroup', Value: ref('TGHTTP') } }),
    },
  };
  const templateBody = JSON.stringify(template);
  const resourceCount = Object.keys(resources).length;
  if (resourceCount > TEMPLATE_LIMITS.maxResources)
    throw new TerminalError(
      `template has ${resourceCount} resources; CloudFormation takes ${TEMPLATE_LIMITS.maxResources}`,
    );
  const bytes = Buffer.byteLength(templateBody);
  if (bytes > TEMPLATE_LIMITS.maxBodyBytes)
    throw new TerminalError(
      `template is ${bytes} bytes; CloudFormation takes ${TEMPLATE_LIMITS.maxBodyBytes} inline`,
    );

  const paramValues: [string, string][] = [
    [PARAMETERS.scheme, lb.scheme],
    [PARAMETERS.securityGroup, securityGroup],
    [PARAMETERS.subnets, s.subnets[lb.scheme].join(',')],
    [PARAMETERS.vpcId, s.vpcId],
    [PARAMETERS.targetPort, String(s.targetPort)],
    [PARAMETERS.healthCheckPath, s.healthCheckPath],
    [PARAMETERS.healthCheckPort, String(s.healthCheckPort)],
    [PARAMETERS.healthCheckInterval, String(s.healthCheckIntervalSeconds)],
    [PARAMETERS.healthCheckTimeout, String(s.healthCheckTimeoutSeconds)],
    [PARAMETERS.sslPolicy, sslPolicy],
    [PARAMETERS.ipAddressType, lb.ipAddressType],
    [PARAMETERS.type, lb.type],
    [PARAMETERS.http2, String(lb.http2)],
    ...(waf === undefined ? [] : ([[PARAMETERS.wafWebAclId, waf]] as [string, string][])),
    ...(httpTargetPort === undefined
      ? []
      : ([[HTTP_TARGET_PORT_PARAMETER, String(httpTargetPort)]] as [string, string][])),
  ];

  return {
    templateBody,
    parameters: Object.fromEntries(paramValues),
  };
}
