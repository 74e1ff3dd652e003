/** nginx ingress controller configured from Ingresses, attaching the node to ELB/NLB/ALB or gorb; drop-in for sky-uk/feed's feed-ingress. */
export {
  run,
  INGRESS_CLASSES,
  type FeedIngressDeps,
  type FeedIngressHandle,
  type TimelineEvent,
} from './app.js';
export {
  feedIngressCli,
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
