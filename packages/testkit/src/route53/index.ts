export { ROUTE53_NAMESPACE, createFakeRoute53 } from './fake-route53.js';
export type {
  FakeHostedZone,
  FakeHostedZoneInit,
  FakeRoute53,
  FakeRoute53ChangeBatch,
  FakeRoute53ClientConfig,
  FakeRoute53Fault,
  FakeRoute53Limits,
  FakeRoute53Options,
} from './fake-route53.js';
export { canonicalName as route53CanonicalName } from './names.js';
