import type { ResourceRef, SkippedObject } from '@kube-edge/k8s-watch';
import type { CloudWatchAlarm } from './alarms.js';

/** Annotations read from Ingresses (the original's names, so users keep their manifests). */
export const ANNOTATIONS = {
  certificateArn: 'zalando.org/aws-load-balancer-ssl-cert',
  scheme: 'zalando.org/aws-load-balancer-scheme',
  shared: 'zalando.org/aws-load-balancer-shared',
  securityGroup: 'zalando.org/aws-load-balancer-security-group',
  sslPolicy: 'zalando.org/aws-load-balancer-ssl-policy',
  type: 'zalando.org/aws-load-balancer-type',
  http2: 'zalando.org/aws-load-balancer-http2',
  wafWebAclId: 'zalando.org/aws-waf-web-acl-id',
  ipAddressType: 'alb.ingress.kubernetes.io/ip-address-type',
  ingressClass: 'kubernetes.io/ingress.class',
} as const;

/** The objects that ask for load balancers: Ingresses, and Skipper's RouteGroups. */
export type SourceKind = 'Ingress' | 'RouteGroup';

/** Skipper's RouteGroups: read like Ingresses when the cluster serves them. */
export const ROUTE_GROUPS: ResourceRef = Object.freeze({
  apiVersion: 'zalando.org/v1',
  plural: 'routegroups',
  kind: 'RouteGroup',
});

/** The API version the controller reads each kind at. */
export const SOURCE_API_VERSIONS: Readonly<Record<SourceKind, string>> = {
  Ingress: 'networking.k8s.io/v1',
  RouteGroup: 'zalando.org/v1',
};

/** The load balancer entries an object's status holds now (`ingress`, or a RouteGroup's `routegroup`). Pure. */
export function statusEntries(
  object: IngressLike,
  kind: SourceKind | undefined,
): { hostname?: string; ip?: string }[] {
  const lb = object.status?.loadBalancer;
  return (kind === 'RouteGroup' ? lb?.routegroup : lb?.ingress) ?? [];
}

/** A load balancer scheme. */
export type Scheme = 'internet-facing' | 'internal';
/** A load balancer type, as CloudFormation names it. */
export type LoadBalancerType = 'application' | 'network';
/** An IP address type. */
export type IpAddressType = 'ipv4' | 'dualstack';

/** An Ingress as far as this controller cares (an informer's cached object works). */
export interface IngressLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  /** Ingress: `rules[].host`; RouteGroup: `hosts`. */
  spec?: { ingressClassName?: string; rules?: { host?: string }[]; hosts?: string[] };
  status?: {
    loadBalancer?: {
      ingress?: { hostname?: string; ip?: string }[];
      /** A RouteGroup's entries. */
      routegroup?: { hostname?: string; ip?: string }[];
    };
  };
}

/** Where an ingress must go, read from its annotations and the defaults. */
export interface IngressPlacement {
  scheme: Scheme;
  type: LoadBalancerType;
  ipAddressType: IpAddressType;
  http2: boolean;
  /** The annotated security group; undefined: the discovered one. */
  securityGroup: string | undefined;
  /** The annotated WAF web ACL; undefined: the flag's (if any). */
  wafWebAclId: string | undefined;
  /** The annotated SSL policy; undefined: the flag's. */
  sslPolicy: string | undefined;
}

/** One Ingress the controller takes, validated. */
export interface ParsedIngress extends IngressPlacement {
  /** Undefined: an Ingress. */
  kind?: SourceKind;
  namespace: string;
  name: string;
  uid: string | undefined;
  /** Lower-cased hosts that want a load balancer, sorted, without duplicates. */
  hosts: string[];
  /** `false` when annotated `shared: "false"`: the ingress gets a load balancer of its own. */
  shared: boolean;
  /** The pinned certificate ARN, if annotated. */
  certificateArn: string | undefined;
  /** The cached object (for the status writer's first comparison). */
  object: IngressLike;
}

/** The options of {@link parseIngresses} (from the flags). */
export interface ParseOptions {
  /** Ingress classes to take; `''` takes classless ones. Undefined: every ingress. */
  classFilter: readonly string[] | undefined;
  /** Hosts ending in this domain get no load balancer. */
  clusterLocalDomain: string | undefined;
  defaultType: LoadBalancerType;
  defaultIpAddressType: IpAddressType;
  /** The SSL policies an annotation may name. */
  sslPolicies: readonly string[];
}

