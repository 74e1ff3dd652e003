import type { Logger } from '@kube-edge/runtime';
import { ConfigError, createNoopLogger } from '@kube-edge/runtime';
import type { Clock } from './clock.js';
import { createSystemClock, sleep } from './clock.js';
import type { KubeClient } from './kube-client.js';
import { statusCodeOf } from './kube-client.js';
import { LEASES, resourcePath } from './resources.js';

/** The spec of a coordination.k8s.io/v1 Lease. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Options for {@link createLeaderElector}. */
export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease, e.g. `feed-ingress-leader`. */
  name: string;
  /** This replica's identity, usually the pod name. Must be unique among candidates. */
  identity: string;
  /** How long a non-renewed lease stays valid for the others. Default 15000 ms; sent rounded up to seconds. */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops leading. Must be < leaseDurationMs. Default 10000 ms. */
  renewDeadlineMs?: number;
  /** Time between acquire attempts and between renewals. Must be < renewDeadlineMs. Default 2000 ms. */
  retryPeriodMs?: number;
  /** Acquire attempts wait `retryPeriodMs · (1 + jitter · random)`. Default 0.2. */
  jitter?: number;
  /** Called when this replica becomes leader; `signal` aborts when it stops leading. Must not block. */
  onStartedLeading?: (signal: AbortSignal) => void;
  /** Called once after each leadership period ends (lost or stopped). Must not block. */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes ('' when released). */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
}

/** Lease-based leader election. Methods are non-blocking except `stop`. */
export interface LeaderElector {
  /** Starts trying to acquire; after losing leadership it tries again. Idempotent. */
  start(): void;
  /**
   * Stops campaigning and waits for the loop to exit; if leading, calls onStoppedLeading and
   * (unless `release: false`) releases the Lease so another replica takes it at once. Idempotent.
   */
  stop(options?: { release?: boolean }): Promise<void>;
  /**
   * True while this replica holds a lease it renewed within the renew deadline, judged on the
   * clock at the time of the call (so it turns false on time even while a renewal is stuck).
   */
  isLeader(): boolean;
  /** The last observed holder ('' if none). */
  leader(): string;
  /**
   * Why the last attempt to read, create or update the Lease failed, or undefined once an attempt
   * succeeded (or found another holder). `statusCode` 401/403 means RBAC does not allow it.
   */
  lastError(): LeaseError | undefined;
}

