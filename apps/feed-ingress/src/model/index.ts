export type * from './types.js';
export { buildFeedModel } from './build.js';
export { defaultFeedModelConfig } from './config.js';
