import { buildConfig, type DispatcherConfig, type RawConfigValues } from '../src/config.js';
import type { NamespaceObject, PodObject, SecretObject } from '../src/model/types.js';

/** The CLI defaults, as raw values. */
export const DEFAULT_RAW: RawConfigValues = {
  'api-key-secret-name': 'routing',
  'api-key-secret-field': 'api-key',
  'routable-label-selector': 'github.com/30x.dispatcher.routable=true',
  'hosts-annotation': 'github.com/30x.dispatcher.hosts',
  'org-label': 'github.com/30x.dispatcher.org',
  'env-label': 'github.com/30x.dispatcher.env',
  'paths-annotation': 'github.com/30x.dispatcher.paths',
  'app-name-label': 'github.com/30x.dispatcher.app.name',
  'app-rev-label': 'github.com/30x.dispatcher.app.rev',
  'api-key-header': 'X-ROUTING-API-KEY',
  'nginx-enable-health-checks': false,
  'nginx-status-path': '/dispatcher/status',
  'nginx-max-client-body-size': '0',
  port: 80,
  'ssl-port': 443,
  'ssl-cert': '',
  'ssl-key': '',
  'ssl-cert-dir': '/etc/nginx/ssl',
  'default-location-return': '404',
  'require-ready': true,
  'nginx-worker-processes': 1,
  'nginx-access-log': 'off',
};

/** A config from the defaults with some raw values replaced; files "exist" unless listed in `missing`. */
export function config(over: Partial<RawConfigValues> = {}, missing: string[] = []): DispatcherConfig {
  return buildConfig({ ...DEFAULT_RAW, ...over }, { fileExists: (p) => !missing.includes(p) });
}

export const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
export const HOSTS = 'github.com/30x.dispatcher.hosts';
export const PATHS = 'github.com/30x.dispatcher.paths';

/** A routable namespace with a hosts annotation (a JSON value or raw text). */
export function ns(
  name: string,
  hosts: unknown,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): NamespaceObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: `uid-ns-${name}`,
      labels: extra.labels ?? ROUTABLE,
      annotations: {
        ...(hosts === undefined
          ? {}
          : { [HOSTS]: typeof hosts === 'string' ? hosts : JSON.stringify(hosts) }),
        ...extra.annotations,
      },
    },
  };
}

/** Options of {@link pod}. */
export interface PodOptions {
  ip?: string;
  ports?: number[];
  phase?: string;
  ready?: boolean;
  terminating?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: NonNullable<PodObject['spec']>['containers'];
}

/** A routable, running, ready pod with a paths annotation (a JSON value or raw text). */
export function pod(namespace: string, name: string, paths: unknown, o: PodOptions = {}): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-pod-${namespace}-${name}`,
      labels: o.labels ?? ROUTABLE,
      annotations: {
        ...(paths === undefined
          ? {}
          : { [PATHS]: typeof paths === 'string' ? paths : JSON.stringify(paths) }),
        ...o.annotations,
      },
      ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers: o.containers ?? [
        { name: 'app', ports: (o.ports ?? [3000]).map((containerPort) => ({ containerPort })) },
      ],
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === '' ? {} : { podIP: o.ip ?? '10.0.0.1' }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

/** A Secret with string data (base64-encoded here, as the API carries it). */
export function secret(namespace: string, data: Record<string, string>, name = 'routing'): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-secret-${namespace}-${name}` },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
