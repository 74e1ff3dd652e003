import {
  TransientError,
  createHealthServer,
  errorMessage,
  isTerminal,
  type HealthServer,
  type Metrics,
} from '@kube-edge/runtime';
import { createSystemClock } from './clock.js';
import {
  addCommonProbes,
  createControllerElector,
  createInformers,
  loopMetrics,
  stopStages,
  type ControllerDeps,
  type ControllerLeaderElection,
  type Listers,
  type PassOutcome,
  type WatchSpec,
} from './controller.js';
import { createEventRecorder, type EventRecorder } from './event-recorder.js';
import { createKeyedQueue } from './keyed-queue.js';
import type { LeaderElector } from './leader-election.js';
import { createSkipReporter, type SkippedObject } from './skip-reporter.js';
import { objectKey, type ChangeEvent, type KubeObjectLike } from './types.js';

/** What reconciling one key found: problems to report (replacing the key's earlier ones), and when to look again. */
export interface KeyResult {
  /** This key's problems now; an empty list (or none) clears the earlier ones. */
  readonly skipped?: readonly SkippedObject[];
  /** Reconcile this key again after this many ms even without a change (e.g. to wait for a rollout). */
  readonly requeueAfterMs?: number;
}

/** The record of one reconciled key. */
export interface KeyPassResult {
  readonly key: string;
  readonly result: PassOutcome;
  readonly error?: unknown;
  readonly durationMs: number;
}

