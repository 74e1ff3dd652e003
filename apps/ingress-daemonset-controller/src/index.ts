/** Runs ingress proxies as one Deployment per node (IngressDaemonSet CRD), with a per-port health-checker DaemonSet and node-by-node rollouts that can detach the node from its load balancers first. */
export { run, type App, type AppDeps, type ControllerConfig } from './app.js';
export {
  runHealthChecker,
  healthAnswer,
  findDeployment,
  type HealthChecker,
  type HealthCheckerConfig,
  type HealthCheckerDeps,
  type HealthAnswer,
  type HealthTarget,
} from './health-checker.js';
export {
  planIds,
  rolledOut,
  nodeOfDeployment,
  parseRfc3339,
  type Action,
  type Plan,
  type PlanInput,
  type RolloutProblem,
} from './plan.js';
export {
  parseSpec,
  matchesSelector,
  DEFAULT_DETACH_GRACE_SECONDS,
  type IngressDaemonSet,
  type IngressDaemonSetStatus,
  type IdsConfig,
  type RolloutMode,
  type SpecProblem,
  type Condition,
  type IntOrString,
  type AnnotationSpec,
  type RollingUpdateSpec,
} from './spec.js';
export {
  desiredDeployment,
  desiredDaemonSet,
  healthCheckerArgs,
  objectHash,
  stableJson,
  ownerReference,
  isOwnedBy,
  IDS_NAME_LABEL,
  type HealthCheckerDefaults,
} from './desired.js';
export * from './names.js';
