import { ConfigRefusedError } from '@kube-edge/runtime';
import type {
  AccessLog,
  AccessRule,
  Expr,
  HeaderCheck,
  Listen,
  Location,
  LocationAction,
  MapBlock,
  NginxConfig,
  ProxySettings,
  Server,
  TlsSettings,
  Upstream,
  UpstreamHealthCheck,
} from './model.js';
import { exprText, quoteArg } from './quote.js';
import { isKnownVariable } from './variables.js';
import {
  validateCidr,
  validateCipherList,
  validateComment,
  validateDuration,
  validateFilePath,
  validateHealthCheckPath,
  validateHeaderName,
  validateHeaderValue,
  validateHostname,
  validateIdentifier,
  validateInt,
  validateIp,
  validateMimeType,
  validatePath,
  validatePort,
  validateProxyUri,
  validateRegexPath,
  validateServerAddress,
  validateSize,
  sizeBytes,
  validateText,
  validateUpstreamId,
  validateUrl,
  validateVariableHeaderName,
  validateVariableName,
  type ValidationResult,
} from './validate.js';

/** One problem found in a model: where (a JSON-ish path) and why. */
export interface ValidationIssue {
  readonly path: string;
  readonly reason: string;
}

/**
 * Thrown by the renderer when handed a model that fails validation (a value the builder should
 * have refused). A `ConfigRefusedError` (so terminal): a controller with `isolate` bisects the
 * source objects to find the ones whose values the renderer refuses.
 */
