/** Decide which nodes must leave the AWS load balancers, detach them by instance id from classic ELBs and target groups, record it in an Attachment resource, evict pods by priority, re-attach when schedulable. */
export * from './names.js';
export {
  DEFAULT_TRIGGER_TAINTS,
  decide,
  parseTaintPatterns,
  type DecideOptions,
  type DetachReason,
  type NodeDecision,
} from './decide.js';
export { instanceIdOf } from './instance-id.js';
export { nodeMarkerPatch, type NodeMarkerPatch, type WantedMarkers } from './markers.js';
export {
  deletionPriority,
  planEviction,
  usesDelete,
  type EvictionPlan,
  type PlanEvictionOptions,
} from './eviction.js';
export {
  ATTACHMENTS,
  mergeMembership,
  type Attachment,
  type AttachmentLoadBalancer,
  type AttachmentPhase,
  type AttachmentTarget,
} from './attachment.js';
export {
  runNodeDetacher,
  type NodeDetacherConfig,
  type NodeDetacherDeps,
  type NodeDetacherHandle,
} from './node-detacher.js';
