export {
  FAKE_AWS_APIS,
  FAKE_AWS_IAM_PREFIX,
  createFakeAws,
  createTinyBackoffRetryStrategy,
  isMutatingAction,
} from './fake-aws.js';
export type {
  FakeAws,
  FakeAwsApi,
  FakeAwsCall,
  FakeAwsClientConfig,
  FakeAwsFault,
  FakeAwsOptions,
  FakeAwsRequestHandler,
} from './fake-aws.js';
export { FakeClassicElb } from './fake-classic-elb.js';
export type {
  FakeClassicLoadBalancer,
  FakeClassicLoadBalancerInit,
  FakeLoadBalancerScheme,
} from './fake-classic-elb.js';
export { FakeElbv2 } from './fake-elbv2.js';
export type {
  FakeElbv2LoadBalancer,
  FakeElbv2LoadBalancerInit,
  FakeElbv2LoadBalancerState,
  FakeElbv2LoadBalancerType,
  FakeElbv2Options,
  FakeTarget,
  FakeTargetGroup,
  FakeTargetGroupInit,
  FakeTargetType,
} from './fake-elbv2.js';
export { serveFakeAws } from './serve-fake-aws.js';
export type { ServedFakeAws } from './serve-fake-aws.js';
export { createFakeImds } from './fake-imds.js';
export type { FakeImds, FakeImdsCall, FakeImdsOptions, FakeInstanceIdentity } from './fake-imds.js';
export { createFakeS3 } from './fake-s3.js';
export type { FakeS3, FakeS3Object } from './fake-s3.js';
export { AwsJsonError, FakeAcm } from './fake-acm.js';
export type { FakeAcmCertificate, FakeAcmCertificateInit, FakeAcmStatus } from './fake-acm.js';
export { FakeAutoScaling, MAX_TARGET_GROUPS_PER_CALL } from './fake-autoscaling.js';
export type {
  FakeAutoScalingGroup,
  FakeAutoScalingGroupInit,
  FakeAutoScalingTargetGroups,
} from './fake-autoscaling.js';
export { FakeCloudFormation, isStackStatusSettled } from './fake-cloudformation.js';
export type {
  FakeCloudFormationOptions,
  FakeOnFailure,
  FakeStack,
  FakeStackFailure,
  FakeStackInit,
  FakeStackResourceHooks,
  FakeStackStatus,
} from './fake-cloudformation.js';
export { FakeEc2, INSTANCE_STATE_CODES } from './fake-ec2.js';
export type {
  FakeInstance,
  FakeInstanceState,
  FakeRoute,
  FakeRouteTable,
  FakeSecurityGroup,
  FakeSubnet,
  FakeVpc,
} from './fake-ec2.js';
export { FakeIam } from './fake-iam.js';
export type { FakeServerCertificate, FakeServerCertificateInit } from './fake-iam.js';
