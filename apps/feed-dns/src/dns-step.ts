import { describeChange, runDnsPass, type DnsProvider } from '@kube-edge/dns-providers';
import type { ControllerStep, EventRecorder, SkippedObject } from '@kube-edge/k8s-watch';
import {
  ConfigError,
  TerminalError,
  TransientError,
  errorMessage,
  isTerminal,
  type Logger,
  type Metrics,
  type ProbeResult,
} from '@kube-edge/runtime';
import type { Counter, Gauge } from 'prom-client';
import { describeFrontends } from './frontends.js';
import { feedDnsPass, planSkippedEntries, type DesiredInput, type Frontends } from './model/desired.js';
import type { IngressLike, SkippedEntry, SkipReason } from './model/entries.js';

/** The outcome of the last reconcile pass, for `/debug/last-pass`, logs and tests. */
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

/** A summary with no counts (a pass that did not get as far as planning). */
export const emptySummary = (outcome: PassSummary['outcome'], reason?: string): PassSummary => ({
  outcome,
  creates: 0,
  updates: 0,
  deletes: 0,
  failed: 0,
  skipped: 0,
  owned: 0,
  ...(reason === undefined ? {} : { reason }),
});

/** The metrics a DNS pass moves (created by the app, prefix `feed_dns`). */
export interface DnsPassMetrics {
  /** `route53_records`: owned records after the pass. */
  records: Gauge;
  /** `route53_updates`: changes submitted. */
  updates: Counter;
  /** `route53_failures`: failed list or change operations. */
  failures: Counter;
  /** `mass_deletion_refused_total`: plans refused by the guard. */
  refused: Counter;
  /** `skipped_ingress_entries{reason}`: skipped hosts, +1 per host on every pass (as feed counted). */
  skippedEntries: Counter<'reason'>;
}

/** Creates feed-dns's DNS metrics on the app's registry (prefix `feed_dns`), under feed's names. */
export function createDnsPassMetrics(metrics: Metrics): DnsPassMetrics {
  return {
    records: metrics.gauge(
      'route53_records',
      'Managed records after the last pass (found, plus created, minus deleted).',
    ),
    updates: metrics.counter('route53_updates', 'Route53 changes submitted.'),
    failures: metrics.counter('route53_failures', 'Failed Route53 list or change operations.'),
    refused: metrics.counter(
      'mass_deletion_refused_total',
      'Plans refused by the mass-deletion guard (nothing applied).',
    ),
    skippedEntries: metrics.counter(
      'skipped_ingress_entries',
      'Ingress hosts skipped, by reason, counted on every pass.',
      ['reason'] as const,
    ),
  };
}

/** The Route53 side the step needs: records and changes, the zones' domains, and a cache to drop. */
export interface DnsStepProvider extends DnsProvider {
  zones(): Promise<readonly { name: string }[]>;
  /** Makes the next listing read every zone again (another writer may have changed them). */
  invalidate(): void;
}

/** Options of {@link createDnsStep}. */
export interface DnsStepOptions extends Pick<DesiredInput, 'classFilter' | 'cnameTtlSeconds'> {
  provider: DnsStepProvider;
  /** Finds the load balancers (or static hostnames) per scheme; called again after {@link DnsStep.resync}. */
  discover(): Promise<Frontends>;
  maxDeleteShare: number;
  dryRun: boolean;
  logger: Logger;
  /** Gets a Warning Event `DNSChangeFailed` on the ingress behind a change Route53 refused. */
  events: EventRecorder;
  metrics: DnsPassMetrics;
  /** Whether this replica leads now (a follower is ready whatever the last pass it led did). */
  isLeader(): boolean;
}

/** feed-dns's Route53 apply step; see {@link createDnsStep}. */
export interface DnsStep extends ControllerStep<readonly IngressLike[]> {
  /** The summary of the last pass this step ran (as leader). */
  lastSummary(): PassSummary | undefined;
  /** Trust the zone listing and the load balancers no more: list and look them up again next pass. */
  resync(): void;
}

/**
 * Thrown when the mass-deletion guard refuses a plan: nothing was applied. Terminal: the same
 * caches give the same plan, so the pass waits for the next change (or resync) instead of retrying.
 */
export class MassDeletionRefusedError extends TerminalError {
  override readonly name = 'MassDeletionRefusedError';
}

/** `invalid-host` → `InvalidHost`: the Event reason and the loop's metric label. Pure. */
export function eventReason(reason: SkipReason): string {
  return reason
    .split('-')
    .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
    .join('');
}

/**
 * A skipped host as the controller loop reports it: on its Ingress, reason in PascalCase; a host
 * with no scheme annotation is quiet (no DNS wanted is not a mistake: debug log and counters, no
 * Event). Pure.
 */
export function skippedObjectOf(s: SkippedEntry): SkippedObject {
  return {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    namespace: s.ingress.namespace,
    name: s.ingress.name,
    ...(s.ingress.uid === undefined ? {} : { uid: s.ingress.uid }),
    reason: eventReason(s.reason),
    message: `no DNS record for ${s.host}: ${s.message}`,
    ...(s.reason === 'missing-scheme' ? { quiet: true } : {}),
    detail: { host: s.host },
  };
}