export class NginxModelError extends ConfigRefusedError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    const first = issues[0];
    super(
      `invalid nginx model: ${first ? `${first.path}: ${first.reason}` : 'unknown'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
      {
        code: 'NGINX_MODEL_INVALID',
      },
    );
    this.issues = issues;
  }
}

type Validator = (v: unknown) => ValidationResult<unknown>;

class Checker {
  readonly issues: ValidationIssue[] = [];
  /** Variables the config itself defines (map targets), lower-cased. */
  readonly defined = new Set<string>();
  private readonly verdicts = new Map<Validator, Map<string, string>>();

  check(path: string, value: unknown, validator: Validator): void {
    const r = validator(value);
    if (!r.ok) this.issues.push({ path, reason: r.reason });
  }

  /** Like check, and also requires the value to be in the validator's normalised form. */
  normalised(path: string, value: unknown, validator: Validator): void {
    const r = validator(value);
    if (!r.ok) this.issues.push({ path, reason: r.reason });
    else if (r.value !== value)
      this.issues.push({ path, reason: 'value is not in normalised form (lower case, no trailing dot)' });
  }

  opt(path: string, value: unknown, validator: Validator): void {
    if (value !== undefined) this.check(path, value, validator);
  }

  // The *F variants take the path in two parts and join them only on failure: validation runs
  // on every render, and building a path string per field was most of its cost.
  checkF(base: string, field: string, value: unknown, validator: Validator): void {
    // Models repeat the same values (timeouts, CIDRs, sizes) thousands of times: remember verdicts.
    if (typeof value === 'string' && value.length < 256) {
      let cache = this.verdicts.get(validator);
      if (!cache) this.verdicts.set(validator, (cache = new Map<string, string>()));
      let reason = cache.get(value);
      if (reason === undefined) {
        const r = validator(value);
        reason = r.ok ? '' : r.reason;
        cache.set(value, reason);
      }
      if (reason !== '') this.issues.push({ path: base + field, reason });
      return;
    }
    const r = validator(value);
    if (!r.ok) this.issues.push({ path: base + field, reason: r.reason });
  }

  optF(base: string, field: string, value: unknown, validator: Validator): void {
    if (value !== undefined) this.checkF(base, field, value, validator);
  }

  normalisedF(base: string, field: string, value: unknown, validator: Validator): void {
    const r = validator(value);
    if (!r.ok) this.issues.push({ path: base + field, reason: r.reason });
    else if (r.value !== value)
      this.issues.push({
        path: base + field,
        reason: 'value is not in normalised form (lower case, no trailing dot)',
      });
  }

  add(path: string, reason: string): void {
    this.issues.push({ path, reason });
  }
}

const int =
  (what: string, min: number, max: number): Validator =>
  (v) =>
    validateInt(v, what, min, max);
const bool: Validator = (v) =>
  typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, reason: 'must be a boolean' };
const oneOf =
  (values: readonly string[]): Validator =>
  (v) =>
    typeof v === 'string' && values.includes(v)
      ? { ok: true, value: v }
      : { ok: false, reason: `must be one of ${values.join(', ')}` };

function checkExpr(c: Checker, path: string, e: Expr): void {
  const before = c.issues.length;
  const parts: readonly unknown[] = Array.isArray(e) ? (e as readonly unknown[]) : [e];
  parts.forEach((p, i) => {
    const at = parts.length > 1 ? `${path}[${i}]` : path;
    if (typeof p === 'string') c.check(at, p, validateText);
    else if (typeof p === 'object' && p !== null && 'var' in p) {
      const name = p.var;
      c.checkF(at, '.var', name, validateVariableName);
      if (typeof name === 'string' && validateVariableName(name).ok && !isKnownVariable(name, c.defined))
        c.add(`${at}.var`, `nginx has no variable $${name}`);
    } else c.add(at, 'must be a string or { var }');
  });
  // nginx reads a config in 4 KB buffers and refuses a longer parameter.
  if (c.issues.length === before && tokenLength(e) > MAX_TOKEN_LENGTH)
    c.add(path, `value is too long once quoted (nginx limits a parameter to ${MAX_TOKEN_LENGTH} bytes)`);
}

/** The longest quoted parameter the renderer emits; nginx's own limit is its 4096-byte read buffer. */
export const MAX_TOKEN_LENGTH = 4000;

function tokenLength(e: Expr): number {
  return Buffer.byteLength(quoteArg(exprText(e).text));
}

function checkAccessLog(c: Checker, path: string, log: AccessLog | undefined): void {
  if (log === undefined || log === 'off') return;
  c.checkF(path, '.path', log.path, validateFilePath);
  c.optF(path, '.format', log.format, validateIdentifier);
  c.optF(path, '.buffer', log.buffer, validateSize);
  c.optF(path, '.flush', log.flush, validateDuration);
}

function checkProxy(c: Checker, path: string, p: ProxySettings | undefined): void {
  if (!p) return;
  c.optF(path, '.httpVersion', p.httpVersion, oneOf(['1.0', '1.1']));
  c.optF(path, '.connectTimeout', p.connectTimeout, validateDuration);
  c.optF(path, '.readTimeout', p.readTimeout, validateDuration);
  c.optF(path, '.sendTimeout', p.sendTimeout, validateDuration);
  c.optF(path, '.buffering', p.buffering, bool);
  c.optF(path, '.requestBuffering', p.requestBuffering, bool);
  c.optF(path, '.bufferSize', p.bufferSize, validateSize);
  if (p.buffers) {
    c.check(`${path}.buffers.count`, p.buffers.count, int('buffer count', 1, 1024));
    c.check(`${path}.buffers.size`, p.buffers.size, validateSize);
  }
  c.optF(path, '.redirect', p.redirect, bool);
  p.setHeaders?.forEach((h, i) => {
    c.check(`${path}.setHeaders[${i}].name`, h.name, validateHeaderName);
    checkExpr(c, `${path}.setHeaders[${i}].value`, h.value);
  });
  p.hideHeaders?.forEach((h, i) => c.check(`${path}.hideHeaders[${i}]`, h, validateHeaderName));
}

/** The proxy buffer settings in force at one level, after nginx's inheritance. */
interface Buffers {
  readonly bufferSize: string | undefined;
  readonly buffers: { readonly count: number; readonly size: string } | undefined;
}

function inheritBuffers(parent: Buffers, p: ProxySettings | undefined): Buffers {
  return { bufferSize: p?.bufferSize ?? parent.bufferSize, buffers: p?.buffers ?? parent.buffers };
}

const buffersKey = (b: Buffers): string =>
  `${b.bufferSize ?? ''} ${b.buffers === undefined ? '' : `${b.buffers.count} ${b.buffers.size}`}`;

/*
 * One validation: a location or upstream that validateLocation / validateUpstream found valid is
 * frozen (deeply, so it cannot change afterwards) and remembered here, with the inherited proxy
 * buffers it was checked under; validateConfig then skips re-checking its values (it still checks
 * what only the whole config shows: the upstream exists, no duplicates). A model builder that
 * validates each object to skip the bad ones thus pays for validation once, not twice per render.
 */
// A hidden (non-enumerable symbol) property rather than a WeakMap: weak tables of thousands of
// entries made every garbage collection slower than the checks they saved.
const VALID = Symbol('kube-edge.nginx-render.valid');
const UPSTREAM_VALID = 'upstream';

/** The mark of a frozen object: the context it was found valid under, '' for a nested object. */
const validUnder = (value: object): string | undefined => (value as { [VALID]?: string })[VALID];

/** Mark `value` (valid under `context`) and freeze it and everything in it, each object once. */
function markValid(value: object, context: string): void {
  // Frozen by someone else (a sealed server's location): it cannot be marked, so it is checked
  // each time; what is inside it is frozen too, so a marked object holding it cannot change.
  if (Object.isFrozen(value)) {
    freezeDeep(value);
    return;
  }
  for (const v of Object.values(value) as unknown[])
    if (typeof v === 'object' && v !== null && validUnder(v) === undefined) markValid(v, '');
  Object.defineProperty(value, VALID, { value: context });
  Object.freeze(value);
}

/**
 * Freeze `value` and every object in it, also inside objects that are already frozen (one may
 * have been frozen shallowly by someone else). Model objects are trees of plain data.
 * @internal
 */
export function freezeDeep(value: object): void {
  if (!Object.isFrozen(value)) Object.freeze(value);
  for (const v of Object.values(value) as unknown[]) if (typeof v === 'object' && v !== null) freezeDeep(v);
}

/**
 * nginx's proxy merge refuses buffers where the (default, 2x the largest buffer) busy size is
 * not below all buffers minus one, or a buffer is above max_temp_file_size (default 1024m).
 * Defaults are one page (4k) and `8 4k`.
 */
function checkBuffers(c: Checker, path: string, b: Buffers): void {
  if (b.bufferSize === undefined && b.buffers === undefined) return;
  const ok = (v: string | undefined): boolean => v === undefined || validateSize(v).ok;
  if (
    !ok(b.bufferSize) ||
    !ok(b.buffers?.size) ||
    (b.buffers && !validateInt(b.buffers.count, 'count', 1, 1024).ok)
  )
    return;
  const bufSize = b.bufferSize === undefined ? 4096 : sizeBytes(b.bufferSize);
  const count = b.buffers?.count ?? 8;
  const each = b.buffers === undefined ? 4096 : sizeBytes(b.buffers.size);
  const largest = Math.max(bufSize, each);
  if (2 * largest >= (count - 1) * each) {
    c.add(
      path,
      'proxy buffers too small: 2 x the largest buffer must be below (count - 1) x buffer size (nginx proxy_busy_buffers_size rule)',
    );
  }
  if (largest > 1024 ** 3) c.add(path, 'proxy buffer larger than 1g (nginx proxy_max_temp_file_size rule)');
}

function checkAccess(c: Checker, path: string, rules: readonly AccessRule[] | undefined): void {
  rules?.forEach((r, i) => {
    c.check(`${path}[${i}].action`, r.action, oneOf(['allow', 'deny']));
    if (r.source !== 'all') c.check(`${path}[${i}].source`, r.source, validateCidr);
  });
}

/** `files`: the certificate and key are required (a server's `tls`); else both or neither (http). */
function checkTls(c: Checker, path: string, t: Partial<TlsSettings>, files: boolean): void {
  if (files || t.certificate !== undefined) c.checkF(path, '.certificate', t.certificate, validateFilePath);
  if (files || t.certificateKey !== undefined)
    c.checkF(path, '.certificateKey', t.certificateKey, validateFilePath);
  if (!files && (t.certificate === undefined) !== (t.certificateKey === undefined))
    c.add(path, 'certificate and certificateKey go together');
  c.optF(path, '.clientCertificate', t.clientCertificate, validateFilePath);
  c.optF(path, '.verifyClient', t.verifyClient, oneOf(['on', 'optional', 'optional_no_ca']));
  if (
    t.verifyClient !== undefined &&
    t.verifyClient !== 'optional_no_ca' &&
    t.clientCertificate === undefined
  ) {
    c.add(`${path}.verifyClient`, 'verifying client certificates needs clientCertificate');
  }
  t.protocols?.forEach((p, i) =>
    c.check(`${path}.protocols[${i}]`, p, oneOf(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'])),
  );
  c.optF(path, '.ciphers', t.ciphers, validateCipherList);
  c.optF(path, '.preferServerCiphers', t.preferServerCiphers, bool);
  c.optF(path, '.sessionTimeout', t.sessionTimeout, validateDuration);
  if (typeof t.sessionCache === 'object') {
    c.check(`${path}.sessionCache.name`, t.sessionCache.name, validateIdentifier);
    c.check(`${path}.sessionCache.size`, t.sessionCache.size, validateSize);
  } else c.optF(path, '.sessionCache', t.sessionCache, oneOf(['off', 'none']));
  c.optF(path, '.sessionTickets', t.sessionTickets, bool);
}

function checkHeaderCheck(c: Checker, path: string, h: HeaderCheck): void {
  c.checkF(path, '.header', h.header, validateVariableHeaderName);
  c.checkF(path, '.value', h.value, validateHeaderValue);
  if (
    typeof h.value === 'string' &&
    validateHeaderValue(h.value).ok &&
    tokenLength(h.value) + 1 > MAX_TOKEN_LENGTH
  ) {
    c.add(
      `${path}.value`,
      `value is too long once quoted (nginx limits a parameter to ${MAX_TOKEN_LENGTH} bytes)`,
    );
  }
  c.optF(path, '.status', h.status, int('status', 100, 999));
}

function checkAction(c: Checker, path: string, a: LocationAction): void {
  switch (a.kind) {
    case 'proxy':
      c.checkF(path, '.upstream', a.upstream, validateUpstreamId);
      c.optF(path, '.scheme', a.scheme, oneOf(['http', 'https']));
      c.optF(path, '.uri', a.uri, validateProxyUri);
      return;
    case 'return':
      c.checkF(path, '.status', a.status, int('status', 100, 999));
      if (a.body !== undefined) checkExpr(c, `${path}.body`, a.body);
      return;
    case 'redirect':
      c.checkF(path, '.status', a.status, (v) =>
        [301, 302, 303, 307, 308].includes(v as number)
          ? { ok: true, value: v }
          : { ok: false, reason: 'redirect status must be 301, 302, 303, 307 or 308' },
      );
      if (typeof a.url === 'string') c.checkF(path, '.url', a.url, validateUrl);
      else checkExpr(c, `${path}.url`, a.url);
      return;
    case 'stub_status':
      return;
    case 'lua_content':
      c.checkF(path, '.file', a.file, validateFilePath);
      return;
    default:
      c.add(path, 'unknown action kind');
  }
}

function checkLocation(
  c: Checker,
  path: string,
  l: Location,
  upstreamIds: ReadonlySet<string>,
  parentBuffers: Buffers,
): void {
  if (l.proxy) checkBuffers(c, `${path}.proxy`, inheritBuffers(parentBuffers, l.proxy));
  c.checkF(
    path,
    '.match',
    l.match,
    oneOf(['exact', 'prefix', 'prefix-no-regex', 'regex', 'regex-case-insensitive']),
  );
  if (l.match === 'regex' || l.match === 'regex-case-insensitive')
    c.checkF(path, '.path', l.path, validateRegexPath);
  else c.checkF(path, '.path', l.path, validatePath);
  c.optF(path, '.comment', l.comment, validateComment);
  if (l.headerCheck) checkHeaderCheck(c, `${path}.headerCheck`, l.headerCheck);
  checkAccess(c, `${path}.access`, l.access);
  checkProxy(c, `${path}.proxy`, l.proxy);
  checkAccessLog(c, `${path}.accessLog`, l.accessLog);
  c.optF(path, '.clientMaxBodySize', l.clientMaxBodySize, validateSize);
  c.optF(path, '.clientBodyBufferSize', l.clientBodyBufferSize, validateSize);
  checkAction(c, `${path}.action`, l.action);
  // nginx: "proxy_pass cannot have URI part in location given by regular expression".
  if (
    l.action.kind === 'proxy' &&
    l.action.uri !== undefined &&
    (l.match === 'regex' || l.match === 'regex-case-insensitive')
  )
    c.add(`${path}.action.uri`, 'nginx refuses a proxy URI (targetPath) in a regex location');
  if (l.action.kind === 'proxy' && !upstreamIds.has(l.action.upstream))
    c.add(`${path}.action.upstream`, 'no upstream with this id');
}

function checkListen(c: Checker, path: string, l: Listen): void {
  c.checkF(path, '.port', l.port, validatePort);
  c.optF(path, '.address', l.address, validateIp);
  for (const k of ['ssl', 'http2', 'proxyProtocol', 'defaultServer', 'reuseport'] as const)
    c.opt(`${path}.${k}`, l[k], bool);
}

/** The key a location is unique by inside one server (nginx rejects duplicate locations). */
export function locationKey(l: Location): string {
  const kind = l.match === 'prefix-no-regex' ? 'prefix' : l.match;
  return `${kind} ${l.path}`;
}

function checkServer(
  c: Checker,
  path: string,
  s: Server,
  upstreamIds: ReadonlySet<string>,
  httpBuffers: Buffers,
): void {
  const buffers = inheritBuffers(httpBuffers, s.proxy);
  if (s.proxy) checkBuffers(c, `${path}.proxy`, buffers);
  s.comments?.forEach((x, i) => c.check(`${path}.comments[${i}]`, x, validateComment));
  if (s.listen.length === 0) c.add(`${path}.listen`, 'a server needs at least one listen');
  s.listen.forEach((l, i) => checkListen(c, `${path}.listen[${i}]`, l));
  const names = new Set<string>();
  s.serverNames.forEach((n, i) => {
    c.normalised(`${path}.serverNames[${i}]`, n, validateHostname);
    if (names.has(n)) c.add(`${path}.serverNames[${i}]`, 'duplicate server name');
    names.add(n);
  });
  if (s.tls) checkTls(c, `${path}.tls`, s.tls, true);
  // Whether each ssl listen has a certificate (own, http.tls or its port's default server's) is
  // checked by validateConfig, which sees every server.
  checkAccess(c, `${path}.access`, s.access);
  checkProxy(c, `${path}.proxy`, s.proxy);
  c.optF(path, '.clientMaxBodySize', s.clientMaxBodySize, validateSize);
  c.optF(path, '.portInRedirect', s.portInRedirect, bool);
  checkAccessLog(c, `${path}.accessLog`, s.accessLog);
  const seen = new Set<string>();
  const context = buffersKey(buffers);
  s.locations.forEach((l, i) => {
    if (validUnder(l) !== context) checkLocation(c, `${path}.locations[${i}]`, l, upstreamIds, buffers);
    else if (l.action.kind === 'proxy' && !upstreamIds.has(l.action.upstream))
      c.add(`${path}.locations[${i}].action.upstream`, 'no upstream with this id');
    const key = locationKey(l);
    if (seen.has(key)) c.add(`${path}.locations[${i}]`, 'duplicate location');
    seen.add(key);
  });
}

/** The largest upstream server `max_conns` the renderer accepts. */
export const MAX_UPSTREAM_MAX_CONNS = 1_000_000_000;

function checkUpstream(c: Checker, path: string, u: Upstream): void {
  c.checkF(path, '.id', u.id, validateUpstreamId);
  c.optF(path, '.comment', u.comment, validateComment);
  c.optF(path, '.balance', u.balance, oneOf(['round_robin', 'least_conn', 'ip_hash']));
  if (u.servers.length === 0) c.add(`${path}.servers`, 'an upstream needs at least one server');
  u.servers.forEach((s, i) => {
    const at = `${path}.servers[${i}]`;
    c.normalisedF(at, '.address', s.address, validateServerAddress);
    c.optF(at, '.port', s.port, validatePort);
    c.optF(at, '.weight', s.weight, int('weight', 1, 1_000_000));
    c.optF(at, '.maxConns', s.maxConns, int('max_conns', 0, MAX_UPSTREAM_MAX_CONNS));
    c.optF(at, '.maxFails', s.maxFails, int('max_fails', 0, 1_000_000));
    c.optF(at, '.failTimeout', s.failTimeout, validateDuration);
    c.optF(at, '.backup', s.backup, bool);
    c.optF(at, '.down', s.down, bool);
    c.optF(at, '.comment', s.comment, validateComment);
  });
  c.optF(path, '.keepalive', u.keepalive, int('keepalive', 1, 1_000_000));
  c.optF(path, '.keepaliveRequests', u.keepaliveRequests, int('keepalive_requests', 1, 2147483647));
  c.optF(path, '.keepaliveTimeout', u.keepaliveTimeout, validateDuration);
  if (u.healthCheck !== undefined) checkHealthCheck(c, `${path}.healthCheck`, u.healthCheck);
  if (u.luaBalancer !== undefined) c.check(`${path}.luaBalancer.module`, u.luaBalancer.module, luaModule);
}

const LUA_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
function luaModule(v: unknown): ValidationResult<unknown> {
  return typeof v === 'string' && v.length <= 128 && LUA_MODULE.test(v)
    ? { ok: true, value: v }
    : { ok: false, reason: 'a Lua module name is dot-separated identifiers' };
}

function checkHealthCheck(c: Checker, path: string, h: UpstreamHealthCheck): void {
  c.check(`${path}.type`, h.type, oneOf(['http', 'tcp']));
  const positive = (what: string): Validator => int(what, 1, 2147483647);
  c.check(`${path}.intervalMs`, h.intervalMs, positive('interval'));
  c.check(`${path}.timeoutMs`, h.timeoutMs, positive('timeout'));
  c.check(`${path}.rise`, h.rise, positive('rise'));
  c.check(`${path}.fall`, h.fall, positive('fall'));
  c.opt(`${path}.port`, h.port, validatePort);
  c.opt(`${path}.comment`, h.comment, validateComment);
  if (h.type === 'http') c.check(`${path}.path`, h.path, validateHealthCheckPath);
  else if (h.path !== undefined || h.expectAlive !== undefined)
    c.add(path, 'path and expectAlive apply to http checks only');
  h.expectAlive?.forEach((x, i) =>
    c.check(`${path}.expectAlive[${i}]`, x, oneOf(['http_2xx', 'http_3xx', 'http_4xx', 'http_5xx'])),
  );
  if (h.expectAlive?.length === 0) c.add(`${path}.expectAlive`, 'must not be empty (omit it for http_2xx)');
}

/**
 * Check one upstream health check on its own (the same rules {@link validateConfig} applies to
 * `upstreams[].healthCheck`), so a model builder can drop a check it could not render instead of
 * failing the whole config. Pure. Returns every issue (paths relative to the check).
 */
export function validateUpstreamHealthCheck(check: UpstreamHealthCheck): ValidationIssue[] {
  const c = new Checker();
  checkHealthCheck(c, 'healthCheck', check);
  return c.issues;
}

/**
 * Check one upstream on its own, with the rules {@link validateConfig} applies to `upstreams[]`
 * (everything but the cross-object uniqueness of ids), so a model builder can skip the object
 * that produced it instead of failing the whole config. Returns every issue (paths relative to
 * the upstream). A valid upstream is frozen (deeply) and not checked again by
 * {@link validateConfig} or the renderer: validate it once, when building it. One that was
 * already frozen before it was validated cannot be marked: it is checked again each time.
 */
export function validateUpstream(upstream: Upstream): ValidationIssue[] {
  if (validUnder(upstream) === UPSTREAM_VALID) return [];
  const c = new Checker();
  checkUpstream(c, 'upstream', upstream);
  if (c.issues.length === 0) {
    markValid(upstream, UPSTREAM_VALID);
  }
  return c.issues;
}

/**
 * Check one location on its own, with the rules {@link validateConfig} applies to a server's
 * `locations[]`: every value, and the proxy buffer rule with the settings it inherits from
 * `inherited` (the http and server `proxy` settings, outer first). A proxy action's upstream is
 * not looked up. Returns every issue (paths relative to the location). A valid location is frozen
 * (deeply) and, under the same inherited buffers, not checked again by {@link validateConfig} or
 * the renderer (which still require its upstream to exist): validate it once, when building it.
 * One that was already frozen before it was validated cannot be marked: it is checked again each
 * time.
 */
export function validateLocation(
  location: Location,
  inherited: readonly (ProxySettings | undefined)[] = [],
): ValidationIssue[] {
  const c = new Checker();
  let buffers: Buffers = { bufferSize: undefined, buffers: undefined };
  for (const p of inherited) buffers = inheritBuffers(buffers, p);
  const context = buffersKey(buffers);
  if (validUnder(location) === context) return [];
  const ids = location.action.kind === 'proxy' ? new Set([location.action.upstream]) : new Set<string>();
  checkLocation(c, 'location', location, ids, buffers);
  if (c.issues.length === 0) {
    // An object already marked (under other buffers) stays as it is: it is rechecked each time.
    if (validUnder(location) === undefined) markValid(location, context);
  }
  return c.issues;
}

const validateUserName: Validator = (v) =>
  typeof v === 'string' && /^[a-z_][a-z0-9_-]{0,31}$/.test(v)
    ? { ok: true, value: v }
    : { ok: false, reason: 'must be a POSIX user or group name' };

/** The key nginx's map hash stores a literal key under (it lower-cases keys). */
export function mapKeyIdentity(key: string): string {
  return key.toLowerCase();
}

function checkMap(c: Checker, path: string, m: MapBlock): void {
  checkExpr(c, `${path}.source`, m.source);
  c.checkF(path, '.target', m.target, validateVariableName);
  c.optF(path, '.hostnames', m.hostnames, bool);
  if (m.default !== undefined) checkExpr(c, `${path}.default`, m.default);
  const keys = new Set<string>();
  m.entries.forEach((e, i) => {
    if (m.hostnames) c.normalised(`${path}.entries[${i}].key`, e.key, validateHostname);
    else c.check(`${path}.entries[${i}].key`, e.key, validateText);
    if (typeof e.key === 'string' && Buffer.byteLength(quoteArg(e.key)) + 1 > MAX_TOKEN_LENGTH)
      c.add(`${path}.entries[${i}].key`, 'map key is too long once quoted');
    const id = mapKeyIdentity(e.key);
    if (keys.has(id)) c.add(`${path}.entries[${i}].key`, 'duplicate map key (keys are case-insensitive)');
    keys.add(id);
    checkExpr(c, `${path}.entries[${i}].value`, e.value);
  });
}

/**
 * Check a whole model: every user-controlled value against its validator, and the cross-object
 * rules nginx enforces (unique upstream ids and map targets, no duplicate location in a server,
 * a proxied upstream must exist, an ssl listen needs TLS files). Pure; linear in the model size.
 * Returns every issue found (an empty list means valid).
 */
export function validateConfig(config: NginxConfig): ValidationIssue[] {
  const c = new Checker();
  const m = config.main;
  if (m) {
    if (m.user) {
      c.check('main.user.name', m.user.name, validateUserName);
      c.opt('main.user.group', m.user.group, validateUserName);
    }
    if (m.workerProcesses !== 'auto')
      c.opt('main.workerProcesses', m.workerProcesses, int('worker_processes', 1, 1024));
    c.opt('main.workerShutdownTimeout', m.workerShutdownTimeout, validateDuration);
    c.opt('main.workerRlimitNofile', m.workerRlimitNofile, int('worker_rlimit_nofile', 1, 100_000_000));
    if (m.errorLog) {
      if (m.errorLog.target !== 'stderr')
        c.check('main.errorLog.target', m.errorLog.target, validateFilePath);
      c.check(
        'main.errorLog.level',
        m.errorLog.level,
        oneOf(['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg']),
      );
    }
    m.loadModules?.forEach((x, i) => c.check(`main.loadModules[${i}]`, x, validateFilePath));
  }
  const e = config.events;
  if (e) {
    c.opt('events.workerConnections', e.workerConnections, int('worker_connections', 1, 10_000_000));
    c.opt('events.multiAccept', e.multiAccept, bool);
    c.opt('events.use', e.use, oneOf(['epoll', 'poll', 'select']));
  }
  const h = config.http;
  const mapTargets = new Set<string>();
  for (const mp of h?.maps ?? []) if (typeof mp.target === 'string') c.defined.add(mp.target.toLowerCase());
  if (h) {
    c.opt('http.tempPathRoot', h.tempPathRoot, validateFilePath);
    c.opt('http.includeMimeTypes', h.includeMimeTypes, validateFilePath);
    c.opt('http.defaultType', h.defaultType, validateMimeType);
    for (const k of [
      'sendfile',
      'tcpNodelay',
      'serverTokens',
      'underscoresInHeaders',
      'logNotFound',
      'portInRedirect',
    ] as const)
      c.opt(`http.${k}`, h[k], bool);
    c.opt('http.keepaliveTimeout', h.keepaliveTimeout, validateDuration);
    c.opt('http.keepaliveRequests', h.keepaliveRequests, int('keepalive_requests', 1, 2147483647));
    c.opt(
      'http.serverNamesHashBucketSize',
      h.serverNamesHashBucketSize,
      int('server_names_hash_bucket_size', 1, 1_048_576),
    );
    c.opt(
      'http.serverNamesHashMaxSize',
      h.serverNamesHashMaxSize,
      int('server_names_hash_max_size', 1, 100_000_000),
    );
    c.opt('http.mapHashBucketSize', h.mapHashBucketSize, int('map_hash_bucket_size', 1, 65536 - 64));
    c.opt('http.typesHashMaxSize', h.typesHashMaxSize, int('types_hash_max_size', 1, 1_048_576));
    c.opt('http.clientHeaderBufferSize', h.clientHeaderBufferSize, validateSize);
    c.opt('http.clientBodyBufferSize', h.clientBodyBufferSize, validateSize);
    if (h.largeClientHeaderBuffers) {
      c.check(
        'http.largeClientHeaderBuffers.count',
        h.largeClientHeaderBuffers.count,
        int('buffer count', 1, 1024),
      );
      c.check('http.largeClientHeaderBuffers.size', h.largeClientHeaderBuffers.size, validateSize);
    }
    c.opt('http.clientMaxBodySize', h.clientMaxBodySize, validateSize);
    if (h.realIp) {
      h.realIp.from.forEach((x, i) => c.check(`http.realIp.from[${i}]`, x, validateCidr));
      if (h.realIp.header !== 'proxy_protocol')
        c.check('http.realIp.header', h.realIp.header, validateHeaderName);
      c.opt('http.realIp.recursive', h.realIp.recursive, bool);
    }
    if (h.tls) checkTls(c, 'http.tls', h.tls, false);
    const formats = new Set<string>();
    h.logFormats?.forEach((f, i) => {
      c.check(`http.logFormats[${i}].name`, f.name, validateIdentifier);
      if (f.name === 'combined' || formats.has(f.name))
        c.add(`http.logFormats[${i}].name`, 'duplicate log format name');
      formats.add(f.name);
      c.opt(`http.logFormats[${i}].escape`, f.escape, oneOf(['default', 'json', 'none']));
      checkExpr(c, `http.logFormats[${i}].format`, f.format);
    });
    checkAccessLog(c, 'http.accessLog', h.accessLog);
    checkProxy(c, 'http.proxy', h.proxy);
    h.lua?.packagePath?.forEach((x, i) =>
      c.check(`http.lua.packagePath[${i}]`, x, (v) =>
        typeof v === 'string' &&
        !v.includes(';') &&
        v.includes('?') &&
        validateFilePath(v.replaceAll('?', 'x')).ok
          ? { ok: true, value: v }
          : { ok: false, reason: 'an absolute path pattern with one `?` and no `;`' },
      ),
    );
    c.opt('http.lua.logModule', h.lua?.logModule, luaModule);
    const dicts = new Set<string>();
    h.lua?.sharedDicts?.forEach((d, i) => {
      c.check(`http.lua.sharedDicts[${i}].name`, d.name, validateIdentifier);
      c.check(`http.lua.sharedDicts[${i}].size`, d.size, validateSize);
      if (dicts.has(d.name)) c.add(`http.lua.sharedDicts[${i}].name`, 'duplicate shared dict');
      dicts.add(d.name);
    });
    h.maps?.forEach((mp, i) => {
      checkMap(c, `http.maps[${i}]`, mp);
      if (mapTargets.has(mp.target)) c.add(`http.maps[${i}].target`, 'duplicate map target variable');
      mapTargets.add(mp.target);
    });
  }
  const ids = new Set<string>();
  config.upstreams.forEach((u, i) => {
    if (validUnder(u) !== UPSTREAM_VALID) checkUpstream(c, `upstreams[${i}]`, u);
    if (ids.has(u.id)) c.add(`upstreams[${i}].id`, 'duplicate upstream id');
    ids.add(u.id);
  });
  const httpBuffers = inheritBuffers({ bufferSize: undefined, buffers: undefined }, h?.proxy);
  checkBuffers(c, 'http.proxy', httpBuffers);
  config.servers.forEach((s, i) => checkServer(c, `servers[${i}]`, s, ids, httpBuffers));
  // An ssl listen needs a certificate: the server's own, http.tls's, or that of the explicit
  // default server of its address:port. nginx creates an SSL context only for a server with a
  // certificate; one without keeps the default server's context when SNI selects it, so it
  // serves the default certificate (and skips a context of its own: `nginx -t` and reloads with
  // thousands of https servers cost mostly those contexts).
  const httpCertificate = h?.tls?.certificate !== undefined && h.tls.certificateKey !== undefined;
  const hasCertificate = (s: Server): boolean => s.tls !== undefined || httpCertificate;
  const certifiedDefaults = new Set<string>();
  for (const s of config.servers)
    for (const l of s.listen)
      if (l.ssl && l.defaultServer && hasCertificate(s))
        certifiedDefaults.add(`${l.address ?? '*'}:${l.port}`);
  config.servers.forEach((s, i) => {
    if (hasCertificate(s)) return;
    if (s.listen.some((l) => l.ssl && !certifiedDefaults.has(`${l.address ?? '*'}:${l.port}`)))
      c.add(
        `servers[${i}].tls`,
        'an ssl listen needs a certificate: its own tls, http.tls, or a default server on its address and port with one',
      );
  });
  // nginx allows one default server and one set of socket options (reuseport) per address:port.
  const defaults = new Set<string>();
  const reuse = new Set<string>();
  config.servers.forEach((s, i) =>
    s.listen.forEach((l, j) => {
      const key = `${l.address ?? '*'}:${l.port}`;
      if (l.defaultServer) {
        if (defaults.has(key))
          c.add(`servers[${i}].listen[${j}]`, 'a second default server for the same address and port');
        defaults.add(key);
      }
      if (l.reuseport) {
        if (reuse.has(key))
          c.add(`servers[${i}].listen[${j}]`, 'reuseport set twice for the same address and port');
        reuse.add(key);
      }
    }),
  );
  return c.issues;
}

/** Throw {@link NginxModelError} unless {@link validateConfig} finds nothing. Pure. */
export function assertValidConfig(config: NginxConfig): void {
  const issues = validateConfig(config);
  if (issues.length > 0) throw new NginxModelError(issues);
}
