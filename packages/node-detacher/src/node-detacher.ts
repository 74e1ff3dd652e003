import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  findInstanceMembership,
  setClassicElbInstance,
  setTargetGroupInstance,
} from '@kube-edge/aws-frontends';
import {
  KubeApiError,
  NODES,
  PODS,
  createEventRecorder,
  createSystemClock,
  keyOf,
  resourcePath,
  runKeyedController,
  watch,
  type Clock,
  type ControllerDeps,
  type ControllerLeaderElection,
  type KeyResult,
  type KeyedControllerHandle,
  type KubeClient,
  type Listers,
  type SkippedObject,
  type WatchSpec,
} from '@kube-edge/k8s-watch';
import { ConfigError, type Logger } from '@kube-edge/runtime';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { ATTACHMENTS, mergeMembership, type Attachment, type AttachmentPhase } from './attachment.js';
import { decide, parseTaintPatterns } from './decide.js';
import { planEviction, usesDelete } from './eviction.js';
import { instanceIdOf } from './instance-id.js';
import { nodeMarkerPatch } from './markers.js';
import {
  ATTACH_EVENT_REASON,
  ATTACHMENT_API_VERSION,
  ATTACHMENT_KIND,
  DEFAULT_NAME,
  DETACH_EVENT_REASON,
  DETACHING_ANNOTATION,
  DETACHING_TAINT,
} from './names.js';

/** Configuration of {@link runNodeDetacher}. */
export interface NodeDetacherConfig {
  /** Instance name: the taint value and the Event component. Default `node-detacher`. */
  readonly name?: string;
  /** Namespace of the Attachment resources. Required. */
  readonly namespace: string;
  /** Trigger taint patterns (see `decide`). Default `DEFAULT_TRIGGER_TAINTS`. */
  readonly triggerTaints?: readonly string[];
  /** Search and detach from classic ELBs (needs `deps.elb`). Default true when `deps.elb` is given. */
  readonly classicElbs?: boolean;
  /** Search and detach from ELBv2 target groups (needs `deps.elbv2`). Default true when `deps.elbv2` is given. */
  readonly targetGroups?: boolean;
  /** Evict pods with a `deletion-priority` annotation from detached nodes. Default true. */
  readonly evictPods?: boolean;
  /** `gracePeriodSeconds` of each eviction or deletion. Default 30. */
  readonly podGracePeriodSeconds?: number;
  /** A pod terminating longer than this no longer holds back the next priority group. Default 300000. */
  readonly podDeletionTimeoutMs?: number;
  /** How often a node whose pods are being evicted is looked at again. Default 3000. */
  readonly podPollMs?: number;
  /** API version of the Eviction body. Default `policy/v1` (`policy/v1beta1` for clusters before 1.22). */
  readonly evictionApiVersion?: 'policy/v1' | 'policy/v1beta1';
  /** Every node is reconciled again this often (a missed change cannot last). Default 60000; 0: never. */
  readonly resyncMs?: number;
  /** With a Lease, only the holder reconciles. */
  readonly leaderElection?: ControllerLeaderElection;
  /** Health server (`/healthz`, `/readyz`, `/metrics`). */
  readonly http: { readonly host?: string; readonly port: number };
  /** Per-key retry delays (ms). Defaults of the keyed loop. */
  readonly baseRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

/** What {@link runNodeDetacher} needs from outside. */
export interface NodeDetacherDeps extends ControllerDeps {
  /** Classic ELB client; without it classic load balancers are not managed. */
  readonly elb?: ElasticLoadBalancingClient;
  /** ELBv2 client; without it target groups are not managed. */
  readonly elbv2?: ElasticLoadBalancingV2Client;
}

type Informers = {
  nodes: WatchSpec<V1Node>;
  attachments: WatchSpec<Attachment>;
};

/** A running node-detacher. */
export type NodeDetacherHandle = KeyedControllerHandle<Informers>;

function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof KubeApiError && codes.includes(err.statusCode);
}

interface Ctx {
  readonly config: NodeDetacherConfig;
  readonly name: string;
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly elb: ElasticLoadBalancingClient | undefined;
  readonly elbv2: ElasticLoadBalancingV2Client | undefined;
  readonly events: ReturnType<typeof createEventRecorder>;
}