/** The result of {@link parseIngresses}. */
export interface ParsedIngresses {
  /** Sorted by namespace/name, so packing is deterministic. */
  ingresses: ParsedIngress[];
  /** Ingresses with no host outside the cluster-local domain: their status is cleared. */
  clusterLocal: { kind?: SourceKind; namespace: string; name: string; object: IngressLike }[];
  /**
   * With `--target-access-mode=AWSCNI`: the pod IPs the `ip` target groups must hold (see
   * `podTargetAddresses`), added by the app's build; undefined in the other modes.
   */
  podTargets?: readonly string[];
  /** With `--cloudwatch-alarms-config-map`: the valid alarms of that ConfigMap, added by the app's build. */
  cloudWatchAlarms?: readonly CloudWatchAlarm[];
  skipped: SkippedObject[];
}

const SG_ID = /^sg-[0-9a-f]{1,17}$/;
const WAF_V2_ARN =
  /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/;
const WAF_CLASSIC_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CERT_ARN =
  /^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:\d{12}:(certificate|server-certificate)\/[\x21-\x7e]{1,512}$/;
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** True when a WAF id is a WAFv2 web ACL ARN (else a WAF classic regional id). Pure. */
export function isWafV2(id: string): boolean {
  return id.startsWith('arn:aws') && id.includes(':wafv2:');
}

/** Checks a WAF web ACL id (flag or annotation): a WAF classic id or a WAFv2 ARN. Pure. */
export function validWafWebAclId(id: string): boolean {
  return WAF_V2_ARN.test(id) || WAF_CLASSIC_ID.test(id);
}

/** The ingress class an ingress names: spec.ingressClassName wins over the annotation. Pure. */
export function ingressClassOf(ing: IngressLike): string {
  return ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[ANNOTATIONS.ingressClass] ?? '';
}

/**
 * The pure first half of the model: which ingresses (and Skipper RouteGroups, whose hosts are
 * `spec.hosts`; same annotations, same class filter) the controller takes and where each must go.
 * Every user string is validated here, before it can reach a CloudFormation template; an object
 * with a bad annotation is skipped with a reason (the rest goes on).
 */
