import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  NODES,
  PODS,
  SERVICES,
  runController,
  watch,
  type ControllerHandle,
  type EventRecorder,
  type KubeClient,
} from '@kube-edge/k8s-watch';
import { createMetrics, errorMessage, type Logger, type Metrics } from '@kube-edge/runtime';
import { buildModel, type KuberouteModel } from './build.js';
import { createBackend, createReporter, type ClientDeps } from './clients.js';
import type { KuberouteConfig } from './config.js';
import { createReconcileStep, type ReconcileResult } from './reconciler.js';
import { addKuberouteRoutes } from './routes.js';

/** The config file plus kube-edge's flags. */
export interface KuberouteAppConfig extends KuberouteConfig {
  /** `--interval`: also reconcile on this period in ms; 0 = only on `GET /` (the original). */
  intervalMs: number;
  /** `--watch`: also reconcile when a watched Service, Pod or Node changes (coalesced). */
  watch: boolean;
  /** `--debug`: log each service's decision. */
  debug: boolean;
  /** `--events`: record Kubernetes Events for skipped services and pods. */
  events: boolean;
  /** Interface for the HTTP server. Default `0.0.0.0`. */
  host?: string;
}

/** What {@link run} takes from outside. Omitted DNS and S3 clients are built from the config. */
export interface KuberouteDeps extends ClientDeps {
  logger: Logger;
  /** Built by main.ts with `kubeClientFor(config)`. */
  kubeClient: KubeClient;
  /** Default `createMetrics({ prefix: 'kuberoute' })`. */
  metrics?: Metrics;
  now?: () => Date;
}

/** The caches kuberoute reads. */
export type KuberouteInformers = ReturnType<typeof informersFor>;

/** A running kuberoute: the controller handle plus the reconcile `GET /` runs. */
export interface KuberouteApp extends ControllerHandle<KuberouteInformers, KuberouteModel> {
  /**
   * One reconcile, as `GET /` runs it: waits up to 10 s for the caches, runs a pass that starts
   * after the call and resolves with its result (an unavailable API server included). Rejects
   * only if the pass failed outside the DNS step or the app is stopping.
   */
  reconcile(): Promise<ReconcileResult>;
}

const SYNC_WAIT_MS = 10_000;
const API_PROBE_MS = 5000;
const NO_EVENTS: EventRecorder = {
  record: () => undefined,
  flush: () => Promise.resolve(),
  stats: () => ({ created: 0, updated: 0, dropped: 0, failed: 0 }),
};

function informersFor(namespaces: readonly string[]) {
  return {
    services: watch<V1Service>(SERVICES, { namespaces }),
    pods: watch<V1Pod>(PODS, { namespaces }),
    nodes: watch<V1Node>(NODES),
  };
}

/**
 * Starts kuberoute on the shared controller loop: Services and Pods in the configured namespaces
 * and Nodes, the pure model, the DNS-and-report step, and the HTTP server on `config.port`
 * (`GET /` reconciles, `GET /health`, plus `/healthz`, `/readyz`, `/metrics`). No pass runs by
 * itself unless `--watch` (at sync and on changes) or `--interval` is set. Resolves once listening.
 */
export async function run(config: KuberouteAppConfig, deps: KuberouteDeps): Promise<KuberouteApp> {
  const { logger, kubeClient } = deps;
  const metrics = deps.metrics ?? createMetrics({ prefix: 'kuberoute' });
  for (const w of config.warnings) logger.warn('config warning', { detail: w });
  const reporter = createReporter(config, deps, logger);
  const backend = createBackend(config, deps, logger);
  const step = createReconcileStep({
    heartbeat: config.heartbeat,
    replacements: config.replacements,
    backend,
    reporter,
    apiAvailable: () =>
      kubeClient.request({ method: 'GET', path: '/version', timeoutMs: API_PROBE_MS }).then(
        () => true,
        (err: unknown) => {
          logger.debug('api server probe failed', { err });
          return false;
        },
      ),
    metrics,
    logger,
    debug: config.debug,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });

  const reconcile = async (ctl: ControllerHandle<KuberouteInformers, KuberouteModel>) => {
    let timer: NodeJS.Timeout | undefined;
    const synced = await Promise.race([
      ctl.ready.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SYNC_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (!synced) return step.reportUnavailable();
    const before = step.last();
    const pass = await ctl.reconcileNow();
    const result = step.last();
    if (result === undefined || result === before) {
      throw new Error(`reconcile failed before the DNS step: ${errorMessage(pass.error)}`, {
        cause: pass.error,
      });
    }
    return result;
  };

  logger.info('kuberoute settings', {
    backend: config.dnsBackend,
    namespaces: config.namespaces,
    intervalMs: config.intervalMs,
    watch: config.watch,
    report: reporter?.key,
  });
  const ctl = await runController<KuberouteInformers, KuberouteModel>(
    {
      name: 'kuberoute',
      informers: informersFor(config.namespaces),
      build: (l) =>
        buildModel(
          { services: l.services.list(), pods: l.pods.list(), nodes: l.nodes.list() },
          { labels: config.labels, namespaces: config.namespaces, replacements: config.replacements },
        ),
      steps: [step],
      http: { host: config.host ?? '0.0.0.0', port: config.port },
      // Without --watch nothing but GET / and --interval starts a pass, as in the original.
      triggerOnChange: config.watch,
      passOnSync: false,
      intervalMs: config.intervalMs,
      trigger: { quietMs: 500, maxWaitMs: 5000, minIntervalMs: 2000 },
      summarize: (m) => ({ records: m.decisions.length, nodes: m.nodes.length }),
      routes: (server, handle) => addKuberouteRoutes(server, () => reconcile(handle)),
    },
    { logger, kubeClient, metrics, ...(config.events ? {} : { events: NO_EVENTS }) },
  ).catch(async (err: unknown) => {
    await backend.close(); // the step never started, so the loop did not stop it
    throw err;
  });
  // With --watch, the state found at start is applied as soon as the caches have synced.
  if (config.watch) void ctl.ready.then(() => ctl.reconcileNow()).catch(() => undefined);
  return Object.assign(ctl, { reconcile: () => reconcile(ctl) });
}
