/** Keeps Route53 records for ingress hosts pointing at the right load balancer; drop-in for sky-uk/feed's feed-dns. */
export { run, type AppDeps, type FeedDnsApp, type FeedDnsInformers, type PassSummary } from './app.js';
export { VERSION, DEFAULT_HEALTH_PORT, controllerCli, planCli } from './cli.js';
export {
  buildConfig,
  checkDeleteShareFlag,
  checkZones,
  classFilterFrom,
  frontendSourceFrom,
  type ConfigDefaults,
  type FeedDnsConfig,
  type FrontendSource,
} from './config.js';
export { describeFrontends, discoverFrontends, type DiscoveryClients } from './frontends.js';
export {
  buildDesired,
  ownershipFor,
  planPass,
  zoneOf,
  type AliasFrontend,
  type CnameFrontend,
  type Desired,
  type DesiredInput,
  type Frontend,
  type Frontends,
  type PassInput,
  type PassPlan,
} from './model/desired.js';
export {
  CLASS_ANNOTATION,
  LEGACY_SCHEME_ANNOTATION,
  SCHEME_ANNOTATION,
  SCHEMES,
  classMatches,
  classOf,
  hostProblem,
  refOf,
  schemeOf,
  selectEntries,
  type ClassFilter,
  type HostEntry,
  type IngressLike,
  type IngressRef,
  type Scheme,
  type Selection,
  type SkipReason,
  type SkippedEntry,
} from './model/entries.js';
export {
  computeOfflinePlan,
  formatPlanJson,
  formatPlanText,
  parseAliasFrontends,
  parseZoneSnapshot,
  resolvePlanZones,
  runPlanCommand,
  type OfflinePlan,
  type SnapshotZone,
} from './plan-command.js';
export {
  MassDeletionRefusedError,
  createDnsStep,
  emptySummary,
  eventReason,
  skippedObjectOf,
  type DnsPassMetrics,
  type DnsStep,
  type DnsStepOptions,
  type DnsStepProvider,
} from './dns-step.js';
