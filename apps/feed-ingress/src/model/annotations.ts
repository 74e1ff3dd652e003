import { MAX_DURATION_SECONDS, MAX_UPSTREAM_MAX_CONNS, validateCidr } from '@kube-edge/nginx-render';
import { shown } from './shown.js';

/** Annotation names read by feed-ingress. */
export const ANNOTATIONS = {
  ingressClass: 'kubernetes.io/ingress.class',
  frontendScheme: 'sky.uk/frontend-scheme',
  legacyFrontendElbScheme: 'sky.uk/frontend-elb-scheme',
  allow: 'sky.uk/allow',
  stripPath: 'sky.uk/strip-path',
  exactPath: 'sky.uk/exact-path',
  backendTimeoutSeconds: 'sky.uk/backend-timeout-seconds',
  legacyBackendKeepaliveSeconds: 'sky.uk/backend-keepalive-seconds',
  backendMaxConnections: 'sky.uk/backend-max-connections',
  backendConnectionKeepalive: 'sky.uk/backend-connection-keepalive',
  backendMaxRequestsPerConnection: 'sky.uk/backend-max-requests-per-connection',
  proxyBufferSizeInKb: 'sky.uk/proxy-buffer-size-in-kb',
  proxyBufferBlocks: 'sky.uk/proxy-buffer-blocks',
} as const;

/** feed's caps: larger values are lowered to these with a warning. */
export const MAX_PROXY_BUFFER_SIZE_KB = 32;
export const MAX_PROXY_BUFFER_BLOCKS = 8;
/** `keepalive_requests` when the annotation is absent or 0 (feed v4). */
export const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 1024;
// nginx's proxy merge refuses buffers unless 2 x buffer size < (blocks - 1) x buffer size.
const MIN_PROXY_BUFFER_BLOCKS = 4;
const MAX_INT = 2_147_483_647;
/**
 * The largest `sky.uk/backend-timeout-seconds` (and legacy alias): the renderer's longest
 * duration, so an accepted timeout always renders.
 */
export const MAX_BACKEND_TIMEOUT_SECONDS = MAX_DURATION_SECONDS;
/** The largest `sky.uk/backend-max-connections`: the renderer's largest `max_conns`. */
export const MAX_BACKEND_MAX_CONNECTIONS = MAX_UPSTREAM_MAX_CONNS;

/** The per-ingress settings after defaults and annotations. */
export interface IngressSettings {
  readonly lbScheme: 'internal' | 'internet-facing' | undefined;
  readonly allow: readonly string[];
  /** Set when `sky.uk/allow` is invalid: every entry of the ingress is skipped with this reason. */
  readonly allowError: string | undefined;
  readonly stripPath: boolean;
  /** The explicit `sky.uk/exact-path` value, or undefined (then pathType and the flag decide). */
  readonly exactPath: boolean | undefined;
  readonly backendTimeoutSeconds: number;
  readonly backendMaxConnections: number;
  readonly backendKeepaliveTimeoutSeconds: number | undefined;
  readonly backendMaxRequestsPerConnection: number;
  readonly proxyBufferSizeKb: number;
  readonly proxyBufferBlocks: number;
}

/** Flag defaults the annotations override. */
export interface SettingDefaults {
  readonly allow: readonly string[];
  readonly stripPath: boolean;
  readonly backendTimeoutSeconds: number;
  readonly backendMaxConnections: number;
  readonly proxyBufferSizeKb: number;
  readonly proxyBufferBlocks: number;
}

const UINT = /^\d{1,10}$/;

