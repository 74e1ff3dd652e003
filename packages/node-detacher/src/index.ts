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
