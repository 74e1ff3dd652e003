import type { AccessRule, HeaderSetting, Location, NginxConfig, Server, Upstream } from '../src/model.js';

/** Prefixes the golden files use for files that only exist on a real node; tests substitute temp dirs. */
export const GOLDEN_TLS_DIR = '/etc/kube-edge/tls';
export const GOLDEN_WORK_DIR = '/var/lib/kube-edge/nginx';

const FEED_HEADERS: HeaderSetting[] = [
  { name: 'Connection', value: '' },
  { name: 'Proxy', value: '' },
  { name: 'X-Forwarded-For', value: { var: 'proxy_add_x_forwarded_for' } },
  { name: 'X-Forwarded-Host', value: { var: 'http_host' } },
  { name: 'X-Forwarded-Proto', value: { var: 'frontend_scheme' } },
  { name: 'X-Original-URI', value: { var: 'request_uri' } },
  { name: 'X-Real-IP', value: { var: 'remote_addr' } },
  { name: 'Host', value: { var: 'host' } },
];

const allowList = (cidrs: string[]): AccessRule[] => [
  { action: 'allow', source: '127.0.0.1' },
  ...cidrs.map((source) => ({ action: 'allow' as const, source })),
  { action: 'deny', source: 'all' },
];

/**
 * A feed-ingress style config: http and https listeners with proxy protocol,
 * allow lists, strip-path and exact locations, per-upstream keepalive and max_conns, default
 * 404 servers per port and a status server with stub_status.
 */
