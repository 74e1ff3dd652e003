import type { EventRecorder } from '@kube-edge/k8s-watch';
import type { Logger } from '@kube-edge/runtime';
import type { Counter, Gauge } from 'prom-client';
import type { SkippedEntry, SkipReason } from './model/entries.js';

/** Options of {@link createSkipReporter}. */
export interface SkipReporterOptions {
  logger: Logger;
  /** Gets a Warning Event per newly skipped entry; none for `missing-scheme` (not a mistake: no DNS wanted). */
  recorder: EventRecorder | undefined;
  /** `feed_dns_skipped_ingress_entries{reason}`: +1 per newly skipped entry. */
  counter: Counter<'reason'>;
  /** Entries skipped by the last pass, by reason. */
  gauge: Gauge<'reason'>;
}

/** Reports skipped entries once each; see {@link createSkipReporter}. */
export interface SkipReporter {
  /**
   * Reports the entries skipped by one pass: each (ingress uid, host, reason) once — logged,
   * counted, and recorded as an Event on the ingress — until it stops being skipped. Sets the
   * gauge to this pass's counts. Synchronous; never throws; not for concurrent passes.
   */
  report(skipped: readonly SkippedEntry[]): void;
}

/** `invalid-host` → `InvalidHost`: an Event reason. Pure. */
export function eventReason(reason: SkipReason): string {
  return reason
    .split('-')
    .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
    .join('');
}

/** Creates a {@link SkipReporter}. Keeps the set of reported keys in memory (bounded by the cluster's entries). */
export function createSkipReporter(options: SkipReporterOptions): SkipReporter {
  let reported = new Set<string>();
  const knownReasons = new Set<string>();
  return {
    report(skipped) {
      const now = new Set<string>();
      const counts = new Map<string, number>();
      for (const s of skipped) {
        const key = `${s.ingress.uid ?? `${s.ingress.namespace}/${s.ingress.name}`}|${s.host}|${s.reason}`;
        counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
        now.add(key);
        if (reported.has(key)) continue;
        options.counter.inc({ reason: s.reason });
        const meta = {
          namespace: s.ingress.namespace,
          ingress: s.ingress.name,
          host: s.host,
          reason: s.reason,
          detail: s.message,
        };
        if (s.reason === 'missing-scheme') {
          options.logger.debug('ingress host skipped', meta);
          continue;
        }
        options.logger.warn('ingress host skipped', meta);
        if (s.ingress.name !== '') {
          options.recorder?.record(
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              name: s.ingress.name,
              namespace: s.ingress.namespace,
              ...(s.ingress.uid === undefined ? {} : { uid: s.ingress.uid }),
            },
            'Warning',
            eventReason(s.reason),
            `feed-dns: no DNS record for ${s.host}: ${s.message}`,
          );
        }
      }
      reported = now;
      for (const r of counts.keys()) knownReasons.add(r);
      for (const r of knownReasons) options.gauge.set({ reason: r }, counts.get(r) ?? 0);
    },
  };
}