function parseUint(value: string): number | undefined {
  const trimmed = value.trim();
  if (!UINT.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return n <= MAX_INT ? n : undefined;
}

const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go `time.ParseDuration` string (`30s`, `1m30s`, `1.5h`, `500ms`, `0`) into
 * milliseconds. Returns undefined for anything Go would reject, and for negative durations
 * (a negative keepalive has no meaning). Pure.
 */
export function parseGoDuration(value: string): number | undefined {
  let s = value;
  if (s === '0' || s === '+0' || s === '-0') return 0;
  if (s.startsWith('-')) return undefined;
  if (s.startsWith('+')) s = s.slice(1);
  if (s === '') return undefined;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (GO_UNITS_MS[m[2] ?? ''] ?? Number.NaN);
    s = s.slice(m[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}

function boolAnnotation(
  annotations: Record<string, string>,
  name: string,
  warn: (reason: string) => void,
): boolean | undefined {
  const raw = annotations[name];
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  warn(`${name}: "${shown(raw)}" is not "true" or "false"; using the default`);
  return undefined;
}

function intAnnotation(
  annotations: Record<string, string>,
  name: string,
  min: number,
  warn: (reason: string) => void,
  max = MAX_INT,
): number | undefined {
  const raw = annotations[name];
  if (raw === undefined) return undefined;
  const n = parseUint(raw);
  if (n === undefined) {
    warn(`${name}: "${shown(raw)}" is not a whole number; using the default`);
    return undefined;
  }
  if (n < min) {
    warn(`${name}: ${n} is below the minimum ${min}; using the default`);
    return undefined;
  }
  if (n > max) {
    warn(`${name}: ${n} is above the maximum ${max}; using the default`);
    return undefined;
  }
  return n;
}

/**
 * Parses and validates a `sky.uk/allow` value: comma separated, each entry trimmed, each an IP
 * or CIDR. The empty string is an empty list (nobody is allowed, or only 127.0.0.1 with
 * `--nginx-allow-localhost`). Pure.
 */
export function parseAllowList(raw: string): { ok: true; value: string[] } | { ok: false; reason: string } {
  if (raw === '') return { ok: true, value: [] };
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const entry = part.trim();
    const r = validateCidr(entry);
    if (!r.ok) return { ok: false, reason: `entry "${shown(entry)}": ${r.reason}` };
    out.push(r.value);
  }
  return { ok: true, value: out };
}

/**
 * Reads every `sky.uk/*` annotation of one Ingress, including the legacy
 * aliases, applying feed's caps and kube-edge's rule that an unusable value warns (through
 * `warn`, one reason per problem) and falls back to the flag default. Pure.
 */
export function readIngressSettings(
  annotations: Record<string, string>,
  defaults: SettingDefaults,
  warn: (reason: string) => void,
): IngressSettings {
  const a = ANNOTATIONS;

  let lbScheme: IngressSettings['lbScheme'];
  const schemeName =
    annotations[a.frontendScheme] !== undefined ? a.frontendScheme : a.legacyFrontendElbScheme;
  const scheme = annotations[schemeName];
  if (scheme !== undefined) {
    if (scheme === 'internal' || scheme === 'internet-facing') lbScheme = scheme;
    else
      warn(
        `${schemeName}: "${shown(scheme)}" is not "internal" or "internet-facing"; no frontend scheme is set`,
      );
  }

  let allow = defaults.allow;
  let allowError: string | undefined;
  const allowRaw = annotations[a.allow];
  if (allowRaw !== undefined) {
    const r = parseAllowList(allowRaw);
    if (r.ok) allow = r.value;
    else allowError = `${a.allow}: ${r.reason}`;
  }

  const stripPath = boolAnnotation(annotations, a.stripPath, warn) ?? defaults.stripPath;
  const exactPath = boolAnnotation(annotations, a.exactPath, warn);

  // The new name overrides the legacy one; an unusable new value falls back to a usable legacy one.
  const timeout = intAnnotation(annotations, a.backendTimeoutSeconds, 1, warn, MAX_BACKEND_TIMEOUT_SECONDS);
  const legacyTimeout =
    timeout === undefined
      ? intAnnotation(annotations, a.legacyBackendKeepaliveSeconds, 1, warn, MAX_BACKEND_TIMEOUT_SECONDS)
      : undefined;
  const backendTimeoutSeconds = timeout ?? legacyTimeout ?? defaults.backendTimeoutSeconds;

  const backendMaxConnections =
    intAnnotation(annotations, a.backendMaxConnections, 0, warn, MAX_BACKEND_MAX_CONNECTIONS) ??
    defaults.backendMaxConnections;

  let backendKeepaliveTimeoutSeconds: number | undefined;
  const keepaliveRaw = annotations[a.backendConnectionKeepalive];
  if (keepaliveRaw !== undefined) {
    const ms = parseGoDuration(keepaliveRaw);
    if (ms === undefined)
      warn(
        `${a.backendConnectionKeepalive}: "${shown(keepaliveRaw)}" is not a duration such as 30s or 1m; using the nginx default`,
      );
    else if (ms < 1000)
      warn(
        `${a.backendConnectionKeepalive}: "${shown(keepaliveRaw)}" is below one second; using the nginx default`,
      );
    else if (ms > MAX_DURATION_SECONDS * 1000)
      warn(
        `${a.backendConnectionKeepalive}: "${shown(keepaliveRaw)}" is longer than 365 days; using the nginx default`,
      );
    else backendKeepaliveTimeoutSeconds = Math.floor(ms / 1000);
  }

  const maxRequests = intAnnotation(annotations, a.backendMaxRequestsPerConnection, 0, warn);
  const backendMaxRequestsPerConnection =
    maxRequests === undefined || maxRequests === 0 ? DEFAULT_MAX_REQUESTS_PER_CONNECTION : maxRequests;

  let proxyBufferSizeKb =
    intAnnotation(annotations, a.proxyBufferSizeInKb, 1, warn) ?? defaults.proxyBufferSizeKb;
  if (proxyBufferSizeKb > MAX_PROXY_BUFFER_SIZE_KB) {
    warn(
      `${a.proxyBufferSizeInKb}: ${proxyBufferSizeKb} exceeds the maximum ${MAX_PROXY_BUFFER_SIZE_KB}; using ${MAX_PROXY_BUFFER_SIZE_KB}`,
    );
    proxyBufferSizeKb = MAX_PROXY_BUFFER_SIZE_KB;
  }
  let proxyBufferBlocks =
    intAnnotation(annotations, a.proxyBufferBlocks, MIN_PROXY_BUFFER_BLOCKS, warn) ??
    defaults.proxyBufferBlocks;
  if (proxyBufferBlocks > MAX_PROXY_BUFFER_BLOCKS) {
    warn(
      `${a.proxyBufferBlocks}: ${proxyBufferBlocks} exceeds the maximum ${MAX_PROXY_BUFFER_BLOCKS}; using ${MAX_PROXY_BUFFER_BLOCKS}`,
    );
    proxyBufferBlocks = MAX_PROXY_BUFFER_BLOCKS;
  }

  return {
    lbScheme,
    allow,
    allowError,
    stripPath,
    exactPath,
    backendTimeoutSeconds,
    backendMaxConnections,
    backendKeepaliveTimeoutSeconds,
    backendMaxRequestsPerConnection,
    proxyBufferSizeKb,
    proxyBufferBlocks,
  };
}
