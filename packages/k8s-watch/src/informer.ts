import type { Logger, ProbeResult } from '@kube-edge/runtime';
import { createNoopLogger, errorMessage } from '@kube-edge/runtime';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Backoff } from './backoff.js';
import { createBackoff } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { createSystemClock, sleep } from './clock.js';
import { KubeApiError, statusCodeOf } from './kube-client.js';
import type { WatchEvent } from './kube-client.js';
import type { ListWatchSource } from './list-watch.js';
import type { ChangeEvent, ChangeHandler, IndexFunc, KubeObjectLike, Lister } from './types.js';
import { NAMESPACE_INDEX, keyOf, objectKey, stripManagedFields } from './types.js';

/** Counters an informer keeps; the same figures go to Prometheus when a registry is given. */
export interface InformerStats {
  /** Watch events applied, by type (ADDED, MODIFIED, DELETED, BOOKMARK). */
  events: Record<string, number>;
  /** Full lists after the first one (410 Gone or a watch error that needed one). */
  relists: number;
  /** Failed list or watch attempts, each followed by a backoff. */
  restarts: number;
  /** Clock time (ms) of the last successful list, watch event or clean watch close; 0 before any. */
  lastActivity: number;
}

/** A live, self-healing cache of one kind of object. */
export interface Informer<T> extends Lister<T> {
  /** The name used in logs and metrics. */
  readonly name: string;
  /**
   * Stops the list/watch loop and timers, and waits until the loop has exited. Idempotent;
   * after it resolves no handler is called again. The cache keeps its last contents.
   */
  stop(): Promise<void>;
  /** Resolves when the informer has first synced; rejects if it is stopped (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /**
   * Fails when started and nothing succeeded (list, watch event, clean watch close) for
   * `wedgeTimeoutMs`: the loop is wedged or failing for that long. Never blocks.
   */
  health(): ProbeResult;
  /** Ready once synced: plug into a readiness check so a pod serves only with a full cache. Never blocks. */
  readiness(): ProbeResult;
  /** A snapshot of the counters. */
  stats(): InformerStats;
}

/** Options for {@link createInformer}. */
export interface InformerOptions<T> {
  /** Name for logs and the `informer` metric label, e.g. `ingresses`. */
  name: string;
  /** Where lists and watches come from. */
  source: ListWatchSource<T>;
  /** Applied to every object before it is cached. Default {@link stripManagedFields}; `null` caches objects as received. */
  transform?: ((obj: T) => T) | null;
  /** Named custom indexes. The `namespace` index always exists. */
  indexers?: Record<string, IndexFunc<T>>;
  /** Period of the `RESYNC` signal in ms (no re-list). Default 0: off. */
  resyncMs?: number;
  /** Restart backoff. Default 500 ms doubling to 30 s, ±20 % jitter. */
  backoff?: Backoff;
  /** Liveness fails after this long without activity. Default 15 min (longer than a quiet watch lasts). */
  wedgeTimeoutMs?: number;
  /** A watch that closes cleanly sooner than this with no events counts as a failure to back off from. Default 1000. */
  minWatchMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** When given, metrics are registered here (and shared by informers on the same registry). */
  registry?: Registry;
}

interface InformerMetrics {
  events: Counter<'informer' | 'type'>;
  relists: Counter<'informer'>;
  restarts: Counter<'informer'>;
  lastActivity: Gauge<'informer'>;
}

function informerMetrics(registry: Registry): InformerMetrics {
  // Reuse what another informer registered on the same registry: prom-client refuses duplicates.
  const get = <M>(name: string, make: () => M): M =>
    (registry.getSingleMetric(name) as M | undefined) ?? make();
  return {
    events: get(
      'kube_edge_informer_events_total',
      () =>
        new Counter({
          name: 'kube_edge_informer_events_total',
          help: 'Watch events applied to informer caches, by type.',
          labelNames: ['informer', 'type'] as const,
          registers: [registry],
        }),
    ),
    relists: get(
      'kube_edge_informer_relists_total',
      () =>
        new Counter({
          name: 'kube_edge_informer_relists_total',
          help: 'Full re-lists after the initial list.',
          labelNames: ['informer'] as const,
          registers: [registry],
        }),
    ),
    restarts: get(
      'kube_edge_informer_restarts_total',
      () =>
        new Counter({
          name: 'kube_edge_informer_restarts_total',
          help: 'Failed list or watch attempts followed by a backoff.',
          labelNames: ['informer'] as const,
          registers: [registry],
        }),
    ),
    lastActivity: get(
      'kube_edge_informer_last_activity_timestamp_seconds',
      () =>
        new Gauge({
          name: 'kube_edge_informer_last_activity_timestamp_seconds',
          help: 'Time of the last successful list, watch event or clean watch close.',
          labelNames: ['informer'] as const,
          registers: [registry],
        }),
    ),
  };
}

class GoneError extends KubeApiError {
  constructor() {
    super('resourceVersion too old', 410, 'Expired');
  }
}

function isGone(err: unknown): boolean {
  return statusCodeOf(err) === 410;
}

