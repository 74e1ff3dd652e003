/** The least a Kubernetes object has, as far as caches and listers care. */
export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown;
  };
}

/** What happened; `RESYNC` is the periodic re-signal and carries no object. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'RESYNC';

/** One change signal. Level-triggered consumers ignore the payload and recompute from listers. */
export interface ChangeEvent<T> {
  type: ChangeType;
  /** The new object (the last known one for `DELETED`); absent for `RESYNC`. */
  object?: T;
  /** The cached object before a `MODIFIED`. */
  oldObject?: T;
}

/** Receives change signals. Called synchronously from the informer; must not block. Exceptions are logged and swallowed. */
export type ChangeHandler<T> = (event: ChangeEvent<T>) => void;

/** Builds index values for an object (e.g. the Secret names an Ingress refers to). Must be pure and fast. */
export type IndexFunc<T> = (obj: T) => string[];

/** The name of the index every lister has: objects by `metadata.namespace` ('' for cluster-scoped). */
export const NAMESPACE_INDEX = 'namespace';

/**
 * Read access to a set of objects of one kind, live (informer) or from files (offline).
 * Reads are synchronous, never block, and return the cached objects themselves: do not mutate them.
 */
export interface Lister<T> {
  /** Begins filling the cache. Non-blocking, idempotent. */
  start(): void;
  /** True once the cache has held a complete list at least once. Stays true afterwards. */
  hasSynced(): boolean;
  /** The object with this name (and namespace, for namespaced kinds), or undefined. */
  get(name: string, namespace?: string): T | undefined;
  /** All objects, or those in one namespace, in no particular order. */
  list(namespace?: string): T[];
  /** Objects whose index `indexName` produced `value`. Throws for an unknown index name. */
  byIndex(indexName: string, value: string): T[];
  /** Registers a change handler; returns a function that unregisters it (idempotent). */
  onChange(handler: ChangeHandler<T>): () => void;
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped. Pure. */
export function objectKey(obj: KubeObjectLike): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns !== undefined && ns !== '' ? `${ns}/${name}` : name;
}

/** The cache key for a name and optional namespace; matches {@link objectKey}. Pure. */
export function keyOf(name: string, namespace?: string): string {
  return namespace !== undefined && namespace !== '' ? `${namespace}/${name}` : name;
}

/**
 * The default transform: drops `metadata.managedFields`, which is often most of an object's
 * bytes and is never needed by a controller. Returns the same object, mutated.
 */
export function stripManagedFields<T extends KubeObjectLike>(obj: T): T {
  if (obj.metadata !== undefined && 'managedFields' in obj.metadata) {
    delete obj.metadata.managedFields;
  }
  return obj;
}
