import {
  createEventRecorder,
  createIngressStatusWriter,
  runController,
  type ControllerHandle,
  type IngressLike,
  type KubeClient,
} from '@kube-edge/k8s-watch';
import type { NginxUpdater } from '@kube-edge/nginx-render';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import type { FeedIngressConfig } from './config.js';
import { createFeedMetrics } from './feed-metrics.js';
import { buildFeedPass, feedInformers, feedInput, type FeedInformers } from './feed-pass.js';
import { addFeedProbes, type FeedProbes } from './feed-probes.js';
import { createFrontend, type FrontendDeps } from './frontends.js';
import type { FeedModel } from './model/index.js';
import { createFeedNginxUpdater } from './nginx.js';
import { createFeedStatusUpdater } from './status-updater.js';

/** The outside world `run` needs; everything is injectable so tests run it in-process. */
export interface FeedIngressDeps {
  readonly logger: Logger;
  /** main.ts makes it with `kubeClientFor(config)`. */
  readonly kubeClient: KubeClient;
  /** Default: a new registry with prefix `feed_ingress` and the `--pushgateway-label` labels. */
  readonly metrics?: Metrics;
  /** Fakes for AWS, IMDS, gorb. */
  readonly frontend?: FrontendDeps;
  /** Hostname for the pushgateway grouping label. Default the leader-election identity. */
  readonly hostname?: string;
  /** Called once nginx exits on its own (main.ts exits 1); the app stays as it is. */
  readonly onFatal?: (reason: string) => void;
}

/** One lifecycle note with its time (performance.now() milliseconds). */
export interface TimelineEvent {
  readonly name: string;
  readonly at: number;
}

/** A running feed-ingress: the controller loop's handle plus what tests, the demo and bench read. */
export interface FeedIngressApp extends ControllerHandle<FeedInformers, FeedModel> {
  readonly nginx: NginxUpdater<FeedModel>;
  /** Lifecycle notes in order: `caches-synced`, `nginx-started`, `frontend-attached`, `leading`, `frontend-detached`, `drain-started`, `nginx-stopping`, ... */
  timeline(): TimelineEvent[];
  /** Resolves with the last applied model if it satisfies `predicate`, else with the first later one that does; rejects after `timeoutMs` (default 10 s). */
  waitForModel(predicate: (m: FeedModel) => boolean, timeoutMs?: number): Promise<FeedModel>;
}

/**
 * Starts feed-ingress on the shared controller loop: informers (Ingress, Service, Namespace,
 * IngressClass, and Secret only with an HTTPS port); each pass builds the whole model from the
 * caches and applies the steps
 * nginx (the first full config starts it), the frontend (attaches after nginx serves; every
 * replica) and the Ingress status writer (leader only). `stop()` (idempotent; main.ts registers
 * it as a shutdown step) releases the Lease, then stops status, the frontend (detach, drain
 * delay) and nginx (graceful quit), then the informers and the server. Resolves once the server
 * listens (not synced: see `ready`). Rejects with ConfigError for bad options. Once per process.
 */
export async function run(config: FeedIngressConfig, deps: FeedIngressDeps): Promise<FeedIngressApp> {
  const { logger, kubeClient } = deps;
  const t0 = performance.now();
  const timeline: TimelineEvent[] = [];
  const note = (name: string): void => {
    timeline.push({ name, at: performance.now() });
    logger.debug('lifecycle', { event: name, atMs: Math.round(performance.now() - t0) });
  };
  const metrics =
    deps.metrics ?? createMetrics({ prefix: 'feed_ingress', defaultLabels: config.pushgateway.labels });
  const feedMetrics = createFeedMetrics(metrics);
  const identity = config.leaderElection.identity;

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
    registry: metrics.registry,
    onEvent: note,
    onUnexpectedExit: () => deps.onFatal?.('nginx exited unexpectedly'),
  });
  let ctl: ControllerHandle<FeedInformers, FeedModel> | undefined; // set before the first pass (routes)
  const status = createFeedStatusUpdater({
    writer: createIngressStatusWriter({ client: kubeClient, logger }),
    addresses: frontend.statusAddresses,
    cached: (ns, name) => ctl?.listers.ingresses.get(name, ns) as IngressLike | undefined,
    logger,
    onStartedLeading: () => note('leading'),
  });
  let synced = false;
  let probes: FeedProbes | undefined;

  const handle = await runController<FeedInformers, FeedModel>(
    {
      name: 'feed-ingress',
      // Secrets are watched only when TLS is served (an HTTPS port): no Secret RBAC otherwise.
      informers: feedInformers(config.resyncMs, { secrets: config.model.ingressHttpsPort !== undefined }),
      build: (l) => {
        // The loop runs the first pass (hence the first build) right after every cache synced.
        if (!synced) note('caches-synced');
        synced = true;
        return buildFeedPass(feedInput(l), config.model);
      },
      steps: [nginx, frontend.updater, status],
      // The last line of defence: when nginx -t still refuses a config the builder accepted (a
      // Secret's key OpenSSL will not load, ...), bisect the Ingresses, skip the offenders.
      isolate: { informers: ['ingresses'] },
      // Only the status writer is leader-only: every replica serves and attaches.
      ...(config.leaderElection.enabled ? { leaderElection: config.leaderElection } : {}),
      http: { host: config.healthHost, port: config.healthPort },
      routes: (_server, h) => {
        ctl = h;
        probes = addFeedProbes(h, { logger, metrics });
      },
      trigger: { quietMs: config.coalesceMs, maxWaitMs: Math.max(config.coalesceMs * 4, 200) },
      // Called once per applied pass, so it also sets the served gauges.
      summarize: (m) => feedMetrics.summarize(m),
      pushgateway: {
        url: config.pushgateway.url,
        intervalMs: config.pushgateway.intervalMs,
        job: 'feed-ingress',
        grouping: { instance: deps.hostname ?? identity },
      },
    },
    {
      logger,
      kubeClient,
      metrics,
      events: createEventRecorder({
        client: kubeClient,
        component: 'feed-ingress',
        host: identity,
        logger: logger.child({ component: 'events' }),
      }),
    },
  );
  return {
    ...handle,
    nginx,
    timeline: () => [...timeline],
    async waitForModel(predicate, timeoutMs = 10_000) {
      const last = handle.lastModel();
      if (last !== undefined && predicate(last)) return last;
      const p = await handle.waitForPass((r) => r.result === 'success' && predicate(r.model!), timeoutMs);
      return p.model!;
    },
    async stop() {
      probes?.stop();
      await handle.stop();
    },
  };
}