/** A failed Lease request, as {@link LeaderElector.lastError} reports it. */
export interface LeaseError {
  readonly action: 'read' | 'create' | 'update';
  readonly statusCode: number | undefined;
  readonly message: string;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. Pure. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Creates a {@link LeaderElector} following client-go's algorithm: expiry is judged from when this
 * replica last saw the lease record change (its own clock), not from `renewTime`, so clock skew
 * between nodes does not matter. Throws {@link ConfigError} when the timings are inconsistent.
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const jitter = options.jitter ?? 0.2;
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new ConfigError('renew deadline must be shorter than lease duration', {
      key: 'leader-elect-renew-deadline',
    });
  }
  if (!(retryPeriodMs < renewDeadlineMs)) {
    throw new ConfigError('retry period must be shorter than renew deadline', {
      key: 'leader-elect-retry-period',
    });
  }
  const { client, namespace, name, identity } = options;
  const clock = options.clock ?? createSystemClock();
  const log = (options.logger ?? createNoopLogger()).child({ lease: `${namespace}/${name}`, identity });
  const random = options.random ?? Math.random;
  const path = resourcePath(LEASES, namespace, name);
  const collection = resourcePath(LEASES, namespace);

  let started = false;
  let stopped = false;
  let leading = false;
  let holds = false;
  let holder = '';
  let observed = '';
  let observedTime = 0;
  let lastLease: Lease | undefined;
  const abort = new AbortController();
  let leaderAbort: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let lastRenew = 0;
  let lastError: LeaseError | undefined;
  let forbiddenLogged = false;
  const failed = (action: LeaseError['action'], err: unknown): 'error' => {
    const statusCode = statusCodeOf(err);
    const forbidden = statusCode === 401 || statusCode === 403;
    // A missing permission does not fix itself: say so once, loudly, instead of a warning per attempt.
    if (forbidden && !forbiddenLogged) {
      forbiddenLogged = true;
      log.error(`cannot ${action} the Lease: RBAC must allow get, create and update on leases`, {
        lease: `${namespace}/${name}`,
        error: String(err),
        status: statusCode,
      });
    } else if (!forbidden) log.warn(`cannot ${action} lease`, { error: String(err), status: statusCode });
    lastError = { action, statusCode, message: String(err) };
    return 'error';
  };

  const observe = (spec: LeaseSpec | undefined, now: number): void => {
    const rec = JSON.stringify(spec ?? {});
    if (rec !== observed) {
      observed = rec;
      observedTime = now;
    }
    const h = spec?.holderIdentity ?? '';
    if (h !== holder) {
      holder = h;
      log.info('lease holder changed', { holder: h });
      try {
        options.onNewLeader?.(h);
      } catch (err) {
        log.error('onNewLeader threw', { error: String(err) });
      }
    }
  };

  /** One attempt: 'ok' when we hold the lease now, 'held' when another valid holder has it, 'error' otherwise. */
  const tryAcquireOrRenew = async (
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<'ok' | 'held' | 'error'> => {
    const now = clock.now();
    let lease: Lease | undefined;
    try {
      lease = await client.request<Lease>({ path, timeoutMs, signal });
    } catch (err) {
      if (statusCodeOf(err) !== 404) return failed('read', err);
    }
    const durationS = Math.ceil(leaseDurationMs / 1000);
    if (lease === undefined) {
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: durationS,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      try {
        lastLease = await client.request<Lease>({
          method: 'POST',
          path: collection,
          timeoutMs,
          signal,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
        });
        observe(lastLease.spec, now);
        lastError = undefined;
        forbiddenLogged = false;
        return 'ok';
      } catch (err) {
        return failed('create', err);
      }
    }
    const spec = lease.spec ?? {};
    observe(spec, now);
    const current = spec.holderIdentity ?? '';
    const validMs = (spec.leaseDurationSeconds ?? durationS) * 1000;
    lastError = undefined;
    if (current !== '' && current !== identity && observedTime + validMs > now) return 'held';
    const mine = current === identity;
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationS,
      acquireTime: mine && spec.acquireTime !== undefined ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      lastLease = await client.request<Lease>({
        method: 'PUT',
        path,
        timeoutMs,
        signal,
        body: { ...lease, spec: next },
      });
      observe(lastLease.spec, now);
      forbiddenLogged = false;
      return 'ok';
    } catch (err) {
      return failed('update', err);
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      // Acquire.
      for (;;) {
        if (stopped) return;
        const attemptAt = clock.now();
        const r = await tryAcquireOrRenew(renewDeadlineMs, abort.signal);
        if (r === 'ok') {
          holds = true;
          // Set before `leading`, so isLeader() is already true inside onStartedLeading.
          lastRenew = attemptAt;
        }
        if (stopped || r === 'ok') break;
        await sleep(clock, retryPeriodMs * (1 + jitter * random()), abort.signal);
      }
      // A lease acquired while stopping is released by stop(), without leading callbacks.
      if (stopped) return;
      leading = true;
      leaderAbort = new AbortController();
      log.info('started leading');
      try {
        options.onStartedLeading?.(leaderAbort.signal);
      } catch (err) {
        log.error('onStartedLeading threw', { error: String(err) });
      }
      // Renew. As in client-go, the renewal as a whole (not each request) is bounded by the
      // renew deadline: a request that hangs past it is abandoned, so leadership ends before
      // the lease can expire for the other replicas.
      while (!stopped) {
        // Wake at the deadline at the latest, so onStoppedLeading is not a retry period late.
        await sleep(
          clock,
          Math.min(retryPeriodMs, Math.max(0, lastRenew + renewDeadlineMs - clock.now())),
          abort.signal,
        );
        if (stopped) break;
        const attemptAt = clock.now();
        const remaining = lastRenew + renewDeadlineMs - attemptAt;
        const r =
          remaining <= 0
            ? 'error'
            : await withDeadline(remaining, (signal) => tryAcquireOrRenew(remaining, signal));
        if (stopped) break;
        if (r === 'ok') {
          lastRenew = attemptAt;
          continue;
        }
        if (r === 'held' || clock.now() - lastRenew >= renewDeadlineMs) {
          holds = false;
          log.warn('lost leadership', {
            reason: r === 'held' ? 'taken by another holder' : 'renew deadline passed',
          });
          break;
        }
      }
      if (stopped) return;
      endLeading();
    }
  };

  /** Runs `fn` with a signal that aborts after `ms` on the clock or when the elector stops. */
  const withDeadline = async <R>(ms: number, fn: (signal: AbortSignal) => Promise<R>): Promise<R> => {
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(new Error('renew deadline passed')), ms);
    try {
      return await fn(AbortSignal.any([abort.signal, deadline.signal]));
    } finally {
      timer.cancel();
    }
  };

  const endLeading = (): void => {
    if (!leading) return;
    leading = false;
    leaderAbort?.abort();
    log.info('stopped leading');
    try {
      options.onStoppedLeading?.();
    } catch (err) {
      log.error('onStoppedLeading threw', { error: String(err) });
    }
  };

  return {
    start() {
      if (started || stopped) return;
      started = true;
      loop = run().catch((err: unknown) => log.error('leader election loop failed', { error: String(err) }));
    },
    async stop(opts = {}) {
      if (stopped) {
        await loop;
        return;
      }
      stopped = true;
      abort.abort();
      await loop;
      endLeading();
      if (holds && opts.release !== false && lastLease !== undefined) {
        try {
          const now = clock.now();
          const cur = await client.request<Lease>({ path, timeoutMs: renewDeadlineMs });
          if (cur.spec?.holderIdentity === identity) {
            await client.request<Lease>({
              method: 'PUT',
              path,
              timeoutMs: renewDeadlineMs,
              body: {
                ...cur,
                spec: {
                  ...cur.spec,
                  holderIdentity: '',
                  leaseDurationSeconds: 1,
                  renewTime: microTime(now),
                  acquireTime: microTime(now),
                },
              },
            });
            log.info('released lease');
          }
        } catch (err) {
          log.warn('cannot release lease', { error: String(err) });
        }
      }
    },
    isLeader: () => leading && clock.now() - lastRenew < renewDeadlineMs,
    leader: () => holder,
    lastError: () => lastError,
  };
}
