import type { V1DaemonSet, V1Deployment, V1Node } from '@kubernetes/client-node';
import { desiredDaemonSet, desiredDeployment, type HealthCheckerDefaults } from './desired.js';
import {
  NODE_ANNOTATION,
  NODE_DETACH_REQUESTED_ANNOTATION,
  OBJECT_HASH_ANNOTATION,
  PORT_ANNOTATION,
  ROLLOUT_STARTED_ANNOTATION,
} from './names.js';
import {
  matchesSelector,
  type Condition,
  type IdsConfig,
  type IngressDaemonSet,
  type IngressDaemonSetStatus,
} from './spec.js';

/** One write the controller makes, in order. */
export type Action =
  | { readonly kind: 'create'; readonly object: V1Deployment | V1DaemonSet; readonly why: string }
  /** Replaces the spec (and merges `annotations`) of an existing object, guarded by its resourceVersion. */
  | {
      readonly kind: 'update';
      readonly object: V1Deployment | V1DaemonSet;
      readonly why: string;
    }
  | {
      readonly kind: 'delete';
      readonly resource: 'Deployment' | 'DaemonSet';
      readonly name: string;
      readonly why: string;
    }
  /** Merge patch of annotations (null removes) on a Deployment, guarded by its resourceVersion. */
  | {
      readonly kind: 'annotateDeployment';
      readonly name: string;
      readonly resourceVersion: string;
      readonly annotations: Readonly<Record<string, string | null>>;
      readonly why: string;
    }
  /** Merge patch of annotations (null removes) on a Node. */
  | {
      readonly kind: 'annotateNode';
      readonly name: string;
      readonly annotations: Readonly<Record<string, string | null>>;
      readonly why: string;
    };

/** What {@link planIds} needs: the object, its checked spec and the caches' view. */
export interface PlanInput {
  readonly ids: IngressDaemonSet;
  readonly config: IdsConfig;
  readonly nodes: readonly V1Node[];
  /** The Deployments and DaemonSets this IngressDaemonSet controls. */
  readonly deployments: readonly V1Deployment[];
  readonly daemonSets: readonly V1DaemonSet[];
  readonly now: number;
  /** A node's rollout that has not finished after this long is reported as stalled. */
  readonly stallAfterMs: number;
  readonly healthChecker: HealthCheckerDefaults;
}

/** A rollout problem to report (as a Warning Event on the IngressDaemonSet, once while it lasts). */
export interface RolloutProblem {
  readonly reason: string;
  readonly message: string;
}

/** The writes to make, the status to write and when to look again. */
export interface Plan {
  readonly actions: readonly Action[];
  readonly status: IngressDaemonSetStatus;
  readonly problems: readonly RolloutProblem[];
  /** Reconcile again after this long (a wait in progress), or undefined. */
  readonly requeueAfterMs?: number;
}

const annotations = (o: { metadata?: { annotations?: Record<string, string> } }): Record<string, string> =>
  o.metadata?.annotations ?? {};

/** The node a per-node Deployment runs on. Pure. */
export function nodeOfDeployment(d: V1Deployment): string {
  return annotations(d)[NODE_ANNOTATION] ?? d.spec?.template.spec?.nodeName ?? '';
}

/**
 * Whether a Deployment has rolled out its current spec: observed, every replica updated and
 * available, no old replica left. Pure.
 */
export function rolledOut(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want
  );
}

