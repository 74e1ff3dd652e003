import {
  resourcePath,
  statusCodeOf,
  type EventRecorder,
  type KeyResult,
  type KubeClient,
  type Lister,
  type SkippedObject,
} from '@kube-edge/k8s-watch';
import type { V1DaemonSet, V1Deployment, V1Node } from '@kubernetes/client-node';
import type { Logger, Metrics } from '@kube-edge/runtime';
import { isOwnedBy, stableJson } from './desired.js';
import {
  DAEMON_SETS,
  DEPLOYMENTS,
  FINALIZER,
  IDS_API_VERSION,
  IDS_KIND,
  INGRESS_DAEMON_SETS,
  NODES,
  NODE_DETACH_REQUESTED_ANNOTATION,
} from './names.js';
import { kubeTime, nodeOfDeployment, type Action } from './plan.js';
import { parseSpec, type IngressDaemonSet, type IngressDaemonSetStatus, type SpecProblem } from './spec.js';

/** The caches {@link IdsWriter.finalize} reads. */
export interface FinalizeListers {
  readonly nodes: Lister<V1Node>;
  readonly deployments: Lister<V1Deployment>;
  readonly daemonSets: Lister<V1DaemonSet>;
}

/** The controller's writes to the API: a plan's actions, status, the finalizer and clean-up. */
export interface IdsWriter {
  /** Carries out one planned action; a name taken by an object this IngressDaemonSet does not control is pushed to `problems`. */
  apply(ids: IngressDaemonSet, a: Action, problems: SkippedObject[]): Promise<void>;
  /** Patches the status subresource, only when it differs. */
  writeStatus(ids: IngressDaemonSet, status: IngressDaemonSetStatus): Promise<void>;
  /** Status of a spec that cannot be acted on: `Progressing=False`, reason `InvalidSpec`, the fatal problems as the message. */
  writeInvalidSpec(ids: IngressDaemonSet, problems: readonly SpecProblem[], nowMs: number): Promise<void>;
  /** Adds the finalizer (guarded by the resourceVersion). */
  addFinalizer(ids: IngressDaemonSet): Promise<void>;
  /** A deleted IngressDaemonSet: releases nodes it asked to detach, deletes its children, then drops the finalizer. */
  finalize(ids: IngressDaemonSet, listers: FinalizeListers): Promise<KeyResult>;
}

/** Builds the writer; counts every action in `<prefix>actions_total{kind}` and logs it. */
export function createIdsWriter(deps: {
  client: KubeClient;
  events: EventRecorder;
  logger: Logger;
  metrics: Metrics;
}): IdsWriter {
  const { client, events, logger, metrics } = deps;
  const actionsTotal = metrics.counter('actions_total', 'Writes made to child objects and nodes, by kind.', [
    'kind',
  ]);
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

  async function finalize(ids: IngressDaemonSet, listers: FinalizeListers): Promise<KeyResult> {
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
      await deleteChild(ids, 'Deployment', d);
    }
    for (const d of daemonSets) await deleteChild(ids, 'DaemonSet', d);
    if (deployments.length + daemonSets.length > 0) return { requeueAfterMs: 2_000 };
    await setFinalizers(
      ids,
      (ids.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
    return {};
  }

  async function writeInvalidSpec(
    ids: IngressDaemonSet,
    problems: readonly SpecProblem[],
    nowMs: number,
  ): Promise<void> {
    const generation = ids.metadata.generation ?? 0;
    await writeStatus(ids, {
      ...ids.status,
      observedGeneration: generation,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'InvalidSpec',
          message: problems
            .filter((p) => p.fatal)
            .map((p) => p.message)
            .join('; '),
          lastTransitionTime: kubeTime(nowMs),
          observedGeneration: generation,
        },
      ],
    });
  }

  /** Replaces the finalizer list, guarded by the resourceVersion the decision was made on. */
  async function setFinalizers(ids: IngressDaemonSet, finalizers: string[]): Promise<void> {
    await request(
      'PATCH',
      resourcePath(INGRESS_DAEMON_SETS, ids.metadata.namespace, ids.metadata.name),
      { metadata: { resourceVersion: ids.metadata.resourceVersion, finalizers } },
      merge,
    );
  }

  const addFinalizer = (ids: IngressDaemonSet): Promise<void> =>
    setFinalizers(ids, [...(ids.metadata.finalizers ?? []), FINALIZER]);

  /** Deletes a child of a deleted IngressDaemonSet unless its deletion is already under way. */
  async function deleteChild(
    ids: IngressDaemonSet,
    resource: 'Deployment' | 'DaemonSet',
    child: V1Deployment | V1DaemonSet,
  ): Promise<void> {
    if (child.metadata?.deletionTimestamp !== undefined) return;
    await apply(
      ids,
      { kind: 'delete', resource, name: child.metadata?.name ?? '', why: 'IngressDaemonSet deleted' },
      [],
    );
  }

  return { apply, writeStatus, writeInvalidSpec, addFinalizer, finalize };
}

/** A problem of an IngressDaemonSet, reported by the loop (log once, Event, metric). */
export function idsSkip(ids: IngressDaemonSet, reason: string, message: string): SkippedObject {
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
