import {
  NAMESPACES,
  PODS,
  SECRETS,
  createEventRecorder,
  runController,
  watch,
  type ControllerDeps,
  type ControllerHandle,
  type EventRecorder,
  type KubeClient,
  type Lister,
  type WatchSpec,
} from '@kube-edge/k8s-watch';
import { nginxPaths, type NginxProcess } from '@kube-edge/nginx-render';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import type { DispatcherRunConfig } from './config.js';
import { createConfigSizeStep } from './config-size-step.js';
import { createMockStep } from './mock-step.js';
import { buildModel, type ClusterState } from './model/build.js';
import type { DispatcherModel, NamespaceObject, PodObject, SecretObject } from './model/types.js';
import { passTrigger } from './lua-mode.js';
import { chooseUpstreamMode, createDispatcherNginxStep, type DispatcherNginxStep } from './nginx-step.js';
import { createRedactingEventRecorder, createRedactingLogger } from './redact.js';

/** What {@link run} takes from the outside world. */
export interface DispatcherDeps {
  readonly logger: Logger;
  /** Watches the API (built in main.ts from the kubeconfig or the in-cluster account). */
  readonly kubeClient: KubeClient;
  /** Default: `createMetrics({ prefix: 'dispatcher' })`. Served on `/metrics`. */
  readonly metrics?: Metrics;
  /** Default: a recorder for component `dispatcher` with source host `config.podName`. */
  readonly events?: EventRecorder;
  readonly clock?: ControllerDeps['clock'];
  /** Called when the process must end (nginx exited on its own); main.ts shuts down with exit code 1. */
  onFatal?(reason: string): void;
}

/** The informers of the dispatcher, by name. */
export type DispatcherInformers = {
  namespaces: WatchSpec<NamespaceObject>;
  pods: WatchSpec<PodObject>;
  secrets: WatchSpec<SecretObject>;
};

/** A running dispatcher: the controller handle plus the config it applied. */
export interface DispatcherApp extends ControllerHandle<DispatcherInformers, DispatcherModel> {
  /** The last config nginx accepted (mock mode: the last rendered), '' before nginx started. */
  lastConfig(): string;
  /** The nginx process (undefined in mock mode). */
  readonly nginx: NginxProcess | undefined;
  /** The nginx step (undefined in mock mode): its upstream mode and whether Lua routes now. */
  readonly nginxStep: DispatcherNginxStep | undefined;
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

/** The offline `render` mode lives with the rest of it in offline.ts. */
export { renderFromFiles } from './offline.js';

/**
 * Starts the dispatcher on the shared controller loop: informers for routable Namespaces and
 * Pods (label selector) and for the routing Secrets only (field selector on the name, so other
 * Secrets never reach the cache), a pass at once after the caches sync and then at most one per
 * `eventWindowMs`, and the steps nginx (started with the empty-cluster config, so it comes up even
 * while the API server is unreachable) or, in mock mode, the mock step, then the config-size
 * gauges. Every replica applies and records its own Events (no leader election). A config nginx
 * refuses is bisected over the Pods, Namespaces and routing Secrets and the offenders are skipped
 * (`ConfigRefused`); refused even without them, it is a terminal pass: the previous config keeps
 * serving until the next change. Secret values are redacted from every log line. Resolves
 * once nginx and the health server run (not synced: see `ready`); rejects if either cannot start.
 */
export async function run(config: DispatcherRunConfig, deps: DispatcherDeps): Promise<DispatcherApp> {
  const { kubeClient } = deps;
  // Every line the controller, nginx and the steps log has the secret values of the latest
  // model (API keys, TLS Secret data) replaced, wherever they appear (nginx's output included).
  let secrets: readonly string[] = [];
  let previous: readonly string[] = [];
  const logger = createRedactingLogger(deps.logger, () => secrets);
  const metrics = deps.metrics ?? createMetrics({ prefix: 'dispatcher' });
  const buildOptions = config.mock ? {} : { tempPathRoot: nginxPaths(config.nginxWorkDir).tempDir };
  const selector = config.routableSelector.text;
  const initialModel = buildModel({ namespaces: [], pods: [], secrets: [] }, config, buildOptions);
  const mode = await chooseUpstreamMode(config, initialModel, logger);
  const nginx = config.mock
    ? undefined
    : createDispatcherNginxStep(config, {
        logger,
        metrics,
        initialModel,
        mode,
        onFatal: (reason) => deps.onFatal?.(reason),
      });
  const apply = nginx ?? createMockStep(logger);
  const informers: DispatcherInformers = {
    namespaces: watch<NamespaceObject>(NAMESPACES, { labelSelector: selector }),
    pods: watch<PodObject>(PODS, { labelSelector: selector }),
    secrets: watch<SecretObject>(SECRETS, { fieldSelector: `metadata.name=${config.apiKeySecretName}` }),
  };
  const handle = await runController(
    {
      name: 'dispatcher',
      informers,
      build: (listers) => {
        const model = buildModel(stateFrom(listers), config, buildOptions);
        // This model's and the previous one's: a line about the old config (e.g. a removal) or
        // about this one (e.g. nginx refusing it) may quote either.
        secrets = [...new Set([...model.secrets, ...previous])].sort((a, b) => b.length - a.length);
        previous = model.secrets;
        return { model, skipped: model.skipped };
      },
      steps: [apply, createConfigSizeStep(metrics)],
      http: { port: config.http.port, host: config.http.host ?? '0.0.0.0' },
      trigger: passTrigger(mode, config.eventWindowMs),
      summarize: (m) => ({ ...m.stats, mock: config.mock }),
      // The last line of defence: a config nginx still refuses (e.g. a certificate OpenSSL's
      // policy rejects) is bisected over these objects; the offenders are skipped (ConfigRefused).
      isolate: { informers: ['pods', 'namespaces', 'secrets'] },
    },
    {
      logger,
      kubeClient,
      metrics,
      events: createRedactingEventRecorder(
        deps.events ??
          createEventRecorder({
            client: kubeClient,
            component: 'dispatcher',
            host: config.podName ?? '',
            logger,
          }),
        () => secrets,
      ),
      ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    },
  );
  return Object.assign(handle, {
    lastConfig: () => apply.lastConfig(),
    nginx: nginx?.process,
    nginxStep: nginx,
  });
}
