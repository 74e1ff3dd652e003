import type { Logger } from '@kube-edge/runtime';
import { createNoopLogger } from '@kube-edge/runtime';
import type { Backoff } from './backoff.js';
import { createBackoff } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { createSystemClock } from './clock.js';

/** Options for {@link createCoalescingTrigger}. */
export interface CoalescingTriggerOptions {
  /** The whole-state pass. Never called twice at once. A rejection is logged and the pass retried after a backoff. */
  run: () => Promise<void>;
  /** A run starts once no signal arrived for this long. Default 100 ms. */
  quietMs?: number;
  /** ...but no later than this after the first pending signal. Default 1000 ms. */
  maxWaitMs?: number;
  /** Minimum time between the starts of two runs. Default 0. */
  minIntervalMs?: number;
  /** Delay before retrying a failed run. Default 1 s doubling to 60 s. */
  retryBackoff?: Backoff;
  clock?: Clock;
  logger?: Logger;
  /** Log each failed run at error (with the retry delay). Default true; false when the run logs its own failures. */
  logFailures?: boolean;
}

/** Counters of a {@link CoalescingTrigger}. */
export interface CoalescingTriggerStats {
  signals: number;
  runs: number;
  failures: number;
}

/**
 * Collapses bursts of change signals into single runs of a whole-state controller pass.
 * All methods are non-blocking except `stop`, and safe to call from any callback.
 */
export interface CoalescingTrigger {
  /**
   * Notes that something changed. Cheap; never blocks; ignored after stop. With `immediate`, the
   * pending run starts as soon as no run is in progress, skipping the quiet period, the maximum
   * wait and the minimum interval (for explicit requests, not for change events).
   */
  signal(options?: { immediate?: boolean }): void;
  /**
   * Resolves when no run is pending or running (a test and shutdown aid). A retry scheduled after
   * a failed run does not count as pending (it may never succeed): idle resolves once the failed
   * run has ended; the retry's own signal makes the trigger busy again when it fires.
   */
  idle(): Promise<void>;
  /**
   * Stops: cancels timers and waits for a running pass. With `drain`, a pending signal is run
   * once first. Idempotent.
   */
  stop(options?: { drain?: boolean }): Promise<void>;
  stats(): CoalescingTriggerStats;
}

/**
 * Creates a {@link CoalescingTrigger}. A pending batch starts at its first signal; the run starts at
 * `min(lastSignal + quietMs, firstSignal + maxWaitMs)`, delayed to `lastRunStart + minIntervalMs`
 * and until the previous run has finished. So over a span T of signals there are at most
 * `floor(T / minIntervalMs) + 1` runs, and with signals closer than `quietMs` at most
 * `floor(T / max(maxWaitMs, minIntervalMs)) + 1`, plus one for a signal during the last run.
 */
export function createCoalescingTrigger(options: CoalescingTriggerOptions): CoalescingTrigger {
  const quietMs = options.quietMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  const minIntervalMs = options.minIntervalMs ?? 0;
  const clock = options.clock ?? createSystemClock();
  const log = options.logger ?? createNoopLogger();
  const retry = options.retryBackoff ?? createBackoff({ initialMs: 1000, maxMs: 60_000 });
  const stats: CoalescingTriggerStats = { signals: 0, runs: 0, failures: 0 };

  let pendingSince: number | undefined;
  let lastSignal = 0;
  let lastRunStart = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  let timer: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let stopped = false;
  let immediate = false;
  let idleWaiters: (() => void)[] = [];

  const notifyIdle = (): void => {
    if (running === undefined && pendingSince === undefined) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  };

  const schedule = (): void => {
    if (stopped || running !== undefined || pendingSince === undefined) return;
    timer?.cancel();
    const due = immediate
      ? clock.now()
      : Math.max(Math.min(lastSignal + quietMs, pendingSince + maxWaitMs), lastRunStart + minIntervalMs);
    timer = clock.setTimeout(fire, due - clock.now());
  };

  const fire = (): void => {
    timer = undefined;
    if (running !== undefined || pendingSince === undefined) return;
    pendingSince = undefined;
    immediate = false;
    lastRunStart = clock.now();
    stats.runs += 1;
    running = (async () => {
      try {
        await options.run();
        retry.reset();
      } catch (err) {
        stats.failures += 1;
        const delay = retry.next();
        if (options.logFailures !== false)
          log.error('coalesced run failed, will retry', { error: String(err), delayMs: delay });
        if (!stopped) {
          retryTimer?.cancel();
          retryTimer = clock.setTimeout(() => trigger.signal(), delay);
        }
      } finally {
        running = undefined;
        schedule();
        notifyIdle();
      }
    })();
  };

  const trigger: CoalescingTrigger = {
    signal(signalOptions) {
      if (stopped) return;
      stats.signals += 1;
      if (signalOptions?.immediate === true) immediate = true;
      const now = clock.now();
      pendingSince ??= now;
      lastSignal = now;
      schedule();
    },
    idle() {
      if (running === undefined && (pendingSince === undefined || stopped)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop(opts = {}) {
      const wasStopped = stopped;
      stopped = true;
      timer?.cancel();
      retryTimer?.cancel();
      await running;
      if (!wasStopped && opts.drain === true && pendingSince !== undefined) {
        fire();
        await running;
      }
      pendingSince = undefined;
      notifyIdle();
    },
    stats: () => ({ ...stats }),
  };
  return trigger;
}