/**
 * Creates an informer: list, then watch from the list's resourceVersion; on 410 re-list; on a
 * clean close re-watch; on any other failure back off (capped, jittered) and re-watch from the
 * last seen resourceVersion. It never stops by itself, only through `stop()`.
 *
 * Built on a list/watch seam rather than client-node's ListWatch, because that one stops for good
 * on most errors and also emits `error` on `stop()`; owning the loop makes "runs until stopped"
 * one `while` loop with one exit condition.
 */
export function createInformer<T extends KubeObjectLike>(options: InformerOptions<T>): Informer<T> {
  const name = options.name;
  const source = options.source;
  const transform = options.transform === undefined ? stripManagedFields : options.transform;
  const clock = options.clock ?? createSystemClock();
  const log = (options.logger ?? createNoopLogger()).child({ informer: name });
  const backoff = options.backoff ?? createBackoff({ initialMs: 500, maxMs: 30_000 });
  const wedgeTimeoutMs = options.wedgeTimeoutMs ?? 15 * 60_000;
  const minWatchMs = options.minWatchMs ?? 1000;
  const resyncMs = options.resyncMs ?? 0;
  const metrics = options.registry ? informerMetrics(options.registry) : undefined;
  const indexers: Record<string, IndexFunc<T>> = {
    ...options.indexers,
    [NAMESPACE_INDEX]: (o: T) => [o.metadata?.namespace ?? ''],
  };

  const store = new Map<string, T>();
  const indexes = new Map<string, Map<string, Set<string>>>();
  for (const idx of Object.keys(indexers)) indexes.set(idx, new Map());
  const handlers = new Set<ChangeHandler<T>>();
  const stats: InformerStats = { events: {}, relists: 0, restarts: 0, lastActivity: 0 };

  let started = false;
  let stopped = false;
  let synced = false;
  let startedAt = 0;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;
  let resyncTimer: TimerHandle | undefined;
  const syncWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  const indexValues = (idx: string, obj: T): string[] => {
    try {
      return indexers[idx]?.(obj) ?? [];
    } catch (err) {
      log.warn('index function failed', { index: idx, key: objectKey(obj), error: String(err) });
      return [];
    }
  };
  const unindex = (key: string, obj: T): void => {
    for (const [idx, map] of indexes) {
      for (const v of indexValues(idx, obj)) {
        const set = map.get(v);
        set?.delete(key);
        if (set?.size === 0) map.delete(v);
      }
    }
  };
  const index = (key: string, obj: T): void => {
    for (const [idx, map] of indexes) {
      for (const v of indexValues(idx, obj)) {
        let set = map.get(v);
        if (set === undefined) map.set(v, (set = new Set()));
        set.add(key);
      }
    }
  };
  const emit = (event: ChangeEvent<T>): void => {
    if (stopped) return;
    for (const h of [...handlers]) {
      try {
        h(event);
      } catch (err) {
        log.error('change handler threw', { error: String(err) });
      }
    }
  };
  const activity = (): void => {
    stats.lastActivity = clock.now();
    metrics?.lastActivity.set({ informer: name }, stats.lastActivity / 1000);
  };
  const countEvent = (type: string): void => {
    stats.events[type] = (stats.events[type] ?? 0) + 1;
    metrics?.events.inc({ informer: name, type });
  };
  // A throwing transform must not wedge the loop (the same object would fail every re-list):
  // cache the object as received and say so.
  const prepare = (raw: T): T => {
    if (transform === null) return raw;
    try {
      return transform(raw);
    } catch (err) {
      log.error('transform threw, caching the object as received', {
        key: objectKey(raw),
        error: String(err),
      });
      return raw;
    }
  };

  const put = (obj: T): void => {
    const key = objectKey(obj);
    const old = store.get(key);
    if (
      old !== undefined &&
      old.metadata?.resourceVersion === obj.metadata?.resourceVersion &&
      obj.metadata?.resourceVersion !== undefined
    ) {
      return;
    }
    if (old !== undefined) unindex(key, old);
    store.set(key, obj);
    index(key, obj);
    emit(
      old === undefined ? { type: 'ADDED', object: obj } : { type: 'MODIFIED', object: obj, oldObject: old },
    );
  };
  const remove = (obj: T): void => {
    const key = objectKey(obj);
    const old = store.get(key);
    if (old === undefined) return;
    unindex(key, old);
    store.delete(key);
    emit({ type: 'DELETED', object: old });
  };
  const replace = (items: T[]): void => {
    const seen = new Set<string>();
    for (const raw of items) {
      const obj = prepare(raw);
      seen.add(objectKey(obj));
      put(obj);
    }
    for (const [key, old] of [...store]) {
      if (!seen.has(key)) remove(old);
    }
  };

  const markSynced = (): void => {
    if (synced) return;
    synced = true;
    log.info('informer synced', { objects: store.size });
    for (const w of syncWaiters) w.resolve();
    syncWaiters.clear();
  };

  // The last list/watch failure, until a list succeeds: readiness names it, so a Forbidden list
  // (missing RBAC) is visible on /readyz rather than only as "not synced".
  let lastFailure: string | undefined;
  const backOff = async (reason: string, err: unknown): Promise<void> => {
    lastFailure = `${reason} failed: ${errorMessage(err)}`;
    stats.restarts += 1;
    metrics?.restarts.inc({ informer: name });
    const delay = backoff.next();
    log.warn('informer restarting after failure', {
      during: reason,
      error: String(err),
      delayMs: delay,
      restarts: stats.restarts,
    });
    await sleep(clock, delay, abort.signal);
  };

  const run = async (): Promise<void> => {
    let needList = true;
    let listedOnce = false;
    let rv = '';
    while (!stopped) {
      if (needList) {
        try {
          const res = await source.list(abort.signal);
          if (stopped) break;
          if (listedOnce) {
            stats.relists += 1;
            metrics?.relists.inc({ informer: name });
          }
          listedOnce = true;
          replace(res.items);
          rv = res.resourceVersion;
          needList = false;
          activity();
          markSynced();
        } catch (err) {
          if (stopped) break;
          await backOff('list', err);
          continue;
        }
      }
      const watchStart = clock.now();
      let events = 0;
      try {
        await source.watch(
          rv,
          (ev: WatchEvent) => {
            if (stopped) return;
            if (ev.type === 'ERROR') {
              const code = statusCodeOf(ev.object);
              if (code === 410) throw new GoneError();
              throw new KubeApiError('watch ERROR event', code ?? 500);
            }
            const obj = ev.object as T;
            const newRv = obj?.metadata?.resourceVersion;
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') put(prepare(obj));
            else if (ev.type === 'DELETED') remove(prepare(obj));
            else if (ev.type !== 'BOOKMARK') return;
            if (newRv !== undefined && newRv !== '') rv = newRv;
            events += 1;
            countEvent(ev.type);
            activity();
            if (events === 1) backoff.reset();
          },
          abort.signal,
        );
        if (stopped) break;
        activity();
        if (events === 0 && clock.now() - watchStart < minWatchMs) {
          // A server that closes watches at once would otherwise be hammered in a tight loop.
          await sleep(clock, backoff.next(), abort.signal);
        }
      } catch (err) {
        if (stopped) break;
        if (isGone(err)) {
          log.info('watch resourceVersion expired, re-listing', { resourceVersion: rv });
          needList = true;
          if (events === 0 && clock.now() - watchStart < minWatchMs && stats.relists > 0) {
            await sleep(clock, backoff.next(), abort.signal);
          }
          continue;
        }
        await backOff('watch', err);
      }
    }
  };

  const informer: Informer<T> = {
    name,
    start() {
      if (started) return;
      if (stopped) throw new Error('informer was stopped; create a new one');
      started = true;
      startedAt = clock.now();
      loop = run().catch((err: unknown) => {
        // Unreachable by design; logged so a bug shows instead of a silent stop.
        log.error('informer loop exited unexpectedly', { error: String(err) });
      });
      if (resyncMs > 0) {
        const tick = (): void => {
          if (stopped) return;
          if (synced) emit({ type: 'RESYNC' });
          resyncTimer = clock.setTimeout(tick, resyncMs);
        };
        resyncTimer = clock.setTimeout(tick, resyncMs);
      }
    },
    async stop() {
      if (stopped) {
        await loop;
        return;
      }
      stopped = true;
      resyncTimer?.cancel();
      abort.abort();
      for (const w of syncWaiters) w.reject(new Error(`informer ${name} stopped before it synced`));
      syncWaiters.clear();
      await loop;
    },
    hasSynced: () => synced,
    waitForSync(signal?: AbortSignal) {
      if (synced) return Promise.resolve();
      if (stopped) return Promise.reject(new Error(`informer ${name} stopped before it synced`));
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject: (e: Error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        const onAbort = (): void => {
          syncWaiters.delete(waiter);
          reject(new Error(`waiting for informer ${name} to sync was aborted`));
        };
        if (signal?.aborted === true) {
          onAbort();
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        syncWaiters.add(waiter);
      });
    },
    get: (objName, namespace) => store.get(keyOf(objName, namespace)),
    list(namespace) {
      if (namespace === undefined) return [...store.values()];
      return informer.byIndex(NAMESPACE_INDEX, namespace);
    },
    byIndex(indexName, value) {
      const map = indexes.get(indexName);
      if (map === undefined) throw new Error(`unknown index ${indexName}`);
      const out: T[] = [];
      for (const key of map.get(value) ?? []) {
        const obj = store.get(key);
        if (obj !== undefined) out.push(obj);
      }
      return out;
    },
    onChange(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    health() {
      if (!started || stopped) return { ok: true };
      const since = stats.lastActivity || startedAt;
      const idle = clock.now() - since;
      if (idle > wedgeTimeoutMs) {
        return {
          ok: false,
          message: `informer ${name}: no successful list or watch activity for ${Math.round(idle / 1000)} s`,
        };
      }
      return { ok: true };
    },
    readiness: () =>
      synced
        ? { ok: true }
        : {
            ok: false,
            message: `informer ${name} has not synced yet${lastFailure === undefined ? '' : ` (last ${lastFailure})`}`,
          },
    stats: () => ({ ...stats, events: { ...stats.events } }),
  };
  return informer;
}
