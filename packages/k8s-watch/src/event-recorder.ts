import type { Logger } from '@kube-edge/runtime';
import { createNoopLogger, createSerialRunner } from '@kube-edge/runtime';
import type { Clock } from './clock.js';
import { createSystemClock } from './clock.js';
import type { KubeClient } from './kube-client.js';
import { statusCodeOf } from './kube-client.js';
import type { TokenBucket } from './rate-limiter.js';
import { createTokenBucket } from './rate-limiter.js';
import { EVENTS, resourcePath } from './resources.js';
import type { KubeObjectLike } from './types.js';

/** The object an Event is about. A full object also works (its apiVersion, kind and metadata are used). */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** Event type, as in core/v1. */
export type EventType = 'Normal' | 'Warning';

/** Options for {@link createEventRecorder}. */
export interface EventRecorderOptions {
  client: KubeClient;
  /** `source.component` and `reportingComponent`, e.g. `feed-ingress`. */
  component: string;
  /** `source.host` and `reportingInstance`, e.g. the node or pod name. Default ''. */
  host?: string;
  /** Namespace for Events about cluster-scoped objects. Default `default`. */
  defaultNamespace?: string;
  /** Per involved object token bucket: burst. Default 25 (client-go's spam filter). */
  burst?: number;
  /** Per involved object token bucket: refill per second. Default 1/300 (one per 5 min, as client-go). */
  qps?: number;
  /** Distinct events remembered for de-duplication. Default 4096. */
  cacheSize?: number;
  /**
   * Writes queued at most; beyond it events are dropped (counted in `dropped`), so a stalled API
   * server cannot grow the queue without bound. Default 1000.
   */
  maxPending?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Counters of an {@link EventRecorder}. */
export interface EventRecorderStats {
  created: number;
  updated: number;
  dropped: number;
  failed: number;
}

/** Writes core/v1 Events. `record` never blocks and never throws. */
export interface EventRecorder {
  /**
   * Queues an Event about `object`. A repeat of the same (object, type, reason, message)
   * increments `count` on the existing Event instead of creating one. Beyond the rate limit, or
   * with `maxPending` writes already queued, events are dropped (counted). Writes are sent one
   * at a time in order; failures are logged.
   */
  record(object: ObjectReference | KubeObjectLike, type: EventType, reason: string, message: string): void;
  /** Resolves when every queued write has been sent. */
  flush(): Promise<void>;
  stats(): EventRecorderStats;
}

function toRef(o: ObjectReference | KubeObjectLike): ObjectReference {
  if ('name' in o && typeof o.name === 'string') return o;
  const k = o as KubeObjectLike;
  return {
    name: k.metadata?.name ?? '',
    ...(k.apiVersion !== undefined ? { apiVersion: k.apiVersion } : {}),
    ...(k.kind !== undefined ? { kind: k.kind } : {}),
    ...(k.metadata?.namespace !== undefined ? { namespace: k.metadata.namespace } : {}),
    ...(k.metadata?.uid !== undefined ? { uid: k.metadata.uid } : {}),
    ...(k.metadata?.resourceVersion !== undefined ? { resourceVersion: k.metadata.resourceVersion } : {}),
  };
}

/** Creates an {@link EventRecorder}. Keeps bounded in-memory state (dedup cache and limiters). */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { client, component } = options;
  const host = options.host ?? '';
  const defaultNs = options.defaultNamespace ?? 'default';
  const burst = options.burst ?? 25;
  const qps = options.qps ?? 1 / 300;
  const cacheSize = options.cacheSize ?? 4096;
  const maxPending = options.maxPending ?? 1000;
  const clock = options.clock ?? createSystemClock();
  const log = options.logger ?? createNoopLogger();
  const stats: EventRecorderStats = { created: 0, updated: 0, dropped: 0, failed: 0 };
  // Map iteration order is insertion order, so delete+set keeps these LRU.
  const seen = new Map<string, { name: string; namespace: string; count: number }>();
  const limiters = new Map<string, TokenBucket>();
  const writes = createSerialRunner();
  let pending = 0;
  let seq = 0;

  const touch = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    map.set(key, value);
    if (map.size > cacheSize) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  };

  const write = async (
    ref: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    at: number,
  ): Promise<void> => {
    const namespace = ref.namespace || defaultNs;
    const dedupKey = JSON.stringify([
      ref.apiVersion,
      ref.kind,
      ref.namespace,
      ref.name,
      ref.uid,
      type,
      reason,
      message,
    ]);
    const now = new Date(at).toISOString();
    const prior = seen.get(dedupKey);
    if (prior !== undefined) {
      try {
        await client.request({
          method: 'PATCH',
          path: resourcePath(EVENTS, prior.namespace, prior.name),
          contentType: 'application/merge-patch+json',
          body: { count: prior.count + 1, lastTimestamp: now },
        });
        touch(seen, dedupKey, { ...prior, count: prior.count + 1 });
        stats.updated += 1;
        return;
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw err;
        seen.delete(dedupKey);
      }
    }
    seq = (seq + 1) % 4096;
    const name = `${ref.name}.${(BigInt(at) * 1_000_000n + BigInt(seq)).toString(16)}`;
    await client.request({
      method: 'POST',
      path: resourcePath(EVENTS, namespace),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: { ...ref },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component, ...(host ? { host } : {}) },
        reportingComponent: component,
        reportingInstance: host,
      },
    });
    touch(seen, dedupKey, { name, namespace, count: 1 });
    stats.created += 1;
  };

  return {
    record(object, type, reason, message) {
      const ref = toRef(object);
      if (pending >= maxPending) {
        stats.dropped += 1;
        log.debug('event dropped: too many writes queued', {
          kind: ref.kind,
          namespace: ref.namespace,
          name: ref.name,
          reason,
          pending,
        });
        return;
      }
      const objKey = JSON.stringify([ref.kind, ref.namespace, ref.name, ref.uid]);
      let limiter = limiters.get(objKey);
      if (limiter === undefined) limiter = createTokenBucket({ qps, burst, clock });
      touch(limiters, objKey, limiter);
      if (!limiter.tryTake()) {
        stats.dropped += 1;
        log.debug('event dropped by rate limit', {
          kind: ref.kind,
          namespace: ref.namespace,
          name: ref.name,
          reason,
        });
        return;
      }
      const at = clock.now();
      pending += 1;
      void writes.run(() =>
        write(ref, type, reason, message, at)
          .catch((err: unknown) => {
            stats.failed += 1;
            log.warn('cannot write event', {
              kind: ref.kind,
              namespace: ref.namespace,
              name: ref.name,
              reason,
              error: String(err),
            });
          })
          .finally(() => {
            pending -= 1;
          }),
      );
    },
    flush: () => writes.idle(),
    stats: () => ({ ...stats }),
  };
}
