/** DNS providers for kube-edge: a pure plan (current vs desired, ownership), Route53, etcd/SkyDNS, in-memory and dry-run. */
export {
  bareZoneId,
  changeList,
  describeChange,
  emptyChanges,
  endpointKey,
  endpointsEqual,
  isEmptyChanges,
  normalizeName,
  normalizeTarget,
  toRoute53Name,
  type AliasTarget,
  type ApplyResult,
  type Change,
  type Changes,
  type DnsProvider,
  type Endpoint,
  type EndpointUpdate,
  type FailedChange,
  type RecordType,
} from './endpoint.js';
export {
  createPredicateOwnership,
  createTargetOwnership,
  createTxtOwnership,
  type Ownership,
  type TargetOwnershipOptions,
  type TxtOwnershipOptions,
} from './ownership.js';
export {
  POLICIES,
  checkDeleteShare,
  plan,
  type Plan,
  type PlanOptions,
  type Policy,
  type SkippedEndpoint,
} from './plan.js';
export {
  changeName,
  planDnsPass,
  runDnsPass,
  type DnsPassOptions,
  type DnsPassPlan,
  type DnsPassPlanOptions,
  type DnsPassSummary,
  type FailedDnsChange,
} from './dns-pass.js';
export { packBatches, type BatchLimits, type BatchSize } from './batch.js';
export { systemClock, type Clock } from './clock.js';
export {
  Route53Provider,
  endpointFromRoute53,
  type Route53ProviderOptions,
  type Route53Zone,
} from './route53-provider.js';
export { InMemoryProvider, type InMemoryProviderOptions } from './in-memory-provider.js';
export { DryRunProvider, type DryRunProviderOptions } from './dry-run-provider.js';
export { EtcdSkyDnsProvider, type EtcdSkyDnsProviderOptions } from './etcd-skydns-provider.js';
export { EtcdV2SkyDnsProvider, type EtcdV2SkyDnsProviderOptions } from './etcd-v2-skydns-provider.js';
export { parseSkyDnsMessage, skyDnsDirectory, skyDnsMessage, type SkyDnsEntry } from './skydns-records.js';
