import {
  validateHostname,
  validatePath,
  validateProxyUri,
  validateRegexPath,
  type LocationMatch,
} from '@kube-edge/nginx-render';
import { errorMessage } from '@kube-edge/runtime';

/** A reference into the namespace's routing Secret (`secretKeyRef.key`; any `name` is ignored, as in the original). */
export interface SecretKeyRef {
  readonly key: string;
}

/** Per-host SSL options of the hosts annotation. */
export interface SslOptions {
  readonly certificate: SecretKeyRef;
  readonly certificateKey: SecretKeyRef;
  readonly clientCertificate?: SecretKeyRef;
}

/** A host of the hosts annotation, after validation. */
export interface HostEntry {
  readonly host: string;
  readonly ssl?: SslOptions;
}

/** The outcome of parsing a hosts annotation. */
export interface ParsedHosts {
  /** Valid hosts, sorted by name. */
  readonly hosts: readonly HostEntry[];
  /** The whole annotation failed (bad JSON or a type error): no hosts at all. */
  readonly error?: string;
  /** Hosts dropped individually, with why. */
  readonly rejected: readonly {
    readonly host: string;
    readonly reason: 'InvalidHost' | 'InvalidSSLOptions';
    readonly message: string;
  }[];
}

// The original's host grammar: RFC 1123-ish labels, any case, no wildcard/port/IPv6.
const HOSTNAME_RE =
  /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const IPV4_RE =
  /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]+$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether `host` is accepted as a server name: the original's hostname regex or a dotted-quad
 * IPv4, at most 253 characters with labels of at most 63, and accepted by nginx-render's
 * `validateHostname` (the server name validator). Pure.
 */
export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  // nginx-render's validator decides too (one validation): whatever is accepted renders.
  if (!validateHostname(host).ok) return false;
  if (IPV4_RE.test(host)) return true;
  return HOSTNAME_RE.test(host) && host.split('.').every((l) => l.length <= 63);
}

// Go's decoder fails the whole document on a type mismatch; these checks mirror that for the
// fields of HostOptions, so `{"h":"str"}` is an error rather than a partial map.
function refTypeError(v: unknown, at: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return `${at} must be an object`;
  const vf = v.valueFrom;
  if (vf === undefined || vf === null) return undefined;
  if (!isObject(vf)) return `${at}.valueFrom must be an object`;
  const skr = vf.secretKeyRef;
  if (skr === undefined || skr === null) return undefined;
  if (!isObject(skr)) return `${at}.valueFrom.secretKeyRef must be an object`;
  if (skr.key !== undefined && skr.key !== null && typeof skr.key !== 'string')
    return `${at}.valueFrom.secretKeyRef.key must be a string`;
  return undefined;
}

function refOf(v: unknown): SecretKeyRef | undefined {
  if (!isObject(v) || !isObject(v.valueFrom) || !isObject(v.valueFrom.secretKeyRef)) return undefined;
  const key = v.valueFrom.secretKeyRef.key;
  return typeof key === 'string' && SECRET_KEY_RE.test(key) ? { key } : undefined;
}

/**
 * Parses a Namespace's hosts annotation (a JSON object of host → options). Any JSON or type
 * error gives no hosts; an invalid host name or invalid SSL options drop only that host. SSL
 * options are validated for every host (the original only did so for IP hosts). Pure.
 */
