export { createFakeAws, createTinyBackoffRetryStrategy } from './fake-aws.js';
export type {
  FakeAws,
  FakeAwsApi,
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
  FakeElbv2LoadBalancerType,
  FakeTarget,
  FakeTargetGroup,
  FakeTargetGroupInit,
  FakeTargetType,
} from './fake-elbv2.js';
export { createFakeImds } from './fake-imds.js';
export type { FakeImds, FakeImdsCall, FakeImdsOptions, FakeInstanceIdentity } from './fake-imds.js';
export { createFakeS3 } from './fake-s3.js';
export type { FakeS3, FakeS3Object } from './fake-s3.js';
