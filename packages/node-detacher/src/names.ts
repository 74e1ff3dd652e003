/**
 * The names node-detacher reads and writes on Nodes, Pods and its own `Attachment` resource.
 * They are the names of the original mumoshu/node-detacher, kept so that tools and alerts written
 * for it keep working.
 */

/** The prefix of every node-detacher annotation, label and taint key. */
export const NODE_DETACHER_PREFIX = 'node-detacher.variant.run';

/**
 * Node annotation (input). Its presence, with any value, detaches the node from the load
 * balancers WITHOUT evicting its pods. ingress-daemonset-controller sets it before updating the
 * ingress pods of a node.
 */
export const DETACHED_ANNOTATION = `${NODE_DETACHER_PREFIX}/detached`;

/** Node annotation (output): `"true"` while the node is detached, `"false"` after re-attach. */
export const DETACHING_ANNOTATION = `${NODE_DETACHER_PREFIX}/detaching`;

/**
 * Node annotation (output): RFC 3339 time at which the node was taken out of every load balancer
 * it was in (written after the deregistration calls succeeded). Removed on re-attach.
 */
export const DETACHMENT_TIMESTAMP_ANNOTATION = `${NODE_DETACHER_PREFIX}/detachment-timestamp`;

/** Node annotation (output): RFC 3339 time of the re-attach. Removed on detach. */
export const ATTACHMENT_TIMESTAMP_ANNOTATION = `${NODE_DETACHER_PREFIX}/attachment-timestamp`;

/** Node taint key (output) added while detached: `node-detacher.variant.run/detaching=<name>:NoSchedule`. */
export const DETACHING_TAINT = `${NODE_DETACHER_PREFIX}/detaching`;

/** Node label (output): `"true"` once the node's load-balancer membership is recorded in its Attachment. */
export const CACHED_LABEL = `${NODE_DETACHER_PREFIX}/cached`;

/**
 * Node label (output) `"true"` while the node is out of its target groups, so that a load
 * balancer controller honouring it does not register the node again.
 */
export const EXCLUDE_BALANCER_LABEL = 'alpha.service-controller.kubernetes.io/exclude-balancer';

/** Node label (input) holding the EC2 instance id (eksctl); preferred over `spec.providerID`. */
export const INSTANCE_ID_LABEL = 'alpha.eksctl.io/instance-id';

/**
 * Pod annotation (input): an integer. When its node is detached (other than by the `detached`
 * annotation alone), pods carrying it are evicted, highest priority first, one priority at a
 * time. Pods without it are left alone.
 */
export const DELETION_PRIORITY_ANNOTATION = `${NODE_DETACHER_PREFIX}/deletion-priority`;

/** Pod annotation (input): `"true"` deletes the pod instead of evicting it (PodDisruptionBudgets are not consulted). */
export const DISABLE_EVICTION_ANNOTATION = `${NODE_DETACHER_PREFIX}/disable-eviction`;

/** The cluster autoscaler's taint on a node it is about to remove. */
export const CLUSTER_AUTOSCALER_TAINT = 'ToBeDeletedByClusterAutoscaler';

/** Karpenter's taint on a node it is disrupting. */
export const KARPENTER_DISRUPTED_TAINT = 'karpenter.sh/disrupted';

/** Taint keys that mark a control-plane node; such nodes are never detached. */
export const CONTROL_PLANE_TAINTS: readonly string[] = [
  'node-role.kubernetes.io/master',
  'node-role.kubernetes.io/control-plane',
];

/** Node condition type written while detached (`True`) and after re-attach (`False`). */
export const NODE_CONDITION_TYPE = 'NodeBeingDetached';

/** Event reason on a node being detached. */
export const DETACH_EVENT_REASON = 'NodeBeingDetached';

/** Event reason on a node being re-attached. The misspelling is the original's, kept for existing alerts. */
export const ATTACH_EVENT_REASON = 'NodeDetatching';

/** The default instance name: the taint value and the Event source component. */
export const DEFAULT_NAME = 'node-detacher';

/** API group of the `Attachment` custom resource. */
export const ATTACHMENT_GROUP = 'node-detacher.variant.run';
/** API version of the `Attachment` custom resource. */
export const ATTACHMENT_VERSION = 'v1alpha1';
/** `apiVersion` of an `Attachment` object. */
export const ATTACHMENT_API_VERSION = `${ATTACHMENT_GROUP}/${ATTACHMENT_VERSION}`;
/** Kind of the custom resource that records a node's load-balancer membership. */
export const ATTACHMENT_KIND = 'Attachment';
/** Plural (resource name) of the `Attachment` custom resource. */
export const ATTACHMENT_PLURAL = 'attachments';
