/**
 * The typed nginx model. Every string in it that can come from a user (Kubernetes object,
 * annotation, flag) is checked by a validator in `validate.ts` before rendering; the renderer
 * re-checks the whole model (apart from the values of locations and upstreams that
 * `validateLocation` / `validateUpstream` passed and froze) and throws on anything invalid.
 *
 * Units are nginx's own: durations are nginx time strings (`60s`, `500ms`, `1m`), sizes are
 * nginx size strings (`16k`, `1m`, `0`). Apps convert their inputs (Go durations, "seconds"
 * integers) before building the model.
 */

/** A variable reference inside an {@link Expr}: `{ var: 'http_host' }` renders `$http_host`. */
export interface VarRef {
  readonly var: string;
}

/**
 * A value for a directive that nginx evaluates with variables (header values, map values,
 * `return` bodies and URLs, `if` comparisons, log formats).
 *
 * A plain string is always a literal: a `$` in it is rendered through the `$kube_edge_dollar`
 * geo variable, so it reaches the client as a `$` and never names a variable. Variables are only
 * ever introduced with a {@link VarRef}. An array concatenates its parts.
 */
export type Expr = string | VarRef | readonly (string | VarRef)[];

/** nginx `error_log` levels. */
export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

/** The main (top-level) context. `daemon` and `pid` are owned by the process manager, not the model. */
export interface MainSettings {
  /** `user <name> [group]`: the account workers run as when the master runs as root. */
  readonly user?: { readonly name: string; readonly group?: string };
  /** `worker_processes`; omitted when undefined. */
  readonly workerProcesses?: number | 'auto';
  /** `worker_shutdown_timeout`; omitted when undefined. */
  readonly workerShutdownTimeout?: string;
  /** `worker_rlimit_nofile`. */
  readonly workerRlimitNofile?: number;
  /** `error_log stderr <level>` (or a file). The process manager also passes `-e` for start-up errors. */
  readonly errorLog?: {
    /** `stderr` or an absolute file path. */ readonly target: string;
    readonly level: LogLevel;
  };
  /** `load_module <file>` lines, in the order given. */
  readonly loadModules?: readonly string[];
}

/** The `events` block. */
export interface EventsSettings {
  readonly workerConnections?: number;
  readonly multiAccept?: boolean;
  readonly use?: 'epoll' | 'poll' | 'select';
}

/** A named `log_format`. */
export interface LogFormat {
  /** Format name (an identifier). */
  readonly name: string;
  readonly escape?: 'default' | 'json' | 'none';
  readonly format: Expr;
}

/** `access_log off`, or a file with an optional format and buffering. */
export type AccessLog =
  | 'off'
  | {
      readonly path: string;
      readonly format?: string;
      readonly buffer?: string;
      readonly flush?: string;
    };

/** One `proxy_set_header`. An empty-string value removes the header (nginx semantics). */
export interface HeaderSetting {
  readonly name: string;
  readonly value: Expr;
}

/**
 * Proxy settings, valid at http, server and location level. nginx does not merge
 * `proxy_set_header` lists: a level that sets any header replaces the inherited list, so a
 * location that needs the http-level headers must repeat them.
 */
export interface ProxySettings {
  readonly httpVersion?: '1.0' | '1.1';
  readonly connectTimeout?: string;
  readonly readTimeout?: string;
  readonly sendTimeout?: string;
  readonly buffering?: boolean;
  readonly requestBuffering?: boolean;
  readonly bufferSize?: string;
  readonly buffers?: { readonly count: number; readonly size: string };
  /** `proxy_redirect off` when false, `default` when true. */
  readonly redirect?: boolean;
  readonly setHeaders?: readonly HeaderSetting[];
  readonly hideHeaders?: readonly string[];
}

/** One `allow`/`deny` rule. `source` is an IP, a CIDR or `all`. Rules keep their order. */
export interface AccessRule {
  readonly action: 'allow' | 'deny';
  readonly source: string;
}

/** A `map $source $target { ... }` block at http level. */
export interface MapBlock {
  /** The source: a variable name, or an expression. */
  readonly source: Expr;
  /** The target variable name, without `$`. */
  readonly target: string;
  /** Render `hostnames;` (keys may then start with `*.`). */
  readonly hostnames?: boolean;
  readonly default?: Expr;
  /** Literal keys (the empty string is allowed) mapped to values, in the order given. */
  readonly entries: readonly { readonly key: string; readonly value: Expr }[];
}

/** One `server` line inside an upstream. */
export interface UpstreamServer {
  /** An IPv4/IPv6 address or a hostname. */
  readonly address: string;
  readonly port?: number;
  readonly weight?: number;
  /** `max_conns=`; 0 means unlimited and is omitted. */
  readonly maxConns?: number;
  readonly maxFails?: number;
  readonly failTimeout?: string;
  readonly backup?: boolean;
  readonly down?: boolean;
  /** A comment rendered on the line before (e.g. the pod name). */
  readonly comment?: string;
}

