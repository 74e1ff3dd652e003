import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import type { KubeConfig, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  NODES,
  PODS,
  SERVICES,
  createApiListWatch,
  createCoalescingTrigger,
  createEventRecorder,
  createInformer,
  createKubeClient,
  kubeEdgeUserAgent,
  loadKubeConfig,
  type ChangeHandler,
  type Informer,
  type KubeClient,
  type Lister,
} from '@kube-edge/k8s-watch';
import { createHealthServer, type Logger, type Metrics } from '@kube-edge/runtime';
import { Etcd3 } from 'etcd3';
import {
  createEtcdV2SkyDnsBackend,
  createFakeDnsBackend,
  createRoute53Backend,
  createSkyDnsBackend,
  type DnsBackend,
} from './backends.js';
import type { KuberouteConfig } from './config.js';
import { createReconciler, type ReconcileResult, type Reconciler } from './reconciler.js';
import { createS3Reporter, type StateReporter } from './s3-report.js';
import { renderTemplate } from './template.js';

/** The reply of `GET /` after a reconcile that updated the record sets (the original's text). */
export const UPDATED_TEXT = 'Updated record sets.';
/** The reply of `GET /health` (the original's text). */
export const HEALTHY_TEXT = 'I am healthy';

/** kube-edge's run-time options beyond the config file (flags). */
export interface RunOptions {
  /** Reconcile on this period in ms as well as on `GET /`; 0 = only on `GET /` (the original). */
  intervalMs: number;
  /** Also reconcile when a watched Service, Pod or Node changes (coalesced). */
  watch: boolean;
  /** `--debug`: log each service's decision. */
  debug: boolean;
  /** Record Kubernetes Events for skipped services and pods. */
  events: boolean;
  /** Interface for the HTTP server. Default `0.0.0.0`. */
  host?: string;
}

/** What {@link run} takes from outside: clients and the logger. Omitted clients are built from the config. */
export interface RunDeps {
  logger: Logger;
  metrics: Metrics;
  version: string;
  /** Default: built from `kubeconfig_kind` and its section. */
  kubeConfig?: KubeConfig;
  /** For `kubeconfig_kind = serviceaccount`: `KUBERNETES_SERVICE_HOST`/`_PORT` (main.ts reads them). */
  inCluster?: { host: string; port: string };
  route53Client?: Route53Client;
  s3Client?: S3Client;
  etcdClient?: Etcd3;
  /** fakedns output. Default: the logger. */
  print?: (line: string) => void;
  now?: () => Date;
  /** HTTP client for the etcd v2 API (tests). Default global fetch. */
  fetch?: typeof fetch;
}

/** A running kuberoute. */
export interface RunningApp {
  /** Where `GET /`, `/health`, `/healthz`, `/readyz` and `/metrics` are served. */
  readonly url: string;
  /** One reconcile, as `GET /` does. Serialised with the others. */
  reconcile(): Promise<ReconcileResult>;
  /** Stops timers, informers, the HTTP server and DNS clients. Idempotent. */
  stop(): Promise<void>;
}

/** The kubeconfig for `kubeconfig_kind = kubernetes_url`: an unauthenticated server, with verify and CA. Pure. */
export function kubernetesUrlKubeconfig(k: NonNullable<KuberouteConfig['kubernetesUrl']>): string {
  const cluster: Record<string, unknown> = { server: k.url };
  if (!k.verify) cluster['insecure-skip-tls-verify'] = true;
  else if (k.certificateAuthority !== undefined) cluster['certificate-authority'] = k.certificateAuthority;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kuberoute', cluster }],
    users: [{ name: 'kuberoute', user: {} }],
    contexts: [{ name: 'kuberoute', context: { cluster: 'kuberoute', user: 'kuberoute' } }],
    'current-context': 'kuberoute',
  });
}

/** Loads the KubeConfig for the configured access mode. Throws ConfigError. */
export function kubeConfigFor(
  config: KuberouteConfig,
  inCluster?: { host: string; port: string },
): KubeConfig {
  switch (config.kubeconfigKind) {
    case 'kubeconfig':
      return loadKubeConfig({ kubeconfigPath: config.kubeconfigFile ?? '' }).kubeConfig;
    case 'kubernetes_url':
      if (config.kubernetesUrl === undefined) throw new Error('kubernetes_url settings missing');
      return loadKubeConfig({ kubeconfigYaml: kubernetesUrlKubeconfig(config.kubernetesUrl) }).kubeConfig;
    case 'serviceaccount':
      return loadKubeConfig({ inCluster: inCluster ?? { host: '', port: '' } }).kubeConfig;
  }
}

