import {
  createNginxUpdater,
  renderNginxConfig,
  type NginxRendered,
  type NginxUpdater,
  type NginxUpdaterOptions,
} from '@kube-edge/nginx-render';
import type { FeedModel } from './model/index.js';

/** feed-ingress's model as nginx sees it: the rendered `model.nginx` and the Secrets' TLS files. Pure. */
export function renderFeedNginx(model: FeedModel): NginxRendered {
  return { config: renderNginxConfig(model.nginx), tlsFiles: model.tlsFiles };
}

/** Options of {@link createFeedNginxUpdater}: nginx-render's, less what feed-ingress fixes. */
export type FeedNginxUpdaterOptions = Omit<
  NginxUpdaterOptions<FeedModel>,
  'render' | 'metricPrefix' | 'initialModel' | 'tlsSubdirectories'
>;

/**
 * nginx-render's updater as feed-ingress runs it: `start` touches nothing, the first update
 * (after the caches synced) starts nginx with the first full config; TLS files sit directly in
 * `tlsDir`; metrics are `feed_ingress_nginx_*`. See `createNginxUpdater` for the contract.
 */
export function createFeedNginxUpdater(options: FeedNginxUpdaterOptions): NginxUpdater<FeedModel> {
  return createNginxUpdater<FeedModel>({
    ...options,
    render: renderFeedNginx,
    metricPrefix: 'feed_ingress_nginx_',
  });
}
