import { X509Certificate, createPrivateKey } from 'node:crypto';
import type {
  HeaderSetting,
  Location,
  NginxConfig,
  Server,
  TlsSettings,
  Upstream,
  UpstreamServer,
} from '@kube-edge/nginx-render';
import type { DispatcherConfig } from '../config.js';
import {
  decodePathsAnnotation,
  parseBasePath,
  parseContainerPort,
  parseHostsAnnotation,
  parseTargetPath,
  type HostEntry,
  type LocationPath,
} from './annotations.js';
import { fnv1a32 } from './fnv.js';
import { healthCheckFor } from './health-check.js';
import type {
  DispatcherModel,
  HealthCheck,
  NamespaceObject,
  PodObject,
  SecretObject,
  Skipped,
  SkipReason,
  SslFile,
} from './types.js';

/** The objects a model is built from (live informers or manifest files). */
export interface ClusterState {
  readonly namespaces: readonly NamespaceObject[];
  readonly pods: readonly PodObject[];
  readonly secrets: readonly SecretObject[];
}

/** Paths the rendered config uses that belong to the process, not the cluster. */
export interface BuildOptions {
  /** `http.tempPathRoot` (nginx-render's process manager `paths.tempDir`). */
  readonly tempPathRoot?: string;
}

const SSL_CIPHERS = 'HIGH:!aNULL:!MD5:!DH+3DES:!kEDH';
const SSL_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;
/** The upstream for a `DEFAULT_LOCATION_RETURN` URL (a name no `upstream<digits>` can take). */
export const DEFAULT_LOCATION_UPSTREAM = 'default-location-return';

// The WebSocket fix: nginx drops inherited proxy_set_header once a location sets any,
// so every location repeats Upgrade and Connection next to Host.
const LOCATION_HEADERS: readonly HeaderSetting[] = [
  { name: 'Upgrade', value: { var: 'http_upgrade' } },
  { name: 'Connection', value: { var: 'p_connection' } },
  { name: 'Host', value: { var: 'http_host' } },
];

/**
 * Whether a pod may receive traffic: Running with a pod IP and, when `requireReady`, Ready and not
 * terminating. Pure.
 */
