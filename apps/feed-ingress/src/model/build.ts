import type { FeedModel, FeedModelConfig, FeedModelInput } from './types.js';

/**
 * Builds the whole nginx model from a snapshot of the cluster. Pure and deterministic: the same
 * input and config give a deep-equal model; never throws on bad objects (they go to `skipped`).
 */
export function buildFeedModel(input: FeedModelInput, config: FeedModelConfig): FeedModel {
  void input;
  void config;
  return {
    nginx: { upstreams: [], servers: [] },
    tlsFiles: [],
    servedIngresses: [],
    skipped: [],
    warnings: [],
    stats: { ingresses: 0, ignoredIngresses: 0, entries: 0, upstreams: 0 },
  };
}
