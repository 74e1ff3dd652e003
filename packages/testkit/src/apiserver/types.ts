import type { KubeConfig } from '@kubernetes/client-node';

/** Any Kubernetes object as the test server stores it: typed metadata, everything else free-form. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** A `meta.k8s.io/v1` Status object, as the server sends it for every error. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason: string; message: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** Options of {@link startApiServer}. Every field is optional. */
export interface ApiServerOptions {
  /** Port of the main listener (the one `url` names). Default: a free port. */
  port?: number;
  /**
   * Default false. When true the main listener (`url`) speaks HTTPS with a self-signed certificate
   * for 127.0.0.1/localhost (made with openssl at start) and a second plain-HTTP listener is
   * served at `httpUrl`, with the same state.
   */
  https?: boolean;
  /** Watch history kept for `?watch=true&resourceVersion=N`, in events (all kinds together). Default 1000. */
  historySize?: number;
  /** YAML/JSON files, or directories of them (`.yaml`, `.yml`, `.json`, not recursive), loaded at start. */
  seedFiles?: string[];
  /**
   * How a watch from a resourceVersion older than the history is refused. `event` (default, what a
   * real API server with its watch cache does): HTTP 200, one `ERROR` event carrying a 410 `Expired`
   * Status, then the stream ends. `status`: an HTTP 410 response.
   */
  watchGone?: 'event' | 'status';
  /** Interval of BOOKMARK events on watches that ask for `allowWatchBookmarks=true`. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /**
   * Default false: `/openapi/v2` and `/openapi/v3` answer 404, so `kubectl create/apply -f` need
   * `--validate=false`. When true, `/openapi/v3` serves a minimal document (paths only, no schemas)
   * that tells kubectl the server validates fields itself, so kubectl's default validation passes
   * (`fieldValidation` is still not enforced). `/openapi/v2` stays 404.
   */
  openApiV3?: boolean;
  /** Clock for creationTimestamp/deletionTimestamp. Default `() => new Date()`. */
  now?: () => Date;
  /** Answered by `/version`. Default `{ major: '1', minor: '32' }` (matches the kubectl on these machines). */
  version?: { major: string; minor: string };
}

/** One request as the server saw it (request log). */
export interface RequestRecord {
  method: string;
  /** URL path without the query string, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  /** Query string without `?` (may be empty). */
  query: string;
  /** True for `?watch=true` (or `/watch/`) requests. */
  watch: boolean;
  /** HTTP status answered (for a watch: the status of the response head; 0 if the socket died first). */
  status: number;
}

/** Which requests a {@link ApiServerFaults.failNext} rule applies to. */
export interface FailMatch {
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Substring of the request URL (path plus `?query`), e.g. `/pods` or `watch=true`. */
  pathIncludes?: string;
}

/** Direct access to the server's state, with the same semantics as the REST API. */
export interface ApiStore {
  /**
   * Creates an object (generateName, uid, creationTimestamp, resourceVersion, ClusterIP, ADDED event).
   * Synchronous; throws {@link KubeApiError} (409 AlreadyExists, 404 missing namespace, 422 Invalid).
   * Not idempotent. Returns a deep copy.
   */
  create<T extends KubeObject>(obj: T): T;
  /** A deep copy of the object, or undefined. `namespace` undefined means `default` for namespaced kinds. */
  get<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined;
  /**
   * Replaces an object, spec and status alike (unlike a REST PUT, which keeps status on kinds with a
   * status subresource). 409 Conflict when `metadata.resourceVersion` is set and stale; unconditional
   * when it is absent. Removing the last finalizer of an object being deleted deletes it.
   */
  update<T extends KubeObject>(obj: T): T;
  /** Applies a JSON merge patch (RFC 7386) to spec and status alike. Throws 404 when missing. */
  patchMerge<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: object,
  ): T;
  /**
   * Deletes like the REST API: objects with finalizers (and namespaces) get a deletionTimestamp first;
   * a namespace's contents are deleted with it. Throws 404 when missing.
   */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** Deep copies of every object of a kind, sorted by namespace then name; all namespaces when `namespace` is undefined. */
  list<T extends KubeObject>(apiVersion: string, kind: string, namespace?: string): T[];
  /**
   * Creates every object in YAML/JSON files, directories or text (a string containing a newline is
   * text, otherwise a path; `kind: List` is expanded). Namespaces and CRDs are created first.
   * Synchronous; throws on the first failure.
   */
  loadYaml(pathsOrText: string | string[]): KubeObject[];
  /** The current (latest) resourceVersion of the whole store. */
  resourceVersion(): string;
}

