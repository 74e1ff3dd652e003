import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { Route53Provider } from '@kube-edge/dns-providers';
import {
  INGRESSES,
  createEventRecorder,
  runController,
  watch,
  type ControllerHandle,
  type KubeClient,
  type WatchSpec,
} from '@kube-edge/k8s-watch';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import type { FeedDnsConfig } from './config.js';
import { createDnsPassMetrics, createDnsStep, emptySummary, type PassSummary } from './dns-step.js';
import { addFeedRoutes, trackUnhealthyTime } from './feed-probes.js';
import { discoverFrontends } from './frontends.js';
import type { IngressLike } from './model/entries.js';

/** What {@link run} needs from the outside world; main.ts builds the real ones, tests inject fakes. */
export interface AppDeps {
  logger: Logger;
  kubeClient: KubeClient;
  route53: Route53Client;
  /** Needed with `-elb-label-value`. */
  elb?: ElasticLoadBalancingClient;
  /** Needed with `-nlb-label-value` and `-alb-names`. */
  elbv2?: ElasticLoadBalancingV2Client;
  /** Default: a new registry with prefix `feed_dns` and the configured const labels. */
  metrics?: Metrics;
  /** Host name: Event source host without a Lease, and the pushgateway `instance`. Default `localhost`. */
  hostname?: string;
}

export type { PassSummary } from './dns-step.js';

/** The informers feed-dns watches. */
export type FeedDnsInformers = { ingresses: WatchSpec<IngressLike> };

/** A running feed-dns: the controller loop's handle (stop with `stop()`, idempotent), plus its pass summary. */
export interface FeedDnsApp extends ControllerHandle<FeedDnsInformers, readonly IngressLike[]> {
  /** The last pass as `/debug/last-pass` shows it: `standby` on a follower, else the DNS step's summary. */
  lastSummary(): PassSummary | undefined;
}

/**
 * Starts feed-dns on the shared controller loop: the Ingress informer (its resync also drops the
 * zone listing and looks the load balancers up again), and one leader-only step that writes
 * Route53. Resolves once started (not synced: `ready` says when). Rejects if the health server
 * cannot listen or the configuration is refused; then nothing is left running.
 */
export async function run(config: FeedDnsConfig, deps: AppDeps): Promise<FeedDnsApp> {
  const { logger, kubeClient } = deps;
  const metrics = deps.metrics ?? createMetrics({ prefix: 'feed_dns', defaultLabels: config.metricLabels });
  const provider = new Route53Provider({
    client: deps.route53,
    zones: config.zones,
    logger,
    resyncPeriodMs: config.resyncPeriodMs,
    defaultTtl: config.cnameTtlSeconds,
    registry: metrics.registry,
    metricPrefix: 'feed_dns',
  });
  const lease = config.leaderElection;
  const host = deps.hostname ?? 'localhost';
  const events = createEventRecorder({
    client: kubeClient,
    component: 'feed-dns',
    host: lease?.identity ?? host,
    logger,
  });
  // Set once runController resolves; probes may ask before that.
  const ctl: { handle?: ControllerHandle<FeedDnsInformers, readonly IngressLike[]> } = {};
  const step = createDnsStep({
    provider,
    discover: () => discoverFrontends(config.frontends, { elb: deps.elb, elbv2: deps.elbv2 }, logger),
    classFilter: config.classFilter,
    cnameTtlSeconds: config.cnameTtlSeconds,
    maxDeleteShare: config.maxDeleteShare,
    dryRun: config.dryRun,
    logger,
    events,
    isLeader: () => ctl.handle?.isLeader() ?? false,
    metrics: createDnsPassMetrics(metrics),
  });
  const unhealthy = metrics.counter('unhealthy_time', 'Seconds spent not ready.');
  const summary = (): PassSummary | undefined => {
    const p = ctl.handle?.lastPass();
    if (p === undefined) return undefined;
    return p.leader ? step.lastSummary() : emptySummary('standby');
  };

  const loop = await runController(
    {
      name: 'feed-dns',
      informers: { ingresses: watch<IngressLike>(INGRESSES, { resyncMs: config.resyncPeriodMs }) },
      // Records depend on the load balancers and zones, read by the leader-only step: the model
      // is the Ingress list, and the step reports what it skips.
      build: ({ ingresses }) => ({ model: ingresses.list(), skipped: [] }),
      steps: [step],
      ...(lease === undefined ? {} : { leaderElection: lease }),
      http: {
        port: config.healthPort,
        ...(config.healthHost === undefined ? {} : { host: config.healthHost }),
      },
      trigger: {
        quietMs: config.quietMs ?? 100,
        maxWaitMs: 1000,
        minIntervalMs: config.minPassIntervalMs ?? 1000,
      },
      // The periodic resync is also when the zone listing is trusted no more and the load
      // balancers are looked up again (-resync-period).
      onChange: (_informer, event) => {
        if (event.type === 'RESYNC') step.resync();
      },
      summarize: () => {
        const s = ctl.handle?.isLeader() === true ? step.lastSummary() : undefined;
        return s === undefined
          ? { outcome: 'standby' }
          : { outcome: s.outcome, creates: s.creates, updates: s.updates, deletes: s.deletes };
      },
      ...(config.pushgateway === undefined
        ? {}
        : { pushgateway: { ...config.pushgateway, job: 'feed-dns', grouping: { instance: host } } }),
      routes: (health) => addFeedRoutes(health, summary),
    },
    { logger, kubeClient, metrics, events },
  );

  ctl.handle = loop;
  const stopPolling = trackUnhealthyTime(loop.health, unhealthy);
  return {
    ...loop,
    lastSummary: summary,
    stop: () => {
      stopPolling();
      return loop.stop();
    },
  };
}
