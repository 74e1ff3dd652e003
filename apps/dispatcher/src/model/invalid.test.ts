import { describe, expect, it } from '@jest/globals';
import { config, ns, pod, secret } from '../../test/fixtures.js';
import { sslRefs, tlsData } from '../../test/tls.js';
import { buildModel, upstreamName, type ClusterState } from './build.js';
import { renderDispatcherConfig } from './render.js';
import type { DispatcherConfig } from '../config.js';

const build = (state: Partial<ClusterState>, cfg: DispatcherConfig = config()) =>
  buildModel({ namespaces: [], pods: [], secrets: [], ...state }, cfg);
const good = { basePath: '/good', containerPort: '3000' };

describe('invalid hosts annotations', () => {
  it.each([
    ['not JSON', '{"a.test": {', 'InvalidHostsAnnotation'],
    [
      'a type mismatch (the original kept a partial map)',
      '{"a.test": {}, "b.test": "str"}',
      'InvalidHostsAnnotation',
    ],
    ['an array', '["a.test"]', 'InvalidHostsAnnotation'],
  ])('%s gives no hosts at all', (_name, text, reason) => {
    const m = build({ namespaces: [ns('web', text)], pods: [pod('web', 'p', [good])] });
    expect(m.stats.hosts).toBe(0);
    expect(m.skipped.map((s) => s.reason)).toContain(reason);
  });

  it.each([['invalid#>.host'], ['*.x.com'], ['h:8080'], ['::1'], ['-bad.com']])(
    'drops the host %s and keeps the others',
    (bad) => {
      const m = build({
        namespaces: [ns('web', { [bad]: {}, 'ok.test': {} })],
        pods: [pod('web', 'p', [good])],
      });
      expect(m.nginx.servers.map((s) => s.serverNames[0]).filter(Boolean)).toEqual(['ok.test']);
      expect(m.skipped).toEqual([
        expect.objectContaining({ kind: 'Namespace', name: 'web', reason: 'InvalidHost' }),
      ]);
    },
  );

  it('accepts a dotted-quad IPv4 host', () => {
    const m = build({ namespaces: [ns('web', { '10.1.2.3': {} })], pods: [pod('web', 'p', [good])] });
    expect(m.nginx.servers.map((s) => s.serverNames[0]).filter(Boolean)).toEqual(['10.1.2.3']);
  });
});

describe('invalid paths entries are skipped one by one', () => {
  it.each([
    ['containerPort "abcdef"', { basePath: '/x', containerPort: 'abcdef' }, 'port (abcdef) is not valid'],
    ['containerPort "-1"', { basePath: '/x', containerPort: '-1' }, 'port (-1) is not valid'],
    ['containerPort "77777"', { basePath: '/x', containerPort: '77777' }, 'port (77777) is not valid'],
    [
      'an undeclared containerPort',
      { basePath: '/x', containerPort: '9999' },
      'is not an exposed container port',
    ],
    ['an empty basePath', { basePath: '', containerPort: '3000' }, 'basePath is empty'],
    [
      '"path" instead of "basePath" (istio/proxy#278)',
      { path: '/x', containerPort: '3000' },
      'the field is "basePath"',
    ],
    ['basePath "[" (not a regex)', { basePath: '[', containerPort: '3000' }, 'is not valid'],
    ['an invalid targetPath', { basePath: '/x', containerPort: '3000', targetPath: '(' }, 'targetPath'],
    ['weight 0', { basePath: '/x', containerPort: '3000', weight: 0 }, 'weight must not be 0'],
    [
      'a basePath injecting directives',
      { basePath: '/x;return 200 "pwned"', containerPort: '3000' },
      'contains whitespace',
    ],
    ['a basePath opening a block', { basePath: '/x{', containerPort: '3000' }, 'contains whitespace'],
    ['a basePath with a comment', { basePath: '/x#', containerPort: '3000' }, 'contains whitespace'],
    [
      'a targetPath with a space',
      { basePath: '/x', containerPort: '3000', targetPath: '/a b' },
      'contains whitespace',
    ],
    [
      'a targetPath with a variable',
      { basePath: '/x', containerPort: '3000', targetPath: '/$host' },
      'must not contain "$"',
    ],
  ])('%s', (_name, entry, message) => {
    const m = build({ namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [entry, good])] });
    expect(m.skipped).toEqual([
      expect.objectContaining({ kind: 'Pod', name: 'p', namespace: 'web', reason: 'InvalidPathEntry' }),
    ]);
    expect(m.skipped[0]!.message).toContain(message);
    // The valid entry still routes.
    expect(m.nginx.upstreams.map((u) => u.id)).toEqual([upstreamName('a.test', '/good')]);
    expect(renderDispatcherConfig(m)).not.toContain('pwned');
  });

  it.each([
    [
      'a number containerPort',
      { basePath: '/x', containerPort: 3000 },
      'containerPort must be a JSON string',
    ],
    [
      'a string weight',
      { basePath: '/x', containerPort: '3000', weight: '2' },
      'weight must be a non-negative',
    ],
    [
      'a negative weight',
      { basePath: '/x', containerPort: '3000', weight: -1 },
      'weight must be a non-negative',
    ],
    ['a string instead of an object', '/x', 'must be an object'],
  ])(
    '%s skips only that entry with its reason; the pod serves its other entries (original: no routes for the pod)',
    (_name, entry, message) => {
      const m = build({ namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good, entry])] });
      expect(m.skipped).toEqual([
        expect.objectContaining({
          kind: 'Pod',
          name: 'p',
          reason: 'InvalidPathEntry',
          message: expect.stringContaining(`entry 1: ${message}`),
        }),
      ]);
      expect(m.nginx.upstreams.map((u) => u.id)).toEqual([upstreamName('a.test', '/good')]);
    },
  );

  it.each([
    ['not JSON', '[{"basePath": "/x"'],
    ['an object instead of an array', { basePath: '/x', containerPort: '3000' }],
  ])('%s fails the whole annotation (no routes for the pod)', (_name, paths) => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [pod('web', 'p', paths), pod('web', 'other', [{ basePath: '/other', containerPort: '3000' }])],
    });
    expect(m.skipped).toEqual([expect.objectContaining({ name: 'p', reason: 'InvalidPathsAnnotation' })]);
    expect(m.nginx.upstreams.map((u) => u.id)).toEqual([upstreamName('a.test', '/other')]);
  });

  it('keeps a duplicate basePath within a pod as two servers of one upstream', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [
        pod(
          'web',
          'p',
          [
            { basePath: '/x', containerPort: '3000' },
            { basePath: '/x', containerPort: '4000' },
          ],
          { ports: [3000, 4000] },
        ),
      ],
    });
    expect(m.nginx.upstreams[0]!.servers.map((s) => s.port)).toEqual([3000, 4000]);
  });

  it('skips a second namespace claiming the same host, deterministically (same creation time: first by name wins)', () => {
    const state = {
      namespaces: [ns('zeta', { 'a.test': {} }), ns('alpha', { 'a.test': {} })],
      pods: [pod('zeta', 'z', [good], { ip: '10.0.0.26' }), pod('alpha', 'a', [good], { ip: '10.0.0.1' })],
    };
    const m = build(state);
    expect(m.nginx.upstreams[0]!.servers.map((s) => s.address)).toEqual(['10.0.0.1']);
    expect(m.skipped.map((s) => [s.kind, s.name, s.reason])).toEqual([
      ['Namespace', 'zeta', 'HostOwnedByOther'],
    ]);
    // The reverse input order gives the same bytes.
    const reversed = build({ namespaces: [...state.namespaces].reverse(), pods: [...state.pods].reverse() });
    expect(renderDispatcherConfig(reversed)).toBe(renderDispatcherConfig(m));
  });

  it('skips pods of a namespace that is missing or not routable', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} }, { labels: {} })],
      pods: [pod('web', 'p', [good])],
    });
    expect(m.skipped).toEqual([expect.objectContaining({ name: 'p', reason: 'NamespaceNotRoutable' })]);
    expect(m.nginx.upstreams).toEqual([]);
  });
});