/** Lists of several namespaced informers as one lister (read side only). */
function union<T>(listers: readonly Informer<T>[]): Lister<T> {
  return {
    start: () => listers.forEach((l) => l.start()),
    hasSynced: () => listers.every((l) => l.hasSynced()),
    get: (name, ns) => {
      for (const l of listers) {
        const o = l.get(name, ns);
        if (o !== undefined) return o;
      }
      return undefined;
    },
    list: (ns) => listers.flatMap((l) => l.list(ns)),
    byIndex: (index, value) => listers.flatMap((l) => l.byIndex(index, value)),
    onChange: (h: ChangeHandler<T>) => {
      const offs = listers.map((l) => l.onChange(h));
      return () => offs.forEach((off) => off());
    },
  };
}

function createBackend(config: KuberouteConfig, deps: RunDeps, logger: Logger): DnsBackend {
  switch (config.dnsBackend) {
    case 'route53': {
      const creds = config.route53;
      const client =
        deps.route53Client ??
        new Route53Client({
          region: 'us-east-1',
          maxAttempts: 6,
          ...(creds?.accessKeyId !== undefined && creds.secretAccessKey !== undefined
            ? { credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } }
            : {}),
        });
      return createRoute53Backend({ client, logger });
    }
    case 'skydns': {
      const s = config.skydns;
      if (s === undefined) throw new Error('skydns settings missing');
      const url = `${s.protocol}://${s.host}:${s.port}`;
      if (s.api === 'v2') {
        return createEtcdV2SkyDnsBackend({
          url,
          prefix: s.prefix,
          logger,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        });
      }
      return createSkyDnsBackend({
        client: deps.etcdClient ?? new Etcd3({ hosts: url }),
        prefix: s.prefix,
        logger,
      });
    }
    case 'fakedns':
      return createFakeDnsBackend({
        print: deps.print ?? ((line) => logger.info('fakedns', { line })),
        logger,
      });
  }
}

function createReporter(config: KuberouteConfig, deps: RunDeps, logger: Logger): StateReporter | undefined {
  const s = config.s3report;
  if (s === undefined) return undefined;
  const key = renderTemplate(s.keyTemplate, config.replacements);
  if (!key.ok) {
    logger.warn('status gets not reported: the [s3report] key cannot be rendered', { reason: key.reason });
    return undefined;
  }
  const client =
    deps.s3Client ??
    new S3Client({
      region: s.region,
      ...(s.accessKeyId !== undefined && s.secretAccessKey !== undefined
        ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } }
        : {}),
    });
  return createS3Reporter({
    client,
    bucket: s.bucket,
    key: key.value,
    acl: s.acl,
    contentType: s.contentType,
  });
}

const SYNC_WAIT_MS = 10_000;

/**
 * Starts kuberoute: informers for Services and Pods in the configured namespaces and for Nodes,
 * the HTTP server on `config.port` (`GET /` reconciles, `GET /health`, plus `/healthz`,
 * `/readyz`, `/metrics`), and the optional interval and watch triggers. Resolves once listening.
 */
