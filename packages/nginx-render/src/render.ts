import { isIP } from 'node:net';
import type {
  AccessLog,
  AccessRule,
  Expr,
  HttpSettings,
  Listen,
  Location,
  MapBlock,
  NginxConfig,
  ProxySettings,
  Server,
  TlsSettings,
  Upstream,
  UpstreamHealthCheck,
} from './model.js';
import { DOLLAR_VARIABLE, exprText, quoteArg } from './quote.js';
import { assertValidConfig, freezeDeep } from './validate-config.js';

const INDENT = '    ';
const INDENTS = Array.from({ length: 16 }, (_, i) => INDENT.repeat(i));
const indent = (depth: number): string => INDENTS[depth] ?? INDENT.repeat(depth);

/** Collects lines. Arrays and one join keep rendering linear in the output size. */
class Out {
  readonly lines: string[] = [];
  usesDollar = false;
  private depth: number;

  constructor(depth = 0) {
    this.depth = depth;
  }

  /** A directive; `args` must already be quoted (use {@link q} / {@link e}). */
  d(name: string, ...args: string[]): void {
    this.lines.push(`${indent(this.depth)}${args.length ? `${name} ${args.join(' ')}` : name};`);
  }

  open(name: string, ...args: string[]): void {
    this.lines.push(`${indent(this.depth)}${args.length ? `${name} ${args.join(' ')}` : name} {`);
    this.depth++;
  }

  close(): void {
    this.depth--;
    this.lines.push(`${indent(this.depth)}}`);
  }

  comment(text: string): void {
    this.lines.push(`${indent(this.depth)}#${text.length ? ` ${text}` : ''}`);
  }

  blank(): void {
    this.lines.push('');
  }

