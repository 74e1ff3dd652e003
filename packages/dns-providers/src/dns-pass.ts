import { createNoopLogger, type Logger, type LogMeta } from '@kube-edge/runtime';
import { DryRunProvider } from './dry-run-provider.js';
import {
  changeList,
  describeChange,
  isEmptyChanges,
  normalizeName,
  type Change,
  type DnsProvider,
  type Endpoint,
  type FailedChange,
} from './endpoint.js';
import type { Ownership } from './ownership.js';
import { checkDeleteShare, plan, type Plan, type PlanOptions, type SkippedEndpoint } from './plan.js';

/** What {@link planDnsPass} needs besides the current records. */
export interface DnsPassPlanOptions extends PlanOptions {
  /** The records that should exist (any form; the plan normalises). */
  desired: readonly Endpoint[];
  /** Which current records this controller may change or delete. */
  ownership: Ownership;
  /**
   * Mass-deletion guard: apply nothing when the plan would delete more than this share (0–1) of
   * the owned records (see {@link checkDeleteShare}). Undefined: no guard.
   */
  maxDeleteShare?: number | undefined;
}

/** The pure half of a pass: the plan, and the guard's reason to apply nothing (if any). */
export interface DnsPassPlan {
  readonly plan: Plan;
  /** Set when the mass-deletion guard refuses the plan: apply nothing. */
  readonly refused: string | undefined;
}

/**
 * The decision a {@link runDnsPass} makes, without I/O: {@link plan} under the ownership, then
 * the mass-deletion guard. Offline `plan` commands call this on a zone snapshot so that they
 * show exactly what the live pass would do. Pure.
 */
export function planDnsPass(current: readonly Endpoint[], options: DnsPassPlanOptions): DnsPassPlan {
  const planOptions: PlanOptions = {
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.domains === undefined ? {} : { domains: options.domains }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
  };
  const p = plan(current, options.desired, options.ownership, planOptions);
  const refused =
    options.maxDeleteShare === undefined ? undefined : checkDeleteShare(p, options.maxDeleteShare);
  return { plan: p, refused };
}

/** Options of {@link runDnsPass}. */
export interface DnsPassOptions extends DnsPassPlanOptions {
  /** Where the records are read from and written to. */
  provider: DnsProvider;
  /**
   * Plan and log every change (`dns change (dry run)` at info, see {@link DryRunProvider}), but
   * write nothing; the changes are reported as applied. Default false.
   */
  dryRun?: boolean | undefined;
  /** Default a no-op logger. */
  logger?: Logger | undefined;
  /** Fields added to every line this pass logs (e.g. `{ domain }`). */
  logMeta?: LogMeta | undefined;
  /** Fields naming the object that asked for a record name (e.g. its Ingress), added to that name's `dns change failed` line. */
  logMetaOf?: ((name: string) => LogMeta | undefined) | undefined;
}

/** A change the provider did not apply, with the record name it concerns (to find the object that asked for it). */
export interface FailedDnsChange extends FailedChange {
  /** The normalised name of the record the change writes (`to` of an update). */
  readonly name: string;
}

/** What one {@link runDnsPass} did. */
export interface DnsPassSummary {
  /**
   * `unchanged`: the plan was empty, nothing was written. `refused`: the mass-deletion guard
   * refused the plan, nothing was written. `applied`: the provider was called (some changes
   * may still have failed: see `failed`).
   */
  readonly outcome: 'applied' | 'unchanged' | 'refused';
  /** The plan, for callers that report its details (skipped records, unchanged count). */
  readonly plan: Plan;
  /** Planned creates, updates and deletes (ownership bookkeeping records included). */
  readonly creates: number;
  readonly updates: number;
  readonly deletes: number;
  /** Desired records the plan refused, with reasons (same as `plan.skipped`). */
  readonly skipped: readonly SkippedEndpoint[];
  /** Changes the provider applied. Empty unless `outcome` is `applied`. */
  readonly applied: readonly Change[];
  /** Changes the provider did not apply, with its reason and the record name. */
  readonly failed: readonly FailedDnsChange[];
  /** How many of `failed` may work on a later pass (retry the pass with backoff when > 0). */
  readonly retryable: number;
  /** Owned records after the pass: owned before, plus applied creates, minus applied deletes. */
  readonly owned: number;
  /** The guard's reason when `outcome` is `refused`. */
  readonly refused?: string;
}

