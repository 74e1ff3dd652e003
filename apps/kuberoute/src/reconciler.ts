import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  createPredicateOwnership,
  describeChange,
  normalizeName,
  runDnsPass,
} from '@kube-edge/dns-providers';
import type { EventRecorder, Lister } from '@kube-edge/k8s-watch';
import { createNoopLogger, errorMessage, type Logger, type Metrics } from '@kube-edge/runtime';
import type { DnsBackend } from './backends.js';
import { desiredByDomain, type HeartbeatTemplates } from './model/desired.js';
import { computeRecords, decide, type Decision, type ModelConfig, type Skipped } from './model/records.js';
import { reportNodes, reportServices, type StateReport } from './model/report.js';
import type { StateReporter } from './s3-report.js';

/** How one reconcile ended. */
export type ReconcileOutcome = 'updated' | 'dns-errors' | 'apiserver-unavailable' | 'no-nodes';

/** The result of one reconcile. */
export interface ReconcileResult {
  outcome: ReconcileOutcome;
  decisions: Decision[];
  skipped: Skipped[];
  /** Changes applied, as `describeChange` lines. */
  applied: string[];
  /** Per-domain errors and failed changes. */
  errors: string[];
  /** The report written (or that would have been, without `[s3report]`). */
  report: StateReport;
}

/** Options of {@link createReconciler}. */
export interface ReconcilerOptions {
  model: ModelConfig;
  heartbeat: HeartbeatTemplates | undefined;
  services: Lister<V1Service>;
  pods: Lister<V1Pod>;
  nodes: Lister<V1Node>;
  backend: DnsBackend;
  /** Absent: no report (`[s3report]` missing or incomplete). */
  reporter?: StateReporter | undefined;
  /**
   * Resolves true when the API server answers and the caches are synced. False makes the pass
   * write only the report, from the last known state, with `apiserver_available: false`.
   */
  apiAvailable: () => Promise<boolean>;
  /** Kubernetes Events for skipped services and pods. */
  events?: EventRecorder | undefined;
  metrics?: Metrics | undefined;
  logger?: Logger;
  /** `--debug`: log each service's decision at info. */
  debug?: boolean;
  now?: () => Date;
}

/** Runs reconciles one at a time. */
export interface Reconciler {
  /**
   * One full pass (kuberoute.md §4): read the caches, compute and decide, plan and apply per
   * domain, write the report. Calls are serialised: a call made while one runs starts after it.
   * Never rejects for DNS, report or per-object problems (they are in the result).
   */
  reconcile(): Promise<ReconcileResult>;
  /** The last result, if any. */
  last(): ReconcileResult | undefined;
  /** Resolves when no reconcile is running or queued (for shutdown). */
  idle(): Promise<void>;
}