/**
 * An active health check of an upstream's servers by the third-party nginx_upstream_check_module
 * (`check`, `check_http_send`, `check_http_expect_alive`). Stock nginx lacks the module and
 * refuses a config that uses it: only set this for an nginx built with it.
 */
export interface UpstreamHealthCheck {
  /** `http`: send `GET <path> HTTP/1.0` and expect a status class; `tcp`: a connect is enough. */
  readonly type: 'http' | 'tcp';
  /** `interval=`: ms between checks, 1 … 2147483647. */
  readonly intervalMs: number;
  /** `timeout=`: ms, 1 … 2147483647. */
  readonly timeoutMs: number;
  /** `rise=`: successes that mark a server up, 1 … 2147483647. */
  readonly rise: number;
  /** `fall=`: failures that mark a server down, 1 … 2147483647. */
  readonly fall: number;
  /** `port=`: the port to check instead of each server's own. */
  readonly port?: number;
  /** For `http` (required there): the request path; see `validateHealthCheckPath`. */
  readonly path?: string;
  /** For `http`: the status classes that count as alive; default `['http_2xx']`. */
  readonly expectAlive?: readonly ('http_2xx' | 'http_3xx' | 'http_4xx' | 'http_5xx')[];
  /** A comment rendered on the line before the directives. */
  readonly comment?: string;
}

/** An `upstream` block. Upstreams are rendered sorted by id. */
export interface Upstream {
  /** `[A-Za-z0-9_.-]`: no `:` (nginx would read it as a port in `proxy_pass`). */
  readonly id: string;
  readonly comment?: string;
  readonly balance?: 'round_robin' | 'least_conn' | 'ip_hash';
  /** Servers keep their order: the app decides it (e.g. sorted by pod name). */
  readonly servers: readonly UpstreamServer[];
  /** `keepalive N` (idle connections cached per worker). */
  readonly keepalive?: number;
  readonly keepaliveRequests?: number;
  readonly keepaliveTimeout?: string;
  /** Active health checks (nginx_upstream_check_module), rendered last in the block. */
  readonly healthCheck?: UpstreamHealthCheck; /**
   * Pick the peer in Lua (`balancer_by_lua_block`, lua-nginx-module): renders
   * `return require("<module>").balance("<id>")` after the servers and before `keepalive` (which
   * must follow it). The servers are then only nginx's placeholder (e.g. `0.0.0.1`): the module
   * chooses the real peer. Needs the Lua modules loaded (`main.loadModules`) and `http.lua`.
   */
  readonly luaBalancer?: { /** A Lua module name (`dispatcher.balancer`). */ readonly module: string };
}

/** A `listen` line. */
export interface Listen {
  readonly port: number;
  /** An IP to bind; all addresses when undefined. */
  readonly address?: string;
  readonly ssl?: boolean;
  readonly http2?: boolean;
  readonly proxyProtocol?: boolean;
  readonly defaultServer?: boolean;
  readonly reuseport?: boolean;
}

/** TLS for one server (so per host, selected by SNI). */
export interface TlsSettings {
  readonly certificate: string;
  readonly certificateKey: string;
  /** CA file for client certificates; `ssl_verify_client` defaults to `on` when set. */
  readonly clientCertificate?: string;
  readonly verifyClient?: 'on' | 'optional' | 'optional_no_ca';
  readonly protocols?: readonly ('TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3')[];
  /** An OpenSSL cipher list (`[A-Za-z0-9:+!_-]`). */
  readonly ciphers?: string;
  readonly preferServerCiphers?: boolean;
  readonly sessionTimeout?: string;
  /** `ssl_session_cache shared:<name>:<size>`. */
  readonly sessionCache?: { readonly name: string; readonly size: string } | 'off' | 'none';
  readonly sessionTickets?: boolean;
}

/** A header check: `if ($http_<name> != "<value>") { return <status>; }` (dispatcher API keys). */
export interface HeaderCheck {
  /** Header name, `[A-Za-z0-9_-]` (it becomes part of a variable name). */
  readonly header: string;
  /** The value the header must equal; compared as a literal. */
  readonly value: string;
  /** Status returned on mismatch; default 403. */
  readonly status?: number;
}

/** What a location does. */
export type LocationAction =
  | {
      readonly kind: 'proxy';
      readonly upstream: string;
      readonly scheme?: 'http' | 'https';
      /** A URI part after the upstream (`/` strips the matched prefix). No `$`: nginx changes proxy_pass semantics when a variable is present. */
      readonly uri?: string;
    }
  | { readonly kind: 'return'; readonly status: number; readonly body?: Expr }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly url: Expr }
  | { readonly kind: 'stub_status' }
  /** `content_by_lua_file <file>` (lua-nginx-module): the response comes from a Lua file. */
  | { readonly kind: 'lua_content'; readonly file: string };

/** How a location matches. `prefix-no-regex` is nginx's `^~`. */
export type LocationMatch = 'exact' | 'prefix' | 'prefix-no-regex' | 'regex' | 'regex-case-insensitive';

