export type * from './types.js';
export {
  buildFeedModel,
  normalisePrefixPath,
  DEFAULT_CLASS_ANNOTATION,
  HOST_OWNED_BY_OTHER,
} from './build.js';
export { defaultFeedModelConfig, validateFeedModelConfig, type FeedConfigIssue } from './config.js';
export {
  ANNOTATIONS,
  MAX_PROXY_BUFFER_BLOCKS,
  MAX_PROXY_BUFFER_SIZE_KB,
  DEFAULT_MAX_REQUESTS_PER_CONNECTION,
  MAX_BACKEND_MAX_CONNECTIONS,
  MAX_BACKEND_TIMEOUT_SECONDS,
  parseAllowList,
  parseGoDuration,
} from './annotations.js';