export function feedModel(
  options: {
    servers?: number;
    workDir?: string;
    tlsDir?: string;
    ports?: { http: number; https: number; health: number };
    marker?: string;
  } = {},
): NginxConfig {
  const ports = options.ports ?? { http: 8080, https: 8443, health: 8081 };
  const workDir = options.workDir ?? GOLDEN_WORK_DIR;
  const tlsDir = options.tlsDir ?? GOLDEN_TLS_DIR;
  const tls = {
    certificate: `${tlsDir}/default.crt`,
    certificateKey: `${tlsDir}/default.key`,
    sessionTimeout: '1d',
    sessionCache: { name: 'SSL', size: '50m' },
    sessionTickets: false,
    protocols: ['TLSv1.2' as const],
    ciphers:
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
    preferServerCiphers: true,
  };
  const httpListen = { port: ports.http, proxyProtocol: true };
  const httpsListen = { port: ports.https, ssl: true, proxyProtocol: true };
  const upstreams: Upstream[] = [];
  const servers: Server[] = [];
  const count = options.servers;
  if (count === undefined) {
    upstreams.push(
      {
        id: 'team-a.web.10.254.0.10.80',
        servers: [{ address: '10.254.0.10', port: 80, maxConns: 100 }],
        keepalive: 512,
        keepaliveRequests: 1024,
      },
      {
        id: 'team-b.api.10.254.0.20.8080',
        servers: [{ address: '10.254.0.20', port: 8080 }],
        keepalive: 512,
        keepaliveRequests: 1024,
        keepaliveTimeout: '30s',
      },
    );
    const loc = (
      path: string,
      upstream: string,
      strip: boolean,
      exact = false,
      allow: string[] = ['0.0.0.0/0'],
    ): Location => ({
      match: exact ? 'exact' : 'prefix',
      path,
      access: allowList(allow),
      proxy: {
        readTimeout: '60s',
        sendTimeout: '60s',
        bufferSize: '16k',
        buffers: { count: 4, size: '16k' },
      },
      action: { kind: 'proxy', upstream, ...(strip ? { uri: '/' } : {}) },
    });
    servers.push(
      {
        comments: ['ingress: team-a/web'],
        listen: [httpListen],
        serverNames: ['www.example.com'],
        clientMaxBodySize: '0',
        locations: [
          loc('/', 'team-a.web.10.254.0.10.80', false),
          loc('/static/', 'team-a.web.10.254.0.10.80', true, false, ['10.0.0.0/8', '192.168.0.0/16']),
        ],
      },
      {
        comments: ['ingress: team-a/web'],
        listen: [httpsListen],
        serverNames: ['www.example.com'],
        tls,
        clientMaxBodySize: '0',
        locations: [loc('/', 'team-a.web.10.254.0.10.80', false)],
      },
      {
        comments: ['ingress: team-b/api team-b/api-v2'],
        listen: [httpListen],
        serverNames: ['api.example.com'],
        clientMaxBodySize: '0',
        locations: [
          loc('/v1/', 'team-b.api.10.254.0.20.8080', true),
          loc("/v1/it's;odd(1)$x", 'team-b.api.10.254.0.20.8080', false, true),
          { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } },
        ],
      },
    );
  } else {
    for (let i = 0; i < count; i++) {
      const id = `ns${i % 97}.ing${i}.10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}.80`;
      upstreams.push({
        id,
        servers: [{ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 80 }],
        keepalive: 512,
        keepaliveRequests: 1024,
      });
      servers.push({
        comments: [`ingress: ns${i % 97}/ing${i}`],
        listen: [httpListen],
        serverNames: [`host-${i}.example.com`],
        clientMaxBodySize: '0',
        locations: [
          {
            match: 'prefix',
            path: '/',
            access: allowList(['0.0.0.0/0']),
            proxy: { readTimeout: '60s', sendTimeout: '60s' },
            action: { kind: 'proxy', upstream: id },
          },
          {
            match: 'prefix',
            path: '/api/',
            access: allowList(['10.0.0.0/8']),
            proxy: { readTimeout: '60s', sendTimeout: '60s' },
            action: { kind: 'proxy', upstream: id, uri: '/' },
          },
        ],
      });
    }
  }
  const notFound: Location[] = [{ match: 'prefix', path: '/', action: { kind: 'return', status: 404 } }];
  servers.push(
    { listen: [{ ...httpListen, defaultServer: true }], serverNames: [], locations: notFound },
    { listen: [{ ...httpsListen, defaultServer: true }], serverNames: [], tls, locations: notFound },
    {
      listen: [{ port: ports.health, defaultServer: true, reuseport: true }],
      serverNames: [],
      locations: [
        {
          match: 'prefix',
          path: '/health',
          accessLog: 'off',
          action: { kind: 'return', status: 200, ...(options.marker ? { body: options.marker } : {}) },
        },
        { match: 'prefix', path: '/basic_status', accessLog: 'off', action: { kind: 'stub_status' } },
        { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } },
      ],
    },
  );
  return {
    main: {
      workerProcesses: 1,
      errorLog: { target: 'stderr', level: 'warn' },
      workerShutdownTimeout: '240s',
    },
    events: { multiAccept: true, workerConnections: 1024, use: 'epoll' },
    http: {
      tempPathRoot: `${workDir}/tmp`,
      defaultType: 'text/html',
      keepaliveTimeout: '60s',
      keepaliveRequests: 2147483647,
      tcpNodelay: true,
      serverTokens: false,
      serverNamesHashMaxSize: count !== undefined && count > 256 ? 2 ** Math.ceil(Math.log2(count * 2)) : 512,
      serverNamesHashBucketSize: 128,
      clientHeaderBufferSize: '16k',
      clientBodyBufferSize: '16k',
      largeClientHeaderBuffers: { count: 4, size: '16k' },
      realIp: { from: ['10.0.0.0/8', '172.16.0.0/12'], header: 'proxy_protocol', recursive: true },
      logFormats: [
        {
          name: 'upstream_info',
          format: [
            { var: 'remote_addr' },
            ' - ',
            { var: 'remote_user' },
            ' [',
            { var: 'time_iso8601' },
            '] "',
            { var: 'request' },
            '" ',
            { var: 'status' },
            ' ',
            { var: 'body_bytes_sent' },
            ' "',
            { var: 'http_referer' },
            '" "',
            { var: 'http_user_agent' },
            '" "',
            { var: 'host' },
            '" uip="',
            { var: 'upstream_addr' },
            '" ust="',
            { var: 'upstream_status' },
            '" rt=',
            { var: 'request_time' },
            ' X-Request-ID=',
            { var: 'http_x_request_id' },
          ],
        },
      ],
      accessLog: 'off',
      logNotFound: false,
      portInRedirect: false,
      proxy: {
        httpVersion: '1.1',
        setHeaders: FEED_HEADERS,
        connectTimeout: '1s',
        buffering: false,
        redirect: false,
      },
      maps: [
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
      ],
    },
    upstreams,
    servers,
  };
}

