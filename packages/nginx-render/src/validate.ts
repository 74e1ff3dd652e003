import { isIP } from 'node:net';
import { errorMessage } from '@kube-edge/runtime';

/** The outcome of a validator: the (possibly normalised) value, or a human-readable reason. */
export type ValidationResult<T = string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): ValidationResult<T> => ({ ok: true, value });
const fail = (reason: string): ValidationResult<never> => ({ ok: false, reason });

/** The longest string any validator accepts; nginx's own line limits are far above it. */
export const MAX_VALUE_LENGTH = 4096;

// C0 controls and DEL. Tab is handled per field.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_TAB = /[\u0000-\u001f\u007f]/;
const NON_ASCII = /[^\u0020-\u007e\t]/;
const NOT_PRINTABLE = /[^\u0020-\u007e]/;

function basic(value: unknown, what: string, max = MAX_VALUE_LENGTH): ValidationResult {
  if (typeof value !== 'string') return fail(`${what} must be a string`);
  if (value.length === 0) return fail(`${what} must not be empty`);
  if (value.length > max) return fail(`${what} is longer than ${max} characters`);
  if (NOT_PRINTABLE.test(value)) {
    return fail(
      CONTROL_OR_TAB.test(value)
        ? `${what} contains a control character`
        : `${what} contains a non-ASCII character`,
    );
  }
  return ok(value);
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A DNS hostname (RFC 1123 labels, lower-cased), optionally with a leading `*.` wildcard
 * label. Returns the lower-cased name. Pure.
 */
export function validateHostname(value: unknown): ValidationResult {
  const b = basic(value, 'hostname', 253);
  if (!b.ok) return b;
  let name = b.value.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  const wildcard = name.startsWith('*.');
  const rest = wildcard ? name.slice(2) : name;
  const labels = rest.split('.');
  if (rest.length === 0) return fail('hostname has no labels');
  for (const label of labels) {
    if (!LABEL.test(label)) return fail(`hostname label "${label}" is not a valid DNS label`);
  }
  if (wildcard && labels.length < 2) return fail('a wildcard hostname needs at least two labels after "*."');
  return ok(name);
}

// RFC 3986 path characters, as feed v5 checks them (sub-delims, ":", "@", "/", "%", unreserved).
const RFC3986_PATH = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$/;

/**
 * An absolute URI path (`/` then RFC 3986 characters) for prefix and exact locations. `%` must
 * start a valid percent-encoding. Pure.
 */
export function validatePath(value: unknown): ValidationResult {
  const b = basic(value, 'path', 2048);
  if (!b.ok) return b;
  const p = b.value;
  if (!p.startsWith('/')) return fail('path must start with "/"');
  if (!RFC3986_PATH.test(p)) return fail('path contains a character outside the RFC 3986 set');
  if (/%(?![0-9A-Fa-f]{2})/.test(p)) return fail('path contains a "%" that is not a percent-encoding');
  return ok(p);
}

/**
 * A URI part for `proxy_pass` (e.g. dispatcher's targetPath): a path as {@link validatePath}
 * but without `$`, because a variable in `proxy_pass` changes how nginx builds the upstream URI.
 */
export function validateProxyUri(value: unknown): ValidationResult {
  const r = validatePath(value);
  if (!r.ok) return r;
  if (r.value.includes('$')) return fail('proxy URI must not contain "$"');
  return r;
}

const ALLOWED_ESCAPES = new Set('dDwWsSbB.\\/^$|?*+()[]{}-nrtf'.split(''));

/**
 * A regular expression for a regex location. It must compile (JavaScript `u` mode, the
 * stricter of JS's two grammars, as a proxy for PCRE), use only escapes and group forms that
 * PCRE and JavaScript read the same way, and contain no control characters. Pure.
 */
export function validateRegexPath(value: unknown): ValidationResult {
  const b = basic(value, 'regex path', 1024);
  if (!b.ok) return b;
  const re = b.value;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined) return fail('regex ends with a backslash');
      if (!ALLOWED_ESCAPES.has(n)) return fail(`regex escape "\\${n}" is not allowed`);
      i++;
    } else if (c === '(' && re[i + 1] === '?') {
      const rest = re.slice(i + 2);
      if (!(
        rest.startsWith(':') ||
        rest.startsWith('=') ||
        rest.startsWith('!') ||
        /^<[A-Za-z][A-Za-z0-9]*>/.test(rest)
      )) {
        return fail('regex group form is not allowed (only (?:, (?=, (?! and (?<name>)');
      }
    }
  }
  try {
    new RegExp(re, 'u');
  } catch (err) {
    return fail(`regex does not compile: ${errorMessage(err)}`);
  }
  return ok(re);
}