/** Whether the Deployment controller gave up on the current rollout (progress deadline exceeded). Pure. */
function deadlineExceeded(d: V1Deployment): boolean {
  return (d.status?.conditions ?? []).some(
    (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
  );
}

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** A time as Kubernetes writes it in conditions and annotations: RFC 3339, whole seconds, UTC. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Decides the writes of one reconcile of a live IngressDaemonSet. Pure and level-triggered: the
 * same input gives the same actions, and applying them in order moves the cluster one step on.
 *
 * - Health-checker DaemonSets: one per `healthCheckNodePorts` entry; others deleted; an outdated
 *   hash replaced.
 * - Per-node Deployments: created for targeted nodes without one (at the current spec), deleted
 *   for nodes that left or stopped matching (and the node's detach annotation removed if this
 *   controller set it).
 * - Outdated Deployments are rolled out in node-name order. Every rolled node carries the
 *   to-be-updated annotation from the moment it is chosen until its Deployment is available at
 *   the new spec (the health-checker answers 503 meanwhile).
 *   - detach mode (`maxUnavailableNodes` ≥ 1): at most that many nodes unavailable (being rolled,
 *     or carrying the node annotation for another reason); a chosen node is annotated, then after
 *     its detachment timestamp (read from the Node) plus the grace period its Deployment is
 *     updated; once available the node annotation is removed, then the Deployment's.
 *   - degraded mode: at most `maxDegradedNodes` Deployments not rolled out at once; an outdated
 *     Deployment that is already degraded is updated without using up the budget.
 * - A node rolling for longer than `stallAfterMs`, or a Deployment past its progress deadline, is
 *   a stalled rollout: a problem and a `Progressing=False` condition, never a silent wait.
 */
export function planIds(input: PlanInput): Plan {
  const { ids, config, now } = input;
  const actions: Action[] = [];
  const problems: RolloutProblem[] = [];
  const waits: number[] = [];
  const marker = config.toBeUpdated;
  const iso = kubeTime(now);

  // Health-checker DaemonSets.
  const wantedPorts = new Set(config.healthCheckNodePorts);
  const havePorts = new Set<number>();
  for (const ds of input.daemonSets) {
    const port = Number(annotations(ds)[PORT_ANNOTATION]);
    const name = ds.metadata?.name ?? '';
    if (!wantedPorts.has(port) || havePorts.has(port)) {
      actions.push({
        kind: 'delete',
        resource: 'DaemonSet',
        name,
        why: 'health-check port no longer wanted',
      });
      continue;
    }
    havePorts.add(port);
    const want = desiredDaemonSet(ids, config, port, input.healthChecker);
    if (annotations(ds)[OBJECT_HASH_ANNOTATION] !== annotations(want)[OBJECT_HASH_ANNOTATION])
      actions.push({ kind: 'update', object: merge(ds, want, {}), why: 'health-checker spec changed' });
  }
  for (const port of config.healthCheckNodePorts)
    if (!havePorts.has(port))
      actions.push({
        kind: 'create',
        object: desiredDaemonSet(ids, config, port, input.healthChecker),
        why: 'health-check port added',
      });

  // Target nodes and their Deployments.
  const targets = input.nodes
    .filter((n) => n.metadata?.deletionTimestamp === undefined)
    .filter((n) => matchesSelector(n.metadata?.labels, config.nodeSelector))
    .map((n) => ({ name: n.metadata?.name ?? '', node: n }))
    .sort(byName);
  const targetNames = new Set(targets.map((t) => t.name));
  const nodesByName = new Map(input.nodes.map((n) => [n.metadata?.name ?? '', n]));
  const deploymentByNode = new Map<string, V1Deployment>();
  for (const d of input.deployments) {
    const node = nodeOfDeployment(d);
    const name = d.metadata?.name ?? '';
    const stays = targetNames.has(node) && !deploymentByNode.has(node);
    if (stays && d.metadata?.deletionTimestamp === undefined) {
      deploymentByNode.set(node, d);
      continue;
    }
    if (d.metadata?.deletionTimestamp !== undefined) continue;
    actions.push({
      kind: 'delete',
      resource: 'Deployment',
      name,
      why: 'node left or no longer matches nodeSelector',
    });
    if (annotations(d)[NODE_DETACH_REQUESTED_ANNOTATION] !== undefined && config.mode.kind === 'detach') {
      const key = config.mode.nodeAnnotation?.key;
      if (
        key !== undefined &&
        nodesByName.has(node) &&
        annotations(nodesByName.get(node)!)[key] !== undefined
      )
        actions.push({
          kind: 'annotateNode',
          name: node,
          annotations: { [key]: null },
          why: 'release the node',
        });
    }
  }

  const nodeAnnotation = config.mode.kind === 'detach' ? config.mode.nodeAnnotation : undefined;
  const nodeUnavailable = (node: V1Node | undefined): boolean => {
    if (nodeAnnotation === undefined || node === undefined) return false;
    const v = annotations(node)[nodeAnnotation.key];
    return v !== undefined && (nodeAnnotation.value === 'true' || v === nodeAnnotation.value);
  };

  let desiredNodes = 0;
  let updatedNodes = 0;
  let readyNodes = 0;
  let availableNodes = 0;
  const rolling: string[] = [];
  const stalled: string[] = [];
  const stale: { name: string; node: V1Node; d: V1Deployment; want: V1Deployment }[] = [];
  const degraded = new Set<string>();
  const unavailable = new Set<string>();

  for (const { name: node, node: nodeObj } of targets) {
    desiredNodes++;
    const want = desiredDeployment(ids, config, node);
    const d = deploymentByNode.get(node);
    if (d === undefined) {
      actions.push({ kind: 'create', object: want, why: 'node joined' });
      degraded.add(node);
      continue;
    }
    const current = annotations(d)[OBJECT_HASH_ANNOTATION] === annotations(want)[OBJECT_HASH_ANNOTATION];
    const done = rolledOut(d);
    const marked = annotations(d)[marker.key] !== undefined;
    if (done) availableNodes++;
    if (current) updatedNodes++;
    if (current && done && !marked) readyNodes++;
    if (!done || marked) degraded.add(node);
    if (marked || nodeUnavailable(nodeObj)) unavailable.add(node);
    if (marked) {
      rolling.push(node);
      const started = Date.parse(annotations(d)[ROLLOUT_STARTED_ANNOTATION] ?? '');
      if (Number.isFinite(started)) {
        if (now - started > input.stallAfterMs) stalled.push(node);
        else waits.push(started + input.stallAfterMs - now + 1);
      }
    } else if (!done && deadlineExceeded(d)) stalled.push(node);

    if (current) {
      if (marked && done) {
        // Finished: release the node first, so a crash in between leaves the marker to retry from.
        if (annotations(d)[NODE_DETACH_REQUESTED_ANNOTATION] !== undefined && nodeAnnotation !== undefined)
          if (annotations(nodeObj)[nodeAnnotation.key] !== undefined)
            actions.push({
              kind: 'annotateNode',
              name: node,
              annotations: { [nodeAnnotation.key]: null },
              why: 'rolled out: re-attach',
            });
        actions.push({
          kind: 'annotateDeployment',
          name: d.metadata?.name ?? '',
          resourceVersion: d.metadata?.resourceVersion ?? '',
          annotations: {
            [marker.key]: null,
            [ROLLOUT_STARTED_ANNOTATION]: null,
            [NODE_DETACH_REQUESTED_ANNOTATION]: null,
          },
          why: 'rolled out',
        });
      }
      continue;
    }
    stale.push({ name: node, node: nodeObj, d, want });
  }

  const rolloutAnnotations = {
    [marker.key]: marker.value,
    [ROLLOUT_STARTED_ANNOTATION]: iso,
  };
  let blocked = 0;
  const mode = config.mode;
  if (mode.kind === 'degraded') {
    let budget = mode.maxDegradedNodes - degraded.size;
    for (const s of stale) {
      const already = degraded.has(s.name);
      if (!already && budget <= 0) {
        blocked++;
        continue;
      }
      if (!already) budget--;
      const keep = annotations(s.d)[marker.key] !== undefined ? {} : rolloutAnnotations;
      actions.push({ kind: 'update', object: merge(s.d, s.want, keep), why: 'template changed' });
    }
  } else {
    for (const s of stale) {
      const dName = s.d.metadata?.name ?? '';
      const marked = annotations(s.d)[marker.key] !== undefined;
      if (!marked) {
        if (unavailable.size >= mode.maxUnavailableNodes && !unavailable.has(s.name)) {
          blocked++;
          continue;
        }
        unavailable.add(s.name);
        // Only a node annotation this controller writes is recorded, so only that one is removed
        // later: a node someone else annotated (an operator, node-detacher) stays as they left it.
        const annotateNode =
          nodeAnnotation !== undefined && annotations(s.node)[nodeAnnotation.key] === undefined;
        actions.push({
          kind: 'annotateDeployment',
          name: dName,
          resourceVersion: s.d.metadata?.resourceVersion ?? '',
          annotations: {
            ...rolloutAnnotations,
            ...(annotateNode ? { [NODE_DETACH_REQUESTED_ANNOTATION]: 'true' } : {}),
          },
          why: 'update pending: fail the health check',
        });
        if (annotateNode && nodeAnnotation !== undefined)
          actions.push({
            kind: 'annotateNode',
            name: s.name,
            annotations: { [nodeAnnotation.key]: nodeAnnotation.value },
            why: 'detach the node before its update',
          });
        // The update waits for the next reconcile, which sees the node annotated.
        if (mode.waitForTimestamp === undefined) waits.push(1);
        continue;
      }
      if (nodeAnnotation !== undefined && annotations(s.node)[nodeAnnotation.key] === undefined) {
        // Not detached (any more): detach it ourselves, and record that so it is released later.
        if (annotations(s.d)[NODE_DETACH_REQUESTED_ANNOTATION] === undefined)
          actions.push({
            kind: 'annotateDeployment',
            name: dName,
            resourceVersion: s.d.metadata?.resourceVersion ?? '',
            annotations: { [NODE_DETACH_REQUESTED_ANNOTATION]: 'true' },
            why: 'update pending: the node is no longer annotated',
          });
        actions.push({
          kind: 'annotateNode',
          name: s.name,
          annotations: { [nodeAnnotation.key]: nodeAnnotation.value },
          why: 'detach the node before its update',
        });
        continue;
      }
      if (mode.waitForTimestamp !== undefined) {
        const raw = annotations(s.node)[mode.waitForTimestamp.key];
        if (raw === undefined) continue; // node-detacher has not detached it yet; its write triggers us
        const t = parseRfc3339(raw);
        if (t === undefined) {
          problems.push({
            reason: 'InvalidDetachmentTimestamp',
            message: `node ${s.name}: annotation ${mode.waitForTimestamp.key}=${JSON.stringify(raw.slice(0, 64))} is not an RFC 3339 time`,
          });
          continue;
        }
        const started = Date.parse(annotations(s.d)[ROLLOUT_STARTED_ANNOTATION] ?? '') || t;
        const readyAt = Math.max(t, started) + mode.waitForTimestamp.graceMs;
        if (now < readyAt) {
          waits.push(readyAt - now);
          continue;
        }
      }
      actions.push({ kind: 'update', object: merge(s.d, s.want, {}), why: 'node detached: update' });
    }
  }

  for (const node of stalled) {
    const what =
      mode.kind === 'detach' && stale.some((s) => s.name === node)
        ? 'waiting for the node to be detached'
        : 'waiting for its Deployment to become available';
    problems.push({ reason: 'RolloutStalled', message: `node ${node}: rollout stalled, ${what}` });
  }
  if (mode.kind === 'degraded' && mode.maxDegradedNodes === 0 && stale.length > 0)
    problems.push({
      reason: 'RolloutStalled',
      message: `${stale.length} node(s) outdated and maxDegradedNodes is 0: nothing will be updated`,
    });

  const conditions: Condition[] = [];
  const prev = ids.status?.conditions ?? [];
  const cond = (type: string, ok: boolean, reason: string, message: string): void => {
    const status = ok ? 'True' : 'False';
    const old = prev.find((c) => c.type === type);
    conditions.push({
      type,
      status,
      reason,
      message,
      lastTransitionTime: old?.status === status ? old.lastTransitionTime : iso,
      observedGeneration: ids.metadata.generation ?? 0,
    });
  };
  cond(
    'Available',
    availableNodes === desiredNodes,
    availableNodes === desiredNodes ? 'AllNodesAvailable' : 'NodesUnavailable',
    `${availableNodes} of ${desiredNodes} nodes have every pod available`,
  );
  const stalledProblem = problems.find((p) => p.reason === 'RolloutStalled');
  if (stalledProblem !== undefined) cond('Progressing', false, 'RolloutStalled', stalledProblem.message);
  else if (updatedNodes < desiredNodes || rolling.length > 0)
    cond(
      'Progressing',
      true,
      'RollingUpdate',
      `${updatedNodes} of ${desiredNodes} nodes updated, ${rolling.length} rolling${blocked > 0 ? `, ${blocked} waiting for the node limit` : ''}`,
    );
  else cond('Progressing', true, 'RolloutComplete', `all ${desiredNodes} nodes run the current spec`);

  const status: IngressDaemonSetStatus = {
    observedGeneration: ids.metadata.generation ?? 0,
    desiredNodes,
    updatedNodes,
    readyNodes,
    updatingNodes: rolling.length,
    conditions,
  };
  const positive = waits.filter((w) => w > 0);
  return {
    actions,
    status,
    problems,
    ...(positive.length > 0 ? { requeueAfterMs: Math.min(...positive, 30_000) } : {}),
  };
}

/** The existing object with the desired spec, labels, owner and annotations (plus `extra`). Pure. */
function merge<T extends V1Deployment | V1DaemonSet>(
  current: T,
  want: T,
  extra: Readonly<Record<string, string>>,
): T {
  return {
    ...want,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata?.labels, ...want.metadata?.labels },
      annotations: { ...current.metadata?.annotations, ...want.metadata?.annotations, ...extra },
      ownerReferences: want.metadata?.ownerReferences,
    },
  };
}

/** Parses an RFC 3339 time (`2020-07-16T10:00:00Z`, offsets and fractions allowed) to ms, or undefined. Pure. */
export function parseRfc3339(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}
