/** Identifies a resource type on the API server: enough to build its REST paths. */
export interface ResourceRef {
  /** `v1` for the core group, else `group/version`, e.g. `networking.k8s.io/v1`. */
  apiVersion: string;
  /** The resource's plural, lower case, e.g. `ingresses`. */
  plural: string;
  /** The object kind, e.g. `Ingress`; filled into listed items that lack it. */
  kind: string;
  /** Default true. Cluster-scoped resources (Node, Namespace) set false. */
  namespaced?: boolean;
}

/** Builds `/api/v1/...` or `/apis/<group>/<version>/...` for a collection, an object or a subresource. Pure. */
export function resourcePath(
  ref: ResourceRef,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns =
    ref.namespaced !== false && namespace !== undefined && namespace !== ''
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  let p = `${base}${ns}/${ref.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}

/** networking.k8s.io/v1 Ingress. */
export const INGRESSES: ResourceRef = Object.freeze({
  apiVersion: 'networking.k8s.io/v1',
  plural: 'ingresses',
  kind: 'Ingress',
});
/** networking.k8s.io/v1 IngressClass (cluster-scoped): which controller handles which `ingressClassName`. */
export const INGRESS_CLASSES: ResourceRef = Object.freeze({
  apiVersion: 'networking.k8s.io/v1',
  plural: 'ingressclasses',
  kind: 'IngressClass',
  namespaced: false,
});
/** core/v1 Service. */
export const SERVICES: ResourceRef = Object.freeze({ apiVersion: 'v1', plural: 'services', kind: 'Service' });
/** core/v1 Endpoints. */
export const ENDPOINTS: ResourceRef = Object.freeze({
  apiVersion: 'v1',
  plural: 'endpoints',
  kind: 'Endpoints',
});
/** discovery.k8s.io/v1 EndpointSlice. */
export const ENDPOINT_SLICES: ResourceRef = Object.freeze({
  apiVersion: 'discovery.k8s.io/v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
});
/** core/v1 Secret. */
export const SECRETS: ResourceRef = Object.freeze({ apiVersion: 'v1', plural: 'secrets', kind: 'Secret' });
/** core/v1 ConfigMap. */
export const CONFIG_MAPS: ResourceRef = Object.freeze({
  apiVersion: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
});
/** core/v1 Pod. */
export const PODS: ResourceRef = Object.freeze({ apiVersion: 'v1', plural: 'pods', kind: 'Pod' });
/** core/v1 Node (cluster-scoped). */
export const NODES: ResourceRef = Object.freeze({
  apiVersion: 'v1',
  plural: 'nodes',
  kind: 'Node',
  namespaced: false,
});
/** core/v1 Namespace (cluster-scoped). */
export const NAMESPACES: ResourceRef = Object.freeze({
  apiVersion: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});
/** core/v1 Event. */
export const EVENTS: ResourceRef = Object.freeze({ apiVersion: 'v1', plural: 'events', kind: 'Event' });
/** coordination.k8s.io/v1 Lease. */
export const LEASES: ResourceRef = Object.freeze({
  apiVersion: 'coordination.k8s.io/v1',
  plural: 'leases',
  kind: 'Lease',
});
/** apps/v1 DaemonSet. */
export const DAEMON_SETS: ResourceRef = Object.freeze({
  apiVersion: 'apps/v1',
  plural: 'daemonsets',
  kind: 'DaemonSet',
});
