/** nginx ingress controller configured from Ingresses, attaching the node to ELB/NLB/ALB or gorb; drop-in for sky-uk/feed's feed-ingress. */
export { run, type FeedIngressApp, type FeedIngressDeps, type TimelineEvent } from './app.js';
export { kubeClientFor } from './kube-client.js';
export {
  buildFeedPass,
  feedInformers,
  feedInput,
  SKIPPED_REASON,
  IGNORED_REASON,
  type FeedInformers,
} from './feed-pass.js';
export { createFeedMetrics, type FeedMetrics } from './feed-metrics.js';
export { addFeedProbes, type FeedProbes, type FeedProbeSource } from './feed-probes.js';
export {
  feedIngressCli,
  fromFeedV1Args,
  allFlagNames,
  ROOT_FLAGS,
  COMMANDS,
  FEED_INGRESS_VERSION,
  type FeedIngressArgs,
} from './cli.js';
export {
  configFromArgs,
  modelConfigFromArgs,
  parseNamespaceSelectors,
  type FeedIngressConfig,
  type FrontendConfig,
} from './config.js';
export {
  createFrontend,
  StaticFrontend,
  statusAddress,
  type Frontend,
  type FrontendDeps,
  type StatusAddress,
  type StatusAddressSource,
} from './frontends.js';
export { createFeedNginxUpdater, renderFeedNginx, type FeedNginxUpdaterOptions } from './nginx.js';
export { createFeedStatusUpdater, type FeedStatusUpdaterOptions } from './status-updater.js';
export * from './model/index.js';
