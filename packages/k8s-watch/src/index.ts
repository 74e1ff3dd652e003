/** Kubernetes informers that never silently stop, work queues, leader election, status writer, Event recorder, offline listers. */
export { createBackoff, backoffDelay, type Backoff, type BackoffOptions } from './backoff.js';
export { createSystemClock, sleep, type Clock, type TimerHandle } from './clock.js';
export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from './rate-limiter.js';
export {
  loadKubeConfig,
  kubeEdgeUserAgent,
  SERVICE_ACCOUNT_DIR,
  type LoadKubeConfigOptions,
  type LoadedKubeConfig,
} from './config.js';
export {
  createKubeClient,
  KubeApiError,
  statusCodeOf,
  type KubeClient,
  type KubeClientOptions,
  type KubeRequest,
  type KubeWatchRequest,
  type WatchEvent,
} from './kube-client.js';
export {
  resourcePath,
  INGRESSES,
  INGRESS_CLASSES,
  SERVICES,
  ENDPOINTS,
  ENDPOINT_SLICES,
  SECRETS,
  CONFIG_MAPS,
  PODS,
  NODES,
  NAMESPACES,
  EVENTS,
  LEASES,
  DAEMON_SETS,
  type ResourceRef,
} from './resources.js';
export {
  NAMESPACE_INDEX,
  objectKey,
  keyOf,
  stripManagedFields,
  type KubeObjectLike,
  type ChangeType,
  type ChangeEvent,
  type ChangeHandler,
  type IndexFunc,
  type Lister,
} from './types.js';
export {
  createApiListWatch,
  type ApiListWatchOptions,
  type ListResult,
  type ListWatchSource,
} from './list-watch.js';
export { createInformer, type Informer, type InformerOptions, type InformerStats } from './informer.js';
export {
  createCoalescingTrigger,
  type CoalescingTrigger,
  type CoalescingTriggerOptions,
  type CoalescingTriggerStats,
} from './coalescing-trigger.js';
export {
  createKeyedQueue,
  type KeyedQueue,
  type KeyedQueueOptions,
  type KeyedQueueStats,
} from './keyed-queue.js';
export {
  leaderElectionFlags,
  leaderElectionFromFlags,
  type BaseLeaderElectionFlags,
  type LeaderElectionDefaults,
  type LeaderElectionFlagValues,
  type LeaderElectionFlags,
  type LeaderElectionFlagsOptions,
  type LeaderElectionIdentityFlag,
  type LeaderElectionTimingFlags,
} from './leader-election-flags.js';
export {
  createLeaderElector,
  microTime,
  type LeaderElector,
  type LeaderElectorOptions,
  type LeaseError,
  type LeaseSpec,
} from './leader-election.js';
export {
  createIngressStatusWriter,
  createIngressStatusUpdater,
  normaliseLoadBalancerIngress,
  sameLoadBalancerIngress,
  type IngressLike,
  type IngressStatusModel,
  type IngressStatusUpdaterOptions,
  type IngressStatusWriter,
  type IngressStatusWriterOptions,
  type IngressStatusResult,
  type LoadBalancerIngress,
} from './ingress-status-writer.js';
export {
  createEventRecorder,
  type EventRecorder,
  type EventRecorderOptions,
  type EventRecorderStats,
  type EventType,
  type ObjectReference,
} from './event-recorder.js';
export {
  parseManifests,
  loadManifests,
  loadManifestsOrThrow,
  readManifests,
  describeManifestProblem,
  ManifestError,
  createStaticLister,
  type ManifestKind,
  type ManifestProblem,
  type ManifestProblemReason,
  type ManifestReport,
  type ReadManifestsOptions,
  type StaticListerOptions,
} from './offline-lister.js';
export {
  runController,
  watch,
  type BuildResult,
  type ControllerDeps,
  type ControllerHandle,
  type ControllerLeaderElection,
  type ControllerOptions,
  type ControllerStep,
  type Listers,
  type PassOutcome,
  type PassResult,
  type WatchSpec,
  type SpecTransform,
} from './controller.js';
export {
  CONFIG_REFUSED_REASON,
  DEFAULT_ISOLATE_MAX_CHECKS,
  type IsolateOptions,
} from './controller-isolate.js';
export {
  runKeyedController,
  keyOfEvent,
  type KeyPassResult,
  type KeyResult,
  type KeyedControllerHandle,
  type KeyedControllerOptions,
} from './controller-keyed.js';
export {
  createSkipReporter,
  type SkippedObject,
  type SkipReporter,
  type SkipReporterOptions,
} from './skip-reporter.js';
export { createFakeClock, type FakeClock } from './fake-clock.js';
export { createFakeListWatch, type FakeListWatch } from './fake-list-watch.js';
export { makeApiClient } from './typed-api-client.js';