export function isPodRoutable(pod: PodObject, requireReady: boolean): boolean {
  if (pod.status?.phase !== 'Running') return false;
  if (!pod.status.podIP) return false;
  if (!requireReady) return true;
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** `upstream<fnv1a32(host + basePath)>`, the original's upstream name. Pure. */
export function upstreamName(host: string, basePath: string): string {
  return `upstream${fnv1a32(host + basePath)}`;
}

const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const nsOf = (o: { metadata?: { namespace?: string } }): string => o.metadata?.namespace ?? '';
const byName = <T extends { metadata?: { name?: string; namespace?: string } }>(a: T, b: T): number =>
  nsOf(a) < nsOf(b) ? -1 : nsOf(a) > nsOf(b) ? 1 : nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;

interface LocationState {
  readonly namespace: string;
  readonly upstream: string;
  readonly rawPath: string;
  readonly loc: LocationPath;
  targetPath: string | undefined;
  readonly apiKey: string | undefined;
}

interface HostState {
  readonly host: string;
  readonly namespace: string;
  readonly tls?: TlsSettings;
  needsDefaultLocation: boolean;
  /** By nginx location key (prefix and ^~ collide in nginx). */
  readonly locations: Map<string, LocationState>;
}

interface UpstreamState {
  readonly id: string;
  readonly namespace: string;
  readonly basePath: string;
  readonly servers: { pod: string; server: UpstreamServer }[];
  check: HealthCheck | undefined;
}

interface ValidRoute {
  readonly basePath: string;
  readonly loc: LocationPath;
  readonly port: number;
  readonly targetPath?: string;
  readonly weight?: number;
}

const locationKey = (l: LocationPath): string =>
  `${l.match === 'prefix-no-regex' ? 'prefix' : l.match} ${l.path}`;

function decodeSecretValue(data: Record<string, string> | undefined, key: string): Buffer | undefined {
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64');
}

/**
 * Builds the desired state from the cluster objects and the config: the nginx model, the
 * certificate files to write, the health checks, and every skipped object or part with its
 * reason. Pure and deterministic: namespaces are processed by name and pods by
 * `namespace/name`, so the first namespace (by name) wins a shared host and a shared host+path.
 */
export function buildModel(
  state: ClusterState,
  config: DispatcherConfig,
  options: BuildOptions = {},
): DispatcherModel {
  const skipped: Skipped[] = [];
  const skip = (
    o: { metadata?: { name?: string; namespace?: string; uid?: string } },
    kind: Skipped['kind'],
    reason: SkipReason,
    message: string,
  ): void => {
    skipped.push({
      kind,
      name: nameOf(o),
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
      ...(o.metadata?.uid ? { uid: o.metadata.uid } : {}),
      reason,
      message,
    });
  };

  // Secrets: only the routing Secret of each namespace, keyed by namespace AND name.
  const secrets = new Map<string, SecretObject>();
  for (const s of state.secrets) {
    if (nameOf(s) === config.apiKeySecretName) secrets.set(nsOf(s), s);
  }

  const namespaces = state.namespaces
    .filter((n) => config.routableSelector.matches(n.metadata?.labels))
    .slice()
    .sort(byName);
  const routableNamespaces = new Set(namespaces.map(nameOf));
  const hosts = new Map<string, HostState>();
  const hostsByNamespace = new Map<string, HostState[]>();
  const sslFiles: SslFile[] = [];

  for (const ns of namespaces) {
    const name = nameOf(ns);
    const parsed = parseHostsAnnotation(ns.metadata?.annotations?.[config.hostsAnnotation]);
    if (parsed.error !== undefined) skip(ns, 'Namespace', 'InvalidHostsAnnotation', parsed.error);
    for (const r of parsed.rejected) skip(ns, 'Namespace', r.reason, r.message);
    const own: HostState[] = [];
    for (const entry of parsed.hosts) {
      const existing = hosts.get(entry.host);
      if (existing !== undefined) {
        skip(
          ns,
          'Namespace',
          'HostClaimed',
          `host "${entry.host}" is already served by namespace "${existing.namespace}" (the first namespace by name wins)`,
        );
        continue;
      }
      const tls =
        entry.ssl === undefined ? undefined : sslFor(ns, entry, config, secrets.get(name), sslFiles, skip);
      if (entry.ssl !== undefined && tls === undefined) continue;
      const h: HostState = {
        host: entry.host,
        namespace: name,
        ...(tls !== undefined ? { tls } : {}),
        needsDefaultLocation: true,
        locations: new Map(),
      };
      hosts.set(entry.host, h);
      own.push(h);
    }
    hostsByNamespace.set(name, own);
  }

  const upstreams = new Map<string, UpstreamState>();
  const pods = state.pods
    .filter(
      (p) => config.routableSelector.matches(p.metadata?.labels) && isPodRoutable(p, config.requireReady),
    )
    .slice()
    .sort(byName);
  let routedPods = 0;
  for (const pod of pods) {
    const annotation = pod.metadata?.annotations?.[config.pathsAnnotation];
    if (annotation === undefined) continue;
    const routes = podRoutes(pod, annotation, (reason, message) => skip(pod, 'Pod', reason, message));
    if (routes.length === 0) continue;
    const ns = nsOf(pod);
    if (!routableNamespaces.has(ns)) {
      skip(pod, 'Pod', 'NamespaceNotRoutable', `namespace "${ns}" is missing or not routable`);
      continue;
    }
    const secret = secrets.get(ns);
    const keyBytes = decodeSecretValue(secret?.data, config.apiKeySecretField);
    const apiKey = keyBytes !== undefined && keyBytes.length > 0 ? keyBytes.toString('base64') : undefined;
    let routed = false;
    for (const host of hostsByNamespace.get(ns) ?? []) {
      for (const route of routes) {
        const key = upstreamName(host.host, route.basePath);
        if ((route.loc.match === 'prefix' || route.loc.match === 'prefix-no-regex') && route.loc.path === '/')
          host.needsDefaultLocation = false;
        const lk = locationKey(route.loc);
        let loc = host.locations.get(lk);
        if (loc === undefined) {
          loc = {
            namespace: ns,
            upstream: key,
            rawPath: route.basePath,
            loc: route.loc,
            targetPath: route.targetPath,
            apiKey,
          };
          host.locations.set(lk, loc);
        } else if (loc.namespace !== ns) {
          skip(
            pod,
            'Pod',
            'DuplicateHostPath',
            `host "${host.host}" path "${route.basePath}" is already served by namespace "${loc.namespace}"`,
          );
          continue;
        } else if (loc.rawPath !== route.basePath) {
          skip(
            pod,
            'Pod',
            'DuplicateHostPath',
            `host "${host.host}" path "${route.basePath}" is the same nginx location as "${loc.rawPath}"`,
          );
          continue;
        } else if (loc.targetPath === undefined && route.targetPath !== undefined) {
          loc.targetPath = route.targetPath;
        }
        let up = upstreams.get(key);
        if (up === undefined) {
          up = { id: key, namespace: ns, basePath: route.basePath, servers: [], check: undefined };
          upstreams.set(key, up);
        }
        const ip = pod.status?.podIP ?? '';
        up.servers.push({
          pod: nameOf(pod),
          server: {
            comment: `Pod ${nameOf(pod)} (namespace: ${ns})`,
            address: ip,
            ...(route.port !== 80 && route.port !== 443 ? { port: route.port } : {}),
            ...(route.weight !== undefined ? { weight: route.weight } : {}),
          },
        });
        if (up.check === undefined && config.enableHealthChecks) up.check = healthCheckFor(pod, route.port);
        routed = true;
      }
    }
    if (routed) routedPods++;
  }

  const nginxUpstreams: Upstream[] = [];
  for (const up of upstreams.values()) {
    // Stable sort: a pod listing the same basePath twice keeps both servers in order.
    const servers = up.servers
      .slice()
      .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))
      .map((s) => s.server);
    nginxUpstreams.push({
      id: up.id,
      comment: `Upstream for ${up.basePath} traffic on namespace ${up.namespace}`,
      keepalive: 1024,
      servers,
      ...(up.check !== undefined
        ? { healthCheck: { ...up.check, comment: 'Upstream health check for nginx_upstream_check_module' } }
        : {}),
    });
  }

  const dlr = config.defaultLocationReturn;
  let defaultLocation: Location;
  if (dlr.kind === 'status') {
    defaultLocation = { match: 'prefix', path: '/', action: { kind: 'return', status: dlr.status } };
  } else {
    defaultLocation = {
      match: 'prefix',
      path: '/',
      // The upstream carries the URL's host, so send that as Host, as `proxy_pass <url>` did.
      proxy: {
        httpVersion: '1.1',
        setHeaders: [
          ...LOCATION_HEADERS.slice(0, 2),
          { name: 'Host', value: dlr.port !== undefined ? `${dlr.host}:${dlr.port}` : dlr.host },
        ],
      },
      action: {
        kind: 'proxy',
        upstream: DEFAULT_LOCATION_UPSTREAM,
        scheme: dlr.scheme,
        ...(dlr.path !== undefined ? { uri: dlr.path } : {}),
      },
    };
  }
  let defaultLocationUsed = false;

  const servers: Server[] = [];
  const proxy = { httpVersion: '1.1' as const, setHeaders: LOCATION_HEADERS };
  for (const host of [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : 1))) {
    const locations: Location[] = [];
    if (host.needsDefaultLocation) {
      locations.push(defaultLocation);
      defaultLocationUsed = true;
    }
    for (const l of host.locations.values()) {
      locations.push({
        match: l.loc.match,
        path: l.loc.path,
        ...(l.apiKey !== undefined
          ? { headerCheck: { header: config.apiKeyHeader, value: l.apiKey, status: 403 } }
          : {}),
        proxy,
        action: {
          kind: 'proxy',
          upstream: l.upstream,
          ...(l.targetPath !== undefined ? { uri: l.targetPath } : {}),
        },
      });
    }
    servers.push({
      listen: [host.tls !== undefined ? { port: config.sslPort, ssl: true } : { port: config.port }],
      serverNames: [host.host],
      ...(host.tls !== undefined ? { tls: host.tls } : {}),
      locations,
    });
  }
  if (defaultLocationUsed && dlr.kind === 'proxy') {
    // An upstream server without a port means 80 to nginx even for https: say the scheme's port.
    nginxUpstreams.push({
      id: DEFAULT_LOCATION_UPSTREAM,
      comment: `DEFAULT_LOCATION_RETURN ${dlr.scheme}://${dlr.host}`,
      servers: [{ address: dlr.host, port: dlr.port ?? (dlr.scheme === 'https' ? 443 : 80) }],
    });
  }

  const statusAndClose: Location[] = [
    { match: 'exact', path: config.statusPath, action: { kind: 'return', status: 200 } },
    { match: 'prefix', path: '/', action: { kind: 'return', status: 444 } },
  ];
  servers.push({
    listen: [{ port: config.port, defaultServer: true }],
    serverNames: [],
    locations: statusAndClose,
  });
  if (config.ssl !== undefined) {
    servers.push({
      listen: [{ port: config.sslPort, ssl: true, defaultServer: true }],
      serverNames: [],
      tls: {
        ciphers: SSL_CIPHERS,
        protocols: SSL_PROTOCOLS,
        certificate: config.ssl.cert,
        certificateKey: config.ssl.key,
      },
      locations: statusAndClose,
    });
  }

  const nginx: NginxConfig = {
    main: { workerProcesses: config.workerProcesses, errorLog: { target: 'stderr', level: 'warn' } },
    events: { workerConnections: 81920, multiAccept: true },
    http: {
      ...(options.tempPathRoot !== undefined ? { tempPathRoot: options.tempPathRoot } : {}),
      accessLog: config.accessLog === 'off' ? 'off' : { path: config.accessLog },
      typesHashMaxSize: 2048,
      serverNamesHashMaxSize: 512,
      serverNamesHashBucketSize: 64,
      clientMaxBodySize: config.maxClientBodySize,
      proxy: {
        httpVersion: '1.1',
        connectTimeout: '5s',
        requestBuffering: false,
        setHeaders: LOCATION_HEADERS.slice(0, 2),
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
    upstreams: nginxUpstreams,
    servers,
  };
  return {
    nginx,
    sslFiles,
    skipped,
    stats: {
      hosts: hosts.size,
      upstreams: upstreams.size,
      servers: nginxUpstreams.reduce((n, u) => n + u.servers.length, 0),
      pods: routedPods,
    },
  };
}

type SkipFn = (o: NamespaceObject, kind: Skipped['kind'], reason: SkipReason, message: string) => void;

function sslFor(
  ns: NamespaceObject,
  entry: HostEntry,
  config: DispatcherConfig,
  secret: SecretObject | undefined,
  files: SslFile[],
  skip: SkipFn,
): TlsSettings | undefined {
  const ssl = entry.ssl!;
  if (config.ssl === undefined) {
    skip(
      ns,
      'Namespace',
      'SSLDisabled',
      `host "${entry.host}" has ssl options but SSL is disabled (SSL_CERT is not set)`,
    );
    return undefined;
  }
  if (secret === undefined) {
    skip(
      ns,
      'Namespace',
      'MissingSSLSecret',
      `host "${entry.host}": Secret "${config.apiKeySecretName}" does not exist`,
    );
    return undefined;
  }
  const get = (key: string): Buffer | undefined => decodeSecretValue(secret.data, key);
  const cert = get(ssl.certificate.key);
  const key = get(ssl.certificateKey.key);
  const client = ssl.clientCertificate === undefined ? undefined : get(ssl.clientCertificate.key);
  const missing =
    cert === undefined
      ? ssl.certificate.key
      : key === undefined
        ? ssl.certificateKey.key
        : ssl.clientCertificate !== undefined && client === undefined
          ? ssl.clientCertificate.key
          : undefined;
  if (missing !== undefined || cert === undefined || key === undefined) {
    skip(
      ns,
      'Namespace',
      'MissingSSLSecret',
      `host "${entry.host}": Secret "${config.apiKeySecretName}" has no data key "${missing ?? ''}"`,
    );
    return undefined;
  }
  // A certificate nginx cannot load would fail `nginx -t` for the whole config; refuse it here.
  const problem = checkPem(cert, key, client);
  if (problem !== undefined) {
    skip(ns, 'Namespace', 'InvalidSSLOptions', `host "${entry.host}": ${problem}`);
    return undefined;
  }
  const dir = `${config.sslCertDir}/${entry.host}`;
  const tls: TlsSettings = {
    ciphers: SSL_CIPHERS,
    protocols: SSL_PROTOCOLS,
    certificate: `${dir}/certificate.crt`,
    certificateKey: `${dir}/certificate.key`,
    ...(client !== undefined
      ? { clientCertificate: `${dir}/clientCertificate.crt`, verifyClient: 'on' as const }
      : {}),
  };
  files.push(
    { path: tls.certificate, content: cert, mode: 0o644 },
    { path: tls.certificateKey, content: key, mode: 0o600 },
  );
  if (client !== undefined)
    files.push({ path: `${dir}/clientCertificate.crt`, content: client, mode: 0o644 });
  return tls;
}

function checkPem(cert: Buffer, key: Buffer, client: Buffer | undefined): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return 'the certificate is not a PEM certificate';
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key)))
      return 'the certificate key does not match the certificate';
  } catch {
    return 'the certificate key is not a PEM private key';
  }
  if (client !== undefined) {
    try {
      new X509Certificate(client);
    } catch {
      return 'the client certificate is not a PEM certificate';
    }
  }
  return undefined;
}