/** An IPv4 or IPv6 address (no prefix, no IPv6 zone id). Pure. */
export function validateIp(value: unknown): ValidationResult {
  const b = basic(value, 'IP address', 64);
  if (!b.ok) return b;
  if (isIP(b.value) === 0) return fail('not an IP address');
  const zone = refuseZoneId(b.value);
  if (!zone.ok) return zone;
  return ok(b.value);
}

/**
 * Refuses an IPv6 zone id (`fe80::1%eth0`): `net.isIP` accepts it, nginx refuses it in
 * `allow`/`deny`, `listen` and upstream `server` addresses. Pure.
 */
export function refuseZoneId(address: string): ValidationResult {
  if (address.includes('%')) return fail('IPv6 zone ids ("%<interface>") are not accepted by nginx');
  return ok(address);
}

/** An IP address or a CIDR (`10.0.0.0/8`, `::1/128`); the prefix is range-checked. Pure. */
export function validateCidr(value: unknown): ValidationResult {
  const b = basic(value, 'IP or CIDR', 64);
  if (!b.ok) return b;
  const [addr, prefix, extra] = b.value.split('/');
  if (extra !== undefined || addr === undefined) return fail('not an IP or CIDR');
  const family = isIP(addr);
  if (family === 0) return fail('not an IP or CIDR');
  const zone = refuseZoneId(addr);
  if (!zone.ok) return zone;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix)) return fail('CIDR prefix is not a number');
    if (Number(prefix) > (family === 4 ? 32 : 128)) return fail('CIDR prefix is out of range');
  }
  return ok(b.value);
}

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};
/**
 * The longest duration {@link validateDuration} accepts, in seconds (365 days): nginx rejects
 * values whose millisecond count overflows, and a year is far beyond any sane timeout. Parsers
 * of user values (annotations, flags) use it so that whatever they accept renders.
 */
export const MAX_DURATION_SECONDS = 365 * 86_400;
const MAX_DURATION_MS = MAX_DURATION_SECONDS * 1000;

/** An nginx time value: digits with an optional unit (`ms s m h d w M y`), e.g. `60s`. Pure. */
export function validateDuration(value: unknown): ValidationResult {
  const b = basic(value, 'duration', 32);
  if (!b.ok) return b;
  const m = /^(\d{1,9})(ms|s|m|h|d|w|M|y)?$/.exec(b.value);
  if (!m) return fail('duration must be digits with an optional unit (ms, s, m, h, d)');
  if (Number(m[1]) * (DURATION_MS[m[2] ?? 's'] ?? 1000) > MAX_DURATION_MS)
    return fail('duration is longer than 365 days');
  return ok(b.value);
}

const MAX_SIZE_BYTES = 64 * 1024 ** 3;

/** The byte count of a size string that {@link validateSize} accepted. Pure. */
export function sizeBytes(size: string): number {
  const unit = size.slice(-1).toLowerCase();
  const scale = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number.parseInt(size, 10) * scale;
}

/** An nginx size: digits with an optional `k`/`m`/`g` suffix, e.g. `16k`. Pure. */
export function validateSize(value: unknown): ValidationResult {
  const b = basic(value, 'size', 32);
  if (!b.ok) return b;
  if (!/^\d{1,12}[kKmMgG]?$/.test(b.value))
    return fail('size must be digits with an optional k, m or g suffix');
  if (sizeBytes(b.value) > MAX_SIZE_BYTES) return fail('size is larger than 64g');
  return ok(b.value);
}