/** A `location` block. Locations are rendered sorted by (match kind, path). */
export interface Location {
  readonly match: LocationMatch;
  /** A path starting with `/` (RFC 3986 characters) for exact/prefix; a regex for regex matches. */
  readonly path: string;
  readonly comment?: string;
  readonly headerCheck?: HeaderCheck;
  readonly access?: readonly AccessRule[];
  readonly proxy?: ProxySettings;
  readonly accessLog?: AccessLog;
  readonly clientMaxBodySize?: string;
  /**
   * `client_body_buffer_size`: a body up to this size stays in memory instead of a temp file
   * (which nginx workers running as another user than the master may be unable to open).
   */
  readonly clientBodyBufferSize?: string;
  readonly action: LocationAction;
}

/** A `server` block. Servers are rendered sorted by (server names, listen lines). */
export interface Server {
  /** Comment lines rendered before the block (e.g. the ingresses that contributed). */
  readonly comments?: readonly string[];
  readonly listen: readonly Listen[];
  /**
   * Hostnames; a `*.` wildcard prefix covers exactly one label, as in Kubernetes (rendered as a
   * regex name, since nginx's own `*.` matches any depth). Empty renders no `server_name`
   * (nginx's "").
   */
  readonly serverNames: readonly string[];
  /**
   * This server's certificate (by SNI) and TLS settings. A server with an ssl listen may go
   * without when `http.tls` has a certificate, or when the default server of that address and
   * port has one: it then serves that certificate, and nginx builds no SSL context for it.
   */
  readonly tls?: TlsSettings;
  readonly access?: readonly AccessRule[];
  readonly proxy?: ProxySettings;
  readonly clientMaxBodySize?: string;
  readonly portInRedirect?: boolean;
  readonly accessLog?: AccessLog;
  readonly locations: readonly Location[];
}

/** The real-IP module settings. */
export interface RealIpSettings {
  /** Trusted frontends: IPs or CIDRs. */
  readonly from: readonly string[];
  /** `proxy_protocol` or a header name. */
  readonly header: string;
  readonly recursive?: boolean;
}

/** The `http` block's own settings. */
export interface HttpSettings {
  /** Directory under which every `*_temp_path` is placed (the process manager's `tempDir`). */
  readonly tempPathRoot?: string;
  /** `include <file>` for a mime types file. */
  readonly includeMimeTypes?: string;
  readonly defaultType?: string;
  readonly sendfile?: boolean;
  readonly tcpNodelay?: boolean;
  readonly keepaliveTimeout?: string;
  readonly keepaliveRequests?: number;
  readonly serverTokens?: boolean;
  /** Raised automatically when a server name needs a bigger bucket. */
  readonly serverNamesHashBucketSize?: number;
  readonly serverNamesHashMaxSize?: number;
  readonly typesHashMaxSize?: number;
  /** Raised automatically when a map key needs a bigger bucket. */
  readonly mapHashBucketSize?: number;
  readonly clientHeaderBufferSize?: string;
  readonly clientBodyBufferSize?: string;
  readonly largeClientHeaderBuffers?: { readonly count: number; readonly size: string };
  readonly clientMaxBodySize?: string;
  readonly underscoresInHeaders?: boolean;
  readonly realIp?: RealIpSettings;
  /**
   * TLS settings every server inherits (`ssl_*` at http level); a server's own `tls` overrides
   * each one it sets. With `certificate` and `certificateKey` here, a server with an ssl listen
   * needs no `tls` of its own: it serves this default certificate. Settings shared by every
   * server belong here rather than repeated in each (config size, `nginx -t` and reload time).
   */
  readonly tls?: Partial<TlsSettings>;
  readonly logFormats?: readonly LogFormat[];
  readonly accessLog?: AccessLog;
  readonly logNotFound?: boolean;
  readonly portInRedirect?: boolean;
  readonly proxy?: ProxySettings;
  readonly maps?: readonly MapBlock[];
  /** lua-nginx-module settings (the modules must be in `main.loadModules`). */
  readonly lua?: LuaSettings;
}

/** http-level lua-nginx-module settings. */
export interface LuaSettings {
  /** `lua_package_path`: `?.lua` patterns of absolute paths, joined with `;`, then `;;` (the default path). */
  readonly packagePath?: readonly string[];
  /** `lua_shared_dict <name> <size>`: memory zones every worker shares, kept across reloads while the size stays. */
  readonly sharedDicts?: readonly { readonly name: string; readonly size: string }[];
  /**
   * `log_by_lua_block { require("<module>").log(); }` at http level: the module's `log()` runs in
   * the log phase of every request (e.g. to see how a request's last upstream try ended, which
   * no balancer call follows). A module name (dot-separated identifiers), never Lua source.
   * A location with a log_by_lua of its own would not inherit it (the model renders none).
   */
  readonly logModule?: string;
}

/** A whole nginx.conf. */
export interface NginxConfig {
  readonly main?: MainSettings;
  readonly events?: EventsSettings;
  readonly http?: HttpSettings;
  readonly upstreams: readonly Upstream[];
  readonly servers: readonly Server[];
}
