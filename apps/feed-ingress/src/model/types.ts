/**
 * The contract between feed-ingress's pure model builder and the process half (wiring, nginx,
 * frontends, status writer). Everything here is data: no clients, no clocks, no I/O.
 *
 * Units are explicit in the field names (seconds, KiB); the builder converts them into nginx's
 * own strings when it builds the `NginxConfig`.
 */
import type { V1Ingress, V1IngressClass, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import type { NginxConfig } from '@kube-edge/nginx-render';

/** A snapshot of every object the builder reads (informer caches, or files in offline mode). */
export interface FeedModelInput {
  readonly ingresses: readonly V1Ingress[];
  readonly services: readonly V1Service[];
  readonly namespaces: readonly V1Namespace[];
  readonly ingressClasses: readonly V1IngressClass[];
  readonly secrets: readonly V1Secret[];
}

/** One `--ingress-controller-namespace-selectors` pair: the namespace label `name` must equal `value`. */
export interface NamespaceSelector {
  readonly name: string;
  readonly value: string;
}

/**
 * The nginx settings of feed's `--nginx-*` flags that shape nginx.conf.
 * Process-only flags (`--nginx-binary`, `--nginx-update-period`) are not here.
 */
export interface FeedNginxConfig {
  /** `--nginx-workdir`; informational (the process manager owns the files in it). */
  readonly workDir: string;
  /** Directory for every `*_temp_path` (render with the process manager's `paths.tempDir`). */
  readonly tempPathRoot: string;
  /** Where certificate/key files from `spec.tls` secrets go (`TlsFile.path` is under it). */
  readonly tlsDir: string;
  /** `--nginx-workers`: `worker_processes`. */
  readonly workers: number;
  /** `--nginx-worker-connections`. */
  readonly workerConnections: number;
  /** `--nginx-worker-shutdown-timeout-seconds`; 0 omits `worker_shutdown_timeout`. */
  readonly workerShutdownTimeoutSeconds: number;
  /** `--nginx-keepalive-seconds`: client `keepalive_timeout`. */
  readonly keepaliveSeconds: number;
  /** `--nginx-backend-keepalive-count`: `keepalive N` in every upstream. */
  readonly backendKeepaliveCount: number;
  /** `--nginx-default-backend-timeout-seconds`: `proxy_read_timeout`/`proxy_send_timeout`. */
  readonly defaultBackendTimeoutSeconds: number;
  /** `--nginx-backend-connect-timeout-seconds`: `proxy_connect_timeout`. */
  readonly backendConnectTimeoutSeconds: number;
  /** `--nginx-default-backend-max-connections`: upstream `max_conns` (0 = unlimited). */
  readonly defaultBackendMaxConnections: number;
  /** `--nginx-default-proxy-buffer-size` in KiB. */
  readonly defaultProxyBufferSizeKb: number;
  /** `--nginx-default-proxy-buffer-blocks`. */
  readonly defaultProxyBufferBlocks: number;
  /** `--nginx-loglevel`: `error_log stderr <level>`. */
  readonly logLevel: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';
  /** `--nginx-server-names-hash-bucket-size`; ≤ 0 omits it. */
  readonly serverNamesHashBucketSize: number;
  /** `--nginx-server-names-hash-max-size`; ≤ 0 omits it. */
  readonly serverNamesHashMaxSize: number;
  /** `--nginx-client-header-buffer-size-in-kb`; 0 omits `client_header_buffer_size` and `large_client_header_buffers`. */
  readonly clientHeaderBufferSizeKb: number;
  /** `--nginx-client-body-buffer-size-in-kb`; 0 omits it. */
  readonly clientBodyBufferSizeKb: number;
  /** `--nginx-large-client-header-buffer-blocks`. */
  readonly largeClientHeaderBufferBlocks: number;
  /** `--nginx-allow-websocket-upgrade` (feed PR #246): pass `Upgrade`/`Connection` through. */
  readonly allowWebsocketUpgrade: boolean;
  /** `--nginx-allow-localhost`: `allow 127.0.0.1;` before every allow list, as feed did (default off). */
  readonly allowLocalhost: boolean;
}

/** Every feed flag that shapes nginx.conf or which Ingresses are served. */
export interface FeedModelConfig {
  /** `--ingress-class`: the class this controller serves (annotation value or IngressClass name). */
  readonly ingressClass: string;
  /**
   * `--ingress-class-controller` (kube-edge): the `spec.controller` an IngressClass named
   * `ingressClass` must have for `spec.ingressClassName` to select this controller.
   */
  readonly ingressClassController: string;
  /** `--include-classless-ingresses`. */
  readonly includeClasslessIngresses: boolean;
  /** `--ingress-controller-namespace-selectors` (plus the legacy single selector). Empty = every namespace. */
  readonly namespaceSelectors: readonly NamespaceSelector[];
  /** `--match-all-namespace-selectors`: every selector must match (name and value). */
  readonly matchAllNamespaceSelectors: boolean;
  /** `--ingress-port`; undefined = no http listener. */
  readonly ingressPort: number | undefined;
  /** `--ingress-https-port`; undefined = no https listener. */
  readonly ingressHttpsPort: number | undefined;
  /** `--ingress-health-port`: nginx's status server (`/health`, `/basic_status`). */
  readonly ingressHealthPort: number;
  /** `--ingress-allow`: default allow list (IPs/CIDRs). Empty = nobody (only 127.0.0.1 with `nginx.allowLocalhost`). */
  readonly defaultAllow: readonly string[];
  /** `--ingress-strip-path`. */
  readonly defaultStripPath: boolean;
  /** `--ingress-exact-path`. */
  readonly defaultExactPath: boolean;
  /** The `--nginx-*` settings. */
  readonly nginx: FeedNginxConfig;
  /** `--ssl-path`: default certificate `<path>.crt` / `<path>.key`; undefined = no default certificate. */
  readonly defaultSslPath: string | undefined;
  /** `--access-log`, `--access-log-dir`, `--nginx-log-headers`. */
  readonly accessLog: {
    readonly enabled: boolean;
    readonly dir: string;
    readonly headers: readonly string[];
  };
  /** `--nginx-trusted-frontends`: `set_real_ip_from` CIDRs. */
  readonly trustedFrontends: readonly string[];
  /** `--set-real-ip-from-header` (ignored with proxy protocol). */
  readonly realIpHeader: string;
  /** `--nginx-proxy-protocol`. */
  readonly proxyProtocol: boolean;
}

/** Kinds of object a {@link SkippedObject} can name. */
export type SkippedKind = 'Ingress' | 'Service' | 'Secret' | 'Namespace';

/**
 * An object (or one host/path entry of it) that was not served, or was served with a value
 * ignored, with a human reason. `reason` is stable for the same input, so callers can report
 * each `uid + reason` once.
 */
export interface SkippedObject {
  readonly kind: SkippedKind;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  /**
   * A short CamelCase code for the Event reason and metric label when the problem has one of its
   * own (`HostOwnedByOther`); undefined for the generic skip or ignored value.
   */
  readonly code?: string;
  readonly reason: string;
}

/** A certificate or key file the process half must write (mode 0600) before applying the config. */
export interface TlsFile {
  /** Absolute, under `nginx.tlsDir`; the name contains a content hash, so new content means a new path (and a reload). */
  readonly path: string;
  readonly content: string;
  readonly mode: 0o600;
}

/** An adopted Ingress, for the status writer. */
export interface ServedIngress {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** `sky.uk/frontend-scheme` (or legacy `sky.uk/frontend-elb-scheme`) when valid. */
  readonly lbScheme?: 'internal' | 'internet-facing';
}

/** What one build pass produces. */
export interface FeedModel {
  /** nginx-render's model; the process half renders and applies it. */
  readonly nginx: NginxConfig;
  /** Certificate/key files from `spec.tls` secrets, to be written before nginx applies the config. */
  readonly tlsFiles: readonly TlsFile[];
  /** Adopted ingresses with at least one served entry, sorted by namespace/name. */
  readonly servedIngresses: readonly ServedIngress[];
  /** Objects or entries not served, one per problem, with a reason (turn into Events, warn once). */
  readonly skipped: readonly SkippedObject[];
  /** Values that were ignored (a default was used instead) while the object was still served. */
  readonly warnings: readonly SkippedObject[];
  readonly stats: {
    /** Adopted ingresses (class and namespace matched). */
    readonly ingresses: number;
    /** Ingresses seen but belonging to another class or namespace. */
    readonly ignoredIngresses: number;
    /** host/path entries served (after de-duplication). */
    readonly entries: number;
    readonly upstreams: number;
  };
}