export function parseIngresses(
  list: readonly IngressLike[],
  o: ParseOptions,
  routeGroups: readonly IngressLike[] = [],
): ParsedIngresses {
  const ingresses: ParsedIngress[] = [];
  const clusterLocal: ParsedIngresses['clusterLocal'] = [];
  const skipped: SkippedObject[] = [];
  const key = (x: { ing: IngressLike }): string =>
    `${x.ing.metadata?.namespace ?? ''}/${x.ing.metadata?.name ?? ''}`;
  const sorted = [
    ...list.map((ing) => ({ kind: 'Ingress' as const, ing })),
    ...routeGroups.map((ing) => ({ kind: 'RouteGroup' as const, ing })),
  ].sort((a, b) => key(a).localeCompare(key(b)) || a.kind.localeCompare(b.kind));
  const local = o.clusterLocalDomain?.replace(/^\.+|\.+$/g, '').toLowerCase();
  for (const { kind, ing } of sorted) {
    const namespace = ing.metadata?.namespace ?? '';
    const name = ing.metadata?.name ?? '';
    const uid = ing.metadata?.uid;
    const rg = kind === 'RouteGroup' ? { kind } : {};
    if (o.classFilter !== undefined && !o.classFilter.includes(ingressClassOf(ing))) continue;
    const skip = (reason: string, message: string): void => {
      skipped.push({
        kind,
        apiVersion: SOURCE_API_VERSIONS[kind],
        namespace,
        name,
        ...(uid === undefined ? {} : { uid }),
        reason,
        message,
      });
    };
    const a = ing.metadata?.annotations ?? {};
    const hosts = new Set<string>();
    let badHost: string | undefined;
    const listed: unknown = kind === 'RouteGroup' ? ing.spec?.hosts : ing.spec?.rules;
    if (listed !== undefined && listed !== null && !Array.isArray(listed)) {
      // A RouteGroup CRD without a schema lets anything through: one bad object must not stop the pass.
      skip('InvalidHost', `spec.${kind === 'RouteGroup' ? 'hosts' : 'rules'} is not a list`);
      continue;
    }
    const rawHosts: unknown[] =
      kind === 'RouteGroup'
        ? ((listed as unknown[] | undefined) ?? [])
        : ((listed as { host?: unknown }[] | undefined) ?? []).map((r) => r?.host);
    for (const raw of rawHosts) {
      if (raw !== undefined && raw !== null && typeof raw !== 'string') {
        badHost = JSON.stringify(raw);
        continue;
      }
      const rule = { host: typeof raw === 'string' ? raw : '' };
      const host = rule.host.trim().toLowerCase().replace(/\.$/, '');
      if (host === '') continue;
      if (!HOST.test(host) || host.length > 253) badHost = rule.host;
      if (local !== undefined && local !== '' && (host === local || host.endsWith(`.${local}`))) continue;
      hosts.add(host);
    }
    if (badHost !== undefined) {
      skip('InvalidHost', `host ${JSON.stringify(badHost)} is not a DNS name`);
      continue;
    }
    if (hosts.size === 0) {
      clusterLocal.push({ ...rg, namespace, name, object: ing });
      continue;
    }
    const scheme: Scheme = a[ANNOTATIONS.scheme] === 'internal' ? 'internal' : 'internet-facing';
    const sg = a[ANNOTATIONS.securityGroup]?.trim();
    if (sg !== undefined && !SG_ID.test(sg)) {
      skip(
        'InvalidSecurityGroup',
        `${ANNOTATIONS.securityGroup}: ${JSON.stringify(sg)} is not a security group id`,
      );
      continue;
    }
    const waf = a[ANNOTATIONS.wafWebAclId]?.trim();
    if (waf !== undefined && waf !== '' && !validWafWebAclId(waf)) {
      skip(
        'InvalidWafWebAclId',
        `${ANNOTATIONS.wafWebAclId}: ${JSON.stringify(waf)} is neither a WAF id nor a WAFv2 ARN`,
      );
      continue;
    }
    const typeAnnotation = a[ANNOTATIONS.type]?.trim();
    let type: LoadBalancerType;
    if (typeAnnotation === 'nlb') type = 'network';
    else if (typeAnnotation === 'alb') type = 'application';
    else if (typeAnnotation !== undefined && typeAnnotation !== '') {
      skip(
        'InvalidLoadBalancerType',
        `${ANNOTATIONS.type}: ${JSON.stringify(typeAnnotation)} is neither alb nor nlb`,
      );
      continue;
    } else if (scheme === 'internal' || sg !== undefined || (waf !== undefined && waf !== '')) {
      // Features only an ALB has (security groups, WAF) and the internal scheme pick an ALB.
      type = 'application';
    } else type = o.defaultType;
    if (type === 'network' && (sg !== undefined || (waf !== undefined && waf !== ''))) {
      skip(
        'IncompatibleAnnotations',
        `an NLB takes neither ${ANNOTATIONS.securityGroup} nor ${ANNOTATIONS.wafWebAclId}`,
      );
      continue;
    }
    const ipType = a[ANNOTATIONS.ipAddressType]?.trim();
    if (ipType !== undefined && ipType !== 'ipv4' && ipType !== 'dualstack') {
      skip(
        'InvalidIpAddressType',
        `${ANNOTATIONS.ipAddressType}: ${JSON.stringify(ipType)} is neither ipv4 nor dualstack`,
      );
      continue;
    }
    const policy = a[ANNOTATIONS.sslPolicy]?.trim();
    if (policy !== undefined && !o.sslPolicies.includes(policy)) {
      skip(
        'InvalidSslPolicy',
        `${ANNOTATIONS.sslPolicy}: ${JSON.stringify(policy)} is not a known SSL policy`,
      );
      continue;
    }
    const cert = a[ANNOTATIONS.certificateArn]?.trim();
    if (cert !== undefined && cert !== '' && !CERT_ARN.test(cert)) {
      skip(
        'InvalidCertificateArn',
        `${ANNOTATIONS.certificateArn}: ${JSON.stringify(cert)} is not an ACM or IAM certificate ARN`,
      );
      continue;
    }
    ingresses.push({
      ...rg,
      namespace,
      name,
      uid,
      hosts: [...hosts].sort(),
      shared: a[ANNOTATIONS.shared] !== 'false',
      certificateArn: cert === '' ? undefined : cert,
      scheme,
      type,
      ipAddressType: ipType ?? o.defaultIpAddressType,
      http2: a[ANNOTATIONS.http2] !== 'false',
      securityGroup: sg,
      wafWebAclId: waf === '' ? undefined : waf,
      sslPolicy: policy,
      object: ing,
    });
  }
  return { ingresses, clusterLocal, skipped };
}
