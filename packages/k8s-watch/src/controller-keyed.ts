import { TransientError, isTerminal, type HealthServer, type Metrics } from '@kube-edge/runtime';
import { createControllerBase, createWaiters, type PushgatewayOptions } from './controller-base.js';
import type {
  ControllerDeps,
  ControllerLeaderElection,
  Listers,
  PassOutcome,
  WatchSpec,
} from './controller.js';
import type { EventRecorder } from './event-recorder.js';
import { createKeyedQueue } from './keyed-queue.js';
import type { SkippedObject } from './skip-reporter.js';
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
  /** Push the registry to a Prometheus pushgateway periodically and once at stop. */
  readonly pushgateway?: PushgatewayOptions;
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
   * Stops: the queue (running keys see their signal aborted and finish), leader election (the
   * Lease released only then, so no write of this replica overlaps the next leader's), informers,
   * Events, server. Idempotent; every stage runs, then it rejects with an AggregateError if any
   * failed.
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
  const { metrics, logger } = deps;
  let initialDone = false;
  const base = createControllerBase(
    {
      ...options,
      steps: [],
      firstWork: {
        name: 'initial-keys',
        what: 'the first reconcile',
        done: () => initialDone,
        message: () => 'the keys present at sync have not all been reconciled yet',
      },
    },
    deps,
  );
  const { clock, m, reporter, listerEntries, listers } = base;
  const skippedByKey = new Map<string, readonly SkippedObject[]>();
  const primary = listerEntries.find(([k]) => k === options.primary)?.[1];
  if (primary === undefined)
    throw new TypeError(`primary informer ${options.primary} is not among the informers`);
  const isLeader = (): boolean => base.isLeader();
  const waiters = createWaiters<KeyPassResult>(clock);

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
      if (base.stopping() || !isLeader()) return;
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
        // A failure is logged once, by the queue (with the attempt and the retry delay).
        if (outcome === 'success') logger.debug('key reconciled', { key, ms: Math.round(durationMs) });
        const r: KeyPassResult = {
          key,
          result: outcome,
          durationMs,
          ...(error === undefined ? {} : { error }),
        };
        waiters.notify(r);
      }
    },
  });

  const enqueueAll = (): void => {
    for (const o of primary.list()) queue.add(objectKey(o));
  };

  const handle: KeyedControllerHandle<S> = {
    get url() {
      return base.url();
    },
    health: base.health,
    metrics,
    events: base.events,
    listers,
    ready: base.ready,
    isLeader,
    enqueue: (key) => {
      if (!base.stopping()) queue.add(key);
    },
    drained: () => queue.drained(),
    waitForKey: (key, predicate = () => true, timeoutMs = 10_000) =>
      waiters.wait(
        (r) => r.key === key && predicate(r),
        timeoutMs,
        () => new TransientError(`${options.name}: key ${key} not reconciled within ${timeoutMs} ms`),
      ),
    stop: () =>
      base.stop(async (stage) => {
        await stage('queue', () => queue.stop());
        waiters.cancelAll(new TransientError(`${options.name} stopped before the key was reconciled`));
      }),
  };

  options.routes?.(base.health, handle);
  await base.listen();

  for (const [key, lister] of listerEntries) {
    lister.onChange((event) => {
      if (base.stopping()) return;
      if (key === options.primary) {
        if (event.object !== undefined) queue.add(objectKey(event.object));
        else enqueueAll(); // RESYNC
      }
      for (const k of options.keysFor?.(key, event) ?? []) queue.add(k);
    });
  }
  base.watch({
    onStartedLeading: enqueueAll,
    onSynced: async () => {
      enqueueAll();
      // Keys queued by the initial lists wait until every cache is complete: a key reconciled
      // against a partial cache would act on missing secondaries (and run twice at start).
      queue.start();
      await queue.drained();
      if (base.stopping()) return;
      initialDone = true;
      base.markReady();
    },
  });
  const lease = options.leaderElection;
  logger.info(`${options.name} started`, {
    url: base.url(),
    informers: base.all.map((i) => i.name),
    primary: options.primary,
    leaderElection: lease === undefined ? false : `${lease.namespace}/${lease.name}`,
  });
  return handle;
}

/** The object key a change event is about (`namespace/name`), or undefined for a RESYNC. Pure. */
export function keyOfEvent(event: ChangeEvent<unknown>): string | undefined {
  return event.object === undefined ? undefined : objectKey(event.object as KubeObjectLike);
}
