// What both controller loops (runController, runKeyedController) share: informers and their
// listers, the Event recorder, the loop metrics, the skip reporter, the health server with the
// common probes, leader election, the pushgateway, the `ready` promise, waiters, and the stop
// stages. Internal: not exported from the package index.
import {
  createHealthServer,
  probeUpdaters,
  type HealthServer,
  type Logger,
  type Metrics,
  type Updater,
} from '@kube-edge/runtime';
import { Pushgateway } from 'prom-client';
import { createSystemClock, type Clock, type TimerHandle } from './clock.js';
import type { ControllerDeps, ControllerLeaderElection, Listers, WatchSpec } from './controller.js';
import { createEventRecorder, type EventRecorder } from './event-recorder.js';
import { createInformer, type Informer } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { createLeaderElector, type LeaderElector } from './leader-election.js';
import { createApiListWatch } from './list-watch.js';
import { createSkipReporter, type SkipReporter } from './skip-reporter.js';
import type { ChangeHandler, IndexFunc, KubeObjectLike, Lister } from './types.js';

/** Pushes the registry to a Prometheus pushgateway periodically and once at stop. */
export interface PushgatewayOptions {
  readonly url: string;
  readonly intervalMs: number;
  readonly job: string;
  readonly grouping: Readonly<Record<string, string>>;
}

/** A repeating timer; `cancel` stops it (idempotent). */
export interface Repeating {
  cancel(): void;
}

/**
 * Calls `fn` every `ms` of real time (unref'd, like `setInterval`), through the system clock, so
 * a period longer than a Node timer can hold (2^31-1 ms, about 24.8 days) is waited out instead
 * of firing every millisecond.
 */
export function every(ms: number, fn: () => void): Repeating {
  const clock = createSystemClock();
  let handle: TimerHandle | undefined;
  let cancelled = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      fn();
      arm();
    }, ms);
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      handle?.cancel();
    },
  };
}

/** The loop's own metrics, made on the app's {@link Metrics} (so with its prefix). */
export function loopMetrics(metrics: Metrics) {
  const m = {
    passes: metrics.counter('reconcile_total', 'Reconcile passes (or keys reconciled) by result.', [
      'result',
    ] as const),
    duration: metrics.histogram(
      'reconcile_duration_seconds',
      'Time of one reconcile pass (or of one key).',
      [],
      [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ),
    lastSuccess: metrics.gauge(
      'last_reconcile_success_timestamp_seconds',
      'Unix time of the last successful reconcile pass (or key).',
    ),
    leader: metrics.gauge('leader', '1 while this replica leads (runs the leader-only work).'),
  };
  for (const r of ['success', 'error', 'terminal_error'] as const) m.passes.inc({ result: r }, 0);
  return m;
}

/** The loop metrics of {@link loopMetrics}. */
export type LoopMetrics = ReturnType<typeof loopMetrics>;

function unionLister<T>(informers: readonly Informer<T>[]): Lister<T> {
  return {
    start: () => informers.forEach((i) => i.start()),
    hasSynced: () => informers.every((i) => i.hasSynced()),
    get: (name, ns) => {
      for (const i of informers) {
        const o = i.get(name, ns);
        if (o !== undefined) return o;
      }
      return undefined;
    },
    list: (ns) => informers.flatMap((i) => i.list(ns)),
    byIndex: (index, value) => informers.flatMap((i) => i.byIndex(index, value)),
    onChange: (h: ChangeHandler<T>) => {
      const offs = informers.map((i) => i.onChange(h));
      return () => offs.forEach((off) => off());
    },
  };
}

/** The informers of a controller and their listers. */
export interface InformerSet<S> {
  all: Informer<KubeObjectLike>[];
  listerEntries: [keyof S & string, Lister<KubeObjectLike>][];
  listers: Listers<S>;
}

/** One informer per spec, or one per namespace read through a union lister. */
export function createInformers<S extends Record<string, WatchSpec<unknown>>>(
  specs: S,
  o: { client: KubeClient; metrics: Metrics; logger: Logger; clock: Clock; wedgeTimeoutMs?: number },
): InformerSet<S> {
  const all: Informer<KubeObjectLike>[] = [];
  const listerEntries: [keyof S & string, Lister<KubeObjectLike>][] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const make = (namespace?: string): Informer<KubeObjectLike> =>
      createInformer<KubeObjectLike>({
        name: namespace === undefined ? key : `${key}-${namespace}`,
        source: createApiListWatch<KubeObjectLike>({
          client: o.client,
          resource: spec.resource,
          ...(namespace === undefined ? {} : { namespace }),
          ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
          ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
        }),
        ...(spec.resyncMs === undefined ? {} : { resyncMs: spec.resyncMs }),
        ...(spec.transform === undefined
          ? {}
          : { transform: spec.transform as (obj: KubeObjectLike) => KubeObjectLike }),
        ...(spec.indexers === undefined
          ? {}
          : { indexers: { ...(spec.indexers as Record<string, IndexFunc<KubeObjectLike>>) } }),
        ...(o.wedgeTimeoutMs === undefined ? {} : { wedgeTimeoutMs: o.wedgeTimeoutMs }),
        registry: o.metrics.registry,
        logger: o.logger.child({ component: 'informer' }),
        clock: o.clock,
      });
    const made = spec.namespaces === undefined ? [make()] : spec.namespaces.map((ns) => make(ns));
    all.push(...made);
    listerEntries.push([key, spec.namespaces === undefined ? made[0]! : unionLister(made)]);
  }
  return { all, listerEntries, listers: Object.fromEntries(listerEntries) as Listers<S> };
}