/** The valid routes of a pod's paths annotation; each bad entry is reported through `report`. Pure. */
export function podRoutes(
  pod: PodObject,
  annotation: string,
  report: (reason: SkipReason, message: string) => void,
): ValidRoute[] {
  const decoded = decodePathsAnnotation(annotation);
  if (!decoded.ok) {
    report('InvalidPathsAnnotation', decoded.error);
    return [];
  }
  const declared = new Set<number>();
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.containerPort !== undefined) declared.add(p.containerPort);
  const routes: ValidRoute[] = [];
  decoded.entries.forEach((e, i) => {
    const bad = (message: string): void => report('InvalidPathEntry', `entry ${i}: ${message}`);
    const port = parseContainerPort(e.containerPort);
    if (port === undefined) return bad(`port (${e.containerPort}) is not valid`);
    if (!declared.has(port)) return bad(`port (${e.containerPort}) is not an exposed container port`);
    const base = parseBasePath(e.basePath);
    if (!base.ok) return bad(base.reason);
    let targetPath: string | undefined;
    if (e.targetPath !== undefined) {
      const t = parseTargetPath(e.targetPath);
      if (!t.ok) return bad(t.reason);
      targetPath = t.value;
    }
    if (e.weight === 0) return bad('weight must not be 0');
    if (e.weight !== undefined && e.weight > 1_000_000) return bad('weight must be at most 1000000');
    routes.push({
      basePath: e.basePath,
      loc: base.value,
      port,
      ...(targetPath !== undefined ? { targetPath } : {}),
      ...(e.weight !== undefined ? { weight: e.weight } : {}),
    });
  });
  return routes;
}