  /** Quote an expression, noting whether it needs the dollar variable. */
  e(expr: Expr): string {
    const { text, usesDollar } = exprText(expr);
    if (usesDollar) this.usesDollar = true;
    return quoteArg(text);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

const q = quoteArg;
const onOff = (b: boolean): string => (b ? 'on' : 'off');
/** Plain `<` ordering: locale-independent, so the output is the same on every machine. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function hostPort(address: string, port: number | undefined): string {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

function renderAccessLog(o: Out, log: AccessLog | undefined): void {
  if (log === undefined) return;
  if (log === 'off') return o.d('access_log', 'off');
  const args = [q(log.path)];
  // nginx reads the third argument as the format name, so buffering needs an explicit one.
  if (log.format !== undefined) args.push(q(log.format));
  else if (log.buffer !== undefined || log.flush !== undefined) args.push('combined');
  if (log.buffer !== undefined) args.push(`buffer=${log.buffer}`);
  if (log.flush !== undefined) args.push(`flush=${log.flush}`);
  o.d('access_log', ...args);
}

function renderProxy(o: Out, p: ProxySettings | undefined): void {
  if (!p) return;
  if (p.httpVersion !== undefined) o.d('proxy_http_version', p.httpVersion);
  if (p.connectTimeout !== undefined) o.d('proxy_connect_timeout', p.connectTimeout);
  if (p.readTimeout !== undefined) o.d('proxy_read_timeout', p.readTimeout);
  if (p.sendTimeout !== undefined) o.d('proxy_send_timeout', p.sendTimeout);
  if (p.buffering !== undefined) o.d('proxy_buffering', onOff(p.buffering));
  if (p.requestBuffering !== undefined) o.d('proxy_request_buffering', onOff(p.requestBuffering));
  if (p.bufferSize !== undefined) o.d('proxy_buffer_size', p.bufferSize);
  if (p.buffers !== undefined) o.d('proxy_buffers', String(p.buffers.count), p.buffers.size);
  if (p.redirect !== undefined) o.d('proxy_redirect', p.redirect ? 'default' : 'off');
  for (const h of p.setHeaders ?? []) o.d('proxy_set_header', q(h.name), o.e(h.value));
  for (const h of p.hideHeaders ?? []) o.d('proxy_hide_header', q(h));
}

function renderAccess(o: Out, rules: readonly AccessRule[] | undefined): void {
  for (const r of rules ?? []) o.d(r.action, r.source === 'all' ? 'all' : q(r.source));
}

function renderTls(o: Out, t: Partial<TlsSettings>): void {
  if (t.certificate !== undefined) o.d('ssl_certificate', q(t.certificate));
  if (t.certificateKey !== undefined) o.d('ssl_certificate_key', q(t.certificateKey));
  if (t.clientCertificate !== undefined) o.d('ssl_client_certificate', q(t.clientCertificate));
  const verify = t.verifyClient ?? (t.clientCertificate !== undefined ? 'on' : undefined);
  if (verify !== undefined) o.d('ssl_verify_client', verify);
  if (t.protocols?.length) o.d('ssl_protocols', ...t.protocols);
  if (t.ciphers !== undefined) o.d('ssl_ciphers', q(t.ciphers));
  if (t.preferServerCiphers !== undefined) o.d('ssl_prefer_server_ciphers', onOff(t.preferServerCiphers));
  if (t.sessionTimeout !== undefined) o.d('ssl_session_timeout', t.sessionTimeout);
  if (t.sessionCache !== undefined) {
    o.d(
      'ssl_session_cache',
      typeof t.sessionCache === 'string'
        ? t.sessionCache
        : q(`shared:${t.sessionCache.name}:${t.sessionCache.size}`),
    );
  }
  if (t.sessionTickets !== undefined) o.d('ssl_session_tickets', onOff(t.sessionTickets));
}

const MODIFIER: Record<Location['match'], string | undefined> = {
  exact: '=',
  prefix: undefined,
  'prefix-no-regex': '^~',
  regex: '~',
  'regex-case-insensitive': '~*',
};

function renderLocation(o: Out, l: Location): void {
  if (l.comment !== undefined) o.comment(l.comment);
  const mod = MODIFIER[l.match];
  if (mod) o.open('location', mod, q(l.path));
  else o.open('location', q(l.path));
  if (l.headerCheck) {
    const variable = `$http_${l.headerCheck.header.toLowerCase().replaceAll('-', '_')}`;
    // Always quoted, so a `)` in the value can never be taken for the condition's end.
    const { text, usesDollar } = exprText(l.headerCheck.value);
    if (usesDollar) o.usesDollar = true;
    o.open('if', `(${variable}`, '!=', `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}")`);
    o.d('return', String(l.headerCheck.status ?? 403));
    o.close();
  }
  renderAccess(o, l.access);
  if (l.clientMaxBodySize !== undefined) o.d('client_max_body_size', l.clientMaxBodySize);
  if (l.clientBodyBufferSize !== undefined) o.d('client_body_buffer_size', l.clientBodyBufferSize);
  renderAccessLog(o, l.accessLog);
  renderProxy(o, l.proxy);
  const a = l.action;
  switch (a.kind) {
    case 'proxy':
      o.d('proxy_pass', q(`${a.scheme ?? 'http'}://${a.upstream}${a.uri ?? ''}`));
      break;
    case 'return':
      if (a.body === undefined) o.d('return', String(a.status));
      else o.d('return', String(a.status), o.e(a.body));
      break;
    case 'redirect':
      o.d('return', String(a.status), o.e(a.url));
      break;
    case 'stub_status':
      o.d('stub_status');
      break;
    case 'lua_content':
      o.d('content_by_lua_file', q(a.file));
      break;
  }
  o.close();
}

function listenArgs(l: Listen): string[] {
  const args = [l.address === undefined ? String(l.port) : hostPort(l.address, l.port)];
  if (l.ssl) args.push('ssl');
  if (l.http2) args.push('http2');
  if (l.proxyProtocol) args.push('proxy_protocol');
  if (l.defaultServer) args.push('default_server');
  if (l.reuseport) args.push('reuseport');
  return args;
}

/**
 * A server name as nginx must see it. A Kubernetes wildcard `*.a.example` covers exactly one label,
 * while nginx's `*.a.example` also matches `b.c.a.example`; it is rendered as the regex
 * `~^[^.]+\.a\.example$` instead (unquoted: the rest is a validated hostname, so it holds only
 * letters, digits, `-` and `.`). nginx tries exact names first and regexes last, so an exact host
 * still wins over a wildcard, and wildcards of different depths cannot overlap.
 */
function serverNameArg(name: string): string {
  if (!name.startsWith('*.')) return q(name);
  return `~^[^.]+\\.${name.slice(2).replaceAll('.', '\\.')}$`;
}

/** A server's rendered text, the key it sorts by and whether it needs the `$` variable. */
interface RenderedServer {
  readonly key: string;
  readonly text: string;
  readonly usesDollar: boolean;
}

// The text of a sealed server, on the server itself (a hidden property, as validation marks are:
// a weak table of thousands of entries slows every garbage collection).
const RENDERED = Symbol('kube-edge.nginx-render.rendered');

/**
 * Render a server once: freezes it and everything in it (deeply, including objects it shares
 * with others, which must not change either) and keeps its text with it, so
 * {@link renderNginxConfig} reuses the text on every later render of a config holding this very
 * object. For model builders that hand back the same server object while its inputs are
 * unchanged; the server is still validated with the rest of the config on every render, so a
 * sealed invalid server is refused there as any other. Returns its argument. A server that is
 * already frozen or not extensible (`Object.seal`, `Object.preventExtensions`) is returned as it
 * is and rendered each time as usual. Rendering happens here, before validation: a value of the
 * wrong type (from untyped JavaScript) may throw a TypeError here rather than an
 * `NginxModelError` at render.
 */
export function sealServer<T extends Server>(server: T): T {
  if (!Object.isExtensible(server)) return server;
  Object.defineProperty(server, RENDERED, { value: renderServerText(server) });
  freezeDeep(server);
  return server;
}

function renderServer(s: Server): RenderedServer {
  return (s as { [RENDERED]?: RenderedServer })[RENDERED] ?? renderServerText(s);
}

function renderServerText(s: Server): RenderedServer {
  const o = new Out(1);
  for (const c of s.comments ?? []) o.comment(c);
  o.open('server');
  const listens = s.listen.map((l) => listenArgs(l).join(' '));
  for (const l of listens) o.d('listen', l);
  if (s.serverNames.length) o.d('server_name', ...s.serverNames.map(serverNameArg));
  if (s.tls) renderTls(o, s.tls);
  renderAccess(o, s.access);
  if (s.clientMaxBodySize !== undefined) o.d('client_max_body_size', s.clientMaxBodySize);
  if (s.portInRedirect !== undefined) o.d('port_in_redirect', onOff(s.portInRedirect));
  renderAccessLog(o, s.accessLog);
  renderProxy(o, s.proxy);
  const locations = [...s.locations].sort((a, b) => cmp(a.path, b.path) || cmp(a.match, b.match));
  for (const l of locations) renderLocation(o, l);
  o.close();
  return {
    key: `${s.serverNames.join(' ')}\u0000${listens.join(',')}`,
    text: o.text(),
    usesDollar: o.usesDollar,
  };
}

function renderUpstream(o: Out, u: Upstream): void {
  if (u.comment !== undefined) o.comment(u.comment);
  o.open('upstream', q(u.id));
  if (u.balance && u.balance !== 'round_robin') o.d(u.balance);
  for (const s of u.servers) {
    if (s.comment !== undefined) o.comment(s.comment);
    const args = [hostPort(s.address, s.port)];
    if (s.weight !== undefined) args.push(`weight=${s.weight}`);
    if (s.maxConns !== undefined && s.maxConns > 0) args.push(`max_conns=${s.maxConns}`);
    if (s.maxFails !== undefined) args.push(`max_fails=${s.maxFails}`);
    if (s.failTimeout !== undefined) args.push(`fail_timeout=${s.failTimeout}`);
    if (s.backup) args.push('backup');
    if (s.down) args.push('down');
    o.d('server', ...args);
  }
  if (u.luaBalancer !== undefined) {
    // Before keepalive, which wraps whatever balancer is set when it is read. Module and id are
    // validated ([A-Za-z0-9_.] and [A-Za-z0-9_.-]): nothing here can leave the Lua strings.
    o.open('balancer_by_lua_block');
    o.d('return', `require("${u.luaBalancer.module}").balance("${u.id}")`);
    o.close();
  }
  if (u.keepalive !== undefined) o.d('keepalive', String(u.keepalive));
  if (u.keepaliveRequests !== undefined) o.d('keepalive_requests', String(u.keepaliveRequests));
  if (u.keepaliveTimeout !== undefined) o.d('keepalive_timeout', u.keepaliveTimeout);
  if (u.healthCheck !== undefined) renderHealthCheck(o, u.healthCheck);
  o.close();
}

function renderHealthCheck(o: Out, h: UpstreamHealthCheck): void {
  if (h.comment !== undefined) o.comment(h.comment);
  const args = [`interval=${h.intervalMs}`, `rise=${h.rise}`, `fall=${h.fall}`, `timeout=${h.timeoutMs}`];
  if (h.port !== undefined) args.push(`port=${h.port}`);
  o.d('check', ...args, `type=${h.type}`);
  if (h.type === 'http') {
    // Written out rather than quoted with quoteArg: the `\r\n` escapes are for nginx's lexer to
    // turn into CR LF. The path is validated to hold no quote, backslash or space.
    o.d('check_http_send', `"GET ${h.path ?? '/'} HTTP/1.0\\r\\n\\r\\n"`);
    o.d('check_http_expect_alive', ...(h.expectAlive ?? ['http_2xx']));
  }
}

/** nginx map keys that would be read as parameters or regexes unless prefixed by `\`. */
function mapKey(key: string, hostnames: boolean): string {
  if (hostnames) return q(key);
  const special = key === 'default' || key === 'include' || key.startsWith('~') || key.startsWith('\\');
  return q(special ? `\\${key}` : key);
}

function renderMap(o: Out, m: MapBlock): void {
  o.open('map', o.e(m.source), `$${m.target}`);
  if (m.hostnames) o.d('hostnames');
  if (m.default !== undefined) o.d('default', o.e(m.default));
  for (const e of m.entries) o.d(mapKey(e.key, m.hostnames ?? false), o.e(e.value));
  o.close();
}

/**
 * The hash bucket size nginx needs for keys up to `maxKeyLength` bytes (ngx_hash_init: one
 * element is a pointer plus the key and 2 bytes, pointer-aligned, plus a terminating pointer),
 * rounded up to a power of two; undefined when the 64-byte default suffices.
 */
function neededBucketSize(maxKeyLength: number): number | undefined {
  const needed = 8 + Math.ceil((maxKeyLength + 2) / 8) * 8 + 8;
  if (needed <= 64) return undefined;
  return 2 ** Math.ceil(Math.log2(needed));
}

function bucketSize(configured: number | undefined, maxKeyLength: number): number | undefined {
  const needed = neededBucketSize(maxKeyLength);
  if (needed === undefined) return configured;
  return configured === undefined ? needed : Math.max(configured, needed);
}

function renderHttpSettings(o: Out, h: HttpSettings, config: NginxConfig): void {
  let longestName = 0;
  for (const s of config.servers)
    for (const n of s.serverNames) longestName = Math.max(longestName, Buffer.byteLength(n));
  let longestKey = 0;
  for (const m of h.maps ?? [])
    for (const e of m.entries) longestKey = Math.max(longestKey, Buffer.byteLength(e.key) + 1);
  if (h.tempPathRoot !== undefined) {
    for (const [d, sub] of [
      ['client_body_temp_path', 'client_body'],
      ['proxy_temp_path', 'proxy'],
      ['fastcgi_temp_path', 'fastcgi'],
      ['uwsgi_temp_path', 'uwsgi'],
      ['scgi_temp_path', 'scgi'],
    ] as const) {
      o.d(d, q(`${h.tempPathRoot.replace(/\/+$/, '')}/${sub}`));
    }
  }
  if (h.includeMimeTypes !== undefined) o.d('include', q(h.includeMimeTypes));
  if (h.defaultType !== undefined) o.d('default_type', q(h.defaultType));
  if (h.sendfile !== undefined) o.d('sendfile', onOff(h.sendfile));
  if (h.tcpNodelay !== undefined) o.d('tcp_nodelay', onOff(h.tcpNodelay));
  if (h.keepaliveTimeout !== undefined) o.d('keepalive_timeout', h.keepaliveTimeout);
  if (h.keepaliveRequests !== undefined) o.d('keepalive_requests', String(h.keepaliveRequests));
  if (h.serverTokens !== undefined) o.d('server_tokens', onOff(h.serverTokens));
  const namesBucket = bucketSize(h.serverNamesHashBucketSize, longestName);
  if (namesBucket !== undefined) o.d('server_names_hash_bucket_size', String(namesBucket));
  if (h.serverNamesHashMaxSize !== undefined)
    o.d('server_names_hash_max_size', String(h.serverNamesHashMaxSize));
  if (h.typesHashMaxSize !== undefined) o.d('types_hash_max_size', String(h.typesHashMaxSize));
  const mapBucket = bucketSize(h.mapHashBucketSize, longestKey);
  if (mapBucket !== undefined) o.d('map_hash_bucket_size', String(mapBucket));
  if (h.clientHeaderBufferSize !== undefined) o.d('client_header_buffer_size', h.clientHeaderBufferSize);
  if (h.clientBodyBufferSize !== undefined) o.d('client_body_buffer_size', h.clientBodyBufferSize);
  if (h.largeClientHeaderBuffers !== undefined)
    o.d(
      'large_client_header_buffers',
      String(h.largeClientHeaderBuffers.count),
      h.largeClientHeaderBuffers.size,
    );
  if (h.clientMaxBodySize !== undefined) o.d('client_max_body_size', h.clientMaxBodySize);
  if (h.underscoresInHeaders !== undefined) o.d('underscores_in_headers', onOff(h.underscoresInHeaders));
  if (h.realIp) {
    for (const f of h.realIp.from) o.d('set_real_ip_from', q(f));
    o.d('real_ip_header', q(h.realIp.header));
    if (h.realIp.recursive !== undefined) o.d('real_ip_recursive', onOff(h.realIp.recursive));
  }
  if (h.tls) renderTls(o, h.tls);
  for (const f of h.logFormats ?? []) {
    const args = [q(f.name)];
    if (f.escape !== undefined) args.push(`escape=${f.escape}`);
    args.push(o.e(f.format));
    o.d('log_format', ...args);
  }
  renderAccessLog(o, h.accessLog);
  if (h.logNotFound !== undefined) o.d('log_not_found', onOff(h.logNotFound));
  if (h.portInRedirect !== undefined) o.d('port_in_redirect', onOff(h.portInRedirect));
  renderProxy(o, h.proxy);
  if (h.lua?.packagePath !== undefined && h.lua.packagePath.length > 0)
    o.d('lua_package_path', q(`${h.lua.packagePath.join(';')};;`));
  for (const d of h.lua?.sharedDicts ?? []) o.d('lua_shared_dict', q(d.name), d.size);
  if (h.lua?.logModule !== undefined) {
    // validated as dot-separated identifiers: it cannot leave the Lua string
    o.open('log_by_lua_block');
    o.d(`require("${h.lua.logModule}").log()`);
    o.close();
  }
}

/**
 * Render a model to nginx.conf text. Pure and deterministic: the same model gives
 * byte-identical text (upstreams sorted by id, servers by names then listen lines, locations by
 * path then match kind). Every string is quoted by nginx's lexer rules, so no value can end a
 * directive or open a block. Linear in the model size apart from the sorts.
 *
 * Re-validates the whole model first and throws {@link NginxModelError} on any issue: apps are
 * expected to have validated user values already; this is the last line of defence. Locations and
 * upstreams that `validateLocation` / `validateUpstream` passed (and froze) are not checked twice.
 */
export function renderNginxConfig(config: NginxConfig): string {
  assertValidConfig(config);
  const top = new Out(0);
  top.comment('Generated by @kube-edge/nginx-render. Do not edit: changes are overwritten.');
  const m = config.main ?? {};
  if (m.user) top.d('user', m.user.name, ...(m.user.group === undefined ? [] : [m.user.group]));
  if (m.workerProcesses !== undefined) top.d('worker_processes', String(m.workerProcesses));
  if (m.workerRlimitNofile !== undefined) top.d('worker_rlimit_nofile', String(m.workerRlimitNofile));
  if (m.workerShutdownTimeout !== undefined) top.d('worker_shutdown_timeout', m.workerShutdownTimeout);
  if (m.errorLog) top.d('error_log', q(m.errorLog.target), m.errorLog.level);
  for (const mod of m.loadModules ?? []) top.d('load_module', q(mod));
  top.blank();
  top.open('events');
  const ev = config.events ?? {};
  if (ev.workerConnections !== undefined) top.d('worker_connections', String(ev.workerConnections));
  if (ev.multiAccept !== undefined) top.d('multi_accept', onOff(ev.multiAccept));
  if (ev.use !== undefined) top.d('use', ev.use);
  top.close();
  top.blank();

  const body = new Out(1);
  renderHttpSettings(body, config.http ?? {}, config);
  for (const mp of config.http?.maps ?? []) renderMap(body, mp);
  const upstreams = [...config.upstreams].sort((a, b) => cmp(a.id, b.id));
  for (const u of upstreams) {
    body.blank();
    renderUpstream(body, u);
  }
  const servers = config.servers.map(renderServer).sort((a, b) => cmp(a.key, b.key) || cmp(a.text, b.text));
  let usesDollar = body.usesDollar;
  for (const s of servers) {
    body.blank();
    body.lines.push(s.text);
    usesDollar ||= s.usesDollar;
  }

  top.open('http');
  if (usesDollar) {
    // A literal `$` cannot be escaped in nginx 1.22 strings that take variables; geo values are
    // never expanded, so this variable holds one.
    top.open('geo', `$${DOLLAR_VARIABLE}`);
    top.d('default', '"$"');
    top.close();
  }
  const head = top.text();
  return `${head}\n${body.text()}\n}\n`;
}
