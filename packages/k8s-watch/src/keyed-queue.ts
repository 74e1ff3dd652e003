import type { Logger } from '@kube-edge/runtime';
import { ConfigError, createNoopLogger, errorMessage, isTerminal } from '@kube-edge/runtime';
import { backoffDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { createSystemClock } from './clock.js';
import type { TokenBucket } from './rate-limiter.js';
import { createTokenBucket } from './rate-limiter.js';

/** Options for {@link createKeyedQueue}. */
export interface KeyedQueueOptions {
  /**
   * Reconciles one key. Never called twice at once for the same key. Rejecting retries the key
   * with per-key exponential backoff, unless the error is terminal (`isTerminal` from runtime).
   */
  handler: (key: string, signal: AbortSignal) => Promise<void>;
  /** Keys processed at once, ≥ 1. Default 1. */
  concurrency?: number;
  /** First retry delay of a key. Default 5 ms. */
  baseDelayMs?: number;
  /** Cap on a key's retry delay. Default 1000 s (client-go's default). */
  maxDelayMs?: number;
  /** Global limit on handler calls: `qps` > 0, `burst` ≥ 1. Default 10 per second, burst 100 (client-go's default). */
  rateLimit?: { qps: number; burst: number };
  clock?: Clock;
  logger?: Logger;
}

/** Counters of a {@link KeyedQueue}. */
export interface KeyedQueueStats {
  processed: number;
  retries: number;
  terminal: number;
}

/**
 * A work queue of keys for per-object controllers, with client-go's contract: a key is queued at
 * most once; a key added while being processed is processed again afterwards ("dirty while
 * processing"); failures back off per key; terminal errors are not retried.
 * Methods are non-blocking except `stop` and `drained`.
 */
export interface KeyedQueue {
  /** Starts the workers. Idempotent. */
  start(): void;
  /** Queues `key` (no-op if already queued; re-queued after processing if being processed). Ignored after stop. */
  add(key: string): void;
  /** Queues `key` after `delayMs`; keeps the earlier of two pending delays. */
  addAfter(key: string, delayMs: number): void;
  /** Keys waiting (not counting those being processed or waiting a delay). */
  len(): number;
  /** Consecutive failures of `key` since its last success. */
  failures(key: string): number;
  /** Resolves when nothing is queued or being processed (delayed retries are not waited for). */
  drained(): Promise<void>;
  /**
   * Stops taking work and waits for running handlers. With `drain`, first waits until the queue
   * is empty. Without it, running handlers see their signal aborted. Idempotent.
   */
  stop(options?: { drain?: boolean }): Promise<void>;
  stats(): KeyedQueueStats;
}

/** Creates a {@link KeyedQueue}. Throws ConfigError for a concurrency or rate limit under which no key could ever run. */
export function createKeyedQueue(options: KeyedQueueOptions): KeyedQueue {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('work queue concurrency must be a whole number ≥ 1', { key: 'concurrency' });
  }
  // A bucket that never refills would leave the pump re-arming a zero-length timer forever.
  const rate = options.rateLimit ?? { qps: 10, burst: 100 };
  if (!(rate.qps > 0) || !(rate.burst >= 1)) {
    throw new ConfigError('work queue rate limit needs qps > 0 and burst ≥ 1', { key: 'rateLimit' });
  }
  const baseDelayMs = options.baseDelayMs ?? 5;
  const maxDelayMs = options.maxDelayMs ?? 1_000_000;
  const clock = options.clock ?? createSystemClock();
  const log = options.logger ?? createNoopLogger();
  const limiter: TokenBucket = createTokenBucket({ ...rate, clock });
  const abort = new AbortController();

  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const failures = new Map<string, number>();
  const delayed = new Map<string, { at: number; timer: TimerHandle }>();
  const inflight = new Set<Promise<void>>();
  const stats: KeyedQueueStats = { processed: 0, retries: 0, terminal: 0 };
  let started = false;
  let shuttingDown = false;
  let pumpTimer: TimerHandle | undefined;
  let drainWaiters: (() => void)[] = [];

  const checkDrained = (): void => {
    if (queue.length === 0 && processing.size === 0) {
      const w = drainWaiters;
      drainWaiters = [];
      w.forEach((f) => f());
    }
  };

  const reconcile = async (key: string): Promise<void> => {
    try {
      await options.handler(key, abort.signal);
      failures.delete(key);
      stats.processed += 1;
    } catch (err) {
      stats.processed += 1;
      if (isTerminal(err)) {
        failures.delete(key);
        stats.terminal += 1;
        log.warn('reconcile failed with a terminal error, not retrying', { key, error: errorMessage(err) });
      } else if (!shuttingDown) {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        stats.retries += 1;
        const delay = backoffDelay(n, baseDelayMs, maxDelayMs);
        log.warn('reconcile failed, retrying', { key, error: errorMessage(err), attempt: n, delayMs: delay });
        q.addAfter(key, delay);
      }
    } finally {
      processing.delete(key);
      if (dirty.has(key) && !shuttingDown) queue.push(key);
      pump();
      checkDrained();
    }
  };

  const pump = (): void => {
    if (!started || shuttingDown) return;
    while (processing.size < concurrency && queue.length > 0) {
      if (!limiter.tryTake()) {
        if (pumpTimer === undefined) {
          pumpTimer = clock.setTimeout(() => {
            pumpTimer = undefined;
            pump();
          }, limiter.waitMs());
        }
        return;
      }
      const key = queue.shift()!;
      dirty.delete(key);
      processing.add(key);
      const p = reconcile(key);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  };

  const q: KeyedQueue = {
    start() {
      if (started) return;
      started = true;
      pump();
    },
    add(key) {
      if (shuttingDown) return;
      if (dirty.has(key)) return;
      dirty.add(key);
      if (processing.has(key)) return;
      queue.push(key);
      pump();
    },
    addAfter(key, delayMs) {
      if (shuttingDown) return;
      if (delayMs <= 0) {
        q.add(key);
        return;
      }
      const at = clock.now() + delayMs;
      const existing = delayed.get(key);
      if (existing !== undefined && existing.at <= at) return;
      existing?.timer.cancel();
      const timer = clock.setTimeout(() => {
        delayed.delete(key);
        q.add(key);
      }, delayMs);
      delayed.set(key, { at, timer });
    },
    len: () => queue.length,
    failures: (key) => failures.get(key) ?? 0,
    drained() {
      if (queue.length === 0 && processing.size === 0) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
    async stop(opts = {}) {
      if (opts.drain === true && !shuttingDown) {
        if (!started) q.start();
        await q.drained();
      }
      shuttingDown = true;
      if (opts.drain !== true) abort.abort();
      pumpTimer?.cancel();
      for (const d of delayed.values()) d.timer.cancel();
      delayed.clear();
      queue.length = 0;
      dirty.clear();
      await Promise.all([...inflight]);
      checkDrained();
    },
    stats: () => ({ ...stats }),
  };
  return q;
}