describe('pod routability', () => {
  const cases: [string, Parameters<typeof pod>[3], boolean, boolean][] = [
    ['Running, Ready', {}, true, true],
    ['Pending', { phase: 'Pending' }, false, false],
    ['Running without an IP', { ip: '' }, false, false],
    ['Running but not Ready (the original routed it)', { ready: false }, false, true],
    ['terminating (the original routed it until deleted)', { terminating: true }, false, true],
  ];
  it.each(cases)('%s: routed %s by default, %s with --no-require-ready', (_name, o, byDefault, original) => {
    const state = { namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good], o)] };
    expect(build(state).stats.pods).toBe(byDefault ? 1 : 0);
    expect(build(state, config({ 'require-ready': false })).stats.pods).toBe(original ? 1 : 0);
  });

  it('ignores pods without the routable label', () => {
    expect(
      build({ namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good], { labels: {} })] })
        .stats.pods,
    ).toBe(0);
  });
});

describe('SSL hosts', () => {
  const sslConfig = config({ 'ssl-cert': '/tls/default.crt', 'ssl-key': '/tls/default.key' });

  it('drops an SSL host when SSL is disabled, keeping plain hosts', () => {
    const m = build({
      namespaces: [ns('web', { 's.test': { ssl: sslRefs(false) }, 'p.test': {} })],
      secrets: [secret('web', tlsData)],
    });
    expect(m.nginx.servers.map((s) => s.serverNames[0]).filter(Boolean)).toEqual(['p.test']);
    expect(m.skipped.map((s) => s.reason)).toEqual(['SSLDisabled']);
  });

  it.each([
    ['the Secret is missing', [], 'MissingSSLSecret'],
    ['a referenced field is missing', [secret('web', { 'ssl.crt': tlsData['ssl.crt'] })], 'MissingSSLSecret'],
    [
      'the certificate is not PEM',
      [secret('web', { ...tlsData, 'ssl.crt': 'garbage' })],
      'InvalidSSLOptions',
    ],
  ])('drops the host when %s', (_name, secrets, reason) => {
    const m = build({ namespaces: [ns('web', { 's.test': { ssl: sslRefs(false) } })], secrets }, sslConfig);
    expect(m.stats.hosts).toBe(0);
    expect(m.skipped.map((s) => s.reason)).toEqual([reason]);
    expect(m.sslFiles).toEqual([]);
  });

  it('writes the certificate files with 0644/0600 modes under SSL_CERT_DIR/<host>/', () => {
    const m = build(
      { namespaces: [ns('web', { 's.test': { ssl: sslRefs(true) } })], secrets: [secret('web', tlsData)] },
      sslConfig,
    );
    expect(m.sslFiles.map((f) => [f.path, f.mode.toString(8), f.content.toString()])).toEqual([
      ['/etc/nginx/ssl/s.test/certificate.crt', '644', tlsData['ssl.crt']],
      ['/etc/nginx/ssl/s.test/certificate.key', '600', tlsData['ssl.key']],
      ['/etc/nginx/ssl/s.test/clientCertificate.crt', '644', tlsData['client.crt']],
    ]);
  });
});
