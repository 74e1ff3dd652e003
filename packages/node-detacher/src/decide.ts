import type { V1Node } from '@kubernetes/client-node';
import { CONTROL_PLANE_TAINTS, DETACHED_ANNOTATION, DETACHING_TAINT } from './names.js';

/** Options of {@link decide}. */
export interface DecideOptions {
  /**
   * Taints that take a node out of the load balancers, as `key`, `key:Effect`, `prefix*` or
   * `prefix*:Effect`. Default {@link DEFAULT_TRIGGER_TAINTS}. Any other taint is ignored.
   */
  readonly triggerTaints?: readonly string[];
}

/** Why a node must be out of the load balancers. */
export type DetachReason = 'Cordoned' | 'Taint' | 'DetachedAnnotation';

/** What {@link decide} concluded about one node. */
export type NodeDecision =
  | {
      /** The node must be out of the load balancers. */
      readonly action: 'detach';
      readonly reasons: readonly DetachReason[];
      /** The trigger taints found, `key:Effect`. */
      readonly taints: readonly string[];
      /** False when only the `detached` annotation asks for it: detach without evicting pods. */
      readonly evictPods: boolean;
    }
  | {
      /** The node is schedulable: it must be in its load balancers (re-attached if it was detached). */
      readonly action: 'attach';
    }
  | {
      /** The node is never managed (control plane). */
      readonly action: 'ignore';
      readonly reason: 'ControlPlane';
    };

/** The default trigger taints: the cluster autoscaler's, every `node.kubernetes.io/*` one, Karpenter's disruption taint. */
export const DEFAULT_TRIGGER_TAINTS: readonly string[] = [
  'ToBeDeletedByClusterAutoscaler',
  'node.kubernetes.io/*',
  'karpenter.sh/disrupted:NoSchedule',
];

interface TaintPattern {
  readonly key: string;
  readonly prefix: boolean;
  readonly effect: string | undefined;
}

/**
 * Parses trigger-taint patterns (`key`, `key:Effect`, `prefix*`, `prefix*:Effect`). Throws a
 * TypeError naming the first malformed one. Pure.
 */
export function parseTaintPatterns(patterns: readonly string[]): readonly TaintPattern[] {
  return patterns.map((raw) => {
    const [keyPart = '', effect, extra] = raw.trim().split(':');
    const prefix = keyPart.endsWith('*');
    const key = prefix ? keyPart.slice(0, -1) : keyPart;
    if (extra !== undefined || key.includes('*') || (key === '' && !prefix) || effect === '')
      throw new TypeError(
        `invalid taint pattern ${JSON.stringify(raw)}: want key, key:Effect, prefix* or prefix*:Effect`,
      );
    if (effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect))
      throw new TypeError(
        `invalid taint effect in ${JSON.stringify(raw)}: want NoSchedule, PreferNoSchedule or NoExecute`,
      );
    return { key, prefix, effect };
  });
}

const defaultPatterns = parseTaintPatterns(DEFAULT_TRIGGER_TAINTS);
const parsedCache = new WeakMap<readonly string[], readonly TaintPattern[]>();

function patternsOf(options: DecideOptions): readonly TaintPattern[] {
  const list = options.triggerTaints;
  if (list === undefined) return defaultPatterns;
  let parsed = parsedCache.get(list);
  if (parsed === undefined) {
    parsed = parseTaintPatterns(list);
    parsedCache.set(list, parsed);
  }
  return parsed;
}

function matches(p: TaintPattern, key: string, effect: string): boolean {
  const keyOk = p.prefix ? key.startsWith(p.key) : key === p.key;
  return keyOk && (p.effect === undefined || p.effect === effect);
}

/**
 * Decides whether a node must be in or out of its load balancers, from the node alone. Pure.
 * Out (`detach`) when cordoned, when a taint matches a trigger pattern, or when the `detached`
 * annotation is present (any value); pods are evicted unless that annotation is the only
 * reason. Control-plane nodes are `ignore`d. node-detacher's own taint is never a trigger
 * (otherwise a detached node could never come back). Throws a TypeError for a malformed
 * `triggerTaints` pattern.
 */
export function decide(node: V1Node, options: DecideOptions = {}): NodeDecision {
  const taints = node.spec?.taints ?? [];
  if (taints.some((t) => CONTROL_PLANE_TAINTS.includes(t.key)))
    return { action: 'ignore', reason: 'ControlPlane' };
  const patterns = patternsOf(options);
  const reasons: DetachReason[] = [];
  if (node.spec?.unschedulable === true) reasons.push('Cordoned');
  const found = taints
    .filter((t) => t.key !== DETACHING_TAINT && patterns.some((p) => matches(p, t.key, t.effect)))
    .map((t) => `${t.key}:${t.effect}`);
  if (found.length > 0) reasons.push('Taint');
  const evictPods = reasons.length > 0;
  if (node.metadata?.annotations?.[DETACHED_ANNOTATION] !== undefined) reasons.push('DetachedAnnotation');
  if (reasons.length === 0) return { action: 'attach' };
  return { action: 'detach', reasons, taints: found, evictPods };
}
