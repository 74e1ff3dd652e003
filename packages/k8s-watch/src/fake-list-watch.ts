import { KubeApiError } from './kube-client.js';
import type { WatchEvent } from './kube-client.js';
import type { ListResult, ListWatchSource } from './list-watch.js';
import type { KubeObjectLike } from './types.js';
import { objectKey } from './types.js';

/**
 * An in-memory {@link ListWatchSource} with API-server semantics (resourceVersions, history
 * replay, 410 after compaction) and fault injection: a working fake for informer tests.
 * Not safe for concurrent mutation from several async tasks (mutations are synchronous anyway).
 */
export interface FakeListWatch<T extends KubeObjectLike> extends ListWatchSource<T> {
  /** Creates or replaces an object (ADDED or MODIFIED); returns the stored copy. */
  upsert(obj: T): T;
  /** Deletes by key (`ns/name` or `name`); no-op if absent. */
  remove(key: string): void;
  /** The current objects, by key. */
  snapshot(): Map<string, T>;
  /** Closes every open watch cleanly. */
  endWatches(): void;
  /** Fails every open watch as if the socket was destroyed. */
  breakWatches(): void;
  /** Drops history: watches from older resourceVersions get HTTP 410. */
  compact(): void;
  /** Sends an ERROR event with code 410 on every open watch. */
  expireWatches(): void;
  /** The next `count` lists fail with `status`. */
  failLists(count: number, status?: number): void;
  /** The next `count` watch requests fail with `status`. */
  failWatches(count: number, status?: number): void;
  /** Number of list and watch calls so far. */
  calls(): { lists: number; watches: number };
  /** Number of watches open now. */
  openWatches(): number;
}

interface Watcher {
  onEvent: (e: WatchEvent) => void;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Creates a {@link FakeListWatch}. Objects are deep-copied in and out. */
export function createFakeListWatch<T extends KubeObjectLike>(): FakeListWatch<T> {
  const objects = new Map<string, T>();
  const history: { rv: number; type: string; obj: T }[] = [];
  let rv = 1;
  let compactedAt = 0;
  let listFailures: number[] = [];
  let watchFailures: number[] = [];
  const watchers = new Set<Watcher>();
  const counts = { lists: 0, watches: 0 };

  const record = (type: string, obj: T): void => {
    history.push({ rv, type, obj });
    if (history.length > 10_000) history.shift();
    for (const w of [...watchers]) {
      try {
        w.onEvent({ type, object: structuredClone(obj) });
      } catch (err) {
        watchers.delete(w);
        w.reject(err instanceof Error ? err : new Error('watch handler failed', { cause: err }));
      }
    }
  };

  return {
    upsert(input) {
      rv += 1;
      const obj = structuredClone(input);
      obj.metadata = { ...obj.metadata, resourceVersion: String(rv) };
      const key = objectKey(obj);
      const type = objects.has(key) ? 'MODIFIED' : 'ADDED';
      objects.set(key, obj);
      record(type, obj);
      return structuredClone(obj);
    },
    remove(key) {
      const old = objects.get(key);
      if (old === undefined) return;
      rv += 1;
      objects.delete(key);
      const obj = structuredClone(old);
      obj.metadata = { ...obj.metadata, resourceVersion: String(rv) };
      record('DELETED', obj);
    },
    snapshot: () => new Map([...objects].map(([k, v]) => [k, structuredClone(v)])),
    endWatches() {
      for (const w of [...watchers]) {
        watchers.delete(w);
        w.resolve();
      }
    },
    breakWatches() {
      for (const w of [...watchers]) {
        watchers.delete(w);
        w.reject(new Error('socket hang up'));
      }
    },
    compact() {
      compactedAt = rv;
      history.length = 0;
    },
    expireWatches() {
      for (const w of [...watchers]) {
        try {
          w.onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
        } catch (err) {
          watchers.delete(w);
          w.reject(err instanceof Error ? err : new Error('watch handler failed', { cause: err }));
        }
      }
    },
    failLists(count, status = 500) {
      listFailures = [...listFailures, ...Array<number>(count).fill(status)];
    },
    failWatches(count, status = 500) {
      watchFailures = [...watchFailures, ...Array<number>(count).fill(status)];
    },
    calls: () => ({ ...counts }),
    openWatches: () => watchers.size,

    list(signal): Promise<ListResult<T>> {
      counts.lists += 1;
      if (signal.aborted) return Promise.reject(new Error('aborted'));
      const status = listFailures.shift();
      if (status !== undefined) return Promise.reject(new KubeApiError('injected list failure', status));
      return Promise.resolve({
        items: [...objects.values()].map((o) => structuredClone(o)),
        resourceVersion: String(rv),
      });
    },
    watch(fromRv, onEvent, signal): Promise<void> {
      counts.watches += 1;
      if (signal.aborted) return Promise.resolve();
      const status = watchFailures.shift();
      if (status !== undefined) return Promise.reject(new KubeApiError('injected watch failure', status));
      const from = Number(fromRv);
      if (from < compactedAt)
        return Promise.reject(new KubeApiError('too old resource version', 410, 'Expired'));
      return new Promise<void>((resolve, reject) => {
        const w: Watcher = { onEvent, resolve, reject };
        try {
          for (const h of history) if (h.rv > from) onEvent({ type: h.type, object: structuredClone(h.obj) });
        } catch (err) {
          reject(err instanceof Error ? err : new Error('watch handler failed', { cause: err }));
          return;
        }
        watchers.add(w);
        signal.addEventListener(
          'abort',
          () => {
            watchers.delete(w);
            resolve();
          },
          { once: true },
        );
      });
    },
  };
}