/** The stages of a stop: each runs even when an earlier one failed; `done` rejects if any did. */
export interface StopStages {
  /** Runs one stage; a failure is logged and remembered. Never rejects. */
  run(what: string, fn: () => unknown): Promise<void>;
  /** Logs `<name> stopped`, then throws an AggregateError naming the failed stages, if any. */
  done(name: string): void;
}

/** Creates the {@link StopStages} of one stop. */
export function stopStages(logger: Logger): StopStages {
  const failed: { what: string; err: unknown }[] = [];
  return {
    async run(what, fn) {
      try {
        await fn();
      } catch (err) {
        failed.push({ what, err });
        logger.error(`stop: ${what} failed`, { err });
      }
    },
    done(name) {
      if (failed.length === 0) {
        logger.info(`${name} stopped`);
        return;
      }
      logger.warn(`${name} stopped with failures`, { failed: failed.map((f) => f.what) });
      throw new AggregateError(
        failed.map((f) => f.err),
        `${name}: stop failed in ${failed.map((f) => f.what).join(', ')}`,
      );
    },
  };
}

/** Callers waiting for a result that matches a predicate (a pass, a key), with timeouts and cancellation. */
export interface Waiters<R> {
  /** Resolves with the first result notified from now on that satisfies `predicate`; rejects with `onTimeout()` after `timeoutMs`. */
  wait(predicate: (r: R) => boolean, timeoutMs: number, onTimeout: () => Error): Promise<R>;
  /** Hands a result to every waiter. */
  notify(r: R): void;
  /** Rejects every pending waiter with `err`, and every later `wait` too. */
  cancelAll(err: Error): void;
}

/** Creates a {@link Waiters} on `clock`. */
export function createWaiters<R>(clock: Clock): Waiters<R> {
  const pending = new Set<{ on(r: R): void; cancel(err: Error): void }>();
  let over: Error | undefined;
  return {
    wait(predicate, timeoutMs, onTimeout) {
      if (over !== undefined) return Promise.reject(over);
      return new Promise<R>((resolve, reject) => {
        const entry = {
          on(r: R) {
            if (!predicate(r)) return;
            timer.cancel();
            pending.delete(entry);
            resolve(r);
          },
          cancel(err: Error) {
            timer.cancel();
            pending.delete(entry);
            reject(err);
          },
        };
        const timer = clock.setTimeout(() => entry.cancel(onTimeout()), timeoutMs);
        pending.add(entry);
      });
    },
    notify(r) {
      for (const e of [...pending]) e.on(r);
    },
    cancelAll(err) {
      over = err;
      for (const e of [...pending]) e.cancel(err);
    },
  };
}