/**
 * An HTTP header name: an RFC 9110 token without `$` (no real header uses it, and it keeps the
 * question of whether nginx expands it out of the picture). Pure.
 */
export function validateHeaderName(value: unknown): ValidationResult {
  const b = basic(value, 'header name', 256);
  if (!b.ok) return b;
  if (!/^[!#%&'*+\-.^_`|~0-9A-Za-z]+$/.test(b.value))
    return fail('header name is not an HTTP token (or contains "$")');
  return ok(b.value);
}

/**
 * A header name that nginx can read as `$http_<name>`: letters, digits, `-` and `_` only.
 * Note that nginx ignores request headers with `_` unless `underscores_in_headers on`.
 */
export function validateVariableHeaderName(value: unknown): ValidationResult {
  const b = basic(value, 'header name', 256);
  if (!b.ok) return b;
  if (!/^[A-Za-z0-9_-]+$/.test(b.value))
    return fail('header name must use only letters, digits, "-" and "_"');
  return ok(b.value);
}

/**
 * A literal header value: printable ASCII and tab, no CR/LF/NUL, may be empty. `$` is allowed:
 * the renderer keeps it literal.
 */
export function validateHeaderValue(value: unknown): ValidationResult {
  if (typeof value !== 'string') return fail('header value must be a string');
  if (value.length > MAX_VALUE_LENGTH)
    return fail(`header value is longer than ${MAX_VALUE_LENGTH} characters`);
  if (CONTROL.test(value)) return fail('header value contains a control character or newline');
  if (NON_ASCII.test(value)) return fail('header value contains a non-ASCII character');
  return ok(value);
}

/** A literal text value (`return` bodies, map values): like a header value. Pure. */
export const validateText = validateHeaderValue;

/** An upstream id: `[A-Za-z0-9_.-]`, at most 200 characters, no `:` (nginx reads it as a port). */
export function validateUpstreamId(value: unknown): ValidationResult {
  const b = basic(value, 'upstream id', 200);
  if (!b.ok) return b;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(b.value))
    return fail('upstream id must use only letters, digits, "_", "." and "-"');
  return ok(b.value);
}

/**
 * An absolute file path: `/` then `[A-Za-z0-9._/@+=,~%:-]`, no `..` segment, no `$` (nginx
 * expands variables in some file directives, e.g. `ssl_certificate`). Pure.
 */
export function validateFilePath(value: unknown): ValidationResult {
  const b = basic(value, 'file path', 1024);
  if (!b.ok) return b;
  if (!b.value.startsWith('/')) return fail('file path must be absolute');
  if (!/^[A-Za-z0-9._/@+=,~%:-]+$/.test(b.value))
    return fail('file path contains a character that is not allowed');
  if (b.value.split('/').includes('..')) return fail('file path must not contain a ".." segment');
  return ok(b.value);
}

/** An nginx variable name (without `$`); names starting with `kube_edge_` are reserved. */
export function validateVariableName(value: unknown): ValidationResult {
  const b = basic(value, 'variable name', 128);
  if (!b.ok) return b;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(b.value)) return fail('variable name must be an identifier');
  if (b.value.startsWith('kube_edge_')) return fail('variable names starting with "kube_edge_" are reserved');
  return ok(b.value);
}

/** An identifier for names such as log formats and TLS session caches. Pure. */
export function validateIdentifier(value: unknown): ValidationResult {
  const b = basic(value, 'name', 128);
  if (!b.ok) return b;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(b.value)) return fail('name must be an identifier');
  return ok(b.value);
}

/** The longest comment accepted, in UTF-8 bytes. */
export const MAX_COMMENT_BYTES = 1024;

