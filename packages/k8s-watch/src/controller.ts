import {
  ConfigRefusedError,
  TransientError,
  errorMessage,
  isTerminal,
  type HealthServer,
  type LogMeta,
  type Logger,
  type Metrics,
  type Updater,
} from '@kube-edge/runtime';
import { createBackoff, type BackoffOptions } from './backoff.js';
import type { Clock } from './clock.js';
import { createCoalescingTrigger } from './coalescing-trigger.js';
import { createControllerBase, createWaiters, every, type Repeating } from './controller-base.js';
import { createIsolator, type IsolateOptions, type Isolator } from './controller-isolate.js';
import type { EventRecorder } from './event-recorder.js';
import type { KubeClient } from './kube-client.js';
import type { ResourceRef } from './resources.js';
import type { SkippedObject } from './skip-reporter.js';
import type { ChangeEvent, Lister } from './types.js';

/** What one informer of a controller watches; made with {@link watch}. */
export interface WatchSpec<T> {
  readonly resource: ResourceRef;
  /** One informer per namespace, read as one lister. Default: all namespaces with one informer. */
  readonly namespaces?: readonly string[];
  /** Applied to the list and the watch. */
  readonly labelSelector?: string;
  /** Applied to the list and the watch. */
  readonly fieldSelector?: string;
  /** Period of the informer's `RESYNC` signal (a pass, no re-list). Default 0: off. */
  readonly resyncMs?: number;
  /** Named custom indexes. */
  readonly indexers?: Readonly<Record<string, SpecIndexFunc<T>>>;
  /**
   * Applied to every object before it is cached (the informer's `transform`): keep only the
   * fields the controller reads, so the cache holds less. Default: drop `managedFields`.
   */
  readonly transform?: SpecTransform<T>;
  /** Carries the object type; never set. */
  readonly __type?: () => T;
}

/**
 * An index function of a {@link WatchSpec}. Declared with method syntax so its parameter is
 * bivariant: a `WatchSpec<Ingress>` with indexers still satisfies `WatchSpec<unknown>`, the
 * constraint of a controller's informer map.
 */
export type SpecIndexFunc<T> = { bivarianceHack(obj: T): string[] }['bivarianceHack'];

/** A {@link WatchSpec} transform; method syntax for the same reason as {@link SpecIndexFunc}. */
export type SpecTransform<T> = { bivarianceHack(obj: T): T }['bivarianceHack'];

/**
 * Describes an informer for {@link runController}: which resource, optionally which namespaces
 * and selectors. Pure.
 */
export function watch<T>(resource: ResourceRef, options: Omit<WatchSpec<T>, 'resource'> = {}): WatchSpec<T> {
  return { resource, ...options };
}

/** The listers a build function reads, one per {@link WatchSpec}, under the same keys. */
export type Listers<S> = {
  readonly [K in keyof S]: S[K] extends WatchSpec<infer T> ? Lister<T> : never;
};

/** What a pure build function returns: the model to apply and what it left out, with reasons. */
export interface BuildResult<M> {
  readonly model: M;
  readonly skipped: readonly SkippedObject[];
}

/**
 * One apply step of a controller: runtime's {@link Updater} (started in order before the caches
 * sync, updated in order each pass, stopped in reverse), optionally only while leading.
 */
export interface ControllerStep<M> extends Updater<M> {
  /** `update` is called only while this replica holds the Lease (it writes shared state). */
  readonly leaderOnly?: boolean;
  /** Called when this replica starts leading, before the pass that follows; must not block. */
  onStartedLeading?(): void;
  /**
   * What the last `update` left out, for steps that find problems only while applying (e.g. a DNS
   * record name another owner holds). Read right after each `update` of a pass settles (resolved
   * or rejected) and reported with the build's skips, as one set per pass. Synchronous, must not
   * throw.
   */
  skipped?(): readonly SkippedObject[];
  /**
   * Tests a model without applying it (nginx: render, write to a temp file, `nginx -t`; the live
   * config untouched). Resolves when the step would accept the model; rejects with a
   * `ConfigRefusedError` when it would refuse it because of what is in it, and with any other
   * error when it cannot tell. Used by the loop to bisect a refused config (see
   * `ControllerOptions.isolate`); called only between `start` and `stop`, never concurrently
   * with `update`. May write files the model needs (e.g. TLS files), never the live config.
   */
  check?(model: M): Promise<void>;
}