/** What {@link createControllerBase} needs from a loop's options. */
export interface BaseOptions<S extends Record<string, WatchSpec<unknown>>> {
  readonly name: string;
  readonly informers: S;
  readonly leaderElection?: ControllerLeaderElection;
  readonly http: { readonly host?: string; readonly port: number };
  readonly wedgeTimeoutMs?: number;
  readonly pushgateway?: PushgatewayOptions;
  /** Steps whose health counts for liveness (after the first pass) and whose readiness counts. */
  readonly steps: readonly Pick<Updater<never>, 'name' | 'health' | 'readiness'>[];
  /** The readiness check that says the loop has done its first work, by name. */
  readonly firstWork: {
    readonly name: string;
    /** Named in the rejection of `ready` when stopped first, e.g. `the first pass`. */
    readonly what: string;
    readonly done: () => boolean;
    readonly message: () => string;
  };
}

/** The shared half of a running controller; see {@link createControllerBase}. */
export interface ControllerBase<S extends Record<string, WatchSpec<unknown>>> extends InformerSet<S> {
  readonly clock: Clock;
  readonly events: EventRecorder;
  readonly m: LoopMetrics;
  readonly reporter: SkipReporter;
  readonly health: HealthServer;
  /** Resolves with {@link ControllerBase.markReady}; rejects when stopped first. */
  readonly ready: Promise<void>;
  markReady(): void;
  /** Aborts when the stop begins (before any stage), for steps to stop waiting. */
  readonly signal: AbortSignal;
  /** The health server's base URL ('' before it listens). */
  url(): string;
  isLeader(): boolean;
  stopping(): boolean;
  /** Starts listening (call after the app's routes were added). */
  listen(): Promise<void>;
  /**
   * Creates the elector (calling `onStartedLeading` each time this replica starts leading),
   * starts the pushgateway, the informers and leader election, and calls `onSynced` once every
   * cache has synced (not after a stop).
   */
  watch(hooks: { onStartedLeading(): void; onSynced(): void | Promise<void> }): void;
  /**
   * The stop, once (memoized): marks stopping, aborts `signal`, rejects `ready`, then stages:
   * `drain` (the loop's driver: the running pass or keys finish), leader election (the Lease
   * released: only now, so no leader-only write of this replica overlaps the next leader's),
   * `after` (the steps), informers, Events, pushgateway (a last push), health server; rejects
   * with an AggregateError if any failed.
   */
  stop(
    drain: (stage: StopStages['run']) => Promise<void>,
    after?: (stage: StopStages['run']) => Promise<void>,
  ): Promise<void>;
}

/**
 * Builds what both loops share: informers, Events, metrics, skip reporter, the health server with
 * the common probes (informers, steps, caches, not stopping, the loop's first work, and a Lease
 * that RBAC forbids), and the start and stop sequences around the loop's own driver.
 */
