import {
  NAMESPACES,
  PODS,
  SECRETS,
  createApiListWatch,
  createCoalescingTrigger,
  createEventRecorder,
  createInformer,
  createStaticLister,
  loadManifests,
  type CoalescingTrigger,
  type EventRecorder,
  type Informer,
  type KubeClient,
  type Lister,
} from '@kube-edge/k8s-watch';
import {
  NginxConfigTestError,
  createNginxUpdater,
  nginxPaths,
  type NginxProcess,
} from '@kube-edge/nginx-render';
import {
  createHealthServer,
  createNoopLogger,
  isTerminal,
  type HealthServer,
  type Logger,
  type Metrics,
} from '@kube-edge/runtime';
import type { DispatcherConfig } from './config.js';
import { buildModel, type ClusterState } from './model/build.js';
import { renderDispatcherConfig } from './model/render.js';
import { prepareForRender } from './offline.js';
import type { DispatcherModel, NamespaceObject, PodObject, SecretObject, Skipped } from './model/types.js';

/** Process-level options of {@link run} (the parts of the command line that are not the routing config). */
export interface RunOptions {
  /** Watch the API through this client. */
  readonly client: KubeClient;
  readonly logger?: Logger;
  /** Metrics (prefix `dispatcher`); served on `/metrics`. */
  readonly metrics: Metrics;
  /** Mock mode: render and log the config; never start nginx or write files (the original's out-of-cluster mode). */
  readonly mock: boolean;
  /** Batching window in ms (the original's fixed 2 s). */
  readonly eventWindowMs: number;
  readonly nginxBinary?: string;
  /** nginx work directory (nginx.conf, pid, logs, temp files). */
  readonly nginxWorkDir: string;
  /** Health server port; 0 picks a free one. */
  readonly healthPort: number;
  /** Health server bind address. Default `0.0.0.0`. */
  readonly healthHost?: string;
  /** Source host of Events (the pod name). */
  readonly podName?: string;
  /** nginx graceful stop timeout. Default 10 s. */
  readonly nginxStopTimeoutMs?: number;
}