const rfc3339 = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** Writes the Attachment's spec (create or update) and then its status, returning the stored object. */
async function saveAttachment(
  ctx: Ctx,
  current: Attachment | undefined,
  next: Attachment,
  status: NonNullable<Attachment['status']>,
): Promise<Attachment> {
  const ns = ctx.config.namespace;
  let stored: Attachment;
  if (current === undefined) {
    stored = await ctx.client.request<Attachment>({
      method: 'POST',
      path: resourcePath(ATTACHMENTS, ns),
      body: next,
    });
  } else if (JSON.stringify(current.spec) !== JSON.stringify(next.spec)) {
    stored = await ctx.client.request<Attachment>({
      method: 'PUT',
      path: resourcePath(ATTACHMENTS, ns, next.metadata.name),
      body: { ...current, spec: next.spec },
    });
  } else stored = current;
  const wantStatus = { ...stored.status, ...status };
  if (JSON.stringify(stored.status ?? {}) === JSON.stringify(wantStatus)) return stored;
  return ctx.client.request<Attachment>({
    method: 'PUT',
    path: resourcePath(ATTACHMENTS, ns, next.metadata.name, 'status'),
    body: { ...stored, status: wantStatus },
  });
}

/**
 * Takes the instance out of every load balancer recorded (finding them first at the start of a
 * cycle), flipping `detached` in the Attachment. Each step is idempotent, so a crash anywhere
 * is finished by the next reconcile.
 */
async function ensureDetached(
  ctx: Ctx,
  node: V1Node,
  instanceId: string,
  current: Attachment | undefined,
): Promise<Attachment> {
  const nodeName = node.metadata?.name ?? '';
  const now = rfc3339(ctx.clock.now());
  let att = current;
  const phase: AttachmentPhase | undefined = att?.status?.phase;
  if (att === undefined || phase === undefined || phase === 'Attached' || phase === 'Attaching') {
    const found = await findInstanceMembership({
      instanceId,
      ...(ctx.elb === undefined ? {} : { elb: ctx.elb }),
      ...(ctx.elbv2 === undefined ? {} : { elbv2: ctx.elbv2 }),
    });
    const spec = { nodeName, ...mergeMembership(phase === 'Attaching' ? undefined : att, found) };
    att = await saveAttachment(
      ctx,
      att,
      {
        apiVersion: ATTACHMENT_API_VERSION,
        kind: ATTACHMENT_KIND,
        metadata: {
          name: nodeName,
          namespace: ctx.config.namespace,
          ...(node.metadata?.uid === undefined
            ? {}
            : {
                ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid }],
              }),
        },
        spec,
      },
      { phase: 'Detaching', cachedAt: now },
    );
    ctx.logger.info('membership recorded', {
      node: nodeName,
      instanceId,
      loadBalancers: spec.awsLoadBalancers?.length ?? 0,
      targets: spec.awsTargets?.length ?? 0,
    });
  }
  const lbs = [...(att.spec.awsLoadBalancers ?? [])];
  const tgs = [...(att.spec.awsTargets ?? [])];
  let changed = false;
  for (const [i, lb] of lbs.entries()) {
    if (lb.detached === true || ctx.elb === undefined) continue;
    await setClassicElbInstance(ctx.elb, lb.name, instanceId, false);
    lbs[i] = { ...lb, detached: true };
    changed = true;
  }
  for (const [i, t] of tgs.entries()) {
    if (t.detached === true || ctx.elbv2 === undefined) continue;
    await setTargetGroupInstance(ctx.elbv2, { arn: t.arn, port: t.port ?? 0 }, instanceId, false);
    tgs[i] = { ...t, detached: true };
    changed = true;
  }
  if (!changed && att.status?.phase === 'Detached') return att;
  if (changed) ctx.logger.info('node detached from its load balancers', { node: nodeName, instanceId });
  return saveAttachment(
    ctx,
    att,
    { ...att, spec: { ...att.spec, awsLoadBalancers: lbs, awsTargets: tgs } },
    { phase: 'Detached', detachedAt: now },
  );
}

/** Puts the instance back into every recorded load balancer it was taken out of. Idempotent. */
async function ensureAttached(
  ctx: Ctx,
  instanceId: string | undefined,
  att: Attachment,
): Promise<Attachment> {
  const lbs = [...(att.spec.awsLoadBalancers ?? [])];
  const tgs = [...(att.spec.awsTargets ?? [])];
  let changed = false;
  if (instanceId !== undefined) {
    for (const [i, lb] of lbs.entries()) {
      if (lb.detached !== true || ctx.elb === undefined) continue;
      await setClassicElbInstance(ctx.elb, lb.name, instanceId, true);
      lbs[i] = { ...lb, detached: false };
      changed = true;
    }
    for (const [i, t] of tgs.entries()) {
      if (t.detached !== true || ctx.elbv2 === undefined) continue;
      await setTargetGroupInstance(ctx.elbv2, { arn: t.arn, port: t.port ?? 0 }, instanceId, true);
      tgs[i] = { ...t, detached: false };
      changed = true;
    }
  }
  if (!changed && att.status?.phase === 'Attached') return att;
  if (changed)
    ctx.logger.info('node re-attached to its load balancers', { node: att.spec.nodeName, instanceId });
  return saveAttachment(
    ctx,
    att,
    { ...att, spec: { ...att.spec, awsLoadBalancers: lbs, awsTargets: tgs } },
    { phase: 'Attached' },
  );
}

