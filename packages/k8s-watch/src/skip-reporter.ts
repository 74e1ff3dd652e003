import type { Logger, LogMeta, Metrics } from '@kube-edge/runtime';
import type { EventRecorder } from './event-recorder.js';

/**
 * An object (or part of one: a host, a path, an annotation) that a pure model builder left out,
 * with the reason. The controller loop reports each one once: a warn log line, a Warning Event on
 * the object, and the `<app>_skipped_objects_total{kind,reason}` counter.
 */
export interface SkippedObject {
  /** Kind of the object the Event is recorded on, e.g. `Ingress`. */
  readonly kind: string;
  /** Its apiVersion, e.g. `networking.k8s.io/v1`. Default: the core group's `v1`. */
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  /** A short stable CamelCase code: the Event reason and the metric label, e.g. `InvalidHost`. */
  readonly reason: string;
  /** What is wrong and what was done, for a person: the Event message and the log line. */
  readonly message: string;
  /**
   * An expected skip rather than a mistake (e.g. "no DNS wanted for this host"): logged at debug,
   * counted, no Event. Default false.
   */
  readonly quiet?: boolean;
  /** Extra fields for the log line (e.g. `{ host }`); not part of the identity. */
  readonly detail?: LogMeta;
}

/** Options of {@link createSkipReporter}. */
export interface SkipReporterOptions {
  logger: Logger;
  /** Records the Warning Events; none are recorded without it. */
  events?: EventRecorder;
  /** Where `skipped_objects_total` and `skipped_objects` are made (with the app's prefix). */
  metrics: Metrics;
  /** Prefixed to Event messages, e.g. `feed-dns: `. Default ''. */
  messagePrefix?: string;
}

/** Reports the skipped objects of each pass once; see {@link createSkipReporter}. */
export interface SkipReporter {
  /**
   * Reports the skips of one pass: each problem (object identity, reason, message) not seen in the
   * previous pass is logged at warn, counted and recorded as an Event; problems that were in the
   * previous pass stay silent; problems that are gone are forgotten, so they are reported again
   * if they come back. Sets the `skipped_objects` gauge to this pass's counts. Synchronous,
   * never throws, not for concurrent passes. Memory is bounded by the last pass's skips.
   */
  report(skipped: readonly SkippedObject[]): void;
  /** The problems currently remembered (those of the last pass). */
  size(): number;
}

function identity(s: SkippedObject): string {
  return [s.kind, s.namespace ?? '', s.name, s.uid ?? '', s.reason, s.message].join('\u0000');
}

/**
 * Creates a {@link SkipReporter}. Metrics: `<prefix>_skipped_objects_total{kind,reason}` (+1 each
 * time a problem is first reported) and `<prefix>_skipped_objects{kind,reason}` (the last pass).
 */
export function createSkipReporter(options: SkipReporterOptions): SkipReporter {
  const { logger, events, metrics } = options;
  const prefix = options.messagePrefix ?? '';
  const total = metrics.counter(
    'skipped_objects_total',
    'Problems found in objects (an object or a part of it left out), each counted once while it lasts.',
    ['kind', 'reason'] as const,
  );
  const now = metrics.gauge('skipped_objects', 'Problems found in objects by the last pass.', [
    'kind',
    'reason',
  ] as const);
  let reported = new Set<string>();
  const seenLabels = new Map<string, { kind: string; reason: string }>();
  return {
    report(skipped) {
      const next = new Set<string>();
      const counts = new Map<string, number>();
      for (const s of skipped) {
        const id = identity(s);
        if (next.has(id)) continue;
        next.add(id);
        const labelKey = `${s.kind}\u0000${s.reason}`;
        seenLabels.set(labelKey, { kind: s.kind, reason: s.reason });
        counts.set(labelKey, (counts.get(labelKey) ?? 0) + 1);
        if (reported.has(id)) continue;
        total.inc({ kind: s.kind, reason: s.reason });
        const meta: LogMeta = {
          kind: s.kind,
          ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
          name: s.name,
          reason: s.reason,
          detail: s.message,
          ...s.detail,
        };
        if (s.quiet === true) {
          logger.debug('object skipped', meta);
          continue;
        }
        logger.warn('object skipped', meta);
        if (events !== undefined && s.name !== '') {
          events.record(
            {
              apiVersion: s.apiVersion ?? 'v1',
              kind: s.kind,
              name: s.name,
              ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
              ...(s.uid !== undefined ? { uid: s.uid } : {}),
            },
            'Warning',
            s.reason,
            `${prefix}${s.message}`,
          );
        }
      }
      reported = next;
      for (const [key, labels] of seenLabels) now.set(labels, counts.get(key) ?? 0);
    },
    size: () => reported.size,
  };
}