/** Builds the reconcile loop body around the pure model. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const logger = options.logger ?? createNoopLogger();
  const now = options.now ?? (() => new Date());
  const m = options.metrics;
  const reconciles = m?.counter('reconciles_total', 'Reconciles, by outcome.', ['outcome']);
  const duration = m?.histogram(
    'reconcile_duration_seconds',
    'Time of one reconcile.',
    [],
    [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  const skippedGauge = m?.gauge(
    'skipped_objects',
    'Services and pods skipped in the last reconcile, by reason.',
    ['reason'],
  );
  const changesCounter = m?.counter('dns_changes_total', 'DNS changes applied, by action.', ['action']);
  const failuresCounter = m?.counter(
    'dns_errors_total',
    'Failed DNS changes and domains that could not be read.',
    [],
  );
  const published = m?.gauge('records', 'Names kuberoute computed in the last reconcile.', []);
  const healthyGauge = m?.gauge(
    'service_healthy',
    'Whether the quota of a name is fulfilled (1) or not (0).',
    ['name'],
  );
  const quotaGauge = m?.gauge('service_current_quota', 'Current quota of a name, in percent of all nodes.', [
    'name',
  ]);
  const apiGauge = m?.gauge(
    'apiserver_available',
    'Whether the last reconcile could read the API server.',
    [],
  );
  const reportsCounter = m?.counter('s3_reports_total', 'State report uploads, by outcome.', ['outcome']);
  const lastSuccess = m?.gauge(
    'last_success_timestamp_seconds',
    'When a reconcile last updated the record sets.',
    [],
  );

  const reported = new Set<string>();
  let lastKnown: { nodes: StateReport['nodes']; services: StateReport['services'] } = {
    nodes: {},
    services: {},
  };
  let lastResult: ReconcileResult | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const noteSkips = (skipped: readonly Skipped[]): void => {
    const counts = new Map<string, number>();
    for (const s of skipped) {
      counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
      const id = `${s.object.kind}|${s.object.uid ?? `${s.object.namespace}/${s.object.name}`}|${s.reason}|${s.message}`;
      if (reported.has(id)) continue;
      reported.add(id);
      logger.warn('object skipped', {
        kind: s.object.kind,
        namespace: s.object.namespace,
        name: s.object.name,
        reason: s.reason,
        detail: s.message,
      });
      options.events?.record(
        {
          apiVersion: 'v1',
          kind: s.object.kind,
          namespace: s.object.namespace,
          name: s.object.name,
          ...(s.object.uid === undefined ? {} : { uid: s.object.uid }),
        },
        'Warning',
        s.reason,
        s.message,
      );
    }
    skippedGauge?.reset();
    for (const [reason, n] of counts) skippedGauge?.set({ reason }, n);
  };

  const writeReport = async (report: StateReport): Promise<void> => {
    if (options.reporter === undefined) return;
    try {
      await options.reporter.put(report);
      reportsCounter?.inc({ outcome: 'ok' });
    } catch (err) {
      reportsCounter?.inc({ outcome: 'error' });
      logger.error('state report upload failed', { key: options.reporter.key, err });
    }
  };

  const pass = async (): Promise<ReconcileResult> => {
    const started = Date.now();
    const finish = async (result: ReconcileResult): Promise<ReconcileResult> => {
      await writeReport(result.report);
      reconciles?.inc({ outcome: result.outcome });
      duration?.observe((Date.now() - started) / 1000);
      lastResult = result;
      logger.info('reconciled', {
        outcome: result.outcome,
        records: result.decisions.length,
        skipped: result.skipped.length,
        applied: result.applied.length,
        errors: result.errors.length,
      });
      return result;
    };

    let available: boolean;
    try {
      available = await options.apiAvailable();
    } catch {
      available = false;
    }
    apiGauge?.set(available ? 1 : 0);
    if (!available) {
      logger.warn('api server unavailable: record sets not updated, reporting the last known state');
      return finish({
        outcome: 'apiserver-unavailable',
        decisions: [],
        skipped: [],
        applied: [],
        errors: ['the API server is not available'],
        report: { apiserver_available: false, ...lastKnown },
      });
    }

    const nodes = options.nodes.list();
    const { records, skipped } = computeRecords(
      options.services.list(),
      options.pods.list(),
      nodes,
      options.model,
    );
    noteSkips(skipped);
    if (nodes.length === 0) {
      logger.warn('no nodes found: record sets not updated');
      lastKnown = { nodes: {}, services: {} };
      return finish({
        outcome: 'no-nodes',
        decisions: [],
        skipped,
        applied: [],
        errors: ['the cluster has no nodes'],
        report: { apiserver_available: true, ...lastKnown },
      });
    }
    const decisions = records.map((r) => decide(r, nodes.length));
    healthyGauge?.reset();
    quotaGauge?.reset();
    for (const d of decisions) {
      healthyGauge?.set({ name: d.record.fqdn }, d.healthy ? 1 : 0);
      quotaGauge?.set({ name: d.record.fqdn }, d.currentQuota);
      if (options.debug === true) {
        logger.info('service decision', {
          service: `${d.record.service.namespace}/${d.record.service.name}`,
          name: d.record.fqdn,
          addresses: d.record.addresses,
          quota: d.record.quota,
          currentQuota: d.currentQuota,
          healthy: d.healthy,
          rule: d.rule,
          type: d.type,
          values: d.values,
        });
      }
    }
    published?.set(decisions.length);

    const applied: string[] = [];
    const errors: string[] = [];
    const domains = desiredByDomain(decisions, {
      heartbeat: options.heartbeat,
      replacements: options.model.replacements,
      now: now(),
    });
    for (const d of domains) {
      if (d.heartbeatError !== undefined) {
        errors.push(`heartbeat of ${d.domain}: ${d.heartbeatError}`);
        logger.warn('heartbeat not written', { domain: d.domain, reason: d.heartbeatError });
      }
      try {
        const provider = options.backend.provider(d.domain);
        const owned = d.owned;
        const ownership = createPredicateOwnership(
          (e) => owned.has(normalizeName(e.name)) && ['A', 'AAAA', 'CNAME'].includes(e.type.toUpperCase()),
        );
        // A desired record the plan refuses (e.g. a failover CNAME next to a foreign TXT) leaves
        // the name's current records as they are: the shared plan never deletes them.
        const result = await runDnsPass({
          provider,
          desired: d.desired,
          ownership,
          domains: [d.domain],
          logger,
          logMeta: { domain: d.domain },
        });
        // A conflict may come from a cached view that is out of date: read again next time.
        if (result.skipped.length > 0) (provider as { invalidate?: () => void }).invalidate?.();
        for (const s of result.skipped) {
          errors.push(`${s.endpoint.name}: ${s.reason}`);
          logger.warn('dns record not written', {
            domain: d.domain,
            name: s.endpoint.name,
            reason: s.reason,
          });
        }
        for (const c of result.applied) {
          applied.push(describeChange(c));
          changesCounter?.inc({ action: c.kind });
          logger.info('dns change applied', { domain: d.domain, change: describeChange(c) });
        }
        for (const f of result.failed) {
          failuresCounter?.inc();
          errors.push(`${describeChange(f.change)}: ${f.reason}`);
        }
      } catch (err) {
        failuresCounter?.inc();
        const reason = errorMessage(err);
        errors.push(`${d.domain}: ${reason}`);
        logger.warn('dns domain not updated', { domain: d.domain, err });
      }
    }

    lastKnown = { nodes: reportNodes(nodes), services: reportServices(decisions) };
    const dnsFailed = errors.some((e) => !e.startsWith('heartbeat of'));
    if (!dnsFailed) lastSuccess?.set(now().getTime() / 1000);
    return finish({
      outcome: dnsFailed ? 'dns-errors' : 'updated',
      decisions,
      skipped,
      applied,
      errors,
      report: { apiserver_available: true, ...lastKnown },
    });
  };

  return {
    reconcile() {
      const run = chain.then(pass, pass);
      chain = run.catch(() => undefined);
      return run;
    },
    last: () => lastResult,
    idle: () => chain.then(() => undefined),
  };
}