/** The record name a change writes (an update's new record). */
export function changeName(change: Change): string {
  return normalizeName(change.kind === 'update' ? change.to.name : change.endpoint.name);
}

/**
 * One DNS pass, as external-dns's controller runs it: read the provider's records, plan against
 * the desired ones under the ownership ({@link planDnsPass}: plan, then the mass-deletion
 * guard), apply the changes, and summarise. Rejects only when the records cannot be read (the
 * provider's `TransientError`/`TerminalError`/`ConfigError`); a change the provider refuses is
 * in `failed`, never thrown, so the caller decides what to retry and whom to tell. Writes
 * nothing when the plan is empty or refused. Not safe to run concurrently against the same
 * records (two passes would plan the same creates); run passes one at a time.
 *
 * Logs: `dns change` at debug per planned change; `plan refused by the mass-deletion guard:
 * nothing applied` at error; `dns change failed` at warn per failed change; `dns changes
 * applied` at info once per pass that wrote.
 */
export async function runDnsPass(options: DnsPassOptions): Promise<DnsPassSummary> {
  const logger = options.logger ?? createNoopLogger();
  const meta = options.logMeta ?? {};
  const current = await options.provider.records();
  const { plan: p, refused } = planDnsPass(current, options);
  const changes = p.changes;
  const base = {
    plan: p,
    creates: changes.create.length,
    updates: changes.update.length,
    deletes: changes.delete.length,
    skipped: p.skipped,
    applied: [],
    failed: [],
    retryable: 0,
    owned: p.owned,
  };
  if (refused !== undefined) {
    logger.error('plan refused by the mass-deletion guard: nothing applied', {
      ...meta,
      reason: refused,
      maxDeleteShare: options.maxDeleteShare,
      creates: base.creates,
      updates: base.updates,
      deletes: base.deletes,
      owned: p.owned,
    });
    return { ...base, outcome: 'refused', refused };
  }
  if (isEmptyChanges(changes)) return { ...base, outcome: 'unchanged' };

  for (const change of changeList(changes))
    logger.debug('dns change', { ...meta, change: describeChange(change) });
  const writer =
    options.dryRun === true ? new DryRunProvider({ inner: options.provider, logger }) : options.provider;
  const result = await writer.applyChanges(changes);
  const failed = result.failed.map((f): FailedDnsChange => ({ ...f, name: changeName(f.change) }));
  for (const f of failed)
    logger.warn('dns change failed', {
      ...meta,
      ...options.logMetaOf?.(f.name),
      change: describeChange(f.change),
      reason: f.reason,
      retryable: f.retryable,
    });
  const isRegistry = (c: Change): boolean =>
    c.kind !== 'update' && (options.ownership.isRegistryRecord?.(c.endpoint) ?? false);
  const delta = result.applied.reduce(
    (n, c) => n + (isRegistry(c) ? 0 : c.kind === 'create' ? 1 : c.kind === 'delete' ? -1 : 0),
    0,
  );
  const summary: DnsPassSummary = {
    ...base,
    outcome: 'applied',
    applied: result.applied,
    failed,
    retryable: failed.filter((f) => f.retryable).length,
    owned: p.owned + delta,
  };
  logger.info('dns changes applied', {
    ...meta,
    creates: summary.creates,
    updates: summary.updates,
    deletes: summary.deletes,
    applied: summary.applied.length,
    failed: summary.failed.length,
    owned: summary.owned,
    dryRun: options.dryRun === true,
  });
  return summary;
}