/**
 * The leader-only step that keeps Route53 in line with the ingresses. Each update: look the
 * frontends up (first pass, and after each resync), list the zones (cached, see
 * `Route53Provider`), build the desired records, then dns-providers' `runDnsPass` (plan under
 * feed-dns's ownership, mass-deletion guard, apply). Skipped hosts (bad input, and names the
 * plan refused) are given to the loop through `skipped()`; a change Route53 refused gets a
 * `DNSChangeFailed` Event on its ingress.
 *
 * Errors: a refused plan throws {@link MassDeletionRefusedError} (terminal, counted, readiness
 * unaffected); changes that failed retryably throw a TransientError after the others applied. A
 * Route53 or load balancer read that fails is retried with backoff even when permanent for the
 * SDK (AccessDenied): permissions are fixed in IAM, which sends no Kubernetes change to wake the
 * loop. Readiness is false on the leader while the last pass failed. Not for concurrent updates.
 */
export function createDnsStep(o: DnsStepOptions): DnsStep {
  const { logger, metrics: m } = o;
  let frontends: Frontends | undefined;
  let summary: PassSummary | undefined;
  let lastError: unknown;
  let skipped: readonly SkippedObject[] = [];

  const retryRead = (err: unknown): unknown =>
    isTerminal(err) && !(err instanceof ConfigError)
      ? new TransientError(errorMessage(err), { cause: err })
      : err;

  const pass = async (ingresses: readonly IngressLike[]): Promise<PassSummary> => {
    if (frontends === undefined) {
      let found: Frontends;
      try {
        found = await o.discover();
      } catch (err) {
        throw retryRead(err);
      }
      logger.info('frontends found', { frontends: describeFrontends(found) });
      if (found.size === 0) logger.warn('no frontend found: no record will be written');
      frontends = found;
    }
    const current = frontends;
    let zoneDomains: string[];
    try {
      zoneDomains = (await o.provider.zones()).map((z) => z.name);
    } catch (err) {
      m.failures.inc();
      throw retryRead(err);
    }
    const { desired, pass: plan } = feedDnsPass({ ...o, ingresses, frontends: current, zoneDomains });
    let s;
    try {
      s = await runDnsPass({
        ...plan,
        provider: o.provider,
        dryRun: o.dryRun,
        logger,
        logMetaOf: (name) => {
          const owner = desired.owners.get(name);
          return owner === undefined ? undefined : { namespace: owner.namespace, ingress: owner.name };
        },
      });
    } catch (err) {
      m.failures.inc();
      throw retryRead(err);
    }
    const entries = [...desired.skipped, ...planSkippedEntries(s.skipped, desired)];
    skipped = entries.map(skippedObjectOf);
    for (const e of entries) m.skippedEntries.inc({ reason: e.reason });
    m.records.set(s.owned);
    if (s.outcome === 'unchanged')
      logger.debug('dns unchanged', {
        records: s.owned,
        entries: desired.entries.length,
        skipped: entries.length,
      });
    if (s.outcome === 'applied') {
      m.updates.inc(s.applied.length + s.failed.length);
      if (s.failed.length > 0) m.failures.inc();
    }
    for (const f of s.failed) {
      const owner = desired.owners.get(f.name);
      if (f.retryable || owner === undefined) continue;
      o.events.record(
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
    summary = {
      outcome: s.outcome,
      creates: s.creates,
      updates: s.updates,
      deletes: s.deletes,
      failed: s.failed.length,
      skipped: entries.length,
      owned: s.plan.owned,
      ...(s.refused === undefined ? {} : { reason: s.refused }),
    };
    if (s.outcome === 'refused') {
      m.refused.inc();
      throw new MassDeletionRefusedError(`mass-deletion guard: ${s.refused ?? 'plan refused'}`);
    }
    if (s.retryable > 0)
      throw new TransientError(`${s.retryable} Route53 changes failed and will be retried`);
    return summary;
  };

  return {
    name: 'route53',
    leaderOnly: true,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    async update(ingresses) {
      try {
        await pass(ingresses);
        lastError = undefined;
      } catch (err) {
        if (err instanceof MassDeletionRefusedError) {
          lastError = undefined;
        } else {
          lastError = err;
          summary = emptySummary('failed', errorMessage(err));
        }
        throw err;
      }
    },
    onStartedLeading() {
      // Another leader may have written meanwhile: trust no cached listing.
      o.provider.invalidate();
    },
    resync() {
      o.provider.invalidate();
      frontends = undefined;
    },
    skipped: () => skipped,
    lastSummary: () => summary,
    health: (): ProbeResult => ({ ok: true }),
    readiness: (): ProbeResult =>
      lastError === undefined || !o.isLeader()
        ? { ok: true }
        : { ok: false, message: `last reconcile failed: ${errorMessage(lastError)}` },
  };
}
