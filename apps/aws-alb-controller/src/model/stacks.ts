import type { ManagedStack } from '@kube-edge/aws-frontends';
import type { IpAddressType, LoadBalancerType, Scheme } from './ingresses.js';

/**
 * Stack parameter names: the original's, so its stacks update in place, and read back from
 * existing stacks to learn where each load balancer stands (scheme, type, security group, …).
 */
export const PARAMETERS = {
  scheme: 'LoadBalancerSchemeParameter',
  securityGroup: 'LoadBalancerSecurityGroupParameter',
  subnets: 'LoadBalancerSubnetsParameter',
  healthCheckPath: 'TargetGroupHealthCheckPathParameter',
  healthCheckPort: 'TargetGroupHealthCheckPortParameter',
  healthCheckInterval: 'TargetGroupHealthCheckIntervalParameter',
  healthCheckTimeout: 'TargetGroupHealthCheckTimeoutParameter',
  targetPort: 'TargetGroupTargetPortParameter',
  vpcId: 'TargetGroupVPCIDParameter',
  sslPolicy: 'ListenerSslPolicyParameter',
  ipAddressType: 'IpAddressType',
  type: 'Type',
  http2: 'HTTP2',
  wafWebAclId: 'LoadBalancerWAFWebACLIDParameter',
} as const;

/** Where an existing load balancer stands, read from its stack's parameters. */
export interface StackAttributes {
  scheme: Scheme;
  type: LoadBalancerType;
  ipAddressType: IpAddressType;
  http2: boolean;
  securityGroup: string | undefined;
  wafWebAclId: string | undefined;
  sslPolicy: string | undefined;
}

/**
 * Reads a stack's placement attributes from its parameters. A parameter the original's older
 * templates lack takes the value those templates implied (application, ipv4, HTTP/2 on). Pure.
 */
export function stackAttributes(stack: Pick<ManagedStack, 'parameters'>): StackAttributes {
  const p = stack.parameters;
  const nonEmpty = (s: string | undefined): string | undefined =>
    s === undefined || s === '' ? undefined : s;
  return {
    scheme: p[PARAMETERS.scheme] === 'internal' ? 'internal' : 'internet-facing',
    type: p[PARAMETERS.type] === 'network' ? 'network' : 'application',
    ipAddressType: p[PARAMETERS.ipAddressType] === 'dualstack' ? 'dualstack' : 'ipv4',
    http2: p[PARAMETERS.http2] !== 'false',
    securityGroup: nonEmpty(p[PARAMETERS.securityGroup]),
    wafWebAclId: nonEmpty(p[PARAMETERS.wafWebAclId]),
    sslPolicy: nonEmpty(p[PARAMETERS.sslPolicy]),
  };
}
