import { describe, expect, it } from '@jest/globals';
import { parseNginxConfig, type NginxDirective } from '@kube-edge/nginx-render';
import { config, ns, pod, secret } from '../../test/fixtures.js';
import { sslRefs, tlsData } from '../../test/tls.js';
import { buildModel, upstreamName } from './build.js';
import { fnv1a32 } from './fnv.js';
import { renderDispatcherConfig } from './render.js';
import type { ClusterState } from './build.js';
import type { DispatcherConfig } from '../config.js';

const render = (state: Partial<ClusterState>, cfg: DispatcherConfig = config()): string =>
  renderDispatcherConfig(buildModel({ namespaces: [], pods: [], secrets: [], ...state }, cfg));

function findAll(dirs: readonly NginxDirective[], name: string): NginxDirective[] {
  const out: NginxDirective[] = [];
  for (const d of dirs) {
    if (d.name === name) out.push(d);
    if (d.block) out.push(...findAll(d.block, name));
  }
  return out;
}

const serverFor = (text: string, host: string): NginxDirective | undefined =>
  findAll(parseNginxConfig(text), 'server').find((s) =>
    s.block?.some((d) => d.name === 'server_name' && d.args.includes(host)),
  );

describe('process-level nginx settings', () => {
  it('hides the nginx version (server_tokens off) and renders worker_connections from the config', () => {
    const tree = parseNginxConfig(render({}, { ...config(), workerConnections: 1024 }));
    expect(findAll(tree, 'server_tokens').map((d) => d.args)).toEqual([['off']]);
    expect(findAll(tree, 'worker_connections').map((d) => d.args)).toEqual([['1024']]);
    expect(findAll(parseNginxConfig(render({})), 'worker_connections').map((d) => d.args)).toEqual([
      ['81920'],
    ]);
  });
});