/** A comment: one line of printable characters (UTF-8 allowed), no control characters. */
export function validateComment(value: unknown): ValidationResult {
  if (typeof value !== 'string') return fail('comment must be a string');
  // nginx's 4 KB read buffer bounds a comment line too.
  if (Buffer.byteLength(value) > MAX_COMMENT_BYTES)
    return fail(`comment is longer than ${MAX_COMMENT_BYTES} bytes`);
  // U+2028/2029 and U+0085 are not line breaks to nginx, but editors show them as such.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(value))
    return fail('comment contains a control character or line break');
  return ok(value);
}

/**
 * A comment made from any text, e.g. one quoting a user's path: control characters and line
 * breaks become `?`, and text over `maxBytes` UTF-8 bytes (at most {@link MAX_COMMENT_BYTES}) is
 * cut on a character boundary and ends with `...`. The result always passes
 * {@link validateComment}. Pure.
 */
export function toComment(text: string, maxBytes: number = MAX_COMMENT_BYTES): string {
  const limit = Math.min(Math.max(maxBytes, 3), MAX_COMMENT_BYTES);
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, '?');
  if (Buffer.byteLength(clean) <= limit) return clean;
  let out = '';
  let bytes = 0;
  for (const ch of clean) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > limit - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}...`;
}

/**
 * A redirect target: an absolute http(s) URL or an absolute path, printable ASCII without
 * spaces, quotes, backslashes or angle brackets. `$` is kept literal by the renderer.
 */
export function validateUrl(value: unknown): ValidationResult {
  const b = basic(value, 'URL', 2048);
  if (!b.ok) return b;
  if (!/^(https?:\/\/|\/)/.test(b.value)) return fail('URL must be absolute (http://, https:// or /)');
  if (
    !/^(https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?)?(\/[^\s"'\\<>`{}|^]*)?$/.test(b.value)
  ) {
    return fail('URL contains a character that is not allowed');
  }
  try {
    new URL(b.value, 'http://base.invalid');
  } catch {
    return fail('URL does not parse');
  }
  return ok(b.value);
}

/** A TCP port 1..65535. */
export function validatePort(value: unknown): ValidationResult<number> {
  return validateInt(value, 'port', 1, 65535);
}

/** An integer within [min, max]. */
export function validateInt(
  value: unknown,
  what: string,
  min: number,
  max: number,
): ValidationResult<number> {
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`${what} must be an integer`);
  if (value < min || value > max) return fail(`${what} must be between ${min} and ${max}`);
  return ok(value);
}

const CHECK_PATH = /^\/[A-Za-z0-9\-._~%!&'()*+,=:@/]*$/;

/**
 * An upstream health-check request path (`check_http_send "GET <path> HTTP/1.0\r\n\r\n"`):
 * `/` then RFC 3986 path characters without `$` and `;` (no quotes, backslashes or spaces, which
 * would end or corrupt the request line), at most 1024 characters.
 */
export function validateHealthCheckPath(value: unknown): ValidationResult {
  const b = basic(value, 'health check path', 1024);
  if (!b.ok) return b;
  if (!CHECK_PATH.test(b.value))
    return fail('health check path must be "/" then RFC 3986 path characters, without "$" or ";"');
  return ok(b.value);
}

/** An upstream server address: an IP or a hostname (no wildcard). */
export function validateServerAddress(value: unknown): ValidationResult {
  const ip = validateIp(value);
  if (ip.ok) return ip;
  const host = validateHostname(value);
  if (!host.ok) return fail('server address must be an IP or a hostname');
  if (host.value.startsWith('*.')) return fail('server address must not be a wildcard');
  return host;
}

/** A mime type such as `text/html`. */
export function validateMimeType(value: unknown): ValidationResult {
  const b = basic(value, 'mime type', 128);
  if (!b.ok) return b;
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(b.value))
    return fail('not a mime type');
  return ok(b.value);
}

/** An OpenSSL cipher list such as `HIGH:!aNULL:!MD5`. */
export function validateCipherList(value: unknown): ValidationResult {
  const b = basic(value, 'cipher list', 2048);
  if (!b.ok) return b;
  if (!/^[A-Za-z0-9:+!_@=.-]+$/.test(b.value))
    return fail('cipher list contains a character that is not allowed');
  return ok(b.value);
}
