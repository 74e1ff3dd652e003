import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { Route53Provider } from '@kube-edge/dns-providers';
import {
  INGRESSES,
  createApiListWatch,
  createCoalescingTrigger,
  createEventRecorder,
  createInformer,
  createLeaderElector,
  type EventRecorder,
  type Informer,
  type KubeClient,
  type LeaderElector,
} from '@kube-edge/k8s-watch';
import {
  createHealthServer,
  createMetrics,
  type HealthReport,
  type HealthServer,
  type ListenAddress,
  type Logger,
  type Metrics,
} from '@kube-edge/runtime';
import type { ServerResponse } from 'node:http';
import { Pushgateway } from 'prom-client';
import type { FeedDnsConfig } from './config.js';
import { describeFrontends, discoverFrontends } from './frontends.js';
import { runFeedDnsPass, type PassSummary } from './dns-step.js';
import type { Frontends } from './model/desired.js';
import type { IngressLike } from './model/entries.js';
import { createSkipReporter } from './skip-reporter.js';

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
  /** Host name for pushgateway grouping. Default `localhost`. */
  hostname?: string;
}

export type { PassSummary } from './dns-step.js';

/** A running feed-dns. */
export interface FeedDnsApp {
  /** Where the health server listens. */
  readonly address: ListenAddress;
  readonly health: HealthServer;
  readonly metrics: Metrics;
  /** The last completed pass, if any. */
  lastPass(): PassSummary | undefined;
  /** True while this replica may write (always true without leader election). */
  isLeader(): boolean;
  /** Asks for a pass and resolves once no pass is pending or running. Safe to call any time. */
  reconcileNow(): Promise<void>;
  /** Resolves once no pass is pending or running. */
  idle(): Promise<void>;
  /**
   * Stops in reverse order of start: passes, leader election (releasing the Lease), informer,
   * Event recorder flush, pushgateway, health server. Idempotent.
   */
  stop(): Promise<void>;
}

const emptySummary = (outcome: PassSummary['outcome']): PassSummary => ({
  outcome,
  creates: 0,
  updates: 0,
  deletes: 0,
  failed: 0,
  skipped: 0,
  owned: 0,
});

function sendReport(res: ServerResponse, report: HealthReport): void {
  res.statusCode = report.ok ? 200 : 503;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(report));
}

/**
 * Starts feed-dns: the health server, the Ingress informer, leader election (if configured) and
 * the coalesced reconcile loop (feed.md §13.3 with kube-edge's fixes). Resolves once everything
 * is started (not synced: readiness says when). Rejects if the health server cannot listen or
 * the configuration is refused; then nothing is left running.
 */
