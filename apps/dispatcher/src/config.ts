import type { UpstreamModeChoice } from './lua-mode.js';
import { ConfigError } from '@kube-edge/runtime';
import { validateFilePath, validatePath, validateVariableHeaderName } from '@kube-edge/nginx-render';
import { isQualifiedName, parseLabelSelector, type LabelSelector } from './model/selector.js';

/** What unknown paths on a known host get: a status code, or a proxy to a URL. */
export type DefaultLocationReturn =
  | { readonly kind: 'status'; readonly status: number }
  | {
      readonly kind: 'proxy';
      readonly scheme: 'http' | 'https';
      readonly host: string;
      readonly port?: number;
      readonly path?: string;
      readonly url: string;
    };

/** The validated configuration the model builder and the app use. Plain data. */
export interface DispatcherConfig {
  readonly apiKeySecretName: string;
  readonly apiKeySecretField: string;
  readonly routableSelector: LabelSelector;
  readonly hostsAnnotation: string;
  readonly orgLabel: string;
  readonly envLabel: string;
  readonly pathsAnnotation: string;
  readonly appNameLabel: string;
  readonly appRevLabel: string;
  /** The header as given (`X-ROUTING-API-KEY`). */
  readonly apiKeyHeader: string;
  /** The nginx variable it becomes, without `$` (`http_x_routing_api_key`), computed once here. */
  readonly apiKeyVariable: string;
  readonly enableHealthChecks: boolean;
  readonly statusPath: string;
  readonly maxClientBodySize: string;
  readonly port: number;
  readonly sslPort: number;
  /** Present when `SSL_CERT` is set: SSL is enabled. */
  readonly ssl?: { readonly cert: string; readonly key: string };
  readonly sslCertDir: string;
  readonly defaultLocationReturn: DefaultLocationReturn;
  /** kube-edge: route only Ready, non-terminating pods (the original: Running is enough). */
  readonly requireReady: boolean;
  readonly workerProcesses: number | 'auto';
  /**
   * `worker_connections`: the original's 81920, lowered to the open-file limit the process has
   * (`BuildConfigDeps.openFileLimit`), so nginx does not warn on every reload that it exceeds it.
   */
  readonly workerConnections: number;
  readonly accessLog: string;
}

/** The original's `worker_connections`. */
export const DEFAULT_WORKER_CONNECTIONS = 81920;

/**
 * Whether the controller runs in mock mode (render and log only, nginx never started). kube-edge:
 * only when asked (`--mock-mode=on`); `auto` keeps the original's rule (mock whenever the
 * service-account token is absent, i.e. outside a pod). Pure.
 */
export function isMockMode(mode: 'auto' | 'on' | 'off', inCluster: boolean): boolean {
  return mode === 'on' || (mode === 'auto' && !inCluster);
}

/** Where the image keeps its copy of nginx that carries the NET_BIND_SERVICE file capability. */
export const NET_BIND_NGINX = '/usr/local/lib/dispatcher/nginx-net-bind';

/**
 * The nginx executable to run. An explicit `--nginx-binary` always wins. Otherwise, when a non-root
 * process must bind a port below 1024 (the original's `PORT=80` default) and the image's
 * capability-carrying copy exists, that copy; else the plain default. (The copy needs
 * NET_BIND_SERVICE in the container's bounding set, which Docker grants by default; on Kubernetes
 * add it and allow privilege escalation.) Pure.
 */
export function chooseNginxBinary(o: {
  readonly given: string;
  readonly fromFlag: boolean;
  readonly ports: readonly number[];
  readonly uid: number | undefined;
  readonly netBindCopyExists: boolean;
}): string {
  if (o.fromFlag) return o.given;
  const low = o.ports.some((p) => p > 0 && p < 1024);
  return low && o.uid !== 0 && o.netBindCopyExists ? NET_BIND_NGINX : o.given;
}

/**
 * The soft `Max open files` limit from the text of `/proc/self/limits`, or undefined when it is
 * absent or `unlimited`. Pure.
 */
export function parseOpenFileLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\S+)\s+/m.exec(limits);
  const n = m?.[1] === undefined ? Number.NaN : Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * What `run` needs beyond the routing config: the process-level flags (mock mode, batching window,
 * nginx binary and work directory, health server, Event source). Plain data.
 */
