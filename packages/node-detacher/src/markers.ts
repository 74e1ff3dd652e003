import type { V1Node, V1Taint } from '@kubernetes/client-node';
import {
  ATTACHMENT_TIMESTAMP_ANNOTATION,
  CACHED_LABEL,
  DETACHING_ANNOTATION,
  DETACHING_TAINT,
  DETACHMENT_TIMESTAMP_ANNOTATION,
  EXCLUDE_BALANCER_LABEL,
} from './names.js';

/** What a node's markers must say, for {@link nodeMarkerPatch}. */
export interface WantedMarkers {
  /** True: detaching annotation `true`, detachment timestamp, taint. False: `false`, attachment timestamp, no taint. */
  readonly detached: boolean;
  /** The taint value (the instance name). */
  readonly name: string;
  /** RFC 3339 time to write when a timestamp is (re)set. */
  readonly now: string;
  /** Label the node `cached=true` (its membership is recorded). Never removed. */
  readonly cached?: boolean;
  /**
   * Detached: add the exclude-balancer label. Attached: remove it. Undefined: leave it (it was
   * not ours to add: the node has no target groups).
   */
  readonly excludeBalancer?: boolean;
}

/** A JSON merge patch of a Node and whether it flips the detaching annotation. */
export interface NodeMarkerPatch {
  /** The merge patch; carries `metadata.resourceVersion`, so a concurrent change makes it fail with 409. */
  readonly patch: {
    metadata: {
      resourceVersion?: string;
      annotations?: Record<string, string | null>;
      labels?: Record<string, string | null>;
    };
    spec?: { taints: V1Taint[] | null };
  };
  /** The node goes from attached to detached or back (an Event is due). */
  readonly transition: boolean;
}

function diff(
  current: Record<string, string> | undefined,
  wanted: Record<string, string | null>,
): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(wanted)) {
    const cur = current?.[k];
    if (v === null ? cur !== undefined : cur !== v) out[k] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * The one patch that brings a node's annotations, labels and taint to `want`, or undefined when
 * they already match (so a steady node is never written). Timestamps are kept while the state
 * holds and reset when it flips; the two are never present together. Pure.
 */
export function nodeMarkerPatch(node: V1Node, want: WantedMarkers): NodeMarkerPatch | undefined {
  const ann = node.metadata?.annotations;
  const state = want.detached ? 'true' : 'false';
  const same = ann?.[DETACHING_ANNOTATION] === state;
  const tsKey = want.detached ? DETACHMENT_TIMESTAMP_ANNOTATION : ATTACHMENT_TIMESTAMP_ANNOTATION;
  const otherTs = want.detached ? ATTACHMENT_TIMESTAMP_ANNOTATION : DETACHMENT_TIMESTAMP_ANNOTATION;
  const annotations = diff(ann, {
    [DETACHING_ANNOTATION]: state,
    [tsKey]: same && ann?.[tsKey] !== undefined ? (ann[tsKey] ?? want.now) : want.now,
    [otherTs]: null,
  });
  const wantedLabels: Record<string, string | null> = {};
  if (want.cached === true) wantedLabels[CACHED_LABEL] = 'true';
  if (want.excludeBalancer !== undefined)
    wantedLabels[EXCLUDE_BALANCER_LABEL] = want.detached && want.excludeBalancer ? 'true' : null;
  const labels = diff(node.metadata?.labels, wantedLabels);
  const taints = node.spec?.taints ?? [];
  const ours = taints.filter((t) => t.key === DETACHING_TAINT);
  const others = taints.filter((t) => t.key !== DETACHING_TAINT);
  const taintOk = want.detached
    ? ours.length === 1 && ours[0]?.value === want.name && ours[0].effect === 'NoSchedule'
    : ours.length === 0;
  if (annotations === undefined && labels === undefined && taintOk) return undefined;
  const nextTaints = want.detached
    ? [...others, { key: DETACHING_TAINT, value: want.name, effect: 'NoSchedule' }]
    : others;
  return {
    patch: {
      metadata: {
        ...(node.metadata?.resourceVersion === undefined
          ? {}
          : { resourceVersion: node.metadata.resourceVersion }),
        ...(annotations === undefined ? {} : { annotations }),
        ...(labels === undefined ? {} : { labels }),
      },
      ...(taintOk ? {} : { spec: { taints: nextTaints.length === 0 ? null : nextTaints } }),
    },
    transition: !same && (want.detached || ann?.[DETACHING_ANNOTATION] === 'true'),
  };
}