/** Fault injection. Every method is synchronous and takes effect for the requests that follow. */
export interface ApiServerFaults {
  /** Ends every open watch stream cleanly (final chunk), as an API server does at its watch timeout. */
  endWatches(): void;
  /** Destroys every open socket (watch streams mid-stream, idle keep-alive connections). */
  destroySockets(): void;
  /**
   * Answers the next `count` matching requests with `status` and a Status body of the matching
   * reason (500 InternalError, 503 ServiceUnavailable, 429 TooManyRequests with Retry-After: 1, ...).
   * Rules queue up; the first rule that matches and has requests left is used.
   */
  failNext(count: number, status: number, match?: FailMatch): void;
  /**
   * Resets the connection of the next `count` matching requests without answering (the client sees
   * a socket error; the log records status 0). Queues with the failNext rules.
   */
  dropNext(count: number, match?: FailMatch): void;
  /**
   * Drops the watch history: a watch from any resourceVersion older than the current one gets 410.
   * With `{ closeWatches: true }` every open watch also receives an ERROR 410 event and ends, as
   * when a real server's watch cache falls behind.
   */
  compact(options?: { closeWatches?: boolean }): void;
  /** Delays every request that follows (before it is handled) by `ms`. 0 turns it off. */
  setLatency(ms: number): void;
  /** Sends a BOOKMARK now on every open watch that allowed bookmarks. */
  sendBookmarks(): void;
  /** Clears pending failNext/dropNext rules and latency. */
  reset(): void;
}

/**
 * What every Kubernetes API server for tests offers: testkit's in-process test server
 * ({@link ApiServer}, `kind: 'fake'`) and a real kube-apiserver (`RealApiServer`, `kind: 'real'`)
 * alike, so one test body can run against either.
 */
export interface ApiServerHandle {
  /** `fake`: testkit's in-process server (store, fault injection, request log). `real`: kube-apiserver + etcd. */
  readonly kind: 'fake' | 'real';
  /** Base URL of the API (`http://` or `https://127.0.0.1:PORT`). */
  url: string;
  /** PEM of the CA to trust for `url` when it is HTTPS, else undefined. */
  caPem: string | undefined;
  /** Port of `url`. */
  port: number;
  /** Bearer token of a cluster admin (`system:masters` on a real server; never checked by the fake). */
  adminToken: string;
  /** A kubeconfig for `url` as the admin (token auth, namespace `default`). */
  kubeconfigYaml(): string;
  /** Writes {@link ApiServerHandle.kubeconfigYaml} (to a fresh temp file by default, removed by `close()`) and returns its path. */
  writeKubeconfig(path?: string): Promise<string>;
  /** The admin client: a client-node KubeConfig loaded from {@link ApiServerHandle.kubeconfigYaml}. */
  makeKubeConfig(): KubeConfig;
  /** Stops serving (clients get ECONNREFUSED), keeps the state. Idempotent. */
  stop(): Promise<void>;
  /** Serves again on the same port with the state kept. Idempotent while running; throws after `close()`. */
  restart(): Promise<void>;
  /** Stops and discards everything (processes, state, temp files). Idempotent. */
  close(): Promise<void>;
}

/** A running Kubernetes API test server. Methods are safe to call from any test; state lives until `close()`. */
export interface ApiServer extends ApiServerHandle {
  /** Always `fake`. */
  readonly kind: 'fake';
  /** `http://127.0.0.1:PORT`, or `https://...` when started with `https: true`. */
  url: string;
  /** Plain-HTTP URL; equals `url` unless started with `https: true`. */
  httpUrl: string;
  /** PEM of the self-signed certificate when `https: true` (use it as the CA), else undefined. */
  caPem: string | undefined;
  /** Port of `url`. */
  port: number;
  /** A kubeconfig for this server (token auth, accepted but not checked; namespace `default`). */
  kubeconfigYaml(options?: { https?: boolean }): string;
  /** Writes the kubeconfig (to a fresh temp file by default, removed by `close()`) and returns its path. */
  writeKubeconfig(path?: string): Promise<string>;
  /** A client-node KubeConfig loaded from {@link ApiServer.kubeconfigYaml}. */
  makeKubeConfig(): KubeConfig;
  /** Direct access to the state. */
  store: ApiStore;
  /** Fault injection. */
  faults: ApiServerFaults;
  /** The request log since start (copies), oldest first. */
  requests(): RequestRecord[];
  /** Number of watch streams open now (to check that clients close their watches). */
  openWatches(): number;
  /** Clears the request log. */
  clearRequests(): void;
  /** Closes the listeners and every socket, keeps state. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port(s) with the state kept. Idempotent while running. */
  restart(): Promise<void>;
  /** Stops and discards the server (and temp kubeconfigs). Idempotent. */
  close(): Promise<void>;
}