export async function run(config: KuberouteConfig, options: RunOptions, deps: RunDeps): Promise<RunningApp> {
  const logger = deps.logger;
  for (const w of config.warnings) logger.warn('config warning', { detail: w });
  const kubeConfig = deps.kubeConfig ?? kubeConfigFor(config, deps.inCluster);
  const client: KubeClient = createKubeClient({
    kubeConfig,
    userAgent: kubeEdgeUserAgent('kuberoute', deps.version),
  });
  const registry = deps.metrics.registry;
  const services = config.namespaces.map((namespace) =>
    createInformer<V1Service>({
      name: `services-${namespace}`,
      source: createApiListWatch<V1Service>({ client, resource: SERVICES, namespace }),
      registry,
      logger,
    }),
  );
  const pods = config.namespaces.map((namespace) =>
    createInformer<V1Pod>({
      name: `pods-${namespace}`,
      source: createApiListWatch<V1Pod>({ client, resource: PODS, namespace }),
      registry,
      logger,
    }),
  );
  const nodes = createInformer<V1Node>({
    name: 'nodes',
    source: createApiListWatch<V1Node>({ client, resource: NODES }),
    registry,
    logger,
  });
  const informers: Informer<unknown>[] = [...services, ...pods, nodes] as Informer<unknown>[];
  const backend = createBackend(config, deps, logger);
  const reporter = createReporter(config, deps, logger);
  const events = options.events ? createEventRecorder({ client, component: 'kuberoute', logger }) : undefined;

  const apiAvailable = async (): Promise<boolean> => {
    try {
      await client.request({ method: 'GET', path: '/version', timeoutMs: 5000 });
    } catch (err) {
      logger.debug('api server probe failed', { err });
      return false;
    }
    try {
      await Promise.all(informers.map((i) => i.waitForSync(AbortSignal.timeout(SYNC_WAIT_MS))));
    } catch {
      return false;
    }
    return true;
  };

  const reconciler: Reconciler = createReconciler({
    model: { labels: config.labels, namespaces: config.namespaces, replacements: config.replacements },
    heartbeat: config.heartbeat,
    services: union(services),
    pods: union(pods),
    nodes,
    backend,
    reporter,
    apiAvailable,
    events,
    metrics: deps.metrics,
    logger,
    debug: options.debug,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });

  const health = createHealthServer({ host: options.host ?? '0.0.0.0', port: config.port, registry, logger });
  health.addReadinessCheck('informers', () => ({
    ok: informers.every((i) => i.hasSynced()),
    message: 'caches not synced',
  }));
  for (const i of informers) health.addLivenessCheck(i.name, () => i.health());
  health.addRoute('GET', '/health', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(HEALTHY_TEXT);
  });
  health.addRoute('GET', '/', async (_req, res) => {
    const result = await reconciler.reconcile();
    let status = 200;
    let text = UPDATED_TEXT;
    if (result.outcome === 'apiserver-unavailable') {
      status = 503;
      text = 'Kubernetes API server unavailable; record sets not updated.';
    } else if (result.outcome === 'no-nodes') {
      status = 503;
      text = 'No nodes found; record sets not updated.';
    } else if (result.outcome === 'dns-errors') {
      status = 500;
      text = `Record sets partly updated; errors:\n${result.errors.join('\n')}`;
    }
    res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(text);
  });

  for (const i of informers) i.start();
  let listening;
  try {
    listening = await health.listen();
  } catch (err) {
    await Promise.all(informers.map((i) => i.stop()));
    await backend.close();
    throw err;
  }

  const trigger = createCoalescingTrigger({
    run: async () => {
      await reconciler.reconcile();
    },
    quietMs: 500,
    maxWaitMs: 5000,
    minIntervalMs: 2000,
    logger,
  });
  const offs: (() => void)[] = [];
  if (options.watch) {
    for (const i of informers) offs.push(i.onChange(() => trigger.signal()));
  }
  let timer: NodeJS.Timeout | undefined;
  if (options.intervalMs > 0) {
    // Straight to the reconciler, not through the watch trigger: its quiet period would hold back
    // a short interval. A tick while the previous one still runs is dropped, so none pile up.
    let ticking = false;
    timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      reconciler
        .reconcile()
        .catch((err: unknown) => logger.error('reconcile failed', { err }))
        .finally(() => {
          ticking = false;
        });
    }, options.intervalMs);
    timer.unref();
  }
  logger.info('kuberoute started', {
    url: listening.url,
    backend: config.dnsBackend,
    namespaces: config.namespaces,
    intervalMs: options.intervalMs,
    watch: options.watch,
    report: reporter?.key,
  });

  let stopped: Promise<void> | undefined;
  return {
    url: listening.url,
    reconcile: () => reconciler.reconcile(),
    stop() {
      stopped ??= (async () => {
        if (timer !== undefined) clearInterval(timer);
        offs.forEach((off) => off());
        await trigger.stop();
        await health.close();
        await reconciler.idle();
        await Promise.all(informers.map((i) => i.stop()));
        await events?.flush();
        await backend.close();
      })();
      return stopped;
    },
  };
}