export interface DispatcherRunConfig extends DispatcherConfig {
  /** Mock mode: render and log a redacted summary of the config; never start nginx or write files. */
  readonly mock: boolean;
  /** Batching window in ms (the original's fixed 2 s): quiet time, longest wait and minimum interval of passes. */
  readonly eventWindowMs: number;
  /** nginx executable. Default `/usr/sbin/nginx`. */
  readonly nginxBinary?: string;
  /** nginx work directory (nginx.conf, pid, logs, temp files). */
  readonly nginxWorkDir: string;
  /** nginx graceful stop budget. Default 10 s. */
  readonly nginxStopTimeoutMs?: number;
  /** Health server (`/healthz`, `/readyz`, `/metrics`); port 0 picks a free one. Host default `0.0.0.0`. */
  readonly http: { readonly port: number; readonly host?: string };
  /** Source host of Events (the pod name). Default ''. */
  readonly podName?: string;
  /**
   * How pod membership reaches nginx (`--nginx-upstream-mode`): `lua` pushes it to nginx's
   * shared dict without a reload, `reload` renders it into nginx.conf, `auto` is `lua` when the
   * Lua modules are installed. Default `reload` here (the CLI's default is `auto`).
   */
  readonly upstreamMode?: UpstreamModeChoice;
  /** Port of the membership endpoint on 127.0.0.1 (Lua mode). Default 10246. */
  readonly backendsPort?: number;
}

/** The raw values `buildConfig` reads: the CLI's values by flag name. */
export interface RawConfigValues {
  readonly 'api-key-secret-name': string;
  readonly 'api-key-secret-field': string;
  readonly 'routable-label-selector': string;
  readonly 'hosts-annotation': string;
  readonly 'org-label': string;
  readonly 'env-label': string;
  readonly 'paths-annotation': string;
  readonly 'app-name-label': string;
  readonly 'app-rev-label': string;
  readonly 'api-key-header': string;
  readonly 'nginx-enable-health-checks': boolean;
  readonly 'nginx-status-path': string;
  readonly 'nginx-max-client-body-size': string;
  readonly port: number;
  readonly 'ssl-port': number;
  readonly 'ssl-cert': string;
  readonly 'ssl-key': string;
  readonly 'ssl-cert-dir': string;
  readonly 'default-location-return': string;
  readonly 'require-ready': boolean;
  readonly 'nginx-worker-processes': number;
  readonly 'nginx-access-log': string;
}