/** Evicts the next priority group of the node's pods; returns when to look again, if pods remain. */
async function evictNext(ctx: Ctx, node: V1Node, signal: AbortSignal): Promise<KeyResult> {
  const nodeName = node.metadata?.name ?? '';
  const list = await ctx.client.request<{ items: V1Pod[] }>({
    path: resourcePath(PODS),
    query: { fieldSelector: `spec.nodeName=${nodeName}` },
    signal,
  });
  const plan = planEviction(list.items, {
    now: ctx.clock.now(),
    ...(ctx.config.podDeletionTimeoutMs === undefined
      ? {}
      : { podDeletionTimeoutMs: ctx.config.podDeletionTimeoutMs }),
  });
  const skipped: SkippedObject[] = plan.invalid.map((p) => ({
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    ...(p.metadata?.uid === undefined ? {} : { uid: p.metadata.uid }),
    reason: 'InvalidDeletionPriority',
    message: 'the deletion-priority annotation is not an integer; the pod is not evicted',
  }));
  for (const p of plan.stuck)
    ctx.logger.warn('pod still terminating after the timeout; evicting the next group', {
      node: nodeName,
      pod: keyOf(p.metadata?.name ?? '', p.metadata?.namespace),
    });
  const grace = ctx.config.podGracePeriodSeconds ?? 30;
  let refused = 0;
  for (const pod of plan.evict) {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    try {
      if (usesDelete(pod)) {
        await ctx.client.request({
          method: 'DELETE',
          path: resourcePath(PODS, ns, name),
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: grace },
          signal,
        });
      } else {
        await ctx.client.request({
          method: 'POST',
          path: resourcePath(PODS, ns, name, 'eviction'),
          body: {
            apiVersion: ctx.config.evictionApiVersion ?? 'policy/v1',
            kind: 'Eviction',
            metadata: { name, namespace: ns },
            deleteOptions: { gracePeriodSeconds: grace },
          },
          signal,
        });
      }
      ctx.logger.info('pod evicted', { node: nodeName, pod: `${ns}/${name}`, priority: plan.priority });
    } catch (err) {
      if (isStatus(err, 404)) continue; // already gone
      if (isStatus(err, 429)) {
        // A PodDisruptionBudget refuses it now: try again at the next poll.
        refused++;
        continue;
      }
      throw err;
    }
  }
  if (refused > 0) ctx.logger.info('evictions refused for now', { node: nodeName, refused });
  return {
    skipped,
    ...(plan.waiting.length > 0 ? { requeueAfterMs: ctx.config.podPollMs ?? 3000 } : {}),
  };
}