describe('test vectors', () => {
  it('hashes upstream keys with FNV-1a 32', () => {
    expect(fnv1a32('api.ex.net/users')).toBe(3563244012);
    expect(fnv1a32('test.k8s.local/nodejs')).toBe(1866206336);
    expect(upstreamName('api.ex.net', '/users')).toBe('upstream3563244012');
  });

  it('checks the API key ABC as QUJD and rewrites to the targetPath', () => {
    const text = render({
      namespaces: [ns('api', { 'api.ex.net': {} })],
      pods: [pod('api', 'users-1', [{ basePath: '/users', containerPort: '3000', targetPath: '/people' }])],
      secrets: [secret('api', { 'api-key': 'ABC' })],
    });
    expect(text).toContain('if ($http_x_routing_api_key != "QUJD") {');
    expect(text).toContain('proxy_pass http://upstream3563244012/people;');
  });

  it('reproduces the README example upstream for test.k8s.local/nodejs', () => {
    const text = render({
      namespaces: [ns('web', { 'test.k8s.local': {} })],
      pods: [
        pod('web', 'nodejs-k8s-env-eq7mh', [{ basePath: '/nodejs', containerPort: '3000' }], {
          ip: '10.244.69.6',
        }),
      ],
    });
    expect(text).toMatch(
      /upstream upstream1866206336 \{\n\s+# Pod nodejs-k8s-env-eq7mh \(namespace: web\)\n\s+server 10\.244\.69\.6:3000;\n\s+keepalive 1024;/,
    );
    expect(text).toContain('location /nodejs {');
  });
});

describe('nginx config contract', () => {
  const state: Partial<ClusterState> = {
    namespaces: [ns('web', { 'a.example.com': {} })],
    pods: [
      pod('web', 'b', [{ basePath: '/app', containerPort: '80', weight: 5 }], {
        ip: '10.0.0.2',
        ports: [80],
      }),
      pod('web', 'a', [{ basePath: '/app', containerPort: '80' }], { ip: '10.0.0.1', ports: [80] }),
    ],
  };

  it('omits :80, adds weights, sorts servers by pod name, keeps keepalive 1024', () => {
    const text = render(state);
    const up = findAll(parseNginxConfig(text), 'upstream').find(
      (u) => u.args[0] === upstreamName('a.example.com', '/app'),
    )!;
    expect(up.block!.filter((d) => d.name === 'server').map((d) => d.args)).toEqual([
      ['10.0.0.1'],
      ['10.0.0.2', 'weight=5'],
    ]);
    expect(up.block!.find((d) => d.name === 'keepalive')?.args).toEqual(['1024']);
  });

  it('sets the WebSocket headers, Host and HTTP/1.1 in every location', () => {
    const loc = findAll([serverFor(render(state), 'a.example.com')!], 'location').find(
      (l) => l.args[0] === '/app',
    )!;
    const headers = loc.block!.filter((d) => d.name === 'proxy_set_header').map((d) => d.args);
    expect(headers).toEqual([
      ['Upgrade', '$http_upgrade'],
      ['Connection', '$p_connection'],
      ['Host', '$http_host'],
    ]);
    expect(loc.block!.find((d) => d.name === 'proxy_http_version')?.args).toEqual(['1.1']);
  });

  it('has the http preamble, the connection map and a default server closing with 444 and the status path', () => {
    const text = render(
      state,
      config({ 'nginx-max-client-body-size': '10m', 'nginx-status-path': '/healthy' }),
    );
    expect(text).toContain('client_max_body_size 10m;');
    expect(text).toContain('proxy_connect_timeout 5s;');
    expect(text).toContain('proxy_request_buffering off;');
    expect(text).toContain('map $http_connection $p_connection {');
    const def = findAll(parseNginxConfig(text), 'server').find((s) =>
      s.block?.some((d) => d.name === 'listen' && d.args.includes('default_server')),
    )!;
    expect(def.block!.find((d) => d.name === 'listen')?.args).toEqual(['80', 'default_server']);
    const locs = def.block!.filter((d) => d.name === 'location');
    expect(locs.map((l) => [l.args, l.block!.find((d) => d.name === 'return')?.args])).toEqual([
      [['/'], ['444']],
      [['=', '/healthy'], ['200']],
    ]);
  });

  it('adds the default location only to hosts without a "/" route', () => {
    const text = render(
      {
        namespaces: [ns('web', { 'a.test': {} }), ns('root', { 'b.test': {} })],
        pods: [
          pod('web', 'p', [{ basePath: '/x', containerPort: '3000' }]),
          pod('root', 'q', [{ basePath: '/', containerPort: '3000' }]),
        ],
      },
      config({ 'default-location-return': '418' }),
    );
    const a = findAll([serverFor(text, 'a.test')!], 'location');
    expect(a.find((l) => l.args[0] === '/')?.block?.find((d) => d.name === 'return')?.args).toEqual(['418']);
    const b = findAll([serverFor(text, 'b.test')!], 'location');
    expect(b.find((l) => l.args[0] === '/')?.block?.some((d) => d.name === 'proxy_pass')).toBe(true);
  });

  it('proxies unknown paths to a DEFAULT_LOCATION_RETURN URL', () => {
    const text = render(
      { namespaces: [ns('web', { 'a.test': {} })] },
      config({ 'default-location-return': 'http://fallback.example.com:8080/sorry' }),
    );
    expect(text).toContain('proxy_pass http://default-location-return/sorry;');
    expect(text).toMatch(/upstream default-location-return \{[^}]*server fallback\.example\.com:8080;/);
    expect(text).toContain('proxy_set_header Host fallback.example.com:8080;');
  });

  it('proxies to port 443 for an https DEFAULT_LOCATION_RETURN without a port, as proxy_pass https://host did', () => {
    const text = render(
      { namespaces: [ns('web', { 'a.test': {} })] },
      config({ 'default-location-return': 'https://fallback.example.com' }),
    );
    expect(text).toContain('proxy_pass https://default-location-return;');
    expect(text).toMatch(/upstream default-location-return \{[^}]*server fallback\.example\.com:443;/);
    expect(text).toContain('proxy_set_header Host fallback.example.com;');
  });

  it('maps basePath modifiers = ~ ~* ^~ to nginx location kinds', () => {
    const text = render({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [
        pod('web', 'p', [
          { basePath: '=/exact', containerPort: '3000' },
          { basePath: '~bar$', containerPort: '3000' },
          { basePath: '~*/IMG', containerPort: '3000' },
          { basePath: '^~/static', containerPort: '3000' },
        ]),
      ],
    });
    const args = findAll([serverFor(text, 'a.test')!], 'location').map((l) => l.args);
    expect(args).toEqual(
      expect.arrayContaining([
        ['=', '/exact'],
        ['~', 'bar$'],
        ['~*', '/IMG'],
        ['^~', '/static'],
      ]),
    );
  });

  it('renders SSL hosts on SSL_PORT only, with the cipher and protocol lines and per-host files', () => {
    const text = render(
      {
        namespaces: [ns('sec', { 'secure.dev': { ssl: sslRefs(true) } })],
        pods: [pod('sec', 'p', [{ basePath: '/', containerPort: '3000' }])],
        secrets: [secret('sec', tlsData)],
      },
      config({
        'ssl-cert': '/tls/default.crt',
        'ssl-key': '/tls/default.key',
        'ssl-port': 8443,
        'ssl-cert-dir': '/certs',
      }),
    );
    const s = serverFor(text, 'secure.dev')!.block!;
    expect(s.filter((d) => d.name === 'listen').map((d) => d.args)).toEqual([['8443', 'ssl']]);
    expect(s.find((d) => d.name === 'ssl_ciphers')?.args).toEqual(['HIGH:!aNULL:!MD5:!DH+3DES:!kEDH']);
    expect(s.find((d) => d.name === 'ssl_protocols')?.args).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(s.find((d) => d.name === 'ssl_certificate')?.args).toEqual(['/certs/secure.dev/certificate.crt']);
    expect(s.find((d) => d.name === 'ssl_certificate_key')?.args).toEqual([
      '/certs/secure.dev/certificate.key',
    ]);
    expect(s.find((d) => d.name === 'ssl_client_certificate')?.args).toEqual([
      '/certs/secure.dev/clientCertificate.crt',
    ]);
    expect(s.find((d) => d.name === 'ssl_verify_client')?.args).toEqual(['on']);
    const defaults = findAll(parseNginxConfig(text), 'listen').filter((l) =>
      l.args.includes('default_server'),
    );
    expect(defaults.map((l) => l.args)).toEqual(
      expect.arrayContaining([
        ['80', 'default_server'],
        ['8443', 'ssl', 'default_server'],
      ]),
    );
  });
});

describe('paths annotations shared by many pods (decoded and validated once per text and ports)', () => {
  const paths = [
    { basePath: '/', containerPort: '3000' },
    { basePath: '/admin', containerPort: '4000' },
    { basePath: 'no-slash', containerPort: '3000' },
  ];
  const state = (): ClusterState => ({
    namespaces: [ns('a', { 'a.example': {} })],
    pods: [
      pod('a', 'p1', paths, { ip: '10.0.0.1', ports: [3000, 4000] }),
      // The same text, but port 4000 is not exposed: the cached result of p1 must not apply.
      pod('a', 'p2', paths, { ip: '10.0.0.2', ports: [3000] }),
      pod('a', 'p3', paths, { ip: '10.0.0.3', ports: [3000, 4000] }),
    ],
    secrets: [],
  });

  it('gives every pod the routes and the skips its own ports allow, on every build', () => {
    for (let pass = 0; pass < 2; pass++) {
      const model = buildModel(state(), config());
      const members = (path: string): string[] =>
        model.nginx.upstreams
          .find((u) => u.id === upstreamName('a.example', path))!
          .servers.map((s) => `${s.address}:${s.port ?? 80}`);
      expect(members('/')).toEqual(['10.0.0.1:3000', '10.0.0.2:3000', '10.0.0.3:3000']);
      expect(members('/admin')).toEqual(['10.0.0.1:4000', '10.0.0.3:4000']);
      // Each pod reports its own bad entries, the cached ones as well (every pass).
      expect(model.skipped.map((s) => `${s.name} ${s.reason} ${s.message.slice(0, 9)}`).sort()).toEqual([
        'p1 InvalidPathEntry entry 2: ',
        'p2 InvalidPathEntry entry 1: ',
        'p2 InvalidPathEntry entry 2: ',
        'p3 InvalidPathEntry entry 2: ',
      ]);
    }
  });
});
