import { createHash } from 'node:crypto';
import { DAEMON_SETS, NODES, type ResourceRef } from '@kube-edge/k8s-watch';

/** API group of the IngressDaemonSet custom resource (the original's, kept). */
export const IDS_GROUP = 'ingressdaemonsets.mumoshu.github.io';
/** API version served. */
export const IDS_VERSION = 'v1alpha1';
/** `apiVersion` of an IngressDaemonSet object. */
export const IDS_API_VERSION = `${IDS_GROUP}/${IDS_VERSION}`;
/** Kind of the custom resource. */
export const IDS_KIND = 'IngressDaemonSet';

/** The IngressDaemonSet resource (namespaced). */
export const INGRESS_DAEMON_SETS: ResourceRef = Object.freeze({
  apiVersion: IDS_API_VERSION,
  plural: 'ingressdaemonsets',
  kind: IDS_KIND,
});
/** apps/v1 Deployment. */
export const DEPLOYMENTS: ResourceRef = Object.freeze({
  apiVersion: 'apps/v1',
  plural: 'deployments',
  kind: 'Deployment',
});
export { DAEMON_SETS, NODES };

/** Finalizer on every IngressDaemonSet: its children are deleted (and nodes released) before it goes. */
export const FINALIZER = IDS_GROUP;

/** Selector and pod label of a per-node Deployment; its value identifies the Deployment (unique per node). */
export const NODE_LABEL = 'ingress-daemonset-node';
/** Selector and pod label of a health-checker DaemonSet. */
export const HC_LABEL = 'ingress-daemonset-hc';
/** Label on every object the controller creates; the controller watches only objects carrying it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY = 'ingress-daemonset-controller';

/** Annotation with the hash of the desired spec of a child object: a different hash means "update it". */
export const OBJECT_HASH_ANNOTATION = 'object-hash';
/** Annotation on a health-checker DaemonSet: the host port it serves. */
export const PORT_ANNOTATION = `${IDS_GROUP}/health-check-node-port`;
/** Annotation on a per-node Deployment: the node it runs on. */
export const NODE_ANNOTATION = `${IDS_GROUP}/node`;
/**
 * Default key of `annotateDeploymentToDetach` (the original's, with `.com`): set on a per-node
 * Deployment while an update of it is pending or rolling; the health-checker answers 503 meanwhile.
 */
export const DEFAULT_TO_BE_UPDATED_ANNOTATION = 'ingressdaemonsets.mumoshu.github.com/to-be-updated';
/** Annotation on a per-node Deployment: RFC 3339 time its current rollout began (stall detection, detach wait). */
export const ROLLOUT_STARTED_ANNOTATION = `${IDS_GROUP}/rollout-started-at`;
/** Annotation on a per-node Deployment: `"true"` once the controller annotated the node to detach it for this rollout. */
export const NODE_DETACH_REQUESTED_ANNOTATION = `${IDS_GROUP}/node-detach-requested`;

/** Longest Deployment or DaemonSet name used: 253 (DNS-1123 subdomain) minus room for the `-<hash>` the workload controllers append to ReplicaSet and ControllerRevision names. */
export const MAX_CHILD_NAME = 242;
/** Longest label value the API server accepts. */
export const MAX_LABEL_VALUE = 63;

const HASH_CHARS = 8;

/** First `n` hex characters of SHA-256 of `s`. Pure. */
export function shortHash(s: string, n = HASH_CHARS): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

/**
 * `name` if it has at most `max` characters, else its first characters and `-<8 hex of SHA-256 of
 * the whole name>`, `max` characters in all, the cut end trimmed of `-` and `.` so the result is
 * still a DNS-1123 subdomain and a label value. Distinct long names get distinct results (up to
 * hash collisions) and the same name always the same one. Pure.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const head = name.slice(0, max - HASH_CHARS - 1).replace(/[-.]+$/, '');
  return `${head}-${shortHash(name)}`;
}

/** Name of the per-node Deployment: `<ids>-<node>`, fitted to {@link MAX_CHILD_NAME}. Pure. */
export function deploymentName(ids: string, node: string): string {
  return fitName(`${ids}-${node}`, MAX_CHILD_NAME);
}

/** Name of the health-checker DaemonSet: `<ids>-<port>`, fitted to {@link MAX_CHILD_NAME}. Pure. */
export function daemonSetName(ids: string, port: number): string {
  return fitName(`${ids}-${port}`, MAX_CHILD_NAME);
}

/** A child object's name as a label value (≤ 63 characters, see {@link fitName}). Pure. */
export function labelValue(name: string): string {
  return fitName(name, MAX_LABEL_VALUE);
}
