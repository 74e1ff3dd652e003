import type {
  AccessRule,
  EventsSettings,
  Expr,
  HeaderSetting,
  HttpSettings,
  Listen,
  Location,
  MainSettings,
  MapBlock,
  Server,
  TlsSettings,
} from '@kube-edge/nginx-render';
import type { FeedModelConfig } from './types.js';

/** feed's TLS settings (protocols, ciphers, session cache), shared by every https server (http level). */
export const FEED_TLS_SETTINGS: Omit<TlsSettings, 'certificate' | 'certificateKey'> = {
  sessionTimeout: '1d',
  sessionCache: { name: 'SSL', size: '50m' },
  sessionTickets: false,
  protocols: ['TLSv1.2'],
  ciphers:
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
  preferServerCiphers: true,
};

/**
 * The `allow <each>; deny all;` list every ingress location gets, with `allow 127.0.0.1;` first
 * only when `allowLocalhost` (`--nginx-allow-localhost`, feed's behaviour): otherwise any process
 * on a node-network host, or a sidecar proxying from localhost, would pass every allow list. Pure.
 */
export function allowRules(allow: readonly string[], allowLocalhost: boolean): AccessRule[] {
  return [
    ...(allowLocalhost ? [{ action: 'allow' as const, source: '127.0.0.1' }] : []),
    ...allow.map((source) => ({ action: 'allow' as const, source })),
    { action: 'deny', source: 'all' },
  ];
}

/** The log-format variable for a `--nginx-log-headers` name: `$http_<lower, - as _>`. */
export function headerVariable(name: string): string {
  return `http_${name.toLowerCase().replaceAll('-', '_')}`;
}

function logFormat(headers: readonly string[]): Expr {
  const v = (name: string): { var: string } => ({ var: name });
  return [
    v('remote_addr'),
    ' - ',
    v('remote_user'),
    ' [',
    v('time_iso8601'),
    '] "',
    v('request'),
    '" ',
    v('status'),
    ...headers.flatMap((h) => [` ${h}=`, v(headerVariable(h))]),
    ' ',
    v('body_bytes_sent'),
    ' "',
    v('http_referer'),
    '" "',
    v('http_user_agent'),
    '" "',
    v('host'),
    '" uip="',
    v('upstream_addr'),
    '" ust="',
    v('upstream_status'),
    '" rt=',
    v('request_time'),
    ' uct="',
    v('upstream_connect_time'),
    '" uht="',
    v('upstream_header_time'),
    '" urt="',
    v('upstream_response_time'),
    '"',
  ];
}

/** The `main` context from the flags. Pure. */
export function mainSettings(config: FeedModelConfig): MainSettings {
  const n = config.nginx;
  return {
    workerProcesses: n.workers,
    errorLog: { target: 'stderr', level: n.logLevel },
    ...(n.workerShutdownTimeoutSeconds > 0
      ? { workerShutdownTimeout: `${n.workerShutdownTimeoutSeconds}s` }
      : {}),
  };
}

/** The `events` block from the flags. Pure. */
export function eventsSettings(config: FeedModelConfig): EventsSettings {
  return { multiAccept: true, workerConnections: config.nginx.workerConnections, use: 'epoll' };
}

