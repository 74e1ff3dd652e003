import type { KubeClient, WatchEvent } from './kube-client.js';
import type { ResourceRef } from './resources.js';
import { resourcePath } from './resources.js';
import type { KubeObjectLike } from './types.js';

/** A complete list and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/**
 * The seam an informer reads through: the real API ({@link createApiListWatch}) or a fake.
 * Both calls must honour `signal`.
 */
export interface ListWatchSource<T> {
  /** A full list. Rejects on any failure. */
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /**
   * Watches from `resourceVersion`, calling `onEvent` in order. Resolves on a clean close or
   * abort; rejects on failure (HTTP 410 as an error with `statusCode` 410).
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

/** Options for {@link createApiListWatch}. */
export interface ApiListWatchOptions {
  client: KubeClient;
  resource: ResourceRef;
  /** Limit to one namespace. Default: all namespaces. */
  namespace?: string;
  /** Applied to both the list and the watch. */
  labelSelector?: string;
  /** Applied to both the list and the watch. */
  fieldSelector?: string;
  /** Server-side watch timeout: a random value in [min, 2·min) seconds per watch, as client-go does. Default 300. */
  watchTimeoutSeconds?: number;
  /** Page size for the list (`limit`/`continue`). Default 0: one request. */
  pageSize?: number;
  /** Random source for the watch timeout. Default Math.random. */
  random?: () => number;
}

interface ListBody<T> {
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/**
 * A {@link ListWatchSource} over the API server. Selectors go on both list and watch (client-node's
 * makeInformer puts them on the watch only). Listed items get `apiVersion`/`kind` filled in, since
 * the server omits them inside lists. Stateless; safe to call concurrently.
 */
export function createApiListWatch<T extends KubeObjectLike>(
  options: ApiListWatchOptions,
): ListWatchSource<T> {
  const { client, resource } = options;
  const path = resourcePath(resource, options.namespace);
  const selectors = {
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
  };
  const minTimeout = options.watchTimeoutSeconds ?? 300;
  const random = options.random ?? Math.random;
  return {
    async list(signal) {
      const items: T[] = [];
      let cont: string | undefined;
      let rv = '';
      for (let page = 0; page < 100_000; page++) {
        const body = await client.request<ListBody<T>>({
          path,
          query: {
            ...selectors,
            ...(options.pageSize ? { limit: options.pageSize } : {}),
            ...(cont !== undefined ? { continue: cont } : {}),
          },
          signal,
        });
        for (const item of body.items ?? []) {
          item.apiVersion ??= resource.apiVersion;
          item.kind ??= resource.kind;
          items.push(item);
        }
        rv = body.metadata?.resourceVersion ?? rv;
        cont = body.metadata?.continue || undefined;
        if (cont === undefined) break;
      }
      return { items, resourceVersion: rv };
    },
    watch(resourceVersion, onEvent, signal) {
      const timeoutSeconds = Math.floor(minTimeout * (1 + random()));
      return client.watch(
        {
          path,
          query: { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          signal,
          // The server should close at timeoutSeconds; silence well past it means a dead connection.
          idleTimeoutMs: (timeoutSeconds + 30) * 1000,
        },
        onEvent,
      );
    },
  };
}