const DISPATCHER_LOCATION_HEADERS: HeaderSetting[] = [
  { name: 'Upgrade', value: { var: 'http_upgrade' } },
  { name: 'Connection', value: { var: 'p_connection' } },
  { name: 'Host', value: { var: 'http_host' } },
];

/**
 * A dispatcher style config: an HTTP host with an API key check
 * and a targetPath, an SSL host with a client certificate, weighted pod upstreams, default
 * servers returning 444 with a status location.
 */
export function dispatcherModel(options: { tlsDir?: string } = {}): NginxConfig {
  const tlsDir = options.tlsDir ?? GOLDEN_TLS_DIR;
  const sslCommon = {
    ciphers: 'HIGH:!aNULL:!MD5:!DH+3DES:!kEDH',
    protocols: ['TLSv1' as const, 'TLSv1.1' as const, 'TLSv1.2' as const],
  };
  const proxy = { httpVersion: '1.1' as const, setHeaders: DISPATCHER_LOCATION_HEADERS };
  const statusAndClose: Location[] = [
    { match: 'exact', path: '/status', action: { kind: 'return', status: 200 } },
    { match: 'prefix', path: '/', action: { kind: 'return', status: 444 } },
  ];
  return {
    events: { workerConnections: 81920, multiAccept: true },
    http: {
      tempPathRoot: `${GOLDEN_WORK_DIR}/tmp`,
      typesHashMaxSize: 2048,
      serverNamesHashMaxSize: 512,
      serverNamesHashBucketSize: 64,
      clientMaxBodySize: '0',
      proxy: {
        httpVersion: '1.1',
        connectTimeout: '5s',
        requestBuffering: false,
        setHeaders: DISPATCHER_LOCATION_HEADERS.slice(0, 2),
      },
      maps: [
        {
          source: { var: 'http_connection' },
          target: 'p_connection',
          default: { var: 'http_connection' },
          entries: [{ key: '', value: 'close' }],
        },
      ],
    },
    upstreams: [
      {
        id: 'upstream3563244012',
        comment: 'Upstream for /users traffic on namespace api',
        keepalive: 1024,
        servers: [
          { comment: 'Pod users-1 (namespace: api)', address: '10.1.0.11', port: 3000 },
          { comment: 'Pod users-2 (namespace: api)', address: '10.1.0.12', port: 3000, weight: 5 },
        ],
      },
      {
        id: 'upstream1866206336',
        comment: 'Upstream for /nodejs traffic on namespace web',
        keepalive: 1024,
        servers: [{ comment: 'Pod nodejs-1 (namespace: web)', address: '10.1.0.21' }],
      },
    ],
    servers: [
      {
        listen: [{ port: 80 }],
        serverNames: ['api.ex.net'],
        locations: [
          { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } },
          {
            match: 'prefix',
            path: '/users',
            headerCheck: { header: 'X-ROUTING-API-KEY', value: 'QUJD' },
            proxy,
            action: { kind: 'proxy', upstream: 'upstream3563244012', uri: '/people' },
          },
        ],
      },
      {
        listen: [{ port: 443, ssl: true }],
        serverNames: ['test.k8s.local'],
        tls: {
          ...sslCommon,
          certificate: `${tlsDir}/test.k8s.local/certificate.crt`,
          certificateKey: `${tlsDir}/test.k8s.local/certificate.key`,
          clientCertificate: `${tlsDir}/test.k8s.local/clientCertificate.crt`,
        },
        locations: [
          { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } },
          {
            match: 'prefix',
            path: '/nodejs',
            proxy,
            action: { kind: 'proxy', upstream: 'upstream1866206336' },
          },
        ],
      },
      { listen: [{ port: 80, defaultServer: true }], serverNames: [], locations: statusAndClose },
      {
        listen: [{ port: 443, ssl: true, defaultServer: true }],
        serverNames: [],
        tls: { ...sslCommon, certificate: `${tlsDir}/default.crt`, certificateKey: `${tlsDir}/default.key` },
        locations: statusAndClose,
      },
    ],
  };
}
