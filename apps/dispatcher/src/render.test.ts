import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { nginxPaths, parseNginxConfig, testNginxConfigFile } from '@kube-edge/nginx-render';
import { tempDir } from '@kube-edge/testkit';
import { renderFromFiles } from './app.js';
import { buildModel } from './model/build.js';
import { renderDispatcherConfig } from './model/render.js';
import { config, ns, pod, secret } from '../test/fixtures.js';
import { CERT, KEY, sslRefs, tlsData } from '../test/tls.js';

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, '../../../examples/dispatcher');
const GOLDEN_SSL_DIR = '/etc/nginx/ssl';
const GOLDEN_TMP = '/var/lib/dispatcher/nginx/tmp';

// The golden case: an HTTP host with an API key and a targetPath, an SSL host
// with a client certificate, two pods, health checks on (and off, for nginx -t).
function goldenModel(healthChecks: boolean) {
  const probe = {
    httpGet: { path: '/status', port: 3000 },
    periodSeconds: 10,
    successThreshold: 2,
    failureThreshold: 3,
    timeoutSeconds: 5,
  };
  const containers = [{ name: 'app', ports: [{ containerPort: 3000 }], readinessProbe: probe }];
  return buildModel(
    {
      namespaces: [ns('api', { 'api.ex.net': {} }), ns('web', { 'secure.dev': { ssl: sslRefs(true) } })],
      pods: [
        pod('api', 'users-1', [{ basePath: '/users', containerPort: '3000', targetPath: '/people' }], {
          ip: '10.1.0.11',
          containers,
        }),
        pod(
          'api',
          'users-2',
          [{ basePath: '/users', containerPort: '3000', targetPath: '/people', weight: 5 }],
          { ip: '10.1.0.12', containers },
        ),
        pod('web', 'nodejs-1', [{ basePath: '/nodejs', containerPort: '80' }], {
          ip: '10.1.0.21',
          ports: [80],
        }),
      ],
      secrets: [secret('api', { 'api-key': 'ABC' }), secret('web', tlsData)],
    },
    config({
      'nginx-enable-health-checks': healthChecks,
      'ssl-cert': `${GOLDEN_SSL_DIR}/default.crt`,
      'ssl-key': `${GOLDEN_SSL_DIR}/default.key`,
    }),
    { tempPathRoot: GOLDEN_TMP },
  );
}

function golden(name: string, text: string): string {
  const file = join(here, '__golden__', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  return readFileSync(file, 'utf8');
}

describe('golden configs', () => {
  it('renders the golden case byte for byte and real nginx accepts it', async () => {
    const text = renderDispatcherConfig(goldenModel(false));
    expect(text).toBe(golden('dispatcher.conf', text));
    const dir = await tempDir('dispatcher-golden');
    try {
      mkdirSync(join(dir.path, 'ssl', 'secure.dev'), { recursive: true });
      writeFileSync(join(dir.path, 'ssl', 'default.crt'), CERT);
      writeFileSync(join(dir.path, 'ssl', 'default.key'), KEY);
      for (const f of goldenModel(false).sslFiles)
        writeFileSync(f.path.replace(GOLDEN_SSL_DIR, join(dir.path, 'ssl')), f.content);
      const paths = nginxPaths(join(dir.path, 'nginx'));
      const confPath = join(dir.path, 'test.conf');
      writeFileSync(
        confPath,
        text.replaceAll(GOLDEN_SSL_DIR, join(dir.path, 'ssl')).replaceAll(GOLDEN_TMP, paths.tempDir),
      );
      const result = await testNginxConfigFile({ paths, confPath });
      expect(result).toMatchObject({ ok: true });
    } finally {
      await dir.remove();
    }
  });

  it('a DEFAULT_LOCATION_RETURN URL gives a config real nginx accepts', async () => {
    const model = buildModel(
      { namespaces: [ns('web', { 'a.test': {} })], pods: [], secrets: [] },
      config({ 'default-location-return': 'http://127.0.0.1:9/fallback' }),
      { tempPathRoot: GOLDEN_TMP },
    );
    const text = renderDispatcherConfig(model);
    expect(text).toContain('proxy_pass http://default-location-return/fallback;');
    const dir = await tempDir('dispatcher-dlr');
    try {
      const paths = nginxPaths(join(dir.path, 'nginx'));
      const confPath = join(dir.path, 'test.conf');
      writeFileSync(confPath, text.replaceAll(GOLDEN_TMP, paths.tempDir));
      expect(await testNginxConfigFile({ paths, confPath })).toMatchObject({ ok: true });
    } finally {
      await dir.remove();
    }
  });

  it('renders the health-check variant with one check block per upstream (nginx_upstream_check_module; not nginx -t tested: Debian nginx lacks it)', () => {
    const text = renderDispatcherConfig(goldenModel(true));
    expect(text).toBe(golden('dispatcher-health-checks.conf', text));
    expect(() => parseNginxConfig(text)).not.toThrow();
    expect(text.match(/^\s*check interval/gm)).toHaveLength(1);
  });
});

describe('render -f (offline mode) on the examples', () => {
  it('renders the README demo from a Deployment template', async () => {
    const { text, model } = await renderFromFiles(config(), [join(examples, 'app.yaml')]);
    expect(model.skipped).toEqual([]);
    expect(text).toContain('upstream upstream1866206336 {');
    expect(text).toContain('server_name test.k8s.local;');
    expect(text).toContain('if ($http_x_routing_api_key != "c3VwZXJzZWNyZXQ=") {');
  });

  it('serves public or private routes from the same manifests through configuration alone', async () => {
    const file = [join(examples, 'public-private.yaml')];
    const pub = await renderFromFiles(
      config({
        'hosts-annotation': 'github.com/30x.dispatcher.hosts.public',
        'paths-annotation': 'github.com/30x.dispatcher.paths.public',
        'api-key-secret-field': 'public-api-key',
      }),
      file,
    );
    const priv = await renderFromFiles(
      config({
        'hosts-annotation': 'github.com/30x.dispatcher.hosts.private',
        'paths-annotation': 'github.com/30x.dispatcher.paths.private',
        'api-key-secret-field': 'private-api-key',
        port: 81,
      }),
      file,
    );
    expect(pub.text).toContain('server_name test.k8s.com;');
    expect(pub.text).toContain('location /public {');
    expect(pub.text).not.toMatch(/test\.k8s\.local|\/internal/);
    expect(priv.text).toContain('server_name test.k8s.local;');
    expect(priv.text).toContain('location /internal {');
    expect(priv.text).toContain('listen 81;');
    expect(priv.text).not.toMatch(/test\.k8s\.com|\/public/);
  });

  it('reports the SSL host as skipped when SSL is disabled', async () => {
    const { model } = await renderFromFiles(config(), [join(examples, 'ssl.yaml')]);
    expect(model.skipped.map((s) => s.reason)).toEqual(['SSLDisabled']);
  });
});