/** Seams for {@link buildConfig}. */
export interface BuildConfigDeps {
  /** Whether a file exists (the SSL_CERT/SSL_KEY checks). */
  fileExists(path: string): boolean;
  /** The soft RLIMIT_NOFILE of the process nginx inherits; `worker_connections` stays at or below it. */
  openFileLimit?: number | undefined;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const NGINX_SIZE = /^[0-9]+[kKmMgG]?$/;
// No whitespace, `;`, braces or quotes may reach `proxy_pass`.
const URL_FORBIDDEN = /[\s;{}"'`\\]/;

function fail(env: string, message: string): never {
  throw new ConfigError(`invalid ${env}: ${message}`, { key: env });
}

function port(env: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0 || v >= 65536)
    fail(env, `port ${v} must be an integer with 0 < p < 65536`);
  return v;
}

/**
 * Parses `DEFAULT_LOCATION_RETURN`: an integer 100-999, or an absolute http(s) URL without
 * whitespace, `;`, braces, quotes, query or fragment. Throws `ConfigError`. Pure.
 */
export function parseDefaultLocationReturn(text: string): DefaultLocationReturn {
  const env = 'DEFAULT_LOCATION_RETURN';
  if (/^-?[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n < 100 || n > 999) fail(env, `status ${text} must be between 100 and 999`);
    return { kind: 'status', status: n };
  }
  if (!/^https?:\/\//.test(text)) fail(env, 'must be a status code 100-999 or an http:// or https:// URL');
  if (URL_FORBIDDEN.test(text))
    fail(env, 'URL must not contain whitespace, ";", braces, quotes or backslashes');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    fail(env, 'URL does not parse');
  }
  if (u.search !== '' || u.hash !== '' || text.includes('?') || text.includes('#'))
    fail(env, 'URL must not have a query or fragment');
  if (u.username !== '' || u.password !== '') fail(env, 'URL must not carry credentials');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  // A path given explicitly (even "/") changes proxy_pass semantics, so keep exactly what was written.
  const afterHost = text.replace(/^https?:\/\/[^/]*/, '');
  if (afterHost !== '') {
    const p = validatePath(afterHost);
    if (!p.ok || afterHost.includes('$')) fail(env, `URL path: ${p.ok ? 'must not contain "$"' : p.reason}`);
  }
  return {
    kind: 'proxy',
    scheme,
    host,
    ...(u.port !== '' ? { port: Number(u.port) } : {}),
    ...(afterHost !== '' ? { path: afterHost } : {}),
    url: text,
  };
}

/**
 * Validates the raw values into a {@link DispatcherConfig}. Every failure is a `ConfigError`
 * whose `key` (and message) names the original environment variable. Pure apart from
 * `deps.fileExists`.
 */
export function buildConfig(v: RawConfigValues, deps: BuildConfigDeps): DispatcherConfig {
  const secretName = v['api-key-secret-name'];
  if (secretName.length > 253 || !DNS1123_SUBDOMAIN.test(secretName))
    fail('API_KEY_SECRET_NAME', `"${secretName}" is not a valid Secret name`);
  const secretField = v['api-key-secret-field'];
  if (secretField.length > 253 || !SECRET_KEY.test(secretField))
    fail('API_KEY_SECRET_FIELD', `"${secretField}" is not a valid Secret data key`);

  const sel = parseLabelSelector(v['routable-label-selector']);
  if (!sel.ok) fail('ROUTABLE_LABEL_SELECTOR', sel.reason);

  const qualified = (env: string, value: string): string => {
    if (!isQualifiedName(value.toLowerCase())) fail(env, `"${value}" is not a valid qualified name`);
    return value;
  };
  const hostsAnnotation = qualified('HOSTS_ANNOTATION', v['hosts-annotation']);
  const pathsAnnotation = qualified('PATHS_ANNOTATION', v['paths-annotation']);
  const orgLabel = qualified('ORG_LABEL', v['org-label']);
  const envLabel = qualified('ENV_LABEL', v['env-label']);
  const appNameLabel = qualified('APP_NAME_LABEL', v['app-name-label']);
  const appRevLabel = qualified('APP_REV_LABEL', v['app-rev-label']);

  const header = validateVariableHeaderName(v['api-key-header']);
  if (!header.ok) fail('API_KEY_HEADER', header.reason);
  const apiKeyVariable = `http_${header.value.toLowerCase().replace(/[^a-z0-9]/g, '_')}`;

  const statusPath = v['nginx-status-path'];
  const sp = validatePath(statusPath);
  if (!sp.ok) fail('NGINX_STATUS_PATH', sp.reason);
  if (statusPath === '/') fail('NGINX_STATUS_PATH', 'must not be "/" (the default server answers 444 there)');

  const body = v['nginx-max-client-body-size'];
  if (!NGINX_SIZE.test(body))
    fail('NGINX_MAX_CLIENT_BODY_SIZE', `"${body}" is not an nginx size (e.g. 0, 512k, 10m, 1g)`);

  const httpPort = port('PORT', v.port);
  const sslPort = port('SSL_PORT', v['ssl-port']);

  let ssl: { cert: string; key: string } | undefined;
  const cert = v['ssl-cert'];
  const key = v['ssl-key'];
  if (cert !== '') {
    if (key === '') fail('SSL_KEY', 'must be set when SSL_CERT is set');
    const cp = validateFilePath(cert);
    if (!cp.ok) fail('SSL_CERT', cp.reason);
    const kp = validateFilePath(key);
    if (!kp.ok) fail('SSL_KEY', kp.reason);
    if (!deps.fileExists(cert)) fail('SSL_CERT', `file ${cert} does not exist`);
    // The original stat'ed SSL_CERT twice and never checked the key.
    if (!deps.fileExists(key)) fail('SSL_KEY', `file ${key} does not exist`);
    if (httpPort === sslPort) fail('SSL_PORT', 'must differ from PORT');
    ssl = { cert, key };
  }
  const dir = validateFilePath(v['ssl-cert-dir'].replace(/\/+$/, '') || '/');
  if (!dir.ok) fail('SSL_CERT_DIR', dir.reason);

  const workers = v['nginx-worker-processes'];
  if (!Number.isInteger(workers) || workers < 0 || workers > 1024)
    fail('DISPATCHER_NGINX_WORKER_PROCESSES', 'must be 0 (auto) to 1024');
  const accessLog = v['nginx-access-log'];
  if (accessLog !== 'off') {
    const al = validateFilePath(accessLog);
    if (!al.ok) fail('DISPATCHER_NGINX_ACCESS_LOG', al.reason);
  }

  return {
    apiKeySecretName: secretName,
    apiKeySecretField: secretField,
    routableSelector: sel.selector,
    hostsAnnotation,
    orgLabel,
    envLabel,
    pathsAnnotation,
    appNameLabel,
    appRevLabel,
    apiKeyHeader: header.value,
    apiKeyVariable,
    enableHealthChecks: v['nginx-enable-health-checks'],
    statusPath,
    maxClientBodySize: body.toLowerCase(),
    port: httpPort,
    sslPort,
    ...(ssl !== undefined ? { ssl } : {}),
    sslCertDir: dir.value,
    defaultLocationReturn: parseDefaultLocationReturn(v['default-location-return']),
    requireReady: v['require-ready'],
    workerProcesses: workers === 0 ? 'auto' : workers,
    workerConnections: Math.min(DEFAULT_WORKER_CONNECTIONS, deps.openFileLimit ?? DEFAULT_WORKER_CONNECTIONS),
    accessLog,
  };
}
