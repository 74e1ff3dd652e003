import {
  desiredCertificates,
  findBestCertificates,
  stackAcceptsIngresses,
  type CertificateSummary,
  type ManagedStack,
} from '@kube-edge/aws-frontends';
import type { SkippedObject } from '@kube-edge/k8s-watch';
import type { IpAddressType, LoadBalancerType, ParsedIngress, Scheme } from './ingresses.js';
import { ANNOTATIONS, SOURCE_API_VERSIONS } from './ingresses.js';
import { stackAttributes } from './stacks.js';

/** One load balancer: an existing stack (kept, changed or emptied) or a new one. */
export interface LoadBalancerPlan {
  stack: ManagedStack | undefined;
  scheme: Scheme;
  type: LoadBalancerType;
  ipAddressType: IpAddressType;
  http2: boolean;
  /** Security group of an ALB; undefined: the discovered one. */
  securityGroup: string | undefined;
  wafWebAclId: string | undefined;
  /** The SSL policy its ingresses annotate; undefined: `--ssl-policy`. */
  sslPolicy: string | undefined;
  /** `ns/name` of the only ingress a dedicated load balancer takes; undefined: shared. */
  owner: string | undefined;
  /** Desired certificate ARN → expiry (`null`: in use). Empty and all expired: the stack goes. */
  certificates: Map<string, Date | null>;
  /** Ingresses on it, in placement order. */
  ingresses: ParsedIngress[];
}

/** Options of {@link packLoadBalancers} (from the flags and discovery). */
export interface PackOptions {
  /** Certificates per load balancer: `--max-certs-alb`, 1 with `--disable-sni-support`. */
  certsPerLoadBalancer: number;
  certTtlMs: number;
  /** The discovered security group (what an ALB ingress without the annotation uses). */
  defaultSecurityGroup: string | undefined;
  /** `--aws-waf-web-acl-id`. */
  defaultWafWebAclId: string | undefined;
  /** `--ssl-policy`. */
  defaultSslPolicy: string;
  now: Date;
}

/** The result of {@link packLoadBalancers}. */
export interface PackResult {
  loadBalancers: LoadBalancerPlan[];
  skipped: SkippedObject[];
}

type Working = LoadBalancerPlan & { held: Set<string>; used: Set<string> };

/**
 * The pure packing: ingresses into as few load balancers as possible. Existing stacks come first
 * (most certificates first, then by name), holding their certificates that have neither expired
 * nor gone from ACM/IAM; each ingress goes to the first load balancer of the same scheme, type,
 * IP address type and HTTP/2 setting (and, for a shared ingress, the same security group, WAF
 * and annotated SSL policy) whose owner rule admits it and which has room for its new
 * certificates; else it opens a new one. A dedicated (`shared: "false"`) ingress only joins the
 * load balancer it owns, and an owned load balancer takes nobody else. Certificates are computed
 * per ingress: the pinned ARN (which must be in the certificate list) or the best match per host.
 * Every stack that may hold ingresses is in the result, also with none left (its certificates
 * then expire after the TTL and it is deleted).
 */