/** Reconciles one node: the whole job, from the caches and the Attachment. */
async function reconcileNode(
  ctx: Ctx,
  key: string,
  listers: Listers<Informers>,
  signal: AbortSignal,
): Promise<KeyResult | void> {
  const ns = ctx.config.namespace;
  const node = listers.nodes.get(key);
  const current = listers.attachments.get(key, ns);
  if (node === undefined) {
    // The node is gone (its instance with it): its record goes too.
    if (current !== undefined) {
      try {
        await ctx.client.request({ method: 'DELETE', path: resourcePath(ATTACHMENTS, ns, key), signal });
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
    }
    return;
  }
  const d = decide(
    node,
    ctx.config.triggerTaints === undefined ? {} : { triggerTaints: ctx.config.triggerTaints },
  );
  if (d.action === 'ignore') return;
  const instanceId = instanceIdOf(node);
  const managed = instanceId !== undefined && (ctx.elb !== undefined || ctx.elbv2 !== undefined);
  const now = rfc3339(ctx.clock.now());
  if (d.action === 'detach') {
    let att = current;
    if (managed) att = await ensureDetached(ctx, node, instanceId, current);
    const hasTargets = (att?.spec.awsTargets ?? []).length > 0;
    const p = nodeMarkerPatch(node, {
      detached: true,
      name: ctx.name,
      now,
      cached: managed,
      ...(hasTargets ? { excludeBalancer: true } : {}),
    });
    if (p !== undefined) {
      await ctx.client.request({
        method: 'PATCH',
        path: resourcePath(NODES, undefined, key),
        contentType: 'application/merge-patch+json',
        body: p.patch,
        signal,
      });
      if (p.transition) {
        ctx.events.record(
          node,
          'Normal',
          DETACH_EVENT_REASON,
          `node detached from its load balancers (${d.reasons.join(', ')}${d.taints.length > 0 ? `: ${d.taints.join(', ')}` : ''})`,
        );
        ctx.logger.info('node marked detached', { node: key, reasons: d.reasons, taints: d.taints });
      }
    }
    if (d.evictPods && ctx.config.evictPods !== false) return evictNext(ctx, node, signal);
    return;
  }
  // Schedulable: it must be in its load balancers. Nothing to do for a node never detached.
  const wasDetached = node.metadata?.annotations?.[DETACHING_ANNOTATION] === 'true';
  let att = current;
  if (att !== undefined && att.status?.phase !== 'Attached') att = await ensureAttached(ctx, instanceId, att);
  if (!wasDetached && node.spec?.taints?.some((t) => t.key === DETACHING_TAINT) !== true) return;
  const hasTargets = (att?.spec.awsTargets ?? []).length > 0;
  const p = nodeMarkerPatch(node, {
    detached: false,
    name: ctx.name,
    now,
    ...(hasTargets ? { excludeBalancer: false } : {}),
  });
  if (p === undefined) return;
  await ctx.client.request({
    method: 'PATCH',
    path: resourcePath(NODES, undefined, key),
    contentType: 'application/merge-patch+json',
    body: p.patch,
    signal,
  });
  if (p.transition) {
    ctx.events.record(node, 'Normal', ATTACH_EVENT_REASON, 'node re-attached to its load balancers');
    ctx.logger.info('node marked attached', { node: key });
  }
}

/**
 * Runs node-detacher on the shared per-key loop: nodes are the keys, Attachments in
 * `config.namespace` a secondary informer (a change re-reconciles its node). A node that must
 * leave the load balancers (see `decide`) is deregistered, by instance id, from every classic
 * ELB and target group it is in (recorded first in its Attachment), then marked in one patch
 * (detaching annotation, detachment timestamp, taint, labels) with a `NodeBeingDetached`
 * Event, then its pods with a `deletion-priority` are evicted in order. A node schedulable
 * again is registered back and marked attached (Event `NodeDetatching`). Throws ConfigError
 * for a malformed trigger taint or a missing namespace. Resolves once the server listens.
 */
export async function runNodeDetacher(
  config: NodeDetacherConfig,
  deps: NodeDetacherDeps,
): Promise<NodeDetacherHandle> {
  if (config.namespace === '')
    throw new ConfigError('a namespace for the Attachment resources is required', { key: 'namespace' });
  try {
    parseTaintPatterns(config.triggerTaints ?? []);
  } catch (err) {
    throw new ConfigError((err as Error).message, { key: 'trigger-taints' });
  }
  const name = config.name ?? DEFAULT_NAME;
  const clock = deps.clock ?? createSystemClock();
  const events =
    deps.events ??
    createEventRecorder({
      client: deps.kubeClient,
      component: name,
      host: config.leaderElection?.identity ?? '',
      logger: deps.logger,
      clock,
    });
  const ctx: Ctx = {
    config,
    name,
    client: deps.kubeClient,
    clock,
    logger: deps.logger,
    elb: config.classicElbs === false ? undefined : deps.elb,
    elbv2: config.targetGroups === false ? undefined : deps.elbv2,
    events,
  };
  return runKeyedController<Informers>(
    {
      name,
      informers: {
        nodes: watch<V1Node>(NODES, { resyncMs: config.resyncMs ?? 60_000 }),
        attachments: watch<Attachment>(ATTACHMENTS, { namespaces: [config.namespace] }),
      },
      primary: 'nodes',
      keysFor: (informer, event) => {
        if (informer !== 'attachments') return [];
        const a = event.object as Attachment | undefined;
        return a === undefined ? [] : [a.metadata.name];
      },
      reconcile: (key, listers, signal) => reconcileNode(ctx, key, listers, signal),
      ...(config.leaderElection === undefined ? {} : { leaderElection: config.leaderElection }),
      http: config.http,
      ...(config.baseRetryDelayMs === undefined ? {} : { baseRetryDelayMs: config.baseRetryDelayMs }),
      ...(config.maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs: config.maxRetryDelayMs }),
    },
    { ...deps, events, clock },
  );
}
