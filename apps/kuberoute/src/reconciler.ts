import {
  createPredicateOwnership,
  describeChange,
  normalizeName,
  runDnsPass,
} from '@kube-edge/dns-providers';
import type { ControllerStep } from '@kube-edge/k8s-watch';
import {
  TerminalError,
  TransientError,
  createNoopLogger,
  errorMessage,
  type Logger,
  type Metrics,
} from '@kube-edge/runtime';
import type { DnsBackend } from './backends.js';
import type { KuberouteModel } from './build.js';
import { desiredByDomain, type HeartbeatTemplates } from './model/desired.js';
import type { Decision, Skipped } from './model/records.js';
import { reportNodes, reportServices, type StateReport } from './model/report.js';
import type { StateReporter } from './s3-report.js';

/** How one reconcile ended. */
export type ReconcileOutcome = 'updated' | 'dns-errors' | 'apiserver-unavailable' | 'no-nodes';

/** The result of one reconcile. */
export interface ReconcileResult {
  outcome: ReconcileOutcome;
  decisions: readonly Decision[];
  skipped: readonly Skipped[];
  /** Changes applied, as `describeChange` lines. */
  applied: string[];
  /** Per-domain errors and failed changes. */
  errors: string[];
  /** The report written (or that would have been, without `[s3report]`). */
  report: StateReport;
}

/** Options of {@link createReconcileStep}. */
export interface ReconcileStepOptions {
  heartbeat: HeartbeatTemplates | undefined;
  /** `[replacements]`, for the heartbeat templates. */
  replacements: Readonly<Record<string, string>>;
  backend: DnsBackend;
  /** Absent: no report (`[s3report]` missing or incomplete). */
  reporter?: StateReporter | undefined;
  /**
   * Resolves true when the API server answers. False makes the pass write only the report, from
   * the last known state, with `apiserver_available: false`.
   */
  apiAvailable: () => Promise<boolean>;
  metrics?: Metrics | undefined;
  logger?: Logger;
  /** `--debug`: log each service's decision at info. */
  debug?: boolean;
  now?: () => Date;
}

/** kuberoute's apply step: DNS records per domain, then the state report. */
export interface ReconcileStep extends ControllerStep<KuberouteModel> {
  /**
   * Applies one model: checks that the API server answers, writes each domain's records, writes
   * the report. Resolves when the record sets are updated. Rejects with a TransientError (the
   * loop retries) when the API server does not answer or a domain's records were not all written,
   * and with a TerminalError when there are no nodes (nothing to do until the cluster changes);
   * the report is written in every case. Not for concurrent calls (the loop runs one pass at a time).
   */
  update(model: KuberouteModel): Promise<void>;
  /** The result of the last `update` or {@link reportUnavailable}, if any. */
  last(): ReconcileResult | undefined;
  /**
   * Writes the report with `apiserver_available: false` and the last known state (empty before
   * the first pass) and returns that result, without a DNS change: for a request that came while
   * the caches could not sync. Never rejects.
   */
  reportUnavailable(): Promise<ReconcileResult>;
}

/** Creates the {@link ReconcileStep} around a DNS backend and an optional reporter. */
export function createReconcileStep(options: ReconcileStepOptions): ReconcileStep {
  const logger = options.logger ?? createNoopLogger();
  const now = options.now ?? (() => new Date());
  const m = options.metrics;
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

  let lastKnown: { nodes: StateReport['nodes']; services: StateReport['services'] } = {
    nodes: {},
    services: {},
  };
  let lastResult: ReconcileResult | undefined;

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

  const finish = async (result: ReconcileResult): Promise<ReconcileResult> => {
    await writeReport(result.report);
    lastResult = result;
    return result;
  };

  const unavailable = (skipped: readonly Skipped[]): Promise<ReconcileResult> => {
    apiGauge?.set(0);
    logger.warn('api server unavailable: record sets not updated, reporting the last known state');
    return finish({
      outcome: 'apiserver-unavailable',
      decisions: [],
      skipped,
      applied: [],
      errors: ['the API server is not available'],
      report: { apiserver_available: false, ...lastKnown },
    });
  };

  const update = async (model: KuberouteModel): Promise<void> => {
    let available: boolean;
    try {
      available = await options.apiAvailable();
    } catch {
      available = false;
    }
    if (!available) {
      await unavailable(model.skipped);
      throw new TransientError('the Kubernetes API server is not available; record sets not updated');
    }
    apiGauge?.set(1);

    const { nodes, decisions, skipped } = model;
    if (nodes.length === 0) {
      logger.warn('no nodes found: record sets not updated');
      lastKnown = { nodes: {}, services: {} };
      await finish({
        outcome: 'no-nodes',
        decisions: [],
        skipped,
        applied: [],
        errors: ['the cluster has no nodes'],
        report: { apiserver_available: true, ...lastKnown },
      });
      throw new TerminalError('the cluster has no nodes; record sets not updated');
    }
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
      replacements: options.replacements,
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
    const result = await finish({
      outcome: dnsFailed ? 'dns-errors' : 'updated',
      decisions,
      skipped,
      applied,
      errors,
      report: { apiserver_available: true, ...lastKnown },
    });
    if (dnsFailed) {
      throw new TransientError(`record sets partly updated: ${result.errors.join('; ')}`);
    }
  };

  return {
    name: 'dns',
    start: () => Promise.resolve(),
    update,
    stop: () => options.backend.close(),
    health: () => ({ ok: true }),
    readiness: () => ({ ok: true }),
    last: () => lastResult,
    reportUnavailable: () => unavailable([]),
  };
}