/** Options of {@link runKeyedController}. */
export interface KeyedControllerOptions<S extends Record<string, WatchSpec<unknown>>> {
  /** The app's name: the Event source component and a log field. */
  readonly name: string;
  /** What to watch, by name; the same names key the listers given to `reconcile`. */
  readonly informers: S;
  /** The informer whose objects are the keys (`namespace/name`): every object is reconciled after the sync and on each of its changes. */
  readonly primary: keyof S & string;
  /**
   * Maps a change of a secondary informer (or of the primary, in addition to its own key) to the
   * keys it affects, e.g. a Node to the IngressDaemonSets that select it. Default: none.
   */
  keysFor?(informer: keyof S & string, event: ChangeEvent<unknown>): readonly string[];
  /**
   * Makes the world match the desired state of one key, reading the caches. Never called twice at
   * once for a key. Throwing a terminal error (`isTerminal`) is counted and not retried until the
   * key changes again; any other error retries the key with per-key backoff.
   */
  reconcile(key: string, listers: Listers<S>, signal: AbortSignal): Promise<KeyResult | void>;
  /** With a Lease, keys are reconciled only on the replica that holds it (they write shared state). */
  readonly leaderElection?: ControllerLeaderElection;
  /** The health server (`/healthz`, `/readyz`, `/metrics` and `routes`). Port 0 picks one. */
  readonly http: { readonly host?: string; readonly port: number };
  routes?(server: HealthServer, controller: KeyedControllerHandle<S>): void;
  /** Keys reconciled at once. Default 1. */
  readonly concurrency?: number;
  /** First retry delay of a failing key; doubles up to `maxRetryDelayMs`. Defaults 5 ms and 1000 s (client-go's). */
  readonly baseRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** Global limit on reconcile calls. Default 10/s, burst 100 (client-go's). */
  readonly rateLimit?: { readonly qps: number; readonly burst: number };
  readonly wedgeTimeoutMs?: number;
}

/** A running per-key controller. */
export interface KeyedControllerHandle<S extends Record<string, WatchSpec<unknown>>> {
  readonly url: string;
  readonly health: HealthServer;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
  readonly listers: Listers<S>;
  /** Resolves after the caches synced and every key present then was handled once (a follower skips them). Rejects if stopped first. */
  readonly ready: Promise<void>;
  isLeader(): boolean;
  /** Queues a key (no-op while stopping). */
  enqueue(key: string): void;
  /** Resolves when no key is queued or being reconciled (delayed retries not counted). */
  drained(): Promise<void>;
  /** Resolves with the next reconcile of `key` that satisfies `predicate` (default: any). */
  waitForKey(
    key: string,
    predicate?: (r: KeyPassResult) => boolean,
    timeoutMs?: number,
  ): Promise<KeyPassResult>;
  /**
   * Stops: leader election (Lease released), the queue (running keys finish), informers, Events,
   * server. Idempotent; every stage runs, then it rejects with an AggregateError if any failed.
   */
  stop(): Promise<void>;
}

/**
 * Runs a controller that reconciles object by object with the same contract as `runController`:
 * informers, a keyed work queue (a key queued once; a key changed while being reconciled runs
 * again; per-key backoff), the terminal-error rule, skip reporting once per problem, leader
 * election, probes and loop metrics (`<prefix>_reconcile_total{result}` counts keys).
 * Readiness: not stopping ∧ caches synced ∧ the keys present at sync reconciled once.
 * Resolves once the server listens and the informers started.
 */
export async function runKeyedController<S extends Record<string, WatchSpec<unknown>>>(
  options: KeyedControllerOptions<S>,
  deps: ControllerDeps,
): Promise<KeyedControllerHandle<S>> {
  const { metrics, kubeClient: client, logger } = deps;
  const clock = deps.clock ?? createSystemClock();
  const lease = options.leaderElection;
  const events =
    deps.events ??
    createEventRecorder({ client, component: options.name, host: lease?.identity ?? '', logger });
  const m = loopMetrics(metrics);
  const reporter = createSkipReporter({ logger, events, metrics, messagePrefix: `${options.name}: ` });
  const skippedByKey = new Map<string, readonly SkippedObject[]>();
  const { all, listerEntries, listers } = createInformers(options.informers, {
    client,
    metrics,
    logger,
    clock,
    ...(options.wedgeTimeoutMs === undefined ? {} : { wedgeTimeoutMs: options.wedgeTimeoutMs }),
  });
  const primary = listerEntries.find(([k]) => k === options.primary)?.[1];
  if (primary === undefined)
    throw new TypeError(`primary informer ${options.primary} is not among the informers`);

  let elector: LeaderElector | undefined;
  const isLeader = (): boolean => elector?.isLeader() ?? true;
  let stopping = false;
  let initialDone = false;
  const waiters = new Set<(r: KeyPassResult) => void>();

  const setSkips = (key: string, skipped: readonly SkippedObject[]): void => {
    if (skipped.length === 0) skippedByKey.delete(key);
    else skippedByKey.set(key, skipped);
    reporter.report([...skippedByKey.values()].flat());
  };

  const queue = createKeyedQueue({
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.baseRetryDelayMs === undefined ? {} : { baseDelayMs: options.baseRetryDelayMs }),
    ...(options.maxRetryDelayMs === undefined ? {} : { maxDelayMs: options.maxRetryDelayMs }),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    clock,
    logger: logger.child({ component: 'queue' }),
    handler: async (key, signal) => {
      if (stopping || !isLeader()) return;
      const t0 = performance.now();
      let outcome: PassOutcome = 'success';
      let error: unknown;
      try {
        const r = await options.reconcile(key, listers, signal);
        setSkips(key, r?.skipped ?? []);
        if (r?.requeueAfterMs !== undefined) queue.addAfter(key, r.requeueAfterMs);
        m.lastSuccess.set(clock.now() / 1000);
      } catch (err) {
        error = err;
        outcome = isTerminal(err) ? 'terminal_error' : 'error';
        throw err;
      } finally {
        const durationMs = performance.now() - t0;
        m.passes.inc({ result: outcome });
        m.duration.observe(durationMs / 1000);
        if (outcome === 'success') logger.debug('key reconciled', { key, ms: Math.round(durationMs) });
        else logger.warn('key failed', { key, result: outcome, err: errorMessage(error) });
        const r: KeyPassResult = {
          key,
          result: outcome,
          durationMs,
          ...(error === undefined ? {} : { error }),
        };
        for (const w of [...waiters]) w(r);
      }
    },
  });

