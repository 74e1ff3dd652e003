import type { NginxConfig, UpstreamHealthCheck } from '@kube-edge/nginx-render';

/** Object metadata, as far as the dispatcher reads it. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  /** RFC 3339; the oldest Namespace claiming a host owns it. */
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

/** A core/v1 Namespace (the fields read). */
export interface NamespaceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A container port. */
export interface ContainerPort {
  containerPort?: number;
  name?: string;
}

/** A probe (readiness or liveness). */
export interface Probe {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** A container of a pod spec. */
export interface Container {
  name?: string;
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

/** A core/v1 Pod (the fields read). */
export interface PodObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { containers?: Container[] };
  status?: { phase?: string; podIP?: string; conditions?: { type?: string; status?: string }[] };
}

/** A core/v1 Secret (the fields read). `data` values are base64, as the API sends them. */
export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  data?: Record<string, string>;
}

/** Why an object (or a part of it) was left out. */
export interface Skipped {
  readonly kind: 'Namespace' | 'Pod' | 'Secret';
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  /** A short machine-readable reason, used as the metric label and Event reason. */
  readonly reason: SkipReason;
  /** The human-readable detail (the host, path entry and what is wrong with it). */
  readonly message: string;
}

/** The reasons an object or part of one is skipped. */
export type SkipReason =
  | 'InvalidHostsAnnotation'
  | 'InvalidHost'
  | 'InvalidSSLOptions'
  | 'SSLDisabled'
  | 'MissingSSLSecret'
  | 'HostOwnedByOther'
  | 'InvalidApiKey'
  | 'InvalidPathsAnnotation'
  | 'InvalidPathEntry'
  | 'InvalidPodIP'
  | 'DuplicateHostPath'
  | 'NamespaceNotRoutable';

/** An nginx_upstream_check_module check for one upstream (part of nginx-render's upstream model). */
export type HealthCheck = UpstreamHealthCheck;

/** A certificate file to write before nginx reads the config. */
export interface SslFile {
  readonly path: string;
  /** The bytes (decoded from the Secret). */
  readonly content: Buffer;
  /** 0o600 for keys, 0o644 for certificates. */
  readonly mode: number;
}

/** The whole desired state: an nginx model plus what the app adds around it. */
export interface DispatcherModel {
  readonly nginx: NginxConfig;
  readonly sslFiles: readonly SslFile[];
  readonly skipped: readonly Skipped[];
  /**
   * Every secret value the model was built from (API keys and TLS Secret data, raw and base64),
   * longest first, for value-based redaction of anything logged. Never logged itself.
   */
  readonly secrets: readonly string[];
  readonly stats: {
    readonly hosts: number;
    readonly upstreams: number;
    readonly servers: number;
    readonly pods: number;
  };
}