export function parseHostsAnnotation(text: string | undefined): ParsedHosts {
  if (text === undefined) return { hosts: [], rejected: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return {
      hosts: [],
      rejected: [],
      error: `hosts annotation is not valid JSON: ${errorMessage(err)}`,
    };
  }
  if (!isObject(doc))
    return { hosts: [], rejected: [], error: 'hosts annotation must be a JSON object of host to options' };
  for (const [host, opts] of Object.entries(doc)) {
    if (opts === null) continue;
    if (!isObject(opts))
      return { hosts: [], rejected: [], error: `options of host "${host}" must be an object` };
    const ssl = opts.ssl;
    if (ssl !== undefined && ssl !== null) {
      if (!isObject(ssl))
        return { hosts: [], rejected: [], error: `ssl of host "${host}" must be an object` };
      for (const f of ['certificate', 'certificateKey', 'clientCertificate']) {
        const e = refTypeError(ssl[f], `ssl.${f} of host "${host}"`);
        if (e !== undefined) return { hosts: [], rejected: [], error: e };
      }
    }
  }
  const hosts: HostEntry[] = [];
  const rejected: { host: string; reason: 'InvalidHost' | 'InvalidSSLOptions'; message: string }[] = [];
  for (const host of Object.keys(doc).sort()) {
    if (!isValidHost(host)) {
      rejected.push({
        host,
        reason: 'InvalidHost',
        message: `host "${host}" is not a valid hostname or IPv4 address`,
      });
      continue;
    }
    const opts = doc[host];
    const ssl = isObject(opts) ? opts.ssl : undefined;
    if (ssl === undefined || ssl === null) {
      hosts.push({ host: host.toLowerCase() });
      continue;
    }
    const s = ssl as Record<string, unknown>;
    const certificate = refOf(s.certificate);
    const certificateKey = refOf(s.certificateKey);
    const hasClient = s.clientCertificate !== undefined && s.clientCertificate !== null;
    const clientCertificate = hasClient ? refOf(s.clientCertificate) : undefined;
    if (
      certificate === undefined ||
      certificateKey === undefined ||
      (hasClient && clientCertificate === undefined)
    ) {
      const missing =
        certificate === undefined
          ? 'certificate'
          : certificateKey === undefined
            ? 'certificateKey'
            : 'clientCertificate';
      rejected.push({
        host,
        reason: 'InvalidSSLOptions',
        message: `host "${host}": ssl.${missing} needs valueFrom.secretKeyRef.key naming a Secret data key`,
      });
      continue;
    }
    hosts.push({
      host: host.toLowerCase(),
      ssl: { certificate, certificateKey, ...(clientCertificate !== undefined ? { clientCertificate } : {}) },
    });
  }
  return { hosts, rejected };
}

/** One raw entry of the paths annotation after decoding (types checked, values not yet). */
export interface PathEntry {
  /** The entry's position in the annotation's array (named in skip messages). */
  readonly index: number;
  readonly basePath: string;
  readonly containerPort: string;
  readonly targetPath?: string;
  readonly weight?: number;
}

/** An entry of the paths annotation that could not be decoded, with why. */
export interface RejectedPathEntry {
  readonly index: number;
  readonly error: string;
}

/** The outcome of decoding a paths annotation. */
export type DecodedPaths =
  | {
      readonly ok: true;
      readonly entries: readonly PathEntry[];
      /** Entries with a type error: each is skipped on its own, the others still route. */
      readonly rejected: readonly RejectedPathEntry[];
    }
  | { readonly ok: false; readonly error: string };

function decodeEntry(e: unknown, index: number): PathEntry | RejectedPathEntry {
  if (e === null) return { index, basePath: '', containerPort: '' };
  if (!isObject(e)) return { index, error: 'must be an object' };
  for (const f of ['basePath', 'containerPort', 'targetPath']) {
    const v = e[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      return { index, error: `${f} must be a JSON string${f === 'containerPort' ? ' (e.g. "3000")' : ''}` };
    }
  }
  const w = e.weight;
  if (w !== undefined && w !== null && (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0))
    return { index, error: 'weight must be a non-negative JSON integer' };
  return {
    index,
    basePath: typeof e.basePath === 'string' ? e.basePath : '',
    containerPort: typeof e.containerPort === 'string' ? e.containerPort : '',
    ...(typeof e.targetPath === 'string' ? { targetPath: e.targetPath } : {}),
    ...(typeof w === 'number' ? { weight: w } : {}),
  };
}

