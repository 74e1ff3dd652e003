import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { cli, withDefaultCommand } from './cli.js';
import {
  DEFAULT_WORKER_CONNECTIONS,
  NET_BIND_NGINX,
  buildConfig,
  chooseNginxBinary,
  isMockMode,
  parseOpenFileLimit,
  type RawConfigValues,
} from './config.js';
import { DEFAULT_RAW, config } from '../test/fixtures.js';

function parse(env: Record<string, string>, argv: string[] = []): RawConfigValues {
  const r = cli.parse(withDefaultCommand(argv), env);
  if (r.kind !== 'run') throw new Error('not a run');
  return r.values;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('environment variables of the original', () => {
  it('has every original name and default', () => {
    const v = parse({});
    const original: Record<string, unknown> = Object.fromEntries(
      Object.entries(DEFAULT_RAW).filter(
        ([k]) => !['require-ready', 'nginx-worker-processes', 'nginx-access-log'].includes(k),
      ),
    );
    for (const [k, d] of Object.entries(original)) expect([k, v[k as keyof RawConfigValues]]).toEqual([k, d]);
    const envNames = Object.fromEntries(
      Object.entries(cli.spec.flags).map(([k, f]) => [k, (f as { env?: string }).env]),
    );
    expect(envNames).toMatchObject({
      'api-key-secret-name': 'API_KEY_SECRET_NAME',
      'api-key-secret-field': 'API_KEY_SECRET_FIELD',
      'routable-label-selector': 'ROUTABLE_LABEL_SELECTOR',
      'hosts-annotation': 'HOSTS_ANNOTATION',
      'org-label': 'ORG_LABEL',
      'env-label': 'ENV_LABEL',
      'paths-annotation': 'PATHS_ANNOTATION',
      'app-name-label': 'APP_NAME_LABEL',
      'app-rev-label': 'APP_REV_LABEL',
      'api-key-header': 'API_KEY_HEADER',
      'nginx-enable-health-checks': 'NGINX_ENABLE_HEALTH_CHECKS',
      'nginx-status-path': 'NGINX_STATUS_PATH',
      'nginx-max-client-body-size': 'NGINX_MAX_CLIENT_BODY_SIZE',
      port: 'PORT',
      'ssl-port': 'SSL_PORT',
      'ssl-cert': 'SSL_CERT',
      'ssl-key': 'SSL_KEY',
      'ssl-cert-dir': 'SSL_CERT_DIR',
      'default-location-return': 'DEFAULT_LOCATION_RETURN',
    });
  });

  it.each([
    ['API_KEY_SECRET_NAME', 'edge', 'apiKeySecretName', 'edge'],
    ['API_KEY_SECRET_FIELD', 'public-api-key', 'apiKeySecretField', 'public-api-key'],
    [
      'HOSTS_ANNOTATION',
      'github.com/30x.dispatcher.hosts.public',
      'hostsAnnotation',
      'github.com/30x.dispatcher.hosts.public',
    ],
    [
      'PATHS_ANNOTATION',
      'github.com/30x.dispatcher.paths.private',
      'pathsAnnotation',
      'github.com/30x.dispatcher.paths.private',
    ],
    ['ORG_LABEL', 'example.com/org', 'orgLabel', 'example.com/org'],
    ['ENV_LABEL', 'example.com/env', 'envLabel', 'example.com/env'],
    ['APP_NAME_LABEL', 'app', 'appNameLabel', 'app'],
    ['APP_REV_LABEL', 'rev', 'appRevLabel', 'rev'],
    ['API_KEY_HEADER', 'X-Api-Token', 'apiKeyVariable', 'http_x_api_token'],
    ['NGINX_ENABLE_HEALTH_CHECKS', 'true', 'enableHealthChecks', true],
    ['NGINX_STATUS_PATH', '/healthz', 'statusPath', '/healthz'],
    ['NGINX_MAX_CLIENT_BODY_SIZE', '10M', 'maxClientBodySize', '10m'],
    ['PORT', '8080', 'port', 8080],
    ['SSL_PORT', '8443', 'sslPort', 8443],
    ['SSL_CERT_DIR', '/var/lib/dispatcher/ssl', 'sslCertDir', '/var/lib/dispatcher/ssl'],
    ['DEFAULT_LOCATION_RETURN', '418', 'defaultLocationReturn', { kind: 'status', status: 418 }],
    [
      'DEFAULT_LOCATION_RETURN',
      'https://example.com',
      'defaultLocationReturn',
      { kind: 'proxy', scheme: 'https', host: 'example.com', url: 'https://example.com' },
    ],
    ['DISPATCHER_REQUIRE_READY', 'false', 'requireReady', false],
  ])('%s=%s is read', (env, value, field, expected) => {
    const c = buildConfig(parse({ [env]: value }), { fileExists: () => true });
    expect(c[field as keyof typeof c]).toEqual(expected);
  });

  it('ROUTABLE_LABEL_SELECTOR selects by its requirements', () => {
    const c = buildConfig(parse({ ROUTABLE_LABEL_SELECTOR: 'tier in (edge,web),!legacy' }), {
      fileExists: () => true,
    });
    expect(c.routableSelector.matches({ tier: 'edge' })).toBe(true);
    expect(c.routableSelector.matches({ tier: 'edge', legacy: '' })).toBe(false);
    expect(c.routableSelector.matches({ tier: 'db' })).toBe(false);
  });

  it('SSL_CERT with SSL_KEY enables SSL when both files exist', () => {
    expect(config({ 'ssl-cert': '/tls/c.crt', 'ssl-key': '/tls/c.key' }).ssl).toEqual({
      cert: '/tls/c.crt',
      key: '/tls/c.key',
    });
    expect(config().ssl).toBeUndefined();
  });

  it('a flag overrides the env var', () => {
    expect(parse({ PORT: '81' }, ['--port', '82']).port).toBe(82);
  });
});

describe('a bad value fails at start naming the variable', () => {
  it.each([
    ['API_KEY_SECRET_NAME', { 'api-key-secret-name': 'Not_A_Name' }],
    ['API_KEY_SECRET_FIELD', { 'api-key-secret-field': 'a/b' }],
    ['ROUTABLE_LABEL_SELECTOR', { 'routable-label-selector': 'a in (b' }],
    ['ROUTABLE_LABEL_SELECTOR', { 'routable-label-selector': '' }],
    ['HOSTS_ANNOTATION', { 'hosts-annotation': 'bad annotation' }],
    ['PATHS_ANNOTATION', { 'paths-annotation': '-x/' }],
    ['ORG_LABEL', { 'org-label': 'a/b/c' }],
    ['ENV_LABEL', { 'env-label': '' }],
    ['APP_NAME_LABEL', { 'app-name-label': 'x y' }],
    ['APP_REV_LABEL', { 'app-rev-label': '_x' }],
    ['API_KEY_HEADER', { 'api-key-header': 'X.Key' }],
    ['NGINX_STATUS_PATH', { 'nginx-status-path': '' }],
    ['NGINX_STATUS_PATH', { 'nginx-status-path': 'status' }],
    ['NGINX_MAX_CLIENT_BODY_SIZE', { 'nginx-max-client-body-size': '10 m; return 200' }],
    ['PORT', { port: 0 }],
    ['PORT', { port: 65536 }],
    ['SSL_PORT', { 'ssl-port': -1 }],
    ['SSL_KEY', { 'ssl-cert': '/tls/c.crt' }],
    ['SSL_CERT_DIR', { 'ssl-cert-dir': 'relative/dir' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': '99' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': '1000' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': 'ftp://example.com' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': 'http://x.com/; return 200' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': 'http://x.com/{a}' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': 'http://x.com/?q=1' }],
    ['DEFAULT_LOCATION_RETURN', { 'default-location-return': 'not a url' }],
  ] as [string, Partial<RawConfigValues>][])('%s: %j', (env, over) => {
    const err = configError(() => config(over));
    expect(err.key).toBe(env);
    expect(err.message).toContain(env);
  });

  it('SSL_KEY must exist as a file (original: SSL_CERT was checked twice, the key never)', () => {
    const err = configError(() =>
      config({ 'ssl-cert': '/tls/c.crt', 'ssl-key': '/tls/missing.key' }, ['/tls/missing.key']),
    );
    expect(err.key).toBe('SSL_KEY');
  });

  it('SSL_CERT must exist as a file', () => {
    expect(
      configError(() => config({ 'ssl-cert': '/tls/c.crt', 'ssl-key': '/tls/c.key' }, ['/tls/c.crt'])).key,
    ).toBe('SSL_CERT');
  });

  it('a non-integer PORT is refused by the parser, naming PORT', () => {
    expect(() => cli.parse(['run'], { PORT: 'eighty' })).toThrow(/PORT/);
  });

  it("the README's ENABLE_NGINX_UPSTREAM_CHECK is not read", () => {
    expect(
      buildConfig(parse({ ENABLE_NGINX_UPSTREAM_CHECK: 'true' }), { fileExists: () => true })
        .enableHealthChecks,
    ).toBe(false);
  });
});

describe('command line', () => {
  it('runs the controller when no command is given', () => {
    expect(withDefaultCommand([])).toEqual(['run']);
    expect(withDefaultCommand(['--port', '8080'])).toEqual(['run', '--port', '8080']);
    expect(withDefaultCommand(['render', '-f', 'x.yaml'])).toEqual(['render', '-f', 'x.yaml']);
  });

  it('reads single-dash long flags (the shared rule) and -help, -version without a command', () => {
    const r = cli.parse(withDefaultCommand(['-port', '8080', '-log-level=debug']), {});
    expect(r.kind === 'run' ? [r.values.port, r.values['log-level']] : undefined).toEqual([8080, 'debug']);
    expect(cli.parse(withDefaultCommand(['-help']), {}).kind).toBe('help');
    expect(cli.parse(withDefaultCommand(['-version']), {}).kind).toBe('version');
  });

  it('ignores a service-link env var (a Service named like an env prefix) instead of exiting', () => {
    const r = cli.parse(withDefaultCommand([]), { PORT: 'tcp://10.96.0.1:80' });
    expect(r.kind === 'run' ? [r.values.port, r.notes.length] : undefined).toEqual([80, 1]);
  });

  it('render takes -f files', () => {
    const r = cli.parse(['render', '-f', 'a.yaml', '-f', 'dir'], {});
    expect(r.kind === 'run' && r.command === 'render' ? r.values.filename : undefined).toEqual([
      'a.yaml',
      'dir',
    ]);
  });
});

describe('mock mode', () => {
  const mockMode = (env: Record<string, string>): 'auto' | 'on' | 'off' => {
    const r = cli.parse(withDefaultCommand([]), env);
    if (r.kind !== 'run') throw new Error('not a run');
    return r.values['mock-mode'];
  };
  it('is off by default: outside a pod the controller serves without DISPATCHER_MOCK_MODE=off', () => {
    expect(mockMode({})).toBe('off');
    expect(isMockMode(mockMode({}), false)).toBe(false);
  });

  it.each([
    ['on', true, true],
    ['on', false, true],
    ['off', false, false],
    ['auto', false, true],
    ['auto', true, false],
  ] as const)('--mock-mode=%s in cluster %s: mock %s', (mode, inCluster, mock) => {
    expect(isMockMode(mockMode({ DISPATCHER_MOCK_MODE: mode }), inCluster)).toBe(mock);
  });
});

describe('worker_connections and the open-file limit', () => {
  const limits = (soft: string, hard: string): string =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax processes             63419                63419                processes\nMax open files            ${soft}                 ${hard}                files\n`;

  it.each([
    [limits('1024', '524288'), 1024],
    [limits('1048576', '1048576'), 1048576],
    [limits('unlimited', 'unlimited'), undefined],
    ['', undefined],
  ])('reads the soft limit from /proc/self/limits (%#)', (text, want) => {
    expect(parseOpenFileLimit(text)).toBe(want);
  });

  it("keeps the original's 81920 under a higher limit and lowers it to a smaller one", () => {
    const raw = { ...DEFAULT_RAW };
    expect(buildConfig(raw, { fileExists: () => true }).workerConnections).toBe(DEFAULT_WORKER_CONNECTIONS);
    expect(buildConfig(raw, { fileExists: () => true, openFileLimit: 1_048_576 }).workerConnections).toBe(
      81920,
    );
    expect(buildConfig(raw, { fileExists: () => true, openFileLimit: 1024 }).workerConnections).toBe(1024);
  });
});

describe('nginx binary for a port below 1024', () => {
  const base = { given: '/usr/sbin/nginx', fromFlag: false, uid: 10001, netBindCopyExists: true };
  it.each([
    [{ ...base, ports: [80] }, NET_BIND_NGINX],
    [{ ...base, ports: [8080, 443] }, NET_BIND_NGINX],
    [{ ...base, ports: [8080, 8443] }, '/usr/sbin/nginx'],
    [{ ...base, ports: [80], uid: 0 }, '/usr/sbin/nginx'],
    [{ ...base, ports: [80], netBindCopyExists: false }, '/usr/sbin/nginx'],
    [{ ...base, ports: [80], fromFlag: true, given: '/opt/nginx' }, '/opt/nginx'],
  ])('%j -> %s', (o, want) => {
    expect(chooseNginxBinary(o)).toBe(want);
  });
});
