import {
  createEventRecorder,
  runKeyedController,
  watch,
  type ChangeEvent,
  type ControllerLeaderElection,
  type KeyResult,
  type KeyedControllerHandle,
  type KubeClient,
  type Listers,
  type SkippedObject,
} from '@kube-edge/k8s-watch';
import type { V1DaemonSet, V1Deployment, V1Node } from '@kubernetes/client-node';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import { isOwnedBy, stableJson, type HealthCheckerDefaults } from './desired.js';
import {
  DAEMON_SETS,
  DEPLOYMENTS,
  FINALIZER,
  IDS_KIND,
  INGRESS_DAEMON_SETS,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NODES,
} from './names.js';
import { planIds } from './plan.js';
import { matchesSelector, parseSpec, type IngressDaemonSet } from './spec.js';
import { createIdsWriter, idsSkip } from './writer.js';

/** The controller's settings (from flags). */
export interface ControllerConfig {
  /** Namespaces whose IngressDaemonSets are reconciled; empty: all. */
  readonly namespaces: readonly string[];
  /** Defaults of the health-checker DaemonSets. */
  readonly healthChecker: HealthCheckerDefaults;
  /** A node rolling for longer than this is reported as a stalled rollout. */
  readonly stallAfterMs: number;
  /** Port of /healthz, /readyz and /metrics (0 picks one). */
  readonly healthPort: number;
  readonly healthHost?: string;
  readonly leaderElection?: ControllerLeaderElection;
}

/** What the controller takes from the outside world; main.ts builds the real ones, tests pass fakes. */
export interface AppDeps {
  readonly logger: Logger;
  readonly kubeClient: KubeClient;
  /** Default: a new registry with prefix `ingress_daemonset_controller`. */
  readonly metrics?: Metrics;
  /** Wall clock for rollout decisions (grace periods, stall detection). Default `Date.now`. */
  readonly now?: () => number;
}

function informersFor(config: ControllerConfig) {
  const namespaces = config.namespaces.length > 0 ? { namespaces: config.namespaces } : {};
  const managed = { ...namespaces, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` };
  return {
    ids: watch<IngressDaemonSet>(INGRESS_DAEMON_SETS, namespaces),
    nodes: watch<V1Node>(NODES),
    deployments: watch<V1Deployment>(DEPLOYMENTS, managed),
    daemonSets: watch<V1DaemonSet>(DAEMON_SETS, managed),
  };
}
type Informers = ReturnType<typeof informersFor>;

/** A running ingress-daemonset-controller. `stop()` stops it (idempotent). */
export type App = KeyedControllerHandle<Informers>;

const controllerKey = (o: {
  metadata?: { namespace?: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
}): string[] =>
  (o.metadata?.ownerReferences ?? [])
    .filter((r) => r.controller === true && r.kind === IDS_KIND)
    .map((r) => `${o.metadata?.namespace ?? ''}/${r.name}`);

const metaOf = (n: V1Node | undefined): string =>
  stableJson({
    l: n?.metadata?.labels ?? {},
    a: n?.metadata?.annotations ?? {},
    d: n?.metadata?.deletionTimestamp,
  });

/**
 * Starts the IngressDaemonSet controller on the shared per-key loop: IngressDaemonSets are the
 * keys; a Node change maps to every IngressDaemonSet whose `nodeSelector` matched the node
 * before or after it; a Deployment or DaemonSet change to its controlling IngressDaemonSet. With
 * `leaderElection`, only the Lease holder writes. Resolves once the health server listens.
 */
export async function run(config: ControllerConfig, deps: AppDeps): Promise<App> {
  const metrics = deps.metrics ?? createMetrics({ prefix: 'ingress_daemonset_controller' });
  const now = deps.now ?? Date.now;
  const { kubeClient: client, logger } = deps;
  const events = createEventRecorder({
    client,
    component: 'ingress-daemonset-controller',
    host: config.leaderElection?.identity ?? '',
    logger,
  });
  const writer = createIdsWriter({ client, events, logger, metrics });
  const informers = informersFor(config);
  const ref: { ids?: Listers<Informers>['ids'] } = {};

  const keysFor = (informer: keyof Informers, e: ChangeEvent<unknown>): string[] => {
    if (informer === 'deployments' || informer === 'daemonSets')
      return [
        ...new Set(
          [e.object, e.oldObject].flatMap((o) => (o === undefined ? [] : controllerKey(o as V1Deployment))),
        ),
      ];
    const idsLister = ref.ids;
    if (informer !== 'nodes' || idsLister === undefined) return [];
    const node = e.object as V1Node | undefined;
    const old = e.oldObject as V1Node | undefined;
    if (e.type === 'MODIFIED' && metaOf(node) === metaOf(old)) return []; // status-only change
    return idsLister
      .list()
      .filter((ids) =>
        [node, old].some(
          (n) => n !== undefined && matchesSelector(n.metadata?.labels, ids.spec?.nodeSelector ?? {}),
        ),
      )
      .map((ids) => `${ids.metadata.namespace ?? ''}/${ids.metadata.name ?? ''}`);
  };

  const handle = await runKeyedController(
    {
      name: 'ingress-daemonset-controller',
      informers,
      primary: 'ids',
      keysFor,
      reconcile: async (key, listers): Promise<KeyResult> => {
        const slash = key.indexOf('/');
        const ids = listers.ids.get(key.slice(slash + 1), key.slice(0, slash));
        if (ids === undefined) return {}; // gone: owner references let the garbage collector finish
        if (ids.metadata.deletionTimestamp !== undefined)
          return (ids.metadata.finalizers ?? []).includes(FINALIZER) ? writer.finalize(ids, listers) : {};
        if (!(ids.metadata.finalizers ?? []).includes(FINALIZER)) {
          await writer.addFinalizer(ids);
          return {}; // the write's watch event brings this key back with the new resourceVersion
        }
        const parsed = parseSpec(ids);
        const skipped: SkippedObject[] = parsed.problems.map((p) => idsSkip(ids, p.reason, p.message));
        if (parsed.config === undefined) {
          await writer.writeInvalidSpec(ids, parsed.problems, now());
          return { skipped };
        }
        const ns = ids.metadata.namespace ?? '';
        const uid = ids.metadata.uid ?? '';
        const plan = planIds({
          ids,
          config: parsed.config,
          nodes: listers.nodes.list(),
          deployments: listers.deployments.list(ns).filter((d) => isOwnedBy(d, uid)),
          daemonSets: listers.daemonSets.list(ns).filter((d) => isOwnedBy(d, uid)),
          now: now(),
          stallAfterMs: config.stallAfterMs,
          healthChecker: config.healthChecker,
        });
        for (const a of plan.actions) await writer.apply(ids, a, skipped);
        for (const p of plan.problems) skipped.push(idsSkip(ids, p.reason, p.message));
        await writer.writeStatus(ids, plan.status);
        return {
          skipped,
          ...(plan.requeueAfterMs === undefined ? {} : { requeueAfterMs: plan.requeueAfterMs }),
        };
      },
      ...(config.leaderElection === undefined ? {} : { leaderElection: config.leaderElection }),
      http: {
        port: config.healthPort,
        ...(config.healthHost === undefined ? {} : { host: config.healthHost }),
      },
    },
    { logger, kubeClient: client, metrics, events },
  );
  ref.ids = handle.listers.ids;
  return handle;
}
