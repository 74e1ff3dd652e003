/** Manages AWS Application and Network Load Balancers for Ingresses through CloudFormation stacks; drop-in for zalando-incubator/kube-ingress-aws-controller. */
export {
  ANNOTATIONS,
  parseIngresses,
  type IngressLike,
  type ParsedIngress,
  type ParsedIngresses,
  type ParseOptions,
} from './model/ingresses.js';
export { packLoadBalancers, type LoadBalancerPlan, type PackOptions, type PackResult } from './model/pack.js';
export { PARAMETERS, stackAttributes, type StackAttributes } from './model/stacks.js';
export {
  TEMPLATE_LIMITS,
  listenerCertificateLogicalId,
  renderStack,
  type StackSpec,
  type TemplateSettings,
} from './model/template.js';
export {
  planStacks,
  plannedAction,
  type PlannedAction,
  type PlannedLoadBalancer,
  type PlanSettings,
  type StackPlan,
} from './model/desired.js';
