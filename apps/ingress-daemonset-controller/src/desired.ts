import type { V1DaemonSet, V1Deployment, V1OwnerReference } from '@kubernetes/client-node';
import {
  DEPLOYMENTS,
  HC_LABEL,
  IDS_API_VERSION,
  IDS_GROUP,
  IDS_KIND,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NODE_ANNOTATION,
  NODE_LABEL,
  OBJECT_HASH_ANNOTATION,
  PORT_ANNOTATION,
  daemonSetName,
  deploymentName,
  labelValue,
  shortHash,
} from './names.js';
import type { IdsConfig, IngressDaemonSet } from './spec.js';

/** Label on every child: the IngressDaemonSet's name as a label value. */
export const IDS_NAME_LABEL = `${IDS_GROUP}/name`;

/** Defaults the controller fills into health-checker DaemonSets (from its flags). */
export interface HealthCheckerDefaults {
  /** Image of the health-checker: this app's own image (its `health-checker` mode). */
  readonly image: string;
  readonly imagePullPolicy: string;
  readonly serviceAccountName: string;
}

/** JSON with object keys sorted, so equal values give equal text. Pure. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The object hash: 16 hex characters of SHA-256 of the stable JSON of a desired spec. Pure. */
export function objectHash(spec: unknown): string {
  return shortHash(stableJson(spec), 16);
}

/** The controller owner reference to an IngressDaemonSet. Pure. */
export function ownerReference(ids: IngressDaemonSet): V1OwnerReference {
  return {
    apiVersion: IDS_API_VERSION,
    kind: IDS_KIND,
    name: ids.metadata.name ?? '',
    uid: ids.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `obj` is controlled by the IngressDaemonSet with this uid. Pure. */
export function isOwnedBy(
  obj: { metadata?: { ownerReferences?: V1OwnerReference[] } },
  uid: string,
): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/**
 * The per-node Deployment of an IngressDaemonSet: `<ids>-<node>` (fitted, see `deploymentName`),
 * `podsPerNode` replicas, pods pinned with `spec.nodeName`, the template's labels plus
 * `ingress-daemonset-node` (the controller's label wins a clash), the per-node rolling update
 * limits, the object hash annotation and the controller owner reference. Pure.
 */
export function desiredDeployment(ids: IngressDaemonSet, config: IdsConfig, node: string): V1Deployment {
  const idsName = ids.metadata.name ?? '';
  const name = deploymentName(idsName, node);
  const selector = { [NODE_LABEL]: labelValue(name) };
  const template = structuredClone(config.template);
  const rollingUpdate = {
    ...(config.maxUnavailablePods === undefined ? {} : { maxUnavailable: config.maxUnavailablePods }),
    ...(config.maxSurgePods === undefined ? {} : { maxSurge: config.maxSurgePods }),
  };
  const spec: V1Deployment['spec'] = {
    replicas: config.podsPerNode,
    selector: { matchLabels: selector },
    strategy: { type: 'RollingUpdate', ...(Object.keys(rollingUpdate).length > 0 ? { rollingUpdate } : {}) },
    template: {
      ...template,
      metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...selector } },
      spec: { containers: [], ...template.spec, nodeName: node },
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: DEPLOYMENTS.kind,
    metadata: {
      name,
      namespace: ids.metadata.namespace ?? '',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [IDS_NAME_LABEL]: labelValue(idsName) },
      annotations: { [OBJECT_HASH_ANNOTATION]: objectHash(spec), [NODE_ANNOTATION]: node },
      ownerReferences: [ownerReference(ids)],
    },
    spec,
  };
}

/** Arguments of the health-checker mode for one IngressDaemonSet and port. Pure. */
export function healthCheckerArgs(ids: IngressDaemonSet, config: IdsConfig, port: number): string[] {
  return [
    'health-checker',
    `--healthcheck-addr=:${port}`,
    `--namespace=${ids.metadata.namespace ?? ''}`,
    `--ingress-daemonset=${ids.metadata.name ?? ''}`,
    '--node-name=$(NODE_NAME)',
    `--to-be-updated-annotation=${config.toBeUpdated.key}`,
  ];
}

/**
 * The health-checker DaemonSet `<ids>-<port>`: on every node, on the host network, serving
 * `GET /ok` on the port for the node's per-node Deployment; the port annotation, the object hash
 * and the controller owner reference. Pure.
 */
export function desiredDaemonSet(
  ids: IngressDaemonSet,
  config: IdsConfig,
  port: number,
  defaults: HealthCheckerDefaults,
): V1DaemonSet {
  const idsName = ids.metadata.name ?? '';
  const name = daemonSetName(idsName, port);
  const selector = { [HC_LABEL]: labelValue(name) };
  const hc = config.healthChecker;
  const spec: V1DaemonSet['spec'] = {
    selector: { matchLabels: selector },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    template: {
      metadata: { labels: selector },
      spec: {
        hostNetwork: true,
        dnsPolicy: 'ClusterFirstWithHostNet',
        serviceAccountName: hc.serviceAccountName ?? defaults.serviceAccountName,
        enableServiceLinks: false,
        tolerations: [{ operator: 'Exists' }],
        containers: [
          {
            name: 'node-healthcheck-server',
            image: hc.image ?? defaults.image,
            imagePullPolicy: hc.imagePullPolicy ?? defaults.imagePullPolicy,
            args: healthCheckerArgs(ids, config, port),
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            ports: [{ name: 'health', containerPort: port, hostPort: port, protocol: 'TCP' }],
            livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 10 },
            resources: hc.resources ?? {
              requests: { cpu: '100m', memory: '64Mi' },
              limits: { memory: '128Mi' },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: ids.metadata.namespace ?? '',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [IDS_NAME_LABEL]: labelValue(idsName) },
      annotations: { [PORT_ANNOTATION]: String(port), [OBJECT_HASH_ANNOTATION]: objectHash(spec) },
      ownerReferences: [ownerReference(ids)],
    },
    spec,
  };
}