/**
 * Decodes a Pod's paths annotation with the original's schema: a JSON array of objects with
 * string `basePath`, string `containerPort`, optional string `targetPath` and optional
 * non-negative integer `weight`. Text that is not JSON or not an array fails the whole
 * annotation; a type error in one entry (e.g. a numeric `containerPort`) rejects only that entry
 * (the original dropped every route of the pod). Unknown fields are ignored; a missing string
 * field is `""`. Pure.
 */
export function decodePathsAnnotation(text: string): DecodedPaths {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `paths annotation is not valid JSON: ${errorMessage(err)}` };
  }
  if (doc === null) return { ok: true, entries: [], rejected: [] };
  if (!Array.isArray(doc)) return { ok: false, error: 'paths annotation must be a JSON array' };
  const entries: PathEntry[] = [];
  const rejected: RejectedPathEntry[] = [];
  doc.forEach((e: unknown, i) => {
    const d = decodeEntry(e, i);
    if ('error' in d) rejected.push(d);
    else entries.push(d);
  });
  return { ok: true, entries, rejected };
}

/** A basePath turned into an nginx location. */
export interface LocationPath {
  readonly match: LocationMatch;
  readonly path: string;
}

// Characters that could end a directive, open a block or start a comment.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_PATH_CHARS = /[\s;{}"'`#\u0000-\u001f\u007f]/;

function compilesAsRegex(p: string): boolean {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a `basePath` and maps its leading nginx modifier (`=`, `~`, `~*`, `^~`) to a
 * location match, as the original's raw `location <basePath>` did. Pure.
 */
export function parseBasePath(
  basePath: string,
): { ok: true; value: LocationPath } | { ok: false; reason: string } {
  const common = checkPathText(basePath, 'basePath');
  if (common !== undefined) return { ok: false, reason: common };
  let match: LocationMatch = 'prefix';
  let rest = basePath;
  if (basePath.startsWith('^~')) {
    match = 'prefix-no-regex';
    rest = basePath.slice(2);
  } else if (basePath.startsWith('~*')) {
    match = 'regex-case-insensitive';
    rest = basePath.slice(2);
  } else if (basePath.startsWith('~')) {
    match = 'regex';
    rest = basePath.slice(1);
  } else if (basePath.startsWith('=')) {
    match = 'exact';
    rest = basePath.slice(1);
  }
  const r =
    match === 'regex' || match === 'regex-case-insensitive' ? validateRegexPath(rest) : validatePath(rest);
  if (!r.ok) return { ok: false, reason: `basePath "${basePath}": ${r.reason}` };
  return { ok: true, value: { match, path: r.value } };
}

function checkPathText(p: string, what: string): string | undefined {
  // istio/proxy#278 used "path": say which field is read.
  if (p === '')
    return what === 'basePath'
      ? 'basePath is empty (the field is "basePath"; "path" is not read)'
      : `${what} is empty`;
  if (!compilesAsRegex(p)) return `${what} "${p}" is not valid (does not compile as a regex)`;
  if (FORBIDDEN_PATH_CHARS.test(p))
    return `${what} "${p}" contains whitespace, ";", braces, quotes, "#" or a control character`;
  return undefined;
}

/** Validates a `targetPath`: the original's checks plus nginx-render's proxy URI rules. Pure. */
export function parseTargetPath(
  targetPath: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const common = checkPathText(targetPath, 'targetPath');
  if (common !== undefined) return { ok: false, reason: common };
  const r = validateProxyUri(targetPath);
  if (!r.ok) return { ok: false, reason: `targetPath "${targetPath}": ${r.reason}` };
  return { ok: true, value: r.value };
}

/** Parses a `containerPort` string as Go's `strconv.Atoi` then the range check 0 < p < 65536. Pure. */
export function parseContainerPort(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n < 65536 ? n : undefined;
}