export function packLoadBalancers(
  ingresses: readonly ParsedIngress[],
  stacks: readonly ManagedStack[],
  certificates: readonly CertificateSummary[],
  o: PackOptions,
): PackResult {
  const skipped: SkippedObject[] = [];
  const known = new Set(certificates.map((c) => c.arn));
  const lbs: Working[] = stacks
    .filter((s) => stackAcceptsIngresses(s))
    .sort((a, b) => b.certificates.size - a.certificates.size || a.name.localeCompare(b.name))
    .map((s) => {
      const held = new Set<string>();
      for (const [arn, expiry] of s.certificates) {
        if (!known.has(arn)) continue; // deleted from ACM/IAM: never keep it on a listener
        if (expiry !== null && expiry.getTime() <= o.now.getTime()) continue;
        held.add(arn);
      }
      return {
        stack: s,
        ...stackAttributes(s),
        owner: s.owner,
        certificates: new Map(),
        ingresses: [],
        held,
        used: new Set(),
      };
    });

  for (const ing of ingresses) {
    const skip = (reason: string, message: string): void => {
      skipped.push({
        kind: ing.kind ?? 'Ingress',
        apiVersion: SOURCE_API_VERSIONS[ing.kind ?? 'Ingress'],
        namespace: ing.namespace,
        name: ing.name,
        ...(ing.uid === undefined ? {} : { uid: ing.uid }),
        reason,
        message,
      });
    };
    let arns: string[];
    if (ing.certificateArn !== undefined) {
      if (!known.has(ing.certificateArn)) {
        skip(
          'CertificateNotFound',
          `${ANNOTATIONS.certificateArn} ${ing.certificateArn} is not an issued ACM or IAM certificate`,
        );
        continue;
      }
      arns = [ing.certificateArn];
    } else {
      arns = findBestCertificates(certificates, ing.hosts, o.now).certificates.map((c) => c.arn);
      if (arns.length === 0) {
        skip('NoCertificate', `no valid certificate covers any of ${ing.hosts.join(', ')}`);
        continue;
      }
    }
    if (arns.length > o.certsPerLoadBalancer) {
      skip(
        'TooManyCertificates',
        `needs ${arns.length} certificates; a load balancer takes ${o.certsPerLoadBalancer}`,
      );
      continue;
    }
    const alb = ing.type === 'application';
    const sg = alb ? (ing.securityGroup ?? o.defaultSecurityGroup) : undefined;
    const waf = alb ? (ing.wafWebAclId ?? o.defaultWafWebAclId) : undefined;
    const owner = ing.shared ? undefined : `${ing.namespace}/${ing.name}`;
    const fits = (lb: Working): boolean => {
      if (lb.scheme !== ing.scheme || lb.type !== ing.type) return false;
      if (lb.ipAddressType !== ing.ipAddressType || lb.http2 !== ing.http2) return false;
      if (lb.owner !== owner) return false;
      if (ing.shared) {
        if (alb && (lb.securityGroup ?? o.defaultSecurityGroup) !== sg) return false;
        if (lb.wafWebAclId !== waf) return false;
        if (ing.sslPolicy !== undefined && (lb.sslPolicy ?? o.defaultSslPolicy) !== ing.sslPolicy)
          return false;
      }
      const extra = arns.filter((a) => !lb.held.has(a)).length;
      return lb.held.size + extra <= o.certsPerLoadBalancer;
    };
    let lb = lbs.find(fits);
    if (lb === undefined) {
      lb = {
        stack: undefined,
        scheme: ing.scheme,
        type: ing.type,
        ipAddressType: ing.ipAddressType,
        http2: ing.http2,
        securityGroup: sg,
        wafWebAclId: waf,
        sslPolicy: ing.sslPolicy,
        owner,
        certificates: new Map(),
        ingresses: [],
        held: new Set(),
        used: new Set(),
      };
      lbs.push(lb);
    }
    for (const a of arns) {
      lb.held.add(a);
      lb.used.add(a);
    }
    lb.ingresses.push(ing);
  }

  const loadBalancers = lbs.map(({ held, used, ...lb }): LoadBalancerPlan => {
    // Certificates the cache no longer has are left out of `current`: they go at once.
    const current = new Map([...(lb.stack?.certificates ?? [])].filter(([arn]) => held.has(arn)));
    const desired = desiredCertificates(current, [...used].sort(), o.now, o.certTtlMs);
    return {
      ...lb,
      // The SSL policy follows the ingresses' annotation, else the flag (undefined), so a
      // changed --ssl-policy reaches existing stacks.
      sslPolicy: lb.ingresses.find((i) => i.sslPolicy !== undefined)?.sslPolicy,
      certificates: new Map([...desired].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  });
  return { loadBalancers, skipped };
}
