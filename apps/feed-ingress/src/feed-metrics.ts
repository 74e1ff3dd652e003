import type { LogMeta, Metrics } from '@kube-edge/runtime';
import { Counter } from 'prom-client';
import type { FeedModel } from './model/index.js';

/** feed-ingress's own metrics beside the loop's; see {@link createFeedMetrics}. */
export interface FeedMetrics {
  /** Sets the served gauges from an applied model and returns the summary log line's fields. */
  summarize(model: FeedModel): LogMeta;
}

/**
 * Registers on `metrics` (prefix `feed_ingress`): feed's `feed_ingress_reloads` counter (feed
 * v2.2.3's name; at each scrape it reads nginx-render's `feed_ingress_nginx_reloads_total`, so
 * the two always agree), and the gauges `feed_ingress_ingresses` and `feed_ingress_entries`
 * (Ingresses and host/path entries served by the last applied pass). Call once per registry.
 */
export function createFeedMetrics(metrics: Metrics): FeedMetrics {
  const registry = metrics.registry;
  new Counter({
    name: 'feed_ingress_reloads',
    help: 'nginx reloads (feed name; same as feed_ingress_nginx_reloads_total).',
    registers: [registry],
    async collect() {
      const m = registry.getSingleMetric('feed_ingress_nginx_reloads_total');
      const v = m === undefined ? 0 : ((await m.get()).values[0]?.value ?? 0);
      this.reset();
      if (v > 0) this.inc(v);
    },
  });
  const served = metrics.gauge('ingresses', 'Ingresses served in the last pass.');
  const entries = metrics.gauge('entries', 'host/path entries served in the last pass.');
  return {
    summarize(model) {
      served.set(model.stats.ingresses);
      entries.set(model.stats.entries);
      const { ingresses, entries: n, upstreams } = model.stats;
      return { ingresses, entries: n, upstreams };
    },
  };
}