export function createControllerBase<S extends Record<string, WatchSpec<unknown>>>(
  options: BaseOptions<S>,
  deps: ControllerDeps,
): ControllerBase<S> {
  const { metrics, kubeClient: client, logger } = deps;
  const clock = deps.clock ?? createSystemClock();
  const lease = options.leaderElection;
  const events =
    deps.events ??
    createEventRecorder({ client, component: options.name, host: lease?.identity ?? '', logger });
  const m = loopMetrics(metrics);
  const reporter = createSkipReporter({ logger, events, metrics, messagePrefix: `${options.name}: ` });
  const set = createInformers(options.informers, {
    client,
    metrics,
    logger,
    clock,
    ...(options.wedgeTimeoutMs === undefined ? {} : { wedgeTimeoutMs: options.wedgeTimeoutMs }),
  });
  let elector: LeaderElector | undefined;
  let stopping = false;
  let url = '';
  let stopped: Promise<void> | undefined;
  let pushTimer: Repeating | undefined;
  let push: (() => Promise<void>) | undefined;
  const abort = new AbortController();

  const health = createHealthServer({
    port: options.http.port,
    ...(options.http.host === undefined ? {} : { host: options.http.host }),
    registry: metrics.registry,
    logger: logger.child({ component: 'health' }),
  });
  health.addLivenessCheck('informers', () => {
    const bad = set.all.map((i) => i.health()).filter((r) => !r.ok);
    return bad.length === 0 ? true : { ok: false, message: bad.map((b) => b.message).join('; ') };
  });
  health.addLivenessCheck('steps', () =>
    options.firstWork.done() ? probeUpdaters(options.steps, 'health') : { ok: true, message: 'no pass yet' },
  );
  health.addReadinessCheck('not-stopping', () => ({ ok: !stopping, message: 'stopping' }));
  health.addReadinessCheck('caches', () => {
    const bad = set.all.map((i) => i.readiness()).filter((r) => !r.ok);
    return bad.length === 0 ? true : { ok: false, message: bad.map((r) => r.message).join('; ') };
  });
  health.addReadinessCheck(options.firstWork.name, () => ({
    ok: options.firstWork.done(),
    message: options.firstWork.message(),
  }));
  health.addReadinessCheck('steps', () => probeUpdaters(options.steps, 'readiness'));
  if (lease !== undefined)
    // Without RBAC for its Lease a replica never leads: leader-only work would silently never run.
    health.addReadinessCheck('leader-election', () => {
      const e = elector?.lastError();
      if (e === undefined || (e.statusCode !== 401 && e.statusCode !== 403)) return true;
      return {
        ok: false,
        message: `cannot ${e.action} Lease ${lease.namespace}/${lease.name} (HTTP ${e.statusCode}): RBAC must allow get, create and update on leases.coordination.k8s.io in ${lease.namespace}`,
      };
    });

  let readyResolve!: () => void;
  let readyReject!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);

  return {
    ...set,
    clock,
    events,
    m,
    reporter,
    health,
    ready,
    markReady: () => readyResolve(),
    signal: abort.signal,
    url: () => url,
    isLeader: () => elector?.isLeader() ?? true,
    stopping: () => stopping,
    async listen() {
      url = (await health.listen()).url;
    },
    watch(hooks) {
      if (lease !== undefined) {
        elector = createLeaderElector({
          client,
          namespace: lease.namespace,
          name: lease.name,
          identity: lease.identity,
          ...(lease.leaseDurationMs === undefined ? {} : { leaseDurationMs: lease.leaseDurationMs }),
          ...(lease.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: lease.renewDeadlineMs }),
          ...(lease.retryPeriodMs === undefined ? {} : { retryPeriodMs: lease.retryPeriodMs }),
          clock,
          logger: logger.child({ component: 'leader' }),
          onStartedLeading: () => {
            logger.info('leading', { identity: lease.identity, lease: `${lease.namespace}/${lease.name}` });
            m.leader.set(1);
            hooks.onStartedLeading();
          },
          onStoppedLeading: () => {
            logger.warn('stopped leading', { identity: lease.identity });
            m.leader.set(0);
          },
          onNewLeader: (identity) => logger.info('leader observed', { leader: identity }),
        });
      }
      m.leader.set(elector === undefined ? 1 : 0);
      const gw = options.pushgateway;
      if (gw !== undefined && gw.url !== '') {
        const gateway = new Pushgateway(gw.url, { timeout: 5000 }, metrics.registry);
        push = async () => {
          try {
            await gateway.pushAdd({ jobName: gw.job, groupings: { ...gw.grouping } });
          } catch (err) {
            logger.warn('pushgateway push failed', { err, url: gw.url });
          }
        };
        const p = push;
        pushTimer = every(gw.intervalMs, () => void p());
      }
      for (const i of set.all) i.start();
      elector?.start();
      void Promise.all(set.all.map((i) => i.waitForSync(abort.signal))).then(
        async () => {
          if (stopping) return;
          logger.info('caches synced', {
            objects: Object.fromEntries(set.listerEntries.map(([k, l]) => [k, l.list().length])),
          });
          await hooks.onSynced();
        },
        () => undefined,
      );
    },
    stop(drain, after) {
      stopped ??= (async () => {
        stopping = true;
        abort.abort();
        readyReject(new Error(`${options.name}: stopped before ${options.firstWork.what}`));
        pushTimer?.cancel();
        const stages = stopStages(logger);
        const stage = stages.run.bind(stages);
        await drain(stage);
        await stage('leader election', () => elector?.stop({ release: true }));
        await after?.(stage);
        await stage('informers', () => Promise.all(set.all.map((i) => i.stop())));
        await stage('events', () => events.flush());
        await stage('pushgateway', () => push?.());
        await stage('health server', () => health.close());
        stages.done(options.name);
      })();
      return stopped;
    },
  };
}