export async function run(config: FeedDnsConfig, deps: AppDeps): Promise<FeedDnsApp> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createMetrics({ prefix: 'feed_dns', defaultLabels: config.metricLabels });
  const m = {
    records: metrics.gauge(
      'route53_records',
      'Managed records after the last pass (found, plus created, minus deleted).',
    ),
    updates: metrics.counter('route53_updates', 'Route53 changes submitted.'),
    failures: metrics.counter('route53_failures', 'Failed Route53 list or change operations.'),
    skippedTotal: metrics.counter(
      'skipped_ingress_entries',
      'Ingress hosts skipped, by reason (each counted once while it stays skipped).',
      ['reason'] as const,
    ),
    skippedNow: metrics.gauge('skipped_entries', 'Ingress hosts skipped by the last pass, by reason.', [
      'reason',
    ] as const),
    refused: metrics.counter(
      'mass_deletion_refused',
      'Plans refused by the mass-deletion guard (nothing applied).',
    ),
    passes: metrics.counter('reconcile_passes', 'Reconcile passes by outcome.', ['outcome'] as const),
    duration: metrics.histogram(
      'reconcile_duration_seconds',
      'Time of a reconcile pass that ran as leader.',
      [],
      [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    ),
    leader: metrics.gauge('is_leader', '1 while this replica holds the Lease and writes to Route53.'),
    unhealthy: metrics.counter('unhealthy_time', 'Seconds spent not ready.'),
  };

  const r53 = new Route53Provider({
    client: deps.route53,
    zones: config.zones,
    logger,
    resyncPeriodMs: config.resyncPeriodMs,
    defaultTtl: config.cnameTtlSeconds,
    registry: metrics.registry,
    metricPrefix: 'feed_dns',
  });

  const health = createHealthServer({
    port: config.healthPort,
    ...(config.healthHost === undefined ? {} : { host: config.healthHost }),
    registry: metrics.registry,
    logger,
  });

  const informer: Informer<IngressLike> = createInformer<IngressLike & { metadata?: { name?: string } }>({
    name: 'ingresses',
    source: createApiListWatch({ client: deps.kubeClient, resource: INGRESSES }),
    resyncMs: config.resyncPeriodMs,
    registry: metrics.registry,
    logger,
  });
  const lease = config.leaderElection;
  const recorder: EventRecorder = createEventRecorder({
    client: deps.kubeClient,
    component: 'feed-dns',
    host: lease?.identity ?? deps.hostname ?? '',
    logger,
  });
  const reporter = createSkipReporter({ logger, recorder, counter: m.skippedTotal, gauge: m.skippedNow });

  let stopping = false;
  let frontends: Frontends | undefined;
  let last: PassSummary | undefined;
  let lastError: unknown;

  const finish = (summary: PassSummary): void => {
    last = summary;
    if (summary.outcome !== 'failed') lastError = undefined;
    m.passes.inc({ outcome: summary.outcome });
  };

  const pass = async (): Promise<void> => {
    if (stopping || !informer.hasSynced()) return; // plan only from a full cache (feed #213, #218)
    if (elector !== undefined && !elector.isLeader()) {
      finish(emptySummary('standby'));
      return;
    }
    const endTimer = m.duration.startTimer();
    try {
      if (frontends === undefined) {
        frontends = await discoverFrontends(config.frontends, { elb: deps.elb, elbv2: deps.elbv2 }, logger);
        logger.info('frontends found', { frontends: describeFrontends(frontends) });
        if (frontends.size === 0)
          logger.warn('no frontend found: no record will be written', { source: config.frontends.kind });
      }
      let zones;
      try {
        zones = await r53.zones();
      } catch (err) {
        m.failures.inc();
        throw err;
      }
      await runFeedDnsPass(
        {
          ingresses: informer.list(),
          frontends,
          zoneDomains: zones.map((z) => z.name),
          classFilter: config.classFilter,
          cnameTtlSeconds: config.cnameTtlSeconds,
          maxDeleteShare: config.maxDeleteShare,
          provider: r53,
          dryRun: config.dryRun,
          logger,
          recorder,
          reporter,
          metrics: m,
        },
        finish,
      );
    } catch (err) {
      lastError = err;
      finish({ ...emptySummary('failed'), reason: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      endTimer();
    }
  };

  const trigger = createCoalescingTrigger({
    run: pass,
    quietMs: config.quietMs ?? 100,
    maxWaitMs: 1000,
    minIntervalMs: config.minPassIntervalMs ?? 1000,
    logger,
  });

  const elector: LeaderElector | undefined =
    lease === undefined
      ? undefined
      : createLeaderElector({
          client: deps.kubeClient,
          namespace: lease.namespace,
          name: lease.name,
          identity: lease.identity,
          leaseDurationMs: lease.leaseDurationMs,
          renewDeadlineMs: lease.renewDeadlineMs,
          retryPeriodMs: lease.retryPeriodMs,
          logger,
          onStartedLeading: () => {
            logger.info('leading: writing to Route53', { identity: lease.identity });
            m.leader.set(1);
            // Another leader may have written meanwhile: trust no cached listing.
            r53.invalidate();
            trigger.signal();
          },
          onStoppedLeading: () => {
            logger.warn('stopped leading: no longer writing to Route53', { identity: lease.identity });
            m.leader.set(0);
          },
          onNewLeader: (identity) => logger.info('leader observed', { leader: identity }),
        });
  if (elector === undefined) m.leader.set(1);

  informer.onChange((event) => {
    // The periodic resync is also when the zone listing is trusted no more and the load
    // balancers are looked up again (-resync-period).
    if (event.type === 'RESYNC') {
      r53.invalidate();
      frontends = undefined;
    }
    trigger.signal();
  });

  health.addLivenessCheck('ingress-informer', () => informer.health());
  health.addReadinessCheck('ingress-informer', () => informer.readiness());
  health.addReadinessCheck('not-stopping', () => ({ ok: !stopping, message: 'stopping' }));
  health.addReadinessCheck('reconcile', () => {
    if (elector !== undefined && !elector.isLeader()) return true;
    if (last === undefined || last.outcome === 'standby')
      return { ok: false, message: 'no pass as leader yet' };
    if (lastError !== undefined)
      return { ok: false, message: lastError instanceof Error ? lastError.message : 'last pass failed' };
    return true;
  });
  // feed's probe paths, so existing manifests keep working.
  health.addRoute('GET', '/health', async (_req, res) => sendReport(res, await health.checkReadiness()));
  health.addRoute('GET', '/readiness', async (_req, res) => sendReport(res, await health.checkReadiness()));
  health.addRoute('GET', '/alive', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true,"checks":[]}');
  });
  health.addRoute('GET', '/debug/last-pass', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(last ?? null));
  });

  const address = await health.listen();

  let pushTimer: NodeJS.Timeout | undefined;
  const push = async (): Promise<void> => {
    if (config.pushgateway === undefined) return;
    try {
      await new Pushgateway(config.pushgateway.url, { timeout: 5000 }, metrics.registry).pushAdd({
        jobName: 'feed-dns',
        groupings: { instance: deps.hostname ?? 'localhost' },
      });
    } catch (err) {
      logger.warn('pushgateway push failed', { err, url: config.pushgateway.url });
    }
  };
  if (config.pushgateway !== undefined) {
    pushTimer = setInterval(() => void push(), config.pushgateway.intervalMs);
    pushTimer.unref();
  }
  const unhealthyPollMs = 10_000;
  const unhealthyTimer = setInterval(() => {
    void health.checkReadiness().then((r) => {
      if (!r.ok) m.unhealthy.inc(unhealthyPollMs / 1000);
    });
  }, unhealthyPollMs);
  unhealthyTimer.unref();

  informer.start();
  elector?.start();
  void informer.waitForSync().then(
    () => {
      logger.info('ingress cache synced', { ingresses: informer.list().length });
      trigger.signal();
    },
    () => undefined,
  );
  logger.info('feed-dns started', {
    zones: config.zones,
    frontends: config.frontends.kind,
    leaderElection: lease === undefined ? false : `${lease.namespace}/${lease.name}`,
    dryRun: config.dryRun,
    health: address.url,
  });

  let stopped: Promise<void> | undefined;
  return {
    address,
    health,
    metrics,
    lastPass: () => last,
    isLeader: () => elector?.isLeader() ?? true,
    async reconcileNow() {
      trigger.signal();
      await trigger.idle();
    },
    idle: () => trigger.idle(),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(pushTimer);
        clearInterval(unhealthyTimer);
        await trigger.stop();
        await elector?.stop({ release: true });
        await informer.stop();
        await recorder.flush();
        await push();
        await health.close();
        logger.info('feed-dns stopped');
      })();
      return stopped;
    },
  };
}