/** The `http` block's settings with kube-edge's fixes (port_in_redirect off, WebSocket opt-in). Pure. */
export function httpSettings(config: FeedModelConfig): HttpSettings {
  const n = config.nginx;
  const websocket = n.allowWebsocketUpgrade;
  const headers: HeaderSetting[] = [
    // Backend keepalive needs an empty Connection header; with WebSockets the map keeps it empty
    // for ordinary requests and says "upgrade" only when the client asked for one.
    ...(websocket
      ? [
          { name: 'Upgrade', value: { var: 'http_upgrade' } },
          { name: 'Connection', value: { var: 'connection_upgrade' } },
        ]
      : [{ name: 'Connection', value: '' }]),
    { name: 'Proxy', value: '' },
    { name: 'X-Forwarded-For', value: { var: 'proxy_add_x_forwarded_for' } },
    { name: 'X-Forwarded-Host', value: { var: 'http_host' } },
    { name: 'X-Forwarded-Proto', value: { var: 'frontend_scheme' } },
    { name: 'X-Original-URI', value: { var: 'request_uri' } },
    { name: 'X-Real-IP', value: { var: 'remote_addr' } },
    { name: 'Host', value: { var: 'host' } },
  ];
  const maps: MapBlock[] = [
    {
      source: { var: 'http_x_forwarded_proto' },
      target: 'frontend_scheme',
      default: { var: 'http_x_forwarded_proto' },
      entries: [{ key: '', value: { var: 'scheme' } }],
    },
    {
      source: { var: 'http_x_forwarded_port' },
      target: 'frontend_port',
      default: { var: 'http_x_forwarded_port' },
      entries: [{ key: '', value: { var: 'server_port' } }],
    },
    ...(websocket
      ? [
          {
            source: { var: 'http_upgrade' },
            target: 'connection_upgrade',
            default: 'upgrade',
            entries: [{ key: '', value: '' }],
          },
        ]
      : []),
  ];
  return {
    tempPathRoot: n.tempPathRoot,
    defaultType: 'text/html',
    tcpNodelay: true,
    keepaliveTimeout: `${n.keepaliveSeconds}s`,
    keepaliveRequests: 2147483647,
    serverTokens: false,
    ...(n.serverNamesHashBucketSize > 0 ? { serverNamesHashBucketSize: n.serverNamesHashBucketSize } : {}),
    ...(n.serverNamesHashMaxSize > 0 ? { serverNamesHashMaxSize: n.serverNamesHashMaxSize } : {}),
    ...(n.clientHeaderBufferSizeKb > 0
      ? {
          clientHeaderBufferSize: `${n.clientHeaderBufferSizeKb}k`,
          largeClientHeaderBuffers: {
            count: n.largeClientHeaderBufferBlocks,
            size: `${n.clientHeaderBufferSizeKb}k`,
          },
        }
      : {}),
    ...(n.clientBodyBufferSizeKb > 0 ? { clientBodyBufferSize: `${n.clientBodyBufferSizeKb}k` } : {}),
    ...(config.trustedFrontends.length > 0
      ? {
          realIp: {
            from: config.trustedFrontends,
            header: config.proxyProtocol ? 'proxy_protocol' : config.realIpHeader,
            recursive: true,
          },
        }
      : {}),
    // With an https listener, feed's TLS settings are set once at http level. The --ssl-path
    // default certificate is the https default server's (see defaultServer); a host with its own
    // spec.tls certificate names only that in its server.
    ...(config.ingressHttpsPort !== undefined ? { tls: FEED_TLS_SETTINGS } : {}),
    logFormats: [{ name: 'upstream_info', format: logFormat(config.accessLog.headers) }],
    accessLog: config.accessLog.enabled
      ? { path: `${config.accessLog.dir}/access.log`, format: 'upstream_info', buffer: '32k', flush: '1m' }
      : 'off',
    logNotFound: false,
    portInRedirect: false,
    proxy: {
      httpVersion: '1.1',
      connectTimeout: `${n.backendConnectTimeoutSeconds}s`,
      buffering: false,
      redirect: false,
      setHeaders: headers,
    },
    maps,
  };
}

const NOT_FOUND: Location = { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } };

/** `location / { return 404; }`, for servers without a root location and default servers. */
export function notFoundLocation(): Location {
  return NOT_FOUND;
}

/**
 * `location <path> { return 503; }`: a path of a host whose owning Ingress has no servable
 * backend for it (the Service is missing, headless, ...). The host keeps answering, and with 503,
 * rather than being served by anyone else.
 */
export function unavailableLocation(match: 'exact' | 'prefix', path: string): Location {
  return { match, path, action: { kind: 'return', status: 503 } };
}

/**
 * The default 404 server of one listener. It carries the same listen options as the ingress
 * servers on that port (feed omitted `proxy_protocol` here). On the https listener it holds the
 * `--ssl-path` default certificate, which every host without its own serves: nginx keeps the
 * default server's SSL context for them, instead of building one per host.
 */
export function defaultServer(listen: Listen, defaultSslPath?: string): Server {
  return {
    listen: [{ ...listen, defaultServer: true }],
    serverNames: [],
    ...(defaultSslPath === undefined
      ? {}
      : { tls: { certificate: `${defaultSslPath}.crt`, certificateKey: `${defaultSslPath}.key` } }),
    locations: [NOT_FOUND],
  };
}

/** nginx's status server on `--ingress-health-port`: `/health` (200), `/basic_status` (stub_status), else 404. */
export function statusServer(port: number): Server {
  return {
    listen: [{ port, defaultServer: true, reuseport: true }],
    serverNames: [],
    locations: [
      { match: 'prefix', path: '/health', accessLog: 'off', action: { kind: 'return', status: 200 } },
      { match: 'prefix', path: '/basic_status', accessLog: 'off', action: { kind: 'stub_status' } },
      NOT_FOUND,
    ],
  };
}
