/** Attach and detach a node to classic ELBs and ALB/NLB target groups; EC2 instance metadata (IMDSv2); frontend discovery by tags and names. */
export { systemClock, type Clock } from './clock.js';
export {
  createInstanceMetadataClient,
  resolveRegion,
  type InstanceIdentity,
  type InstanceIdentitySource,
  type InstanceMetadataClient,
  type InstanceMetadataOptions,
} from './instance-metadata.js';
export {
  FRONTEND_TAG,
  INGRESS_CLASS_TAG,
  checkTagSelector,
  findClassicElbFrontends,
  findElbv2Frontends,
  findElbv2FrontendsWithTargetGroups,
  findElbv2LoadBalancersByName,
  type Elbv2FrontendWithTargetGroups,
  type FindFrontendsOptions,
  type FrontendLoadBalancer,
  type FrontendTagSelector,
  type FrontendsByScheme,
} from './discovery.js';
export { ClassicElbFrontend, type ClassicElbFrontendOptions } from './classic-elb-frontend.js';
export {
  TargetGroupFrontend,
  type TargetGroupFrontendOptions,
  type TargetGroupSelection,
} from './target-group-frontend.js';
export {
  findInstanceMembership,
  setClassicElbInstance,
  setTargetGroupInstance,
  type FindInstanceMembershipOptions,
  type InstanceMembership,
  type InstanceTarget,
  type MembershipChange,
} from './instance-membership.js';
