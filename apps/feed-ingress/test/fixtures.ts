/**
 * Small builders for Kubernetes objects, used by the model tests, the benchmark and other
 * feed-ingress tests. Pure; every call returns fresh objects.
 */
import type {
  V1HTTPIngressPath,
  V1Ingress,
  V1IngressClass,
  V1IngressRule,
  V1Namespace,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';

/** A path of an Ingress rule pointing at `service:port`. */
export function ingressPath(
  path: string | undefined,
  service: string,
  port: number | string = 80,
  pathType = 'ImplementationSpecific',
): V1HTTPIngressPath {
  return {
    ...(path === undefined ? {} : { path }),
    pathType,
    backend: {
      service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } },
    },
  };
}

/** An Ingress rule for `host` with the given paths. */
export function ingressRule(host: string | undefined, paths: V1HTTPIngressPath[]): V1IngressRule {
  return { ...(host === undefined ? {} : { host }), http: { paths } };
}

/** Options of {@link ingress}. */
export interface IngressFixture {
  namespace?: string;
  name: string;
  annotations?: Record<string, string>;
  className?: string;
  rules: V1IngressRule[];
  tls?: { hosts?: string[]; secretName?: string }[];
  uid?: string;
}

/** An Ingress. Without `annotations`, it carries `kubernetes.io/ingress.class: test` (the fixtures' default class). */
export function ingress(o: IngressFixture): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace: o.namespace ?? 'default',
      name: o.name,
      uid: o.uid ?? `uid-${o.namespace ?? 'default'}-${o.name}`,
      annotations: o.annotations ?? { 'kubernetes.io/ingress.class': 'test' },
    },
    spec: {
      ...(o.className === undefined ? {} : { ingressClassName: o.className }),
      rules: o.rules,
      ...(o.tls === undefined ? {} : { tls: o.tls }),
    },
  };
}

/** A ClusterIP Service. `clusterIP` may be `None` (headless) or `''` (none, e.g. ExternalName). */
export function service(
  namespace: string,
  name: string,
  clusterIP: string,
  ports: number[] = [80],
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { clusterIP, ports: ports.map((port) => ({ port })) },
  };
}

/** A Namespace with labels. */
export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** An IngressClass. */
export function ingressClass(name: string, controller: string, isDefault = false): V1IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller },
  };
}

/** A `kubernetes.io/tls` Secret from PEM texts. */
export function tlsSecret(namespace: string, name: string, certPem: string, keyPem: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace, name },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(certPem).toString('base64'),
      'tls.key': Buffer.from(keyPem).toString('base64'),
    },
  };
}