/** Lease settings of a controller; see `createLeaderElector` for the timing rules. */
export interface ControllerLeaderElection {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** How a pass ended: applied, failed and to be retried, or failed for good until the next change. */
export type PassOutcome = 'success' | 'error' | 'terminal_error';

/** The record of one finished pass. */
export interface PassResult<M> {
  /** 1 for the first pass of the process, then +1 per pass. */
  readonly seq: number;
  readonly result: PassOutcome;
  /** The model built (absent when the build itself threw). */
  readonly model?: M;
  /** The build's skips and those of the steps updated in this pass. */
  readonly skipped: readonly SkippedObject[];
  /** The error of a failed pass. */
  readonly error?: unknown;
  /** Whether this replica led during the pass (leader-only steps ran). */
  readonly leader: boolean;
  readonly durationMs: number;
}

/** Options of {@link runController}. */
export interface ControllerOptions<S extends Record<string, WatchSpec<unknown>>, M> {
  /** The app's name, e.g. `feed-dns`: the Event source component and a field of every log line. */
  readonly name: string;
  /** What to watch, by name; the same names key the listers given to `build`. */
  readonly informers: S;
  /** Builds the whole desired state from the caches. Pure and synchronous; may throw. */
  build(listers: Listers<S>): BuildResult<M>;
  /** The apply steps in order. */
  readonly steps: readonly ControllerStep<M>[];
  /** With a Lease, leader-only steps run only on the replica that holds it. Default: always lead. */
  readonly leaderElection?: ControllerLeaderElection;
  /** The health server: `/healthz`, `/readyz`, `/metrics` and the `routes` below. Port 0 picks one. */
  readonly http: { readonly host?: string; readonly port: number };
  /** Adds the app's own routes (e.g. the original's probe paths) before the server listens. */
  routes?(server: HealthServer, controller: ControllerHandle<S, M>): void;
  /** Batching of change signals. Defaults: quiet 100 ms, at most 1000 ms, no minimum interval. */
  readonly trigger?: {
    readonly quietMs?: number;
    readonly maxWaitMs?: number;
    readonly minIntervalMs?: number;
  };
  /** Retry delays after a failed pass. Default 1 s doubling to 60 s with jitter. */
  readonly retryBackoff?: BackoffOptions;
  /** A change in any cache signals a pass. Default true; false leaves passes to `intervalMs` and `reconcileNow`. */
  readonly triggerOnChange?: boolean;
  /** Also run a pass every `intervalMs` (without the quiet delay). Default 0: never. */
  readonly intervalMs?: number;
  /**
   * Run a pass as soon as the caches have synced. Default true. With false, the first pass waits
   * for a change (with `triggerOnChange`), the interval or `reconcileNow`, for controllers that
   * act only when asked; readiness and `ready` then need no pass, only the caches synced.
   */
  readonly passOnSync?: boolean;
  /** Fields for the one summary log line of a successful pass. */
  summarize?(model: M): LogMeta;
  /** Also called for every change of every cache (after the pass is signalled). Must not block. */
  onChange?(informer: keyof S & string, event: ChangeEvent<unknown>): void;
  /** Push the registry to a Prometheus pushgateway periodically and once at stop. */
  readonly pushgateway?: {
    readonly url: string;
    readonly intervalMs: number;
    readonly job: string;
    readonly grouping: Readonly<Record<string, string>>;
  };
  /** Liveness fails when nothing works for this long (informer wedge timeout). */
  readonly wedgeTimeoutMs?: number;
  /**
   * The last line of defence against one object refusing everyone's config. When a step with a
   * `check` method throws a `ConfigRefusedError` from `update`, the loop rebuilds the model with
   * subsets of the objects of these informers and bisects with `check` to find the objects at
   * fault (first confirming the config passes without any of them: if not, the refusal is
   * global — flags, environment — and the pass ends as the terminal error it is). Each offender
   * is skipped (reason `ConfigRefused`, the message quoting the step's error line: log once,
   * Event, `<prefix>_skipped_objects_total`), counted in `<prefix>_objects_isolated_total{kind}`,
   * and every step is updated again with the model without them. Offenders are remembered by
   * uid and resourceVersion: later passes leave them out without a search until they change (then
   * they are tested again) or go away. A remembered object stays out even if what it clashed
   * with goes away, until it changes.
   */
  readonly isolate?: IsolateOptions<keyof S & string>;
}

/** What {@link runController} takes from the outside world. */
export interface ControllerDeps {
  readonly logger: Logger;
  readonly kubeClient: KubeClient;
  /** The app's metrics (its prefix names the loop's metrics: `<prefix>_reconcile_total`, …). */
  readonly metrics: Metrics;
  /** Default: a recorder for component `name`, host = the Lease identity (or ''). */
  readonly events?: EventRecorder;
  readonly clock?: Clock;
}

/** A running controller. */
export interface ControllerHandle<S extends Record<string, WatchSpec<unknown>>, M> {
  /** Base URL of the health server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly health: HealthServer;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
  /** The live caches, under the names of `informers`. */
  readonly listers: Listers<S>;
  /**
   * Resolves after the caches synced and the first pass finished (success or terminal error), or
   * once synced with `passOnSync: false`; rejects if stopped first.
   */
  readonly ready: Promise<void>;
  /** The model of the last successful pass. */
  lastModel(): M | undefined;
  /** The last finished pass. */
  lastPass(): PassResult<M> | undefined;
  /** True while this replica leads (always, without leader election). */
  isLeader(): boolean;
  /**
   * Runs a pass that starts after this call, without the quiet delay, and resolves with its
   * result (whatever the outcome). Rejects with a TransientError before the caches synced,
   * once stopping, or when `stop` is called before that pass could run.
   */
  reconcileNow(): Promise<PassResult<M>>;
  /** Resolves when no pass is pending or running. */
  idle(): Promise<void>;
  /**
   * Resolves with the first finished pass (the last one included) that satisfies `predicate`.
   * Rejects after `timeoutMs` (default 10 s), or with a TransientError once the controller has
   * stopped running passes (during `stop`, after the running pass finished).
   */
  waitForPass(predicate: (pass: PassResult<M>) => boolean, timeoutMs?: number): Promise<PassResult<M>>;
  /**
   * Stops, in order: the interval, the trigger (a running pass finishes; its steps' `signal` is
   * aborted), leader election (the Lease released, so no leader-only write overlaps the next
   * leader's), the steps in reverse, the informers, the Event recorder (flushed), the
   * pushgateway (a last push), the health server. Idempotent; every stage runs even if one fails,
   * and then it rejects with an AggregateError naming the failed stages (so main exits non-zero).
   */
  stop(): Promise<void>;
}

/**
 * Runs one level-triggered controller: informers → coalescing trigger → pure `build` → apply
 * steps, with leader election, skip reporting, probes, metrics and an ordered stop.
 *
 * Each pass rebuilds the whole model from the caches, calls `update` on each step in order
 * (leader-only steps only while leading), reports the skipped objects of the build and of the
 * steps (once per problem: warn log, Warning Event, counter) and logs one summary line. A pass that throws a
 * terminal error (`isTerminal`: TerminalError, ConfigError, non-retryable API errors) is counted
 * and not retried: the loop waits for the next change. Any other error retries with backoff.
 *
 * Readiness (`/readyz`): not stopping ∧ caches synced ∧ first pass finished ∧ every step ready.
 * Liveness (`/healthz`): informers not wedged ∧ (after the first pass) every step healthy.
 * Metrics: `<prefix>_reconcile_total{result}`, `<prefix>_reconcile_duration_seconds`,
 * `<prefix>_last_reconcile_success_timestamp_seconds`, `<prefix>_leader`, and the skip metrics.
 *
 * Resolves once the server listens, the steps started and the informers started (not synced:
 * see `ready`). Rejects if the server cannot listen or a step cannot start; then nothing is left
 * running.
 */
export async function runController<S extends Record<string, WatchSpec<unknown>>, M>(
  options: ControllerOptions<S, M>,
  deps: ControllerDeps,
): Promise<ControllerHandle<S, M>> {
  const { metrics, logger } = deps;
  let firstPassDone = false;
  let last: PassResult<M> | undefined;
  const base = createControllerBase(
    {
      ...options,
      firstWork: {
        name: 'first-pass',
        what: 'the first pass',
        done: () => firstPassDone,
        message: () =>
          last === undefined ? 'no reconcile pass yet' : `first pass failed: ${errorMessage(last.error)}`,
      },
    },
    deps,
  );
  const { clock, m, reporter, listerEntries, listers } = base;
  const isolator: Isolator<BuildResult<M>> | undefined =
    options.isolate === undefined
      ? undefined
      : createIsolator<BuildResult<M>>({
          isolate: options.isolate,
          listers: new Map(listerEntries),
          resources: new Map(Object.entries(options.informers).map(([k, spec]) => [k, spec.resource])),
          build: (l) => options.build(l as unknown as Listers<S>),
          model: (b) => b.model,
          logger: logger.child({ component: 'isolate' }),
          metrics,
        });
  const isLeader = (): boolean => base.isLeader();
  let synced = false;
  let passSeq = 0;
  let lastModel: M | undefined;
  const waiters = createWaiters<PassResult<M>>(clock);
  const lastStepSkips = new Map<ControllerStep<M>, readonly SkippedObject[]>();

  const finish = (p: PassResult<M>): void => {
    last = p;
    if (!firstPassDone && p.result !== 'error') firstPassDone = true;
    m.passes.inc({ result: p.result });
    m.duration.observe(p.durationMs / 1000);
    if (firstPassDone) base.markReady();
    waiters.notify(p);
  };

  const pass = async (): Promise<void> => {
    if (base.stopping() || !synced) return;
    const seq = ++passSeq;
    const t0 = performance.now();
    const leading = isLeader();
    let built: BuildResult<M> | undefined;
    // The build's skips plus those of the steps updated in this pass (see ControllerStep.skipped).
    let skipped: readonly SkippedObject[] = [];
    try {
      // Offenders found by earlier isolations stay out while they are unchanged.
      const prior = isolator?.remembered();
      let excluded = prior?.excluded ?? new Set<string>();
      let isolatedSkips: readonly SkippedObject[] = prior?.skips ?? [];
      built =
        isolator === undefined || excluded.size === 0
          ? options.build(listers)
          : options.build(isolator.listers(excluded) as unknown as Listers<S>);
      skipped = [...built.skipped, ...isolatedSkips];
      // At most one isolation per step; after each, every step is updated again from the first.
      let isolations = 0;
      const updated = new Set<ControllerStep<M>>();
      let failed = false;
      try {
        for (let i = 0; i < options.steps.length; i++) {
          const step = options.steps[i]!;
          if (step.leaderOnly === true && !isLeader()) continue;
          updated.add(step);
          const stepSkips = (): readonly SkippedObject[] => {
            const s = step.skipped?.() ?? [];
            lastStepSkips.set(step, s);
            return s;
          };
          try {
            await step.update(built.model, base.signal);
          } catch (err) {
            if (
              isolator === undefined ||
              step.check === undefined ||
              !(err instanceof ConfigRefusedError) ||
              isolations >= options.steps.length
            ) {
              skipped = [...skipped, ...stepSkips()];
              failed = true;
              throw err;
            }
            isolations++;
            const check = step.check.bind(step) as (model: unknown) => Promise<void>;
            const iso = await isolator.isolate({ name: step.name, check }, err, excluded);
            isolatedSkips = [...isolatedSkips, ...iso.skips];
            if (!iso.ok) {
              skipped = [...skipped, ...iso.skips, ...stepSkips()];
              failed = true;
              throw iso.error;
            }
            built = iso.built;
            excluded = iso.excluded;
            skipped = [...built.skipped, ...isolatedSkips];
            i = -1; // every step again, with the model without the offenders
            continue;
          }
          skipped = [...skipped, ...stepSkips()];
        }
      } finally {
        // Steps a failure kept from running this pass still have the problems they last found:
        // reporting without them would forget them, and report them again (Event, count) later.
        if (failed)
          for (const step of options.steps)
            if (!updated.has(step)) skipped = [...skipped, ...(lastStepSkips.get(step) ?? [])];
        reporter.report(skipped);
      }
    } catch (err) {
      const terminal = isTerminal(err);
      const result: PassOutcome = terminal ? 'terminal_error' : 'error';
      const durationMs = performance.now() - t0;
      const meta = {
        pass: seq,
        result,
        ms: Math.round(durationMs),
        skipped: skipped.length,
        err,
      };
      if (terminal) logger.error('reconcile failed; not retried until the next change', meta);
      else logger.warn('reconcile failed; will retry', meta);
      finish({
        seq,
        result,
        ...(built === undefined ? {} : { model: built.model }),
        skipped,
        error: err,
        leader: leading,
        durationMs,
      });
      if (!terminal) throw err;
      return;
    }
    const durationMs = performance.now() - t0;
    lastModel = built.model;
    m.lastSuccess.set(clock.now() / 1000);
    logger.info('reconciled', {
      pass: seq,
      ms: Math.round(durationMs),
      skipped: skipped.length,
      leader: leading,
      ...(options.summarize?.(built.model) ?? {}),
    });
    finish({
      seq,
      result: 'success',
      model: built.model,
      skipped,
      leader: leading,
      durationMs,
    });
  };

  const trigger = createCoalescingTrigger({
    run: pass,
    ...(options.trigger?.quietMs === undefined ? {} : { quietMs: options.trigger.quietMs }),
    ...(options.trigger?.maxWaitMs === undefined ? {} : { maxWaitMs: options.trigger.maxWaitMs }),
    ...(options.trigger?.minIntervalMs === undefined ? {} : { minIntervalMs: options.trigger.minIntervalMs }),
    retryBackoff: createBackoff({ initialMs: 1000, maxMs: 60_000, ...options.retryBackoff }),
    clock,
    // The pass logs its own failures; the trigger only schedules the retry.
    logger: logger.child({ component: 'trigger' }),
    logFailures: false,
  });

  const waitForPass = (
    predicate: (p: PassResult<M>) => boolean,
    timeoutMs = 10_000,
  ): Promise<PassResult<M>> => {
    if (last !== undefined && predicate(last)) return Promise.resolve(last);
    return waiters.wait(
      predicate,
      timeoutMs,
      () =>
        new Error(
          `${options.name}: no matching reconcile pass within ${timeoutMs} ms (passes: ${passSeq}, last: ${last?.result ?? 'none'}${last?.error === undefined ? '' : `: ${errorMessage(last.error)}`})`,
        ),
    );
  };

  let interval: Repeating | undefined;
  const startedSteps: ControllerStep<M>[] = [];
  const stop = (): Promise<void> =>
    base.stop(
      async (stage) => {
        interval?.cancel();
        await stage('trigger', () => trigger.stop());
        waiters.cancelAll(new TransientError(`${options.name} stopped before a matching reconcile pass`));
      },
      async (stage) => {
        while (startedSteps.length > 0) {
          const step = startedSteps.pop()!;
          await stage(`step ${step.name}`, () => step.stop());
        }
      },
    );

  const handle: ControllerHandle<S, M> = {
    get url() {
      return base.url();
    },
    health: base.health,
    metrics,
    events: base.events,
    listers,
    ready: base.ready,
    lastModel: () => lastModel,
    lastPass: () => last,
    isLeader,
    reconcileNow() {
      if (base.stopping()) return Promise.reject(new TransientError(`${options.name} is stopping`));
      if (!synced) return Promise.reject(new TransientError('the caches have not synced yet'));
      const after = passSeq;
      const p = waitForPass((r) => r.seq > after, 24 * 3600_000);
      trigger.signal({ immediate: true });
      return p;
    },
    idle: () => trigger.idle(),
    waitForPass,
    stop,
  };

  options.routes?.(base.health, handle);
  await base.listen();

  try {
    for (const step of options.steps) {
      await step.start();
      startedSteps.push(step);
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  for (const [key, lister] of listerEntries) {
    lister.onChange((event) => {
      if (options.triggerOnChange !== false) trigger.signal();
      options.onChange?.(key, event);
    });
  }
  base.watch({
    onStartedLeading: () => {
      for (const step of options.steps) {
        try {
          step.onStartedLeading?.();
        } catch (err) {
          logger.error('onStartedLeading failed', { step: step.name, err });
        }
      }
      trigger.signal({ immediate: true });
    },
    onSynced: () => {
      synced = true;
      if (options.passOnSync === false) {
        firstPassDone = true;
        base.markReady();
      } else trigger.signal({ immediate: true });
    },
  });
  if (options.intervalMs !== undefined && options.intervalMs > 0) {
    interval = every(options.intervalMs, () => {
      if (synced && !base.stopping()) trigger.signal({ immediate: true });
    });
  }
  const lease = options.leaderElection;
  logger.info(`${options.name} started`, {
    url: base.url(),
    informers: base.all.map((i) => i.name),
    steps: options.steps.map((s) => `${s.name}${s.leaderOnly === true ? ' (leader only)' : ''}`),
    leaderElection: lease === undefined ? false : `${lease.namespace}/${lease.name}`,
  });
  return handle;
}
