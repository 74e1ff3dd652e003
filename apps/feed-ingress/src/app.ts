import type { ServerResponse } from 'node:http';
import type {
  KubeConfig,
  V1Ingress,
  V1IngressClass,
  V1Namespace,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import {
  INGRESSES,
  NAMESPACES,
  SECRETS,
  SERVICES,
  createApiListWatch,
  createCoalescingTrigger,
  createEventRecorder,
  createInformer,
  createIngressStatusWriter,
  createKubeClient,
  createLeaderElector,
  kubeEdgeUserAgent,
  loadKubeConfig,
  type Informer,
  type IngressLike,
  type KubeClient,
  type LeaderElector,
  type ResourceRef,
} from '@kube-edge/k8s-watch';
import {
  createHealthServer,
  createMetrics,
  createUpdaterChain,
  type Logger,
  type Metrics,
  type ProbeResult,
  type Shutdown,
} from '@kube-edge/runtime';
import type { NginxUpdater } from '@kube-edge/nginx-render';
import { Counter, Pushgateway, type Registry } from 'prom-client';
import { FEED_INGRESS_VERSION } from './cli.js';
import type { FeedIngressConfig } from './config.js';
import { createFrontend, type FrontendDeps } from './frontends.js';
import { buildFeedModel, type FeedModel, type FeedModelInput, type SkippedObject } from './model/index.js';
import { createFeedNginxUpdater } from './nginx.js';
import { createFeedStatusUpdater } from './status-updater.js';

/** IngressClasses are cluster-scoped networking.k8s.io/v1 objects (k8s-watch has no constant for them). */
export const INGRESS_CLASSES: ResourceRef = Object.freeze({
  apiVersion: 'networking.k8s.io/v1',
  plural: 'ingressclasses',
  kind: 'IngressClass',
  namespaced: false,
});

/** The outside world `run` needs; everything is injectable so tests run it in-process. */
export interface FeedIngressDeps {
  readonly logger: Logger;
  /** Stop steps are registered here (start order); SIGTERM or `shutdown.shutdown()` runs them in reverse. */
  readonly shutdown: Shutdown;
  /** Default: `loadKubeConfig({ kubeconfigPath: config.kubeconfig, inCluster })`. */
  readonly kubeConfig?: KubeConfig;
  /** In-cluster API address (main.ts passes KUBERNETES_SERVICE_HOST/PORT). */
  readonly inCluster?: { host: string; port: string };
  /** Default: a new registry with prefix `feed_ingress` and the pushgateway labels. */
  readonly metrics?: Metrics;
  /** Fakes for AWS, IMDS, gorb. */
  readonly frontend?: FrontendDeps;
  /** Hostname for the pushgateway grouping label. Default the leader-election identity. */
  readonly hostname?: string;
}

/** One lifecycle note with its time (performance.now() milliseconds). */
export interface TimelineEvent {
  readonly name: string;
  readonly at: number;
}

/** A running controller, for main.ts, the demo and tests. */
export interface FeedIngressHandle {
  /** Base URL of the controller HTTP server (`http://127.0.0.1:<port>` for a wildcard bind). */
  readonly healthUrl: string;
  readonly metrics: Metrics;
  readonly nginx: NginxUpdater<FeedModel>;
  /** Lifecycle notes in order: `first-update`, `frontend-attached`, `frontend-detached`, `drain-started`, `nginx-stopping`, ... */
  timeline(): TimelineEvent[];
  /** The model of the last successful update. */
  lastModel(): FeedModel | undefined;
  /** Number of successful update passes. */
  updates(): number;
  /** Resolves with the first successfully applied model (after `since` passes) that satisfies `predicate`; rejects after `timeoutMs`. */
  waitForModel(predicate: (m: FeedModel) => boolean, timeoutMs?: number): Promise<FeedModel>;
  /** True while this replica leads (writes Ingress status). */
  isLeader(): boolean;
}

function skipKey(s: SkippedObject): string {
  return `${s.kind}/${s.namespace ?? ''}/${s.name}/${s.uid ?? ''}|${s.reason}`;
}

const API_VERSION_OF: Record<SkippedObject['kind'], string> = {
  Ingress: 'networking.k8s.io/v1',
  Service: 'v1',
  Secret: 'v1',
  Namespace: 'v1',
};

/**
 * Starts feed-ingress: health server, informers (Ingress, Service, Namespace, IngressClass,
 * Secret), and once every cache has synced the updater chain `[nginx, frontend, status]`
 * driven by a coalescing trigger (each pass rebuilds the whole model from the caches). Every
 * stop step is registered on `deps.shutdown` in start order, so a shutdown stops, in order:
 * leader election (lease released), the trigger, the chain in reverse (status, frontend detach
 * and drain, nginx graceful quit), the informers, the health server. Resolves once the health
 * server listens and the informers have started (not synced). Rejects with ConfigError for bad
 * options. Call once per process.
 */
export async function run(config: FeedIngressConfig, deps: FeedIngressDeps): Promise<FeedIngressHandle> {
  const { logger, shutdown } = deps;
  const t0 = performance.now();
  const timeline: TimelineEvent[] = [];
  const note = (name: string): void => {
    timeline.push({ name, at: performance.now() });
    logger.debug('lifecycle', { event: name, atMs: Math.round(performance.now() - t0) });
  };
  const metrics =
    deps.metrics ??
    createMetrics({
      prefix: 'feed_ingress',
      ...(Object.keys(config.pushgateway.labels).length > 0
        ? { defaultLabels: config.pushgateway.labels }
        : {}),
    });
  const registry: Registry = metrics.registry;

  // Health server first: it is the last thing to stop.
  const health = createHealthServer({
    host: config.healthHost,
    port: config.healthPort,
    registry,
    logger: logger.child({ component: 'health' }),
  });
  const { url: healthUrl } = await health.listen();
  shutdown.addStep('health server', () => health.close());

  const kubeConfig =
    deps.kubeConfig ??
    loadKubeConfig({
      ...(config.kubeconfig !== undefined ? { kubeconfigPath: config.kubeconfig } : {}),
      ...(deps.inCluster !== undefined ? { inCluster: deps.inCluster } : {}),
    }).kubeConfig;
  const client: KubeClient = createKubeClient({
    kubeConfig,
    userAgent: kubeEdgeUserAgent('feed-ingress', FEED_INGRESS_VERSION),
  });

  const informerOpts = {
    registry,
    logger: logger.child({ component: 'informer' }),
    resyncMs: config.resyncMs,
  };
  const ingresses: Informer<V1Ingress> = createInformer<V1Ingress>({
    name: 'ingresses',
    source: createApiListWatch({ client, resource: INGRESSES }),
    ...informerOpts,
  });
  const services: Informer<V1Service> = createInformer<V1Service>({
    name: 'services',
    source: createApiListWatch({ client, resource: SERVICES }),
    ...informerOpts,
  });
  const namespaces: Informer<V1Namespace> = createInformer<V1Namespace>({
    name: 'namespaces',
    source: createApiListWatch({ client, resource: NAMESPACES }),
    ...informerOpts,
  });
  const ingressClasses: Informer<V1IngressClass> = createInformer<V1IngressClass>({
    name: 'ingressclasses',
    source: createApiListWatch({ client, resource: INGRESS_CLASSES }),
    ...informerOpts,
  });
  const secrets: Informer<V1Secret> = createInformer<V1Secret>({
    name: 'secrets',
    source: createApiListWatch({ client, resource: SECRETS }),
    ...informerOpts,
  });
  const informers = [ingresses, services, namespaces, ingressClasses, secrets] as const;

  const events = createEventRecorder({
    client,
    component: 'feed-ingress',
    host: config.leaderElection.identity,
    logger: logger.child({ component: 'events' }),
  });

  // Metrics with feed's names where feed had them (spec/feed.md §11).
  const updatesTotal = metrics.counter('updates_total', 'Update passes by result.', ['result']);
  const updateSeconds = metrics.histogram(
    'update_duration_seconds',
    'Time of one update pass (build, render, apply).',
    [],
    [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  const skippedTotal = metrics.counter(
    'skipped_objects_total',
    'Objects or entries skipped (counted once per object and reason).',
    ['kind'],
  );
  const skippedNow = metrics.gauge('skipped_objects', 'Objects or entries skipped in the last pass.', [
    'kind',
  ]);
  const servedGauge = metrics.gauge('ingresses', 'Ingresses served in the last pass.');
  const entriesGauge = metrics.gauge('entries', 'host/path entries served in the last pass.');
  const unhealthyTime = metrics.counter(
    'unhealthy_time',
    'Seconds the controller was unhealthy (feed_ingress_unhealthy_time).',
  );
  const leaderGauge = metrics.gauge('leader', '1 while this replica writes Ingress status.');
  // feed_ingress_reloads (feed v2.2.3): mirrors nginx-render's reload counter.
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

  let elector: LeaderElector | undefined;
  const isLeader = (): boolean => (elector === undefined ? true : elector.isLeader());

  const frontend = createFrontend(config.frontend, {
    ingressClass: config.model.ingressClass,
    logger,
    metrics,
    ...(deps.frontend !== undefined ? { deps: deps.frontend } : {}),
    onEvent: note,
  });
  const nginx = createFeedNginxUpdater({
    binary: config.nginx.binary,
    workDir: config.nginx.workDir,
    tlsDir: config.model.nginx.tlsDir,
    minReloadIntervalMs: config.nginx.updatePeriodMs,
    statusUrl: `http://127.0.0.1:${config.model.ingressHealthPort}/basic_status`,
    logger,
    registry,
    onEvent: note,
    onUnexpectedExit: () => void shutdown.shutdown('nginx exited unexpectedly', { exitCode: 1 }),
  });
  const status = createFeedStatusUpdater({
    writer: createIngressStatusWriter({ client, logger }),
    addresses: frontend.statusAddresses,
    cached: (ns, name) => ingresses.get(name, ns) as unknown as IngressLike | undefined,
    isLeader,
    logger,
  });
  const chain = createUpdaterChain<FeedModel>('feed-ingress', [nginx, frontend.updater, status]);
  let chainStarted = false;
  let synced = false;
  let lastModel: FeedModel | undefined;
  let lastUpdateError: string | undefined = 'no update yet';
  let updates = 0;
  const waiters = new Set<() => void>();
  let reported = new Set<string>();

  const report = (items: readonly SkippedObject[], kind: 'skipped' | 'ignored', next: Set<string>): void => {
    for (const s of items) {
      const key = `${kind}|${skipKey(s)}`;
      next.add(key);
      if (reported.has(key)) continue;
      logger.warn(kind === 'skipped' ? 'object skipped' : 'value ignored', {
        kind: s.kind,
        namespace: s.namespace,
        name: s.name,
        reason: s.reason,
      });
      if (kind === 'skipped') skippedTotal.inc({ kind: s.kind });
      events.record(
        {
          apiVersion: API_VERSION_OF[s.kind],
          kind: s.kind,
          name: s.name,
          ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
          ...(s.uid !== undefined ? { uid: s.uid } : {}),
        },
        'Warning',
        kind === 'skipped' ? 'Skipped' : 'Ignored',
        s.reason,
      );
    }
  };

  const reconcile = async (): Promise<void> => {
    if (!synced || shutdown.stopping) return;
    const started = performance.now();
    const input: FeedModelInput = {
      ingresses: ingresses.list(),
      services: services.list(),
      namespaces: namespaces.list(),
      ingressClasses: ingressClasses.list(),
      secrets: secrets.list(),
    };
    const model = buildFeedModel(input, config.model);
    const next = new Set<string>();
    report(model.skipped, 'skipped', next);
    report(model.warnings, 'ignored', next);
    reported = next;
    skippedNow.reset();
    for (const s of model.skipped) skippedNow.inc({ kind: s.kind });
    try {
      await chain.update(model);
    } catch (err) {
      lastUpdateError = err instanceof Error ? err.message : String(err);
      updatesTotal.inc({ result: 'error' });
      throw err;
    }
    const first = updates === 0;
    updates++;
    lastModel = model;
    lastUpdateError = undefined;
    updatesTotal.inc({ result: 'ok' });
    updateSeconds.observe((performance.now() - started) / 1000);
    servedGauge.set(model.stats.ingresses);
    entriesGauge.set(model.stats.entries);
    if (first) note('first-update');
    logger.info('update applied', {
      ingresses: model.stats.ingresses,
      entries: model.stats.entries,
      upstreams: model.stats.upstreams,
      skipped: model.skipped.length,
      ms: Math.round(performance.now() - started),
    });
    for (const w of [...waiters]) w();
  };

  const trigger = createCoalescingTrigger({
    run: reconcile,
    quietMs: config.coalesceMs,
    maxWaitMs: Math.max(config.coalesceMs * 4, 200),
    logger: logger.child({ component: 'trigger' }),
  });
  for (const inf of informers) inf.onChange(() => trigger.signal());

  // Stop steps, registered in start order (run in reverse).
  shutdown.addStep('informers', async () => {
    await Promise.all(informers.map((i) => i.stop()));
  });
  const frontendDrainMs = config.frontend.drainDelayMs;
  shutdown.addStep(
    'updaters',
    async () => {
      if (chainStarted) await chain.stop();
    },
    { timeoutMs: frontendDrainMs + 60_000 },
  );
  shutdown.addStep('events', () => events.flush(), { timeoutMs: 5000 });
  shutdown.addStep('trigger', () => trigger.stop());

  // Feed's unhealthy poller: 1 s ticks, transitions logged, seconds counted.
  let wasHealthy = true;
  const feedHealth = async (): Promise<ProbeResult> => {
    if (!chainStarted) return { ok: false, message: 'controller not started: waiting for caches to sync' };
    if (lastUpdateError !== undefined)
      return { ok: false, message: `last update failed: ${lastUpdateError}` };
    return chain.health();
  };
  const poller = setInterval(() => {
    void feedHealth().then((h) => {
      if (!h.ok) unhealthyTime.inc(1);
      if (h.ok !== wasHealthy) {
        if (h.ok) logger.info('controller healthy');
        else logger.warn('controller unhealthy', { reason: h.message });
      }
      wasHealthy = h.ok;
    });
  }, 1000);
  poller.unref();
  shutdown.addStep('unhealthy poller', () => clearInterval(poller));

  if (config.pushgateway.url !== '') {
    const gateway = new Pushgateway(config.pushgateway.url, {}, registry);
    const grouping = { instance: deps.hostname ?? config.leaderElection.identity };
    const push = (): void => {
      gateway
        .pushAdd({ jobName: 'feed-ingress', groupings: grouping })
        .catch((err: unknown) => logger.warn('pushgateway push failed', { err }));
    };
    const timer = setInterval(push, config.pushgateway.intervalMs);
    timer.unref();
    shutdown.addStep('pushgateway', () => clearInterval(timer));
  }

  if (config.leaderElection.enabled) {
    elector = createLeaderElector({
      client,
      namespace: config.leaderElection.namespace,
      name: config.leaderElection.name,
      identity: config.leaderElection.identity,
      logger: logger.child({ component: 'leader' }),
      onStartedLeading: () => {
        leaderGauge.set(1);
        note('leading');
        trigger.signal();
      },
      onStoppedLeading: () => {
        leaderGauge.set(0);
        note('stopped-leading');
      },
    });
    elector.start();
    const e = elector;
    shutdown.addStep('leader election', () => e.stop({ release: true }));
  } else {
    leaderGauge.set(1);
  }

  // Probes. /healthz (liveness): informers not wedged, nginx not crashed. /readyz: caches synced,
  // last update applied, every updater ready, not stopping. feed's /health, /readiness, /alive too.
  health.addLivenessCheck('informers', () => {
    const bad = informers.map((i) => i.health()).filter((r) => !r.ok);
    return bad.length === 0 ? { ok: true } : { ok: false, message: bad.map((b) => b.message).join('; ') };
  });
  health.addLivenessCheck('nginx', async () => {
    const h = await nginx.health();
    // Before the first successful start nginx is "not started", which is not a liveness failure.
    return h.ok || updates === 0 ? { ok: true } : h;
  });
  health.addReadinessCheck('not-stopping', () =>
    shutdown.stopping ? { ok: false, message: 'shutting down' } : { ok: true },
  );
  health.addReadinessCheck('caches', () =>
    synced ? { ok: true } : { ok: false, message: 'informer caches not synced' },
  );
  health.addReadinessCheck('controller', feedHealth);
  health.addReadinessCheck('updaters', () => chain.readiness());
  const answer = (res: ServerResponse, r: ProbeResult): void => {
    res.statusCode = r.ok ? 200 : 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(r.ok ? 'ok\n' : `${r.message ?? 'not ok'}\n`);
  };
  health.addRoute('GET', '/health', async (_req, res) => answer(res, await feedHealth()));
  health.addRoute('GET', '/readiness', async (_req, res) => {
    const h = await feedHealth();
    answer(
      res,
      !h.ok ? h : shutdown.stopping ? { ok: false, message: 'shutting down' } : await chain.readiness(),
    );
  });
  health.addRoute('GET', '/alive', (_req, res) => answer(res, { ok: true }));

  for (const inf of informers) inf.start();
  void (async () => {
    try {
      await Promise.all(informers.map((i) => i.waitForSync()));
      if (shutdown.stopping) return;
      await chain.start();
      chainStarted = true;
      synced = true;
      note('caches-synced');
      trigger.signal();
    } catch (err) {
      if (!shutdown.stopping) logger.error('start failed', { err });
    }
  })();

  return {
    healthUrl,
    metrics,
    nginx,
    timeline: () => [...timeline],
    lastModel: () => lastModel,
    updates: () => updates,
    isLeader,
    waitForModel(predicate, timeoutMs = 10_000) {
      return new Promise<FeedModel>((resolve, reject) => {
        const check = (): boolean => {
          if (lastModel !== undefined && predicate(lastModel)) {
            clearTimeout(timer);
            waiters.delete(onUpdate);
            resolve(lastModel);
            return true;
          }
          return false;
        };
        const onUpdate = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(onUpdate);
          reject(
            new Error(
              `no matching model within ${timeoutMs} ms (updates: ${updates}, last error: ${lastUpdateError ?? 'none'})`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(onUpdate);
      });
    },
  };
}
