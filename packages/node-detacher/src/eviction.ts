import type { V1Pod } from '@kubernetes/client-node';
import { DELETION_PRIORITY_ANNOTATION, DISABLE_EVICTION_ANNOTATION } from './names.js';

/** Options of {@link planEviction}. */
export interface PlanEvictionOptions {
  /** Milliseconds since the epoch. */
  readonly now: number;
  /**
   * A pod still present this long after its deletionTimestamp no longer holds back the next
   * priority group (it is reported as stuck). Default 300000.
   */
  readonly podDeletionTimeoutMs?: number;
}

/** The next step of an ordered eviction. */
export interface EvictionPlan {
  /** The priority being evicted now, or undefined when no pod with a priority is left. */
  readonly priority: number | undefined;
  /** Pods of that priority to evict (or delete, see {@link usesDelete}) now: not yet terminating. */
  readonly evict: readonly V1Pod[];
  /** Pods of that priority still present: the next group waits for them. */
  readonly waiting: readonly V1Pod[];
  /** Pods whose priority is not an integer: never evicted. */
  readonly invalid: readonly V1Pod[];
  /** Pods terminating for longer than the timeout: no longer waited for. */
  readonly stuck: readonly V1Pod[];
}

const INTEGER = /^[+-]?\d+$/;

/** The integer `deletion-priority` of a pod, undefined without one, NaN when it is not an integer. Pure. */
export function deletionPriority(pod: V1Pod): number | undefined {
  const raw = pod.metadata?.annotations?.[DELETION_PRIORITY_ANNOTATION];
  if (raw === undefined) return undefined;
  const v = raw.trim();
  return INTEGER.test(v) ? Number.parseInt(v, 10) : Number.NaN;
}

/** True when the pod asks to be deleted rather than evicted (`disable-eviction: "true"`). Pure. */
export function usesDelete(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[DISABLE_EVICTION_ANNOTATION] === 'true';
}

/**
 * Plans the next step of evicting a node's pods: only pods with an integer `deletion-priority`,
 * highest priority first, one priority at a time; a group is done when its pods are gone,
 * finished (Succeeded/Failed) or stuck terminating past the timeout. Pods already terminating
 * are waited for, not evicted again. Pure.
 */
export function planEviction(pods: readonly V1Pod[], options: PlanEvictionOptions): EvictionPlan {
  const timeout = options.podDeletionTimeoutMs ?? 300_000;
  const invalid: V1Pod[] = [];
  const stuck: V1Pod[] = [];
  const live: { pod: V1Pod; priority: number }[] = [];
  for (const pod of pods) {
    const priority = deletionPriority(pod);
    if (priority === undefined) continue;
    if (Number.isNaN(priority)) {
      invalid.push(pod);
      continue;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const del = pod.metadata?.deletionTimestamp;
    if (del !== undefined && options.now - new Date(del).getTime() > timeout) {
      stuck.push(pod);
      continue;
    }
    live.push({ pod, priority });
  }
  if (live.length === 0) return { priority: undefined, evict: [], waiting: [], invalid, stuck };
  const priority = Math.max(...live.map((p) => p.priority));
  const waiting = live.filter((p) => p.priority === priority).map((p) => p.pod);
  const evict = waiting.filter((p) => p.metadata?.deletionTimestamp === undefined);
  return { priority, evict, waiting, invalid, stuck };
}
