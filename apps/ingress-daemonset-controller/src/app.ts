import {
  createEventRecorder,
  resourcePath,
  runKeyedController,
  statusCodeOf,
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
  IDS_API_VERSION,
  IDS_KIND,
  INGRESS_DAEMON_SETS,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NODES,
  NODE_DETACH_REQUESTED_ANNOTATION,
} from './names.js';
import { nodeOfDeployment, planIds, type Action } from './plan.js';
import { matchesSelector, parseSpec, type IngressDaemonSet, type IngressDaemonSetStatus } from './spec.js';

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
  const actionsTotal = metrics.counter('actions_total', 'Writes made to child objects and nodes, by kind.', [
    'kind',
  ]);
  const events = createEventRecorder({
    client,
    component: 'ingress-daemonset-controller',
    host: config.leaderElection?.identity ?? '',
    logger,
  });
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

  const request = <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> =>
    client.request<T>({
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(contentType ? { contentType } : {}),
    });
  const merge = 'application/merge-patch+json';

  async function apply(ids: IngressDaemonSet, a: Action, problems: SkippedObject[]): Promise<void> {
    const ns = ids.metadata.namespace ?? '';
    actionsTotal.inc({ kind: a.kind });
    logger.info('apply', {
      ids: `${ns}/${ids.metadata.name ?? ''}`,
      action: a.kind,
      why: a.why,
      ...describe(a),
    });
    switch (a.kind) {
      case 'create': {
        const ref = a.object.kind === 'DaemonSet' ? DAEMON_SETS : DEPLOYMENTS;
        try {
          await request('POST', resourcePath(ref, ns), a.object);
        } catch (err) {
          if (statusCodeOf(err) !== 409) throw err;
          problems.push(
            idsSkip(
              ids,
              'NameConflict',
              `${a.object.kind} ${ns}/${a.object.metadata?.name ?? ''} exists and is not controlled by this IngressDaemonSet`,
            ),
          );
        }
        return;
      }
      case 'update': {
        const ref = a.object.kind === 'DaemonSet' ? DAEMON_SETS : DEPLOYMENTS;
        await request('PUT', resourcePath(ref, ns, a.object.metadata?.name ?? ''), a.object);
        if (a.object.kind === 'Deployment')
          events.record(
            asRef(ids),
            'Normal',
            'DeploymentUpdated',
            `updated ${a.object.metadata?.name ?? ''}: ${a.why}`,
          );
        return;
      }
      case 'delete': {
        const ref = a.resource === 'DaemonSet' ? DAEMON_SETS : DEPLOYMENTS;
        try {
          await request('DELETE', resourcePath(ref, ns, a.name), { propagationPolicy: 'Background' });
        } catch (err) {
          if (statusCodeOf(err) !== 404) throw err;
        }
        return;
      }
      case 'annotateDeployment':
        await request(
          'PATCH',
          resourcePath(DEPLOYMENTS, ns, a.name),
          { metadata: { resourceVersion: a.resourceVersion, annotations: a.annotations } },
          merge,
        );
        return;
      case 'annotateNode':
        await request(
          'PATCH',
          resourcePath(NODES, undefined, a.name),
          { metadata: { annotations: a.annotations } },
          merge,
        );
        events.record(asRef(ids), 'Normal', 'NodeAnnotated', `node ${a.name}: ${a.why}`);
        return;
    }
  }

  async function writeStatus(ids: IngressDaemonSet, status: IngressDaemonSetStatus): Promise<void> {
    if (stableJson(ids.status ?? {}) === stableJson(status)) return;
    await request(
      'PATCH',
      resourcePath(INGRESS_DAEMON_SETS, ids.metadata.namespace, ids.metadata.name, 'status'),
      { status },
      merge,
    );
  }

  async function finalize(ids: IngressDaemonSet, listers: Listers<Informers>): Promise<KeyResult> {
    const ns = ids.metadata.namespace ?? '';
    const uid = ids.metadata.uid ?? '';
    const deployments = listers.deployments.list(ns).filter((d) => isOwnedBy(d, uid));
    const daemonSets = listers.daemonSets.list(ns).filter((d) => isOwnedBy(d, uid));
    const key = parseSpec(ids).config?.mode;
    const nodeKey = key?.kind === 'detach' ? key.nodeAnnotation?.key : undefined;
    for (const d of deployments) {
      const node = nodeOfDeployment(d);
      const n = listers.nodes.get(node);
      if (
        nodeKey !== undefined &&
        d.metadata?.annotations?.[NODE_DETACH_REQUESTED_ANNOTATION] !== undefined &&
        n?.metadata?.annotations?.[nodeKey] !== undefined
      )
        await apply(
          ids,
          {
            kind: 'annotateNode',
            name: node,
            annotations: { [nodeKey]: null },
            why: 'IngressDaemonSet deleted: release the node',
          },
          [],
        );
      if (d.metadata?.deletionTimestamp === undefined)
        await apply(
          ids,
          {
            kind: 'delete',
            resource: 'Deployment',
            name: d.metadata?.name ?? '',
            why: 'IngressDaemonSet deleted',
          },
          [],
        );
    }
    for (const d of daemonSets)
      if (d.metadata?.deletionTimestamp === undefined)
        await apply(
          ids,
          {
            kind: 'delete',
            resource: 'DaemonSet',
            name: d.metadata?.name ?? '',
            why: 'IngressDaemonSet deleted',
          },
          [],
        );
    if (deployments.length + daemonSets.length > 0) return { requeueAfterMs: 2_000 };
    await request(
      'PATCH',
      resourcePath(INGRESS_DAEMON_SETS, ns, ids.metadata.name),
      {
        metadata: {
          resourceVersion: ids.metadata.resourceVersion,
          finalizers: (ids.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        },
      },
      merge,
    );
    return {};
  }

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
          return (ids.metadata.finalizers ?? []).includes(FINALIZER) ? finalize(ids, listers) : {};
        if (!(ids.metadata.finalizers ?? []).includes(FINALIZER)) {
          await request(
            'PATCH',
            resourcePath(INGRESS_DAEMON_SETS, ids.metadata.namespace, ids.metadata.name),
            {
              metadata: {
                resourceVersion: ids.metadata.resourceVersion,
                finalizers: [...(ids.metadata.finalizers ?? []), FINALIZER],
              },
            },
            merge,
          );
          return {}; // the write's watch event brings this key back with the new resourceVersion
        }
        const parsed = parseSpec(ids);
        const skipped: SkippedObject[] = parsed.problems.map((p) => idsSkip(ids, p.reason, p.message));
        if (parsed.config === undefined) {
          const t = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
          await writeStatus(ids, {
            ...ids.status,
            observedGeneration: ids.metadata.generation ?? 0,
            conditions: [
              {
                type: 'Progressing',
                status: 'False',
                reason: 'InvalidSpec',
                message: parsed.problems
                  .filter((p) => p.fatal)
                  .map((p) => p.message)
                  .join('; '),
                lastTransitionTime: t,
                observedGeneration: ids.metadata.generation ?? 0,
              },
            ],
          });
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
        for (const a of plan.actions) await apply(ids, a, skipped);
        for (const p of plan.problems) skipped.push(idsSkip(ids, p.reason, p.message));
        await writeStatus(ids, plan.status);
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

function idsSkip(ids: IngressDaemonSet, reason: string, message: string): SkippedObject {
  return {
    kind: IDS_KIND,
    apiVersion: IDS_API_VERSION,
    namespace: ids.metadata.namespace ?? '',
    name: ids.metadata.name ?? '',
    ...(ids.metadata.uid === undefined ? {} : { uid: ids.metadata.uid }),
    reason,
    message,
  };
}

function asRef(ids: IngressDaemonSet) {
  return {
    apiVersion: IDS_API_VERSION,
    kind: IDS_KIND,
    namespace: ids.metadata.namespace ?? '',
    name: ids.metadata.name ?? '',
    ...(ids.metadata.uid === undefined ? {} : { uid: ids.metadata.uid }),
  };
}

function describe(a: Action): Record<string, string> {
  switch (a.kind) {
    case 'create':
    case 'update':
      return { object: `${a.object.kind ?? ''}/${a.object.metadata?.name ?? ''}` };
    case 'delete':
      return { object: `${a.resource}/${a.name}` };
    case 'annotateDeployment':
      return { object: `Deployment/${a.name}`, annotations: JSON.stringify(a.annotations) };
    case 'annotateNode':
      return { object: `Node/${a.name}`, annotations: JSON.stringify(a.annotations) };
  }
}