/** A running dispatcher. */
export interface DispatcherApp {
  /** Where `/healthz`, `/readyz` and `/metrics` answer. */
  readonly healthUrl: string;
  /** Resolves once the caches synced and the first full config is live. Rejects if stopped first. */
  readonly ready: Promise<void>;
  /** The last rendered config ('' before the first pass). */
  lastConfig(): string;
  /** The last model built. */
  lastModel(): DispatcherModel | undefined;
  /** Resolves when no batch is pending or running (a test aid). */
  idle(): Promise<void>;
  /** The nginx process (undefined in mock mode). */
  readonly nginx: NginxProcess | undefined;
  /** Stops informers, the batching trigger, nginx (gracefully) and the health server, in that order. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the cluster state from listers (live or static). Pure read. */
export function stateFrom(listers: {
  namespaces: Lister<NamespaceObject>;
  pods: Lister<PodObject>;
  secrets: Lister<SecretObject>;
}): ClusterState {
  return {
    namespaces: listers.namespaces.list(),
    pods: listers.pods.list(),
    secrets: listers.secrets.list(),
  };
}

/**
 * The offline `render` mode: reads manifests from files, builds and renders the config as the
 * controller would (workload templates and status-less Pods as {@link prepareForRender} says).
 * Never touches a cluster, nginx or the filesystem beyond reading.
 */
export async function renderFromFiles(
  config: DispatcherConfig,
  files: readonly string[],
): Promise<{ text: string; model: DispatcherModel }> {
  const objects = prepareForRender(await loadManifests([...files]));
  const listers = {
    namespaces: createStaticLister<NamespaceObject>(objects, { kind: 'Namespace' }),
    pods: createStaticLister<PodObject>(objects, { kind: 'Pod', defaultNamespace: 'default' }),
    secrets: createStaticLister<SecretObject>(objects, { kind: 'Secret', defaultNamespace: 'default' }),
  };
  const model = buildModel(stateFrom(listers), config);
  return { text: renderDispatcherConfig(model), model };
}

const skipKey = (s: Skipped): string =>
  `${s.kind}/${s.namespace ?? ''}/${s.name}/${s.uid ?? ''}/${s.reason}/${s.message}`;

/**
 * Starts the dispatcher: nginx with an empty-cache config (so it always comes up, k8s-router
 * #37), informers for routable Namespaces and Pods and for the routing Secrets, a batching
 * trigger (one pass, so at most one reload, per window), and the health server. Resolves once
 * everything is started (not necessarily synced: see `ready`). Rejects if nginx or the health
 * server cannot start.
 */
export async function run(config: DispatcherConfig, options: RunOptions): Promise<DispatcherApp> {
  const log = options.logger ?? createNoopLogger();
  const { metrics, client } = options;
  const registry = metrics.registry;
  const skippedTotal = metrics.counter(
    'skipped_objects_total',
    'Objects or parts of objects skipped, by reason (counted once per distinct problem).',
    ['reason'],
  );
  const skippedNow = metrics.gauge('skipped_objects', 'Problems in the last pass, by reason.', ['reason']);
  const passes = metrics.counter('passes_total', 'Batches processed (model built and applied).', []);
  const configErrors = metrics.counter(
    'config_errors_total',
    'Rendered configs refused by nginx -t (the previous config stays live).',
    [],
  );
  const hostsGauge = metrics.gauge('hosts', 'Hosts (server blocks) in the live config.', []);
  const upstreamsGauge = metrics.gauge('upstreams', 'Upstreams in the live config.', []);
  const serversGauge = metrics.gauge(
    'upstream_servers',
    'Upstream servers (pod routes) in the live config.',
    [],
  );

  const selector = config.routableSelector.text;
  const common = { registry, logger: log };
  const namespaces: Informer<NamespaceObject> = createInformer<NamespaceObject>({
    name: 'namespaces',
    source: createApiListWatch({ client, resource: NAMESPACES, labelSelector: selector }),
    ...common,
  });
  const pods: Informer<PodObject> = createInformer<PodObject>({
    name: 'pods',
    source: createApiListWatch({ client, resource: PODS, labelSelector: selector }),
    ...common,
  });
  // Only the routing Secrets, by name: other Secrets never reach the cache (spec §3.3).
  const secrets: Informer<SecretObject> = createInformer<SecretObject>({
    name: 'secrets',
    source: createApiListWatch({
      client,
      resource: SECRETS,
      fieldSelector: `metadata.name=${config.apiKeySecretName}`,
    }),
    ...common,
  });
  const informers = [namespaces, pods, secrets];
  const events: EventRecorder = createEventRecorder({
    client,
    component: 'dispatcher',
    host: options.podName ?? '',
    logger: log,
  });

  const buildOptions = options.mock ? {} : { tempPathRoot: nginxPaths(options.nginxWorkDir).tempDir };
  // nginx starts with the empty-cache config, so it always comes up (k8s-router #37). Per-host
  // key files live in <SSL_CERT_DIR>/<host>/; a host's files go once a config without it is live.
  const nginx = options.mock
    ? undefined
    : createNginxUpdater<DispatcherModel>({
        render: (m) => ({ config: renderDispatcherConfig(m), tlsFiles: m.sslFiles }),
        initialModel: buildModel({ namespaces: [], pods: [], secrets: [] }, config, buildOptions),
        workDir: options.nginxWorkDir,
        tlsDir: config.sslCertDir,
        tlsSubdirectories: true,
        ...(config.ssl !== undefined ? { keepFiles: [config.ssl.cert, config.ssl.key] } : {}),
        ...(options.nginxBinary !== undefined ? { binary: options.nginxBinary } : {}),
        logger: log,
        registry,
        metricPrefix: 'dispatcher_nginx_',
        stopTimeoutMs: options.nginxStopTimeoutMs ?? 10_000,
        summarize: (m) => ({ hosts: m.stats.hosts, upstreams: m.stats.upstreams, servers: m.stats.servers }),
      });

  let lastText = '';
  let lastModel: DispatcherModel | undefined;
  let reported = new Set<string>();
  let firstPassDone = false;

  const report = (model: DispatcherModel): void => {
    const now = new Set<string>();
    const counts = new Map<string, number>();
    for (const s of model.skipped) {
      const key = skipKey(s);
      counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
      if (now.has(key)) continue;
      now.add(key);
      if (reported.has(key)) continue;
      log.warn('skipped', {
        kind: s.kind,
        namespace: s.namespace,
        name: s.name,
        reason: s.reason,
        detail: s.message,
      });
      skippedTotal.inc({ reason: s.reason });
      events.record(
        {
          apiVersion: 'v1',
          kind: s.kind,
          name: s.name,
          ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
          ...(s.uid !== undefined ? { uid: s.uid } : {}),
        },
        'Warning',
        s.reason,
        s.message,
      );
    }
    skippedNow.reset();
    for (const [reason, n] of counts) skippedNow.set({ reason }, n);
    // Forget problems that went away, so they are reported again if they come back.
    reported = now;
  };

  const apply = async (model: DispatcherModel): Promise<void> => {
    let text: string;
    if (nginx === undefined) {
      text = renderDispatcherConfig(model);
      if (text !== lastText) log.info('config (mock mode: nginx is not run)', { config: text });
    } else {
      await nginx.update(model);
      text = nginx.lastConfig();
    }
    lastText = text;
    lastModel = model;
    hostsGauge.set(model.stats.hosts);
    upstreamsGauge.set(model.stats.upstreams);
    serversGauge.set(model.stats.servers);
  };

  const pass = async (): Promise<void> => {
    if (!informers.every((i) => i.hasSynced())) return;
    passes.inc();
    const model = buildModel(stateFrom({ namespaces, pods, secrets }), config, buildOptions);
    report(model);
    try {
      await apply(model);
      firstPassDone = true;
    } catch (err) {
      if (err instanceof NginxConfigTestError || isTerminal(err)) {
        // A retry would fail the same way; the previous config keeps serving until the next change.
        configErrors.inc();
        log.error('nginx refused the config; the previous config stays live', { err });
        firstPassDone = true;
        return;
      }
      throw err;
    }
  };

  // The first pass runs outside the trigger (at once, not a window later): serialise them.
  let chain: Promise<void> = Promise.resolve();
  const serialPass = (): Promise<void> => {
    const p = chain.then(pass);
    chain = p.catch(() => undefined);
    return p;
  };

  const trigger: CoalescingTrigger = createCoalescingTrigger({
    run: serialPass,
    // The original processed a batch one window after its first event; at most one pass per window.
    quietMs: options.eventWindowMs,
    maxWaitMs: options.eventWindowMs,
    minIntervalMs: options.eventWindowMs,
    logger: log.child({ component: 'batch' }),
  });

  const health: HealthServer = createHealthServer({
    port: options.healthPort,
    host: options.healthHost ?? '0.0.0.0',
    registry,
    logger: log,
  });
  for (const i of informers) {
    health.addLivenessCheck(`informer-${i.name}`, () => i.health());
    health.addReadinessCheck(`informer-${i.name}`, () => i.readiness());
  }
  if (nginx !== undefined) health.addLivenessCheck('nginx', () => nginx.health());
  health.addReadinessCheck('first-config', () => ({
    ok: firstPassDone,
    message: 'the first full config is not live yet',
  }));

  const stopAll = async (): Promise<void> => {
    await Promise.all(informers.map((i) => i.stop()));
    await trigger.stop();
    await events.flush();
    if (nginx !== undefined) await nginx.stop();
    await health.close();
  };

  await nginx?.start();
  let address;
  try {
    address = await health.listen();
  } catch (err) {
    if (nginx !== undefined) await nginx.stop();
    throw err;
  }

  for (const i of informers) {
    i.onChange(() => trigger.signal());
    i.start();
  }
  const abort = new AbortController();
  const ready = (async () => {
    await Promise.all(informers.map((i) => i.waitForSync(abort.signal)));
    // The first full config goes live at once, not a window later.
    await serialPass();
    await trigger.idle();
  })();
  ready.catch(() => undefined);
  log.info('started', {
    mock: options.mock,
    healthUrl: address.url,
    port: config.port,
    sslPort: config.ssl !== undefined ? config.sslPort : undefined,
  });

  let stopping: Promise<void> | undefined;
  return {
    healthUrl: address.url,
    ready,
    nginx: nginx?.process,
    lastConfig: () => lastText,
    lastModel: () => lastModel,
    idle: () => trigger.idle(),
    stop: () => {
      if (stopping === undefined) {
        abort.abort();
        stopping = stopAll();
      }
      return stopping;
    },
  };
}
