import { describeChange, runDnsPass, type DnsProvider } from '@kube-edge/dns-providers';
import type { EventRecorder } from '@kube-edge/k8s-watch';
import { TransientError, type Logger } from '@kube-edge/runtime';
import type { Counter, Gauge } from 'prom-client';
import { feedDnsPass, planSkippedEntries, type DesiredInput } from './model/desired.js';
import type { IngressLike } from './model/entries.js';
import type { SkipReporter } from './skip-reporter.js';

/** The outcome of the last reconcile pass, for probes, logs and tests. */
export interface PassSummary {
  outcome: 'applied' | 'unchanged' | 'refused' | 'standby' | 'failed';
  creates: number;
  updates: number;
  deletes: number;
  failed: number;
  skipped: number;
  owned: number;
  reason?: string;
}

/** The metrics a DNS pass moves (created by the app, prefix `feed_dns`). */
export interface DnsPassMetrics {
  /** `route53_records`: owned records after the pass. */
  records: Gauge;
  /** `route53_updates`: changes submitted. */
  updates: Counter;
  /** `route53_failures`: failed list or change operations. */
  failures: Counter;
  /** `mass_deletion_refused`: plans refused by the guard. */
  refused: Counter;
}

/** What {@link runFeedDnsPass} needs. */
export interface FeedDnsPassOptions extends Omit<DesiredInput, 'ingresses'> {
  ingresses: readonly IngressLike[];
  /** Reads and writes the zones (Route53). */
  provider: DnsProvider;
  maxDeleteShare: number;
  dryRun: boolean;
  logger: Logger;
  /** Gets a Warning Event `DNSChangeFailed` on the ingress behind a change the provider refused. */
  recorder: EventRecorder;
  /** Reports skipped hosts (once each). */
  reporter: SkipReporter;
  metrics: DnsPassMetrics;
}

/**
 * One feed-dns DNS pass: the ingresses' desired records, then dns-providers' `runDnsPass`
 * (records → plan under feed-dns's ownership → mass-deletion guard → apply). Reports skipped
 * hosts, records an Event on the ingress behind each change Route53 refused, and moves the
 * metrics. Resolves with the summary; rejects when the zones cannot be read, and with a
 * `TransientError` after the summary when some changes failed retryably (so the pass is retried
 * with backoff). Not for concurrent calls.
 */
export async function runFeedDnsPass(
  options: FeedDnsPassOptions,
  onSummary: (summary: PassSummary) => void,
): Promise<void> {
  const { logger, metrics: m } = options;
  const { desired, pass } = feedDnsPass(options);
  let s;
  try {
    s = await runDnsPass({
      ...pass,
      provider: options.provider,
      dryRun: options.dryRun,
      logger,
      logMetaOf: (name) => {
        const owner = desired.owners.get(name);
        return owner === undefined ? undefined : { namespace: owner.namespace, ingress: owner.name };
      },
    });
  } catch (err) {
    m.failures.inc();
    throw err;
  }
  const skipped = [...desired.skipped, ...planSkippedEntries(s.skipped, desired)];
  options.reporter.report(skipped);
  m.records.set(s.owned);
  const summary: PassSummary = {
    outcome: s.outcome,
    creates: s.creates,
    updates: s.updates,
    deletes: s.deletes,
    failed: s.failed.length,
    skipped: skipped.length,
    owned: s.plan.owned,
    ...(s.refused === undefined ? {} : { reason: s.refused }),
  };
  if (s.outcome === 'refused') m.refused.inc();
  if (s.outcome === 'unchanged')
    logger.debug('dns unchanged', {
      records: s.owned,
      entries: desired.entries.length,
      skipped: skipped.length,
    });
  if (s.outcome === 'applied') {
    m.updates.inc(s.applied.length + s.failed.length);
    if (s.failed.length > 0) m.failures.inc();
  }
  for (const f of s.failed) {
    const owner = desired.owners.get(f.name);
    if (f.retryable || owner === undefined) continue;
    options.recorder.record(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: owner.name,
        namespace: owner.namespace,
        ...(owner.uid === undefined ? {} : { uid: owner.uid }),
      },
      'Warning',
      'DNSChangeFailed',
      `feed-dns: Route53 refused ${describeChange(f.change)}: ${f.reason}`,
    );
  }
  onSummary(summary);
  if (s.retryable > 0) throw new TransientError(`${s.retryable} Route53 changes failed and will be retried`);
}