  const enqueueAll = (): void => {
    for (const o of primary.list()) queue.add(objectKey(o));
  };

  const health = createHealthServer({
    port: options.http.port,
    ...(options.http.host === undefined ? {} : { host: options.http.host }),
    registry: metrics.registry,
    logger: logger.child({ component: 'health' }),
  });
  addCommonProbes(health, all, [], { firstPassDone: () => initialDone, stopping: () => stopping });
  health.addReadinessCheck('initial-keys', () => ({
    ok: initialDone,
    message: 'the keys present at sync have not all been reconciled yet',
  }));

  let readyResolve!: () => void;
  let readyReject!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);

  const listening = { url: '' };
  let stopped: Promise<void> | undefined;
  const abort = new AbortController();
  const handle: KeyedControllerHandle<S> = {
    get url() {
      return listening.url;
    },
    health,
    metrics,
    events,
    listers,
    ready,
    isLeader,
    enqueue: (key) => {
      if (!stopping) queue.add(key);
    },
    drained: () => queue.drained(),
    waitForKey(key, predicate = () => true, timeoutMs = 10_000) {
      return new Promise<KeyPassResult>((resolve, reject) => {
        const timer = clock.setTimeout(() => {
          waiters.delete(on);
          reject(new TransientError(`${options.name}: key ${key} not reconciled within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = (r: KeyPassResult): void => {
          if (r.key !== key || !predicate(r)) return;
          timer.cancel();
          waiters.delete(on);
          resolve(r);
        };
        waiters.add(on);
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        abort.abort();
        readyReject(new Error(`${options.name}: stopped before the first reconcile`));
        const stages = stopStages(logger);
        const stage = stages.run.bind(stages);
        await stage('leader election', () => elector?.stop({ release: true }));
        await stage('queue', () => queue.stop());
        await stage('informers', () => Promise.all(all.map((i) => i.stop())));
        await stage('events', () => events.flush());
        await stage('health server', () => health.close());
        stages.done(options.name);
      })();
      return stopped;
    },
  };

  options.routes?.(health, handle);
  listening.url = (await health.listen()).url;

  for (const [key, lister] of listerEntries) {
    lister.onChange((event) => {
      if (stopping) return;
      if (key === options.primary) {
        if (event.object !== undefined) queue.add(objectKey(event.object));
        else enqueueAll(); // RESYNC
      }
      for (const k of options.keysFor?.(key, event) ?? []) queue.add(k);
    });
  }
  if (lease !== undefined)
    elector = createControllerElector(lease, { client, logger, clock, leaderGauge: m.leader }, enqueueAll);
  m.leader.set(elector === undefined ? 1 : 0);

  for (const i of all) i.start();
  elector?.start();
  void Promise.all(all.map((i) => i.waitForSync(abort.signal))).then(
    async () => {
      if (stopping) return;
      logger.info('caches synced', { keys: primary.list().length });
      enqueueAll();
      // Keys queued by the initial lists wait until every cache is complete: a key reconciled
      // against a partial cache would act on missing secondaries (and run twice at start).
      queue.start();
      await queue.drained();
      if (stopping) return;
      initialDone = true;
      readyResolve();
    },
    () => undefined,
  );
  logger.info(`${options.name} started`, {
    url: listening.url,
    informers: all.map((i) => i.name),
    primary: options.primary,
    leaderElection: lease === undefined ? false : `${lease.namespace}/${lease.name}`,
  });
  return handle;
}

/** The object key a change event is about (`namespace/name`), or undefined for a RESYNC. Pure. */
export function keyOfEvent(event: ChangeEvent<unknown>): string | undefined {
  return event.object === undefined ? undefined : objectKey(event.object as KubeObjectLike);
}
