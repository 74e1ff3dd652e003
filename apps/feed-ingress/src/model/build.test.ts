import { describe, expect, it } from '@jest/globals';
import { renderNginxConfig, validateConfig, type Location, type Server } from '@kube-edge/nginx-render';
import { buildFeedModel, normalisePrefixPath } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import { ingress, ingressClass, ingressPath, ingressRule, namespace, service } from '../../test/fixtures.js';
import type { FeedModel, FeedModelConfig, FeedModelInput } from './types.js';

type ConfigOverrides = Parameters<typeof defaultFeedModelConfig>[0];

const config = (o: ConfigOverrides = {}): FeedModelConfig =>
  defaultFeedModelConfig({ ingressClass: 'test', ingressPort: 8080, ...o });

/** Builds, and checks that nginx-render accepts the whole model (no invalid value got through). */
function build(input: Partial<FeedModelInput>, cfg: FeedModelConfig = config()): FeedModel {
  const model = buildFeedModel(
    { ingresses: [], services: [], namespaces: [], ingressClasses: [], secrets: [], ...input },
    cfg,
  );
  expect(validateConfig(model.nginx)).toEqual([]);
  return model;
}

const web = service('default', 'web', '10.0.0.1', [80]);

/** One ingress `default/<name>` for host `a.example.com` → web:80 with the given path and options. */
function simple(
  o: {
    name?: string;
    path?: string;
    pathType?: string;
    annotations?: Record<string, string>;
    host?: string;
  } = {},
): FeedModelInput['ingresses'][number] {
  return ingress({
    name: o.name ?? 'app',
    annotations: { 'kubernetes.io/ingress.class': 'test', ...o.annotations },
    rules: [ingressRule(o.host ?? 'a.example.com', [ingressPath(o.path ?? '/', 'web', 80, o.pathType)])],
  });
}

function servers(model: FeedModel, host: string): Server[] {
  return model.nginx.servers.filter((s) => s.serverNames.includes(host));
}

function locations(model: FeedModel, host: string): readonly Location[] {
  return servers(model, host)[0]?.locations ?? [];
}

function proxied(model: FeedModel, host: string): Location[] {
  return locations(model, host).filter((l) => l.action.kind === 'proxy');
}

const reasons = (model: FeedModel): string[] => model.skipped.map((s) => s.reason);

describe('ingress class selection', () => {
  const byAnnotation = (value: string | undefined): FeedModelInput['ingresses'][number] =>
    ingress({
      name: 'x',
      annotations: value === undefined ? {} : { 'kubernetes.io/ingress.class': value },
      rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])],
    });
  const byClassName = (
    className: string,
    annotations: Record<string, string> = {},
  ): FeedModelInput['ingresses'][number] =>
    ingress({
      name: 'x',
      annotations,
      className,
      rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])],
    });
  const ours = 'kube-edge.io/feed-ingress';

  const cases: [string, Partial<FeedModelInput>, ConfigOverrides, boolean][] = [
    ['annotation equal to --ingress-class is served', { ingresses: [byAnnotation('test')] }, {}, true],
    ['annotation of another class is ignored', { ingresses: [byAnnotation('other')] }, {}, false],
    [
      'empty annotation is a class of its own, not classless',
      { ingresses: [byAnnotation('')] },
      { includeClasslessIngresses: true },
      false,
    ],
    [
      'the annotation wins over spec.ingressClassName',
      { ingresses: [byClassName('test', { 'kubernetes.io/ingress.class': 'other' })] },
      {},
      false,
    ],
    [
      'the annotation wins over a non-matching spec.ingressClassName',
      { ingresses: [byClassName('other', { 'kubernetes.io/ingress.class': 'test' })] },
      {},
      true,
    ],
    [
      'spec.ingressClassName equal to --ingress-class without an IngressClass object is served',
      { ingresses: [byClassName('test')] },
      {},
      true,
    ],
    [
      'spec.ingressClassName whose IngressClass names our controller is served',
      { ingresses: [byClassName('test')], ingressClasses: [ingressClass('test', ours)] },
      {},
      true,
    ],
    [
      'spec.ingressClassName whose IngressClass names another controller is ignored',
      { ingresses: [byClassName('test')], ingressClasses: [ingressClass('test', 'k8s.io/ingress-nginx')] },
      {},
      false,
    ],
    [
      'spec.ingressClassName of another class is ignored',
      { ingresses: [byClassName('other')], ingressClasses: [ingressClass('other', ours)] },
      {},
      false,
    ],
    [
      '--ingress-class-controller is what an IngressClass must name',
      { ingresses: [byClassName('test')], ingressClasses: [ingressClass('test', 'example.com/custom')] },
      { ingressClassController: 'example.com/custom' },
      true,
    ],
    ['classless is ignored by default', { ingresses: [byAnnotation(undefined)] }, {}, false],
    [
      'classless is served with --include-classless-ingresses',
      { ingresses: [byAnnotation(undefined)] },
      { includeClasslessIngresses: true },
      true,
    ],
    [
      'classless is served when our IngressClass is the cluster default',
      { ingresses: [byAnnotation(undefined)], ingressClasses: [ingressClass('test', ours, true)] },
      {},
      true,
    ],
    [
      "classless is ignored when the default IngressClass is another controller's",
      {
        ingresses: [byAnnotation(undefined)],
        ingressClasses: [ingressClass('test', 'k8s.io/ingress-nginx', true)],
      },
      {},
      false,
    ],
    [
      'classless is ignored when our IngressClass is not the default',
      { ingresses: [byAnnotation(undefined)], ingressClasses: [ingressClass('test', ours)] },
      {},
      false,
    ],
  ];

  it.each(cases)('%s', (_name, input, overrides, servedExpected) => {
    const model = build({ services: [web], ...input }, config(overrides));
    expect(servers(model, 'a.example.com').length > 0).toBe(servedExpected);
    expect(model.stats.ingresses).toBe(servedExpected ? 1 : 0);
    expect(model.stats.ignoredIngresses).toBe(servedExpected ? 0 : 1);
    // Another controller's ingress is not an error: no skipped entry, so no Event on it.
    expect(model.skipped).toEqual([]);
  });
});

describe('namespace selectors', () => {
  const ing = (ns: string): FeedModelInput['ingresses'][number] =>
    ingress({
      namespace: ns,
      name: 'x',
      rules: [ingressRule(`${ns}.example.com`, [ingressPath('/', 'web')])],
    });
  const input: Partial<FeedModelInput> = {
    ingresses: [ing('both'), ing('teamonly'), ing('wrongvalue'), ing('unlabelled'), ing('missing')],
    services: ['both', 'teamonly', 'wrongvalue', 'unlabelled', 'missing'].map((ns) =>
      service(ns, 'web', '10.0.0.1'),
    ),
    namespaces: [
      namespace('both', { team: 'a', edge: 'feed' }),
      namespace('teamonly', { team: 'a' }),
      namespace('wrongvalue', { team: 'b', edge: 'other' }),
      namespace('unlabelled'),
    ],
  };
  const served = (model: FeedModel): string[] => model.servedIngresses.map((s) => s.namespace);

  it.each([
    ['no selectors: every namespace', [], false, ['both', 'missing', 'teamonly', 'unlabelled', 'wrongvalue']],
    ['one selector compares name and value', [{ name: 'team', value: 'a' }], false, ['both', 'teamonly']],
    [
      'any-match: one of the selectors is enough',
      [
        { name: 'team', value: 'a' },
        { name: 'edge', value: 'other' },
      ],
      false,
      ['both', 'teamonly', 'wrongvalue'],
    ],
    // QUIRK fixed: feed's all-match only checked that the labels exist.
    [
      'all-match compares values too',
      [
        { name: 'team', value: 'a' },
        { name: 'edge', value: 'feed' },
      ],
      true,
      ['both'],
    ],
    [
      'all-match rejects a namespace with the labels but other values',
      [
        { name: 'team', value: 'b' },
        { name: 'edge', value: 'feed' },
      ],
      true,
      [],
    ],
  ] as const)('%s', (_name, selectors, all, expected) => {
    const model = build(input, config({ namespaceSelectors: selectors, matchAllNamespaceSelectors: all }));
    expect(served(model)).toEqual(expected);
  });
});

describe('entry rules (skips with reasons)', () => {
  const cases: [string, FeedModelInput['ingresses'][number], FeedModelInput['services'], string][] = [
    [
      'a rule without http',
      ingress({ name: 'x', rules: [{ host: 'a.example.com' }] }),
      [web],
      'rules[0] (host "a.example.com"): has no http paths',
    ],
    [
      'a rule without a host',
      ingress({ name: 'x', rules: [ingressRule(undefined, [ingressPath('/', 'web')])] }),
      [web],
      'rules[0]: has no host; only rules with a host are served',
    ],
    [
      'an invalid host',
      ingress({ name: 'x', rules: [ingressRule('bad_host.example.com', [ingressPath('/', 'web')])] }),
      [web],
      'rules[0]: host "bad_host.example.com": hostname label "bad_host" is not a valid DNS label',
    ],
    [
      'a host with an injection attempt',
      ingress({ name: 'x', rules: [ingressRule('a.com; return 200', [ingressPath('/', 'web')])] }),
      [web],
      'rules[0]: host "a.com; return 200"',
    ],
    [
      'a missing service',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'nope')])] }),
      [web],
      'host "a.example.com" path "/": service "nope" does not exist in namespace "default"',
    ],
    [
      'a service in another namespace does not count',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])] }),
      [service('other', 'web', '10.0.0.1')],
      'service "web" does not exist in namespace "default"',
    ],
    [
      'a headless service',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])] }),
      [service('default', 'web', 'None')],
      'service "web" is headless (clusterIP None)',
    ],
    [
      'a service without a ClusterIP (ExternalName)',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])] }),
      [service('default', 'web', '')],
      'service "web" has no ClusterIP',
    ],
    [
      'a named service port (feed v6 reads port.number only)',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'web', 'http')])] }),
      [web],
      'named service port "http" is not supported; use port.number',
    ],
    [
      'port 0',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/', 'web', 0)])] }),
      [web],
      'backend has no service port number',
    ],
    [
      'a path outside RFC 3986 (feed v5 security fix)',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/a b', 'web')])] }),
      [web],
      'host "a.example.com" path "/a b": path contains a character outside the RFC 3986 set',
    ],
    [
      'a path trying to open a block',
      ingress({
        name: 'x',
        rules: [ingressRule('a.example.com', [ingressPath('/x{ return 200; }', 'web')])],
      }),
      [web],
      'path contains a character outside the RFC 3986 set',
    ],
    [
      'a broken percent-encoding',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('/a%zz', 'web')])] }),
      [web],
      'is not a percent-encoding',
    ],
    [
      'an exact path not starting with /',
      ingress({ name: 'x', rules: [ingressRule('a.example.com', [ingressPath('foo', 'web', 80, 'Exact')])] }),
      [web],
      'path must start with "/"',
    ],
    ['an ingress without rules', ingress({ name: 'x', rules: [] }), [web], 'has no rules: nothing to serve'],
    [
      'an invalid sky.uk/allow entry drops every path of the ingress',
      simple({ annotations: { 'sky.uk/allow': '10.0.0.0/8, 300.1.1.1' } }),
      [web],
      'sky.uk/allow: entry "300.1.1.1": not an IP or CIDR',
    ],
  ];

  it.each(cases)(
    'skips %s, with a reason, and still serves the other ingresses',
    (_name, bad, services, reason) => {
      const good = ingress({
        name: 'good',
        rules: [ingressRule('good.example.com', [ingressPath('/', 'good')])],
      });
      const model = build({
        ingresses: [bad, good],
        services: [...services, service('default', 'good', '10.0.0.9')],
      });
      expect(model.skipped).toHaveLength(1);
      expect(model.skipped[0]).toMatchObject({
        kind: 'Ingress',
        namespace: 'default',
        name: bad.metadata?.name,
        uid: bad.metadata?.uid,
      });
      expect(model.skipped[0]?.reason).toContain(reason);
      expect(proxied(model, 'good.example.com')).toHaveLength(1);
      expect(model.servedIngresses.map((s) => s.name)).toEqual(['good']);
    },
  );

  // QUIRK fixed: feed panicked on a resource backend and failed the whole update.
  it('skips a resource backend path and serves the other paths of the same ingress', () => {
    const ing = ingress({
      name: 'mixed',
      rules: [
        ingressRule('a.example.com', [
          {
            path: '/bucket',
            pathType: 'Prefix',
            backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'b' } },
          },
          ingressPath('/app', 'web'),
        ]),
      ],
    });
    const model = build({ ingresses: [ing], services: [web] });
    expect(reasons(model)).toEqual([
      'host "a.example.com" path "/bucket": resource backends are not supported',
    ]);
    expect(proxied(model, 'a.example.com').map((l) => l.path)).toEqual(['/app/']);
  });

  it('serves wildcard hosts and lower-cases host names', () => {
    const ings = [
      simple({ name: 'w', host: '*.Example.com' }),
      simple({ name: 'u', host: 'UPPER.example.com' }),
    ];
    const model = build({ ingresses: ings, services: [web] });
    expect(proxied(model, '*.example.com')).toHaveLength(1);
    expect(proxied(model, 'upper.example.com')).toHaveLength(1);
  });

  it('warns (but serves) when the service does not declare the port', () => {
    const model = build({ ingresses: [simple()], services: [service('default', 'web', '10.0.0.1', [8080])] });
    expect(proxied(model, 'a.example.com')).toHaveLength(1);
    expect(model.warnings.map((w) => w.reason)).toEqual([
      'service "web" does not declare port 80; kube-proxy will not forward it',
    ]);
  });

  it('warns that spec.defaultBackend is ignored', () => {
    const ing = simple();
    ing.spec = { ...ing.spec, defaultBackend: { service: { name: 'web', port: { number: 80 } } } };
    const model = build({ ingresses: [ing], services: [web] });
    expect(model.warnings.map((w) => w.reason)).toEqual([
      'spec.defaultBackend is not supported (feed serves only rules with a host); it is ignored',
    ]);
  });

  it('reports the same problem of one ingress once per pass', () => {
    const ing = ingress({
      name: 'x',
      rules: [
        ingressRule('a.example.com', [ingressPath('/', 'nope')]),
        ingressRule('a.example.com', [ingressPath('/', 'nope')]),
      ],
    });
    expect(build({ ingresses: [ing], services: [web] }).skipped).toHaveLength(1);
  });
});

describe('paths', () => {
  it.each([
    ['/foo', '/foo/'],
    ['foo/', '/foo/'],
    ['/foo/', '/foo/'],
    ['', '/'],
    ['/', '/'],
    ['//a//b//', '/a//b/'],
    ['/foo/bar', '/foo/bar/'],
  ])('normalises prefix path %j to %j', (path, expected) => {
    expect(normalisePrefixPath(path)).toBe(expected);
    const model = build({ ingresses: [simple({ path })], services: [web] });
    expect(proxied(model, 'a.example.com').map((l) => [l.match, l.path])).toEqual([['prefix', expected]]);
  });

  it('an ingress without a path gets the root location', () => {
    const ing = ingress({
      name: 'x',
      rules: [ingressRule('a.example.com', [ingressPath(undefined, 'web')])],
    });
    expect(proxied(build({ ingresses: [ing], services: [web] }), 'a.example.com').map((l) => l.path)).toEqual(
      ['/'],
    );
  });

  // Rows: pathType, sky.uk/exact-path, --ingress-exact-path, expected match.
  it.each([
    ['ImplementationSpecific', undefined, false, 'prefix'],
    ['ImplementationSpecific', undefined, true, 'exact'],
    ['Exact', undefined, false, 'exact'],
    ['Prefix', undefined, true, 'prefix'],
    ['Prefix', 'true', false, 'exact'],
    ['Exact', 'false', false, 'prefix'],
    ['ImplementationSpecific', 'true', false, 'exact'],
  ] as const)(
    'pathType %s with sky.uk/exact-path %s and --ingress-exact-path %s matches %s',
    (pathType, annotation, flag, match) => {
      const ing = simple({
        path: '/foo',
        pathType,
        annotations: annotation === undefined ? {} : { 'sky.uk/exact-path': annotation },
      });
      const model = build({ ingresses: [ing], services: [web] }, config({ defaultExactPath: flag }));
      expect(proxied(model, 'a.example.com').map((l) => [l.match, l.path])).toEqual([
        [match, match === 'exact' ? '/foo' : '/foo/'],
      ]);
    },
  );

  it('keeps exact paths verbatim, including characters that need quoting', () => {
    const model = build({
      ingresses: [simple({ path: "/v1/it's;odd(1)$x", pathType: 'Exact' })],
      services: [web],
    });
    expect(proxied(model, 'a.example.com')[0]?.path).toBe("/v1/it's;odd(1)$x");
    expect(renderNginxConfig(model.nginx)).toContain('location = "/v1/it\'s;odd(1)$x" {');
  });

  it.each([
    [undefined, true, '/'],
    ['true', true, '/'],
    ['false', true, undefined],
    [undefined, false, undefined],
    ['false', false, undefined],
    ['true', false, '/'],
  ] as const)(
    'sky.uk/strip-path %s with --ingress-strip-path %s proxies with uri %s',
    (annotation, flag, uri) => {
      const ing = simple({
        path: '/foo',
        annotations: annotation === undefined ? {} : { 'sky.uk/strip-path': annotation },
      });
      const action = proxied(
        build({ ingresses: [ing], services: [web] }, config({ defaultStripPath: flag })),
        'a.example.com',
      )[0]?.action;
      expect(action).toEqual({
        kind: 'proxy',
        upstream: 'default.app.10.0.0.1.80',
        ...(uri === undefined ? {} : { uri }),
      });
    },
  );

  it('adds `location / { return 404; }` only when the server has no root prefix location', () => {
    const withRoot = build({ ingresses: [simple({ path: '/' })], services: [web] });
    expect(locations(withRoot, 'a.example.com').filter((l) => l.path === '/')).toHaveLength(1);
    const withoutRoot = build({ ingresses: [simple({ path: '/api' })], services: [web] });
    expect(locations(withoutRoot, 'a.example.com').find((l) => l.path === '/')).toEqual({
      match: 'prefix',
      path: '/',
      action: { kind: 'return', status: 404 },
    });
    // An exact "/" does not cover /other: the 404 root is still needed.
    const exactRoot = build({ ingresses: [simple({ path: '/', pathType: 'Exact' })], services: [web] });
    expect(locations(exactRoot, 'a.example.com').map((l) => [l.match, l.path])).toEqual([
      ['exact', '/'],
      ['prefix', '/'],
    ]);
  });
});

describe('allow lists', () => {
  const rules = (model: FeedModel): string[] =>
    (proxied(model, 'a.example.com')[0]?.access ?? []).map((r) => `${r.action} ${r.source}`);

  it('uses --ingress-allow by default and denies the rest; 127.0.0.1 is not allowed unless listed', () => {
    expect(
      rules(
        build(
          { ingresses: [simple()], services: [web] },
          config({ defaultAllow: ['10.0.0.0/8', '172.16.0.0/12'] }),
        ),
      ),
    ).toEqual(['allow 10.0.0.0/8', 'allow 172.16.0.0/12', 'deny all']);
  });

  it('--nginx-allow-localhost restores feed: 127.0.0.1 first in every list', () => {
    expect(
      rules(
        build(
          { ingresses: [simple()], services: [web] },
          config({ defaultAllow: ['10.0.0.0/8', '172.16.0.0/12'], nginx: { allowLocalhost: true } }),
        ),
      ),
    ).toEqual(['allow 127.0.0.1', 'allow 10.0.0.0/8', 'allow 172.16.0.0/12', 'deny all']);
    expect(
      rules(
        build(
          { ingresses: [simple({ annotations: { 'sky.uk/allow': '' } })], services: [web] },
          config({ nginx: { allowLocalhost: true } }),
        ),
      ),
    ).toEqual(['allow 127.0.0.1', 'deny all']);
  });

  it('sky.uk/allow replaces the default list (trimmed)', () => {
    expect(
      rules(
        build({
          ingresses: [simple({ annotations: { 'sky.uk/allow': ' 192.168.0.0/16 ,1.2.3.4' } })],
          services: [web],
        }),
      ),
    ).toEqual(['allow 192.168.0.0/16', 'allow 1.2.3.4', 'deny all']);
  });

  it('sky.uk/allow "" allows nobody', () => {
    const model = build({ ingresses: [simple({ annotations: { 'sky.uk/allow': '' } })], services: [web] });
    expect(rules(model)).toEqual(['deny all']);
    expect(renderNginxConfig(model.nginx)).not.toContain('allow 127.0.0.1;');
  });

  // QUIRK fixed: feed split "" into [""] and rendered `allow ;` or rejected every entry.
  it('an empty --ingress-allow allows nobody and never renders `allow ;`', () => {
    const model = build({ ingresses: [simple()], services: [web] }, config({ defaultAllow: [] }));
    expect(rules(model)).toEqual(['deny all']);
    expect(model.skipped).toEqual([]);
    expect(renderNginxConfig(model.nginx)).not.toMatch(/allow\s*;/);
  });
});

describe('annotations reach the nginx model', () => {
  it('sets timeouts, buffers, max_conns and upstream keepalive from the annotations', () => {
    const ing = simple({
      annotations: {
        'sky.uk/backend-timeout-seconds': '30',
        'sky.uk/backend-max-connections': '100',
        'sky.uk/backend-connection-keepalive': '1m',
        'sky.uk/backend-max-requests-per-connection': '500',
        'sky.uk/proxy-buffer-size-in-kb': '8',
        'sky.uk/proxy-buffer-blocks': '6',
      },
    });
    const model = build({ ingresses: [ing], services: [web] });
    expect(proxied(model, 'a.example.com')[0]?.proxy).toEqual({
      readTimeout: '30s',
      sendTimeout: '30s',
      bufferSize: '8k',
      buffers: { count: 6, size: '8k' },
    });
    expect(model.nginx.upstreams).toEqual([
      {
        id: 'default.app.10.0.0.1.80',
        servers: [{ address: '10.0.0.1', port: 80, maxConns: 100 }],
        keepalive: 512,
        keepaliveRequests: 500,
        keepaliveTimeout: '60s',
      },
    ]);
  });

  it('uses the flag defaults without annotations (max_conns 0 is omitted, keepalive_requests 1024)', () => {
    const model = build(
      { ingresses: [simple()], services: [web] },
      config({
        nginx: {
          defaultBackendTimeoutSeconds: 45,
          backendKeepaliveCount: 64,
          defaultProxyBufferSizeKb: 4,
          defaultProxyBufferBlocks: 8,
        },
      }),
    );
    expect(proxied(model, 'a.example.com')[0]?.proxy).toEqual({
      readTimeout: '45s',
      sendTimeout: '45s',
      bufferSize: '4k',
      buffers: { count: 8, size: '4k' },
    });
    expect(model.nginx.upstreams).toEqual([
      {
        id: 'default.app.10.0.0.1.80',
        servers: [{ address: '10.0.0.1', port: 80 }],
        keepalive: 64,
        keepaliveRequests: 1024,
      },
    ]);
  });

  it('an unusable annotation value is a warning naming it, and the ingress is still served', () => {
    const model = build({
      ingresses: [simple({ annotations: { 'sky.uk/backend-timeout-seconds': 'soon' } })],
      services: [web],
    });
    expect(proxied(model, 'a.example.com')[0]?.proxy?.readTimeout).toBe('60s');
    expect(model.skipped).toEqual([]);
    expect(model.warnings).toEqual([
      {
        kind: 'Ingress',
        namespace: 'default',
        name: 'app',
        uid: 'uid-default-app',
        reason: 'sky.uk/backend-timeout-seconds: "soon" is not a whole number; using the default',
      },
    ]);
  });

  it('carries sky.uk/frontend-scheme (and the legacy name) to servedIngresses for the status writer', () => {
    const a = simple({ name: 'a', annotations: { 'sky.uk/frontend-scheme': 'internal' } });
    const b = simple({
      name: 'b',
      host: 'b.example.com',
      annotations: { 'sky.uk/frontend-elb-scheme': 'internet-facing' },
    });
    const c = simple({ name: 'c', host: 'c.example.com' });
    expect(build({ ingresses: [c, b, a], services: [web] }).servedIngresses).toEqual([
      { namespace: 'default', name: 'a', uid: 'uid-default-a', lbScheme: 'internal' },
      { namespace: 'default', name: 'b', uid: 'uid-default-b', lbScheme: 'internet-facing' },
      { namespace: 'default', name: 'c', uid: 'uid-default-c' },
    ]);
  });
});

describe('de-duplication and ordering', () => {
  const two = (
    nameA: string,
    nameB: string,
    pathA = '/foo',
    pathB = '/foo',
  ): FeedModelInput['ingresses'][number][] => [
    ingress({ name: nameA, rules: [ingressRule('a.example.com', [ingressPath(pathA, 'web')])] }),
    ingress({ name: nameB, rules: [ingressRule('a.example.com', [ingressPath(pathB, 'web2')])] }),
  ];
  const services = [web, service('default', 'web2', '10.0.0.2')];

  it('keeps the first entry per host and path in namespace/name order and skips the other with a reason', () => {
    const model = build({ ingresses: two('zeta', 'alpha'), services });
    expect(proxied(model, 'a.example.com').map((l) => l.action)).toEqual([
      { kind: 'proxy', upstream: 'default.alpha.10.0.0.2.80', uri: '/' },
    ]);
    expect(model.skipped).toEqual([
      {
        kind: 'Ingress',
        namespace: 'default',
        name: 'zeta',
        uid: 'uid-default-zeta',
        reason: 'host "a.example.com" path "/foo": location "/foo/" is already served by default/alpha',
      },
    ]);
  });

  it('treats paths that normalise to the same location as duplicates', () => {
    const model = build({ ingresses: two('a', 'b', '/foo', 'foo/'), services });
    expect(proxied(model, 'a.example.com')).toHaveLength(1);
    expect(reasons(model)).toEqual([
      'host "a.example.com" path "foo/": location "/foo/" is already served by default/a',
    ]);
  });

  it('an exact and a prefix location on the same path are both served', () => {
    const ings = two('a', 'b');
    ings[1] = ingress({
      name: 'b',
      annotations: { 'kubernetes.io/ingress.class': 'test', 'sky.uk/exact-path': 'true' },
      rules: [ingressRule('a.example.com', [ingressPath('/foo/', 'web2')])],
    });
    const model = build({ ingresses: ings, services });
    expect(proxied(model, 'a.example.com').map((l) => [l.match, l.path])).toEqual([
      ['prefix', '/foo/'],
      ['exact', '/foo/'],
    ]);
  });

  // feed appended the port as a Go rune; kube-edge sorts on the decimal string.
  it('orders entries of one ingress by the decimal port string ("10" before "9")', () => {
    const ing = ingress({
      name: 'x',
      rules: [ingressRule('a.example.com', [ingressPath('/p', 'web', 9), ingressPath('/p', 'web', 10)])],
    });
    const model = build({ ingresses: [ing], services: [service('default', 'web', '10.0.0.1', [9, 10])] });
    expect(
      proxied(model, 'a.example.com').map((l) => l.action.kind === 'proxy' && l.action.upstream),
    ).toEqual(['default.x.10.0.0.1.10']);
    expect(reasons(model)).toEqual([
      'host "a.example.com" path "/p": location "/p/" is already served by default/x',
    ]);
  });

  it('renders no upstream for an entry lost to de-duplication', () => {
    const model = build({ ingresses: two('a', 'b'), services });
    expect(model.nginx.upstreams.map((u) => u.id)).toEqual(['default.a.10.0.0.1.80']);
  });

  it('lists each served ingress once, however many paths it has', () => {
    const ing = ingress({
      name: 'multi',
      rules: [
        ingressRule('a.example.com', [ingressPath('/a', 'web'), ingressPath('/b', 'web')]),
        ingressRule('b.example.com', [ingressPath('/', 'web')]),
      ],
    });
    expect(build({ ingresses: [ing], services: [web] }).servedIngresses).toEqual([
      { namespace: 'default', name: 'multi', uid: 'uid-default-multi' },
    ]);
  });

  it('is independent of input order (same model for shuffled inputs)', () => {
    const ings = [
      ...two('b', 'a'),
      simple({ name: 'c', host: 'c.example.com' }),
      simple({ name: 'd', host: 'a.example.com', path: '/d' }),
    ];
    const one = build({ ingresses: ings, services });
    const other = build({ ingresses: [...ings].reverse(), services: [...services].reverse() });
    expect(other).toEqual(one);
    expect(renderNginxConfig(other.nginx)).toBe(renderNginxConfig(one.nginx));
  });

  it('one server per host listening on both ports, commented with the contributing ingresses in order', () => {
    const ings = [simple({ name: 'b', path: '/b' }), simple({ name: 'a', path: '/a' })];
    const model = build({ ingresses: ings, services: [web] }, config({ ingressHttpsPort: 8443 }));
    const s = servers(model, 'a.example.com');
    expect(s.map((x) => x.listen)).toEqual([[{ port: 8080 }, { port: 8443, ssl: true }]]);
    // feed's TLS settings are set once, at http level; the default certificate is the https
    // default server's, which nginx serves for every host without its own.
    expect(s[0]?.tls).toBeUndefined();
    expect(model.nginx.http?.tls?.protocols).toEqual(['TLSv1.2']);
    const fallback = model.nginx.servers.find((x) => x.listen.some((l) => l.ssl && l.defaultServer));
    expect(fallback?.tls?.certificate).toBe('/etc/ssl/default-ssl/default-ssl.crt');
    expect(s[0]?.comments).toEqual(['ingress: default/a default/b']);
    expect(s[0]?.clientMaxBodySize).toBe('0');
  });

  it('caps the server comment so it stays within nginx-render limits (feed #255)', () => {
    const ings = Array.from({ length: 120 }, (_, i) =>
      simple({ name: `ingress-with-a-longish-name-${String(i).padStart(3, '0')}`, path: `/p${i}` }),
    );
    const model = build({ ingresses: ings, services: [web] });
    const comment = servers(model, 'a.example.com')[0]?.comments?.[0] ?? '';
    expect(comment.length).toBeLessThanOrEqual(1100);
    expect(comment).toMatch(/ \.\.\. \(\+\d+ more\)$/);
  });
});

describe('upstreams', () => {
  it('ids are <namespace>.<ingress>.<clusterIP>.<port>, one per ingress and service port, sorted', () => {
    const ings = [
      ingress({
        namespace: 'ns',
        name: 'b',
        rules: [
          ingressRule('a.example.com', [ingressPath('/b', 'web', 80)]),
          ingressRule('b.example.com', [ingressPath('/', 'web', 80)]),
        ],
      }),
      ingress({
        namespace: 'ns',
        name: 'a',
        rules: [ingressRule('c.example.com', [ingressPath('/', 'web', 80), ingressPath('/x', 'web', 8080)])],
      }),
    ];
    const model = build({ ingresses: ings, services: [service('ns', 'web', '10.1.2.3', [80, 8080])] });
    expect(model.nginx.upstreams.map((u) => u.id)).toEqual([
      'ns.a.10.1.2.3.80',
      'ns.a.10.1.2.3.8080',
      'ns.b.10.1.2.3.80',
    ]);
    expect(model.stats).toEqual({ ingresses: 2, ignoredIngresses: 0, entries: 4, upstreams: 3 });
  });

  it('supports IPv6 ClusterIPs (no ":" in the upstream id)', () => {
    const model = build({ ingresses: [simple()], services: [service('default', 'web', 'fd00::10', [80])] });
    expect(model.nginx.upstreams[0]).toMatchObject({
      id: 'default.app.fd00__10.80',
      servers: [{ address: 'fd00::10', port: 80 }],
    });
    expect(renderNginxConfig(model.nginx)).toContain('server [fd00::10]:80;');
  });

  it('keeps ids valid and distinct for very long ingress names', () => {
    const long = (c: string): string => `${c.repeat(200)}.example`;
    const ings = [simple({ name: long('a') }), simple({ name: long('b'), host: 'b.example.com' })];
    const ids = build({ ingresses: ings, services: [web] }).nginx.upstreams.map((u) => u.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(200);
  });
});

describe('listeners, default and status servers', () => {
  it('renders only the status server and default servers when nothing is served (an empty cluster is valid)', () => {
    const model = build({}, config({ ingressHttpsPort: 8443 }));
    expect(model.nginx.upstreams).toEqual([]);
    expect(model.nginx.servers.map((s) => s.listen)).toEqual([
      [{ port: 8080, defaultServer: true }],
      [{ port: 8443, ssl: true, defaultServer: true }],
      [{ port: 8081, defaultServer: true, reuseport: true }],
    ]);
    expect(model.stats.entries).toBe(0);
  });

  it('the status server answers /health 200 and /basic_status with stub_status on --ingress-health-port', () => {
    const status = build({}, config({ ingressHealthPort: 9999 })).nginx.servers.find(
      (s) => s.listen[0]?.port === 9999,
    );
    expect(status?.locations.map((l) => [l.path, l.action.kind])).toEqual([
      ['/health', 'return'],
      ['/basic_status', 'stub_status'],
      ['/', 'return'],
    ]);
  });

  // QUIRK fixed: feed's default server lacked proxy_protocol on a proxy-protocol port.
  it('default servers carry the same listen options (ssl, proxy_protocol) as the ingress servers', () => {
    const model = build(
      { ingresses: [simple()], services: [web] },
      config({ ingressHttpsPort: 8443, proxyProtocol: true }),
    );
    const listens = model.nginx.servers.flatMap((s) => s.listen).filter((l) => l.port !== 8081);
    expect(listens).toEqual([
      { port: 8080, proxyProtocol: true },
      { port: 8443, ssl: true, proxyProtocol: true },
      { port: 8080, proxyProtocol: true, defaultServer: true },
      { port: 8443, ssl: true, proxyProtocol: true, defaultServer: true },
    ]);
  });

  it('without --ingress-port there is no http listener (feed v3)', () => {
    const model = build(
      { ingresses: [simple()], services: [web] },
      config({ ingressPort: undefined, ingressHttpsPort: 8443 }),
    );
    expect(model.nginx.servers.flatMap((s) => s.listen).map((l) => l.port)).toEqual([8443, 8443, 8081]);
  });

  it('https servers use the --ssl-path default certificate', () => {
    const model = build(
      { ingresses: [simple()], services: [web] },
      config({ ingressHttpsPort: 8443, defaultSslPath: '/etc/ssl/x/default' }),
    );
    expect(servers(model, 'a.example.com')[0]?.tls).toBeUndefined();
    expect(model.nginx.http?.tls).toMatchObject({ protocols: ['TLSv1.2'] });
    expect(model.nginx.servers.find((x) => x.listen.some((l) => l.ssl && l.defaultServer))?.tls).toEqual({
      certificate: '/etc/ssl/x/default.crt',
      certificateKey: '/etc/ssl/x/default.key',
    });
  });

  it('without a default certificate there is no https default server and hosts without a certificate are http only', () => {
    const model = build(
      { ingresses: [simple()], services: [web] },
      config({ ingressHttpsPort: 8443, defaultSslPath: undefined }),
    );
    expect(servers(model, 'a.example.com').map((s) => s.listen[0]?.port)).toEqual([8080]);
    expect(model.nginx.servers.some((s) => s.listen.some((l) => l.port === 8443))).toBe(false);
  });
});

describe('http settings', () => {
  const text = (cfg: FeedModelConfig): string =>
    renderNginxConfig(build({ ingresses: [simple()], services: [web] }, cfg).nginx);

  // Fix (feed PR #251, unmerged): the trailing-slash redirect must not leak the internal port.
  it('renders port_in_redirect off', () => {
    expect(text(config())).toContain('port_in_redirect off;');
  });

  it('without --nginx-allow-websocket-upgrade sends Connection "" for backend keepalive and no Upgrade', () => {
    const t = text(config());
    expect(t).toContain('proxy_set_header Connection "";');
    expect(t).not.toContain('Upgrade');
  });

  it('with --nginx-allow-websocket-upgrade passes Upgrade and maps Connection (empty unless upgrading)', () => {
    const t = text(config({ nginx: { allowWebsocketUpgrade: true } }));
    expect(t).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(t).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(t).toMatch(/map \$http_upgrade \$connection_upgrade \{\s+default upgrade;\s+"" "";\s+\}/);
  });

  it('maps the flags to main, events and http directives', () => {
    const t = text(
      config({
        nginx: {
          workers: 4,
          workerConnections: 2048,
          workerShutdownTimeoutSeconds: 30,
          keepaliveSeconds: 75,
          backendConnectTimeoutSeconds: 2,
          logLevel: 'error',
          serverNamesHashBucketSize: 128,
          serverNamesHashMaxSize: 1024,
          clientHeaderBufferSizeKb: 8,
          clientBodyBufferSizeKb: 32,
          largeClientHeaderBufferBlocks: 2,
        },
      }),
    );
    for (const line of [
      'worker_processes 4;',
      'worker_shutdown_timeout 30s;',
      'error_log stderr error;',
      'worker_connections 2048;',
      'keepalive_timeout 75s;',
      'keepalive_requests 2147483647;',
      'proxy_connect_timeout 2s;',
      'server_names_hash_bucket_size 128;',
      'server_names_hash_max_size 1024;',
      'client_header_buffer_size 8k;',
      'client_body_buffer_size 32k;',
      'large_client_header_buffers 2 8k;',
      'server_tokens off;',
      'proxy_set_header X-Forwarded-Host $http_host;',
    ]) {
      expect(t).toContain(line);
    }
  });

  it('omits worker_shutdown_timeout at 0, hash sizes at -1 and header buffers at 0', () => {
    const t = text(config({ nginx: { clientHeaderBufferSizeKb: 0, clientBodyBufferSizeKb: 0 } }));
    expect(t).not.toMatch(
      /worker_shutdown_timeout|server_names_hash_max_size|client_header_buffer_size|large_client_header_buffers|client_body_buffer_size/,
    );
  });

  it('trusted frontends set real_ip_from with the real-IP header, or proxy_protocol when it is on', () => {
    expect(text(config({ trustedFrontends: ['10.0.0.0/8'], realIpHeader: 'X-Real-Client' }))).toMatch(
      /set_real_ip_from 10\.0\.0\.0\/8;\s+real_ip_header X-Real-Client;\s+real_ip_recursive on;/,
    );
    expect(text(config({ trustedFrontends: ['10.0.0.0/8'], proxyProtocol: true }))).toContain(
      'real_ip_header proxy_protocol;',
    );
    expect(text(config())).not.toContain('real_ip_header');
  });

  it('the access log uses upstream_info with --nginx-log-headers appended after the status', () => {
    const t = text(
      config({ accessLog: { enabled: true, dir: '/var/log/feed', headers: ['X-Request-ID', 'Foo'] } }),
    );
    expect(t).toContain('access_log /var/log/feed/access.log upstream_info buffer=32k flush=1m;');
    expect(t).toContain('$status X-Request-ID=$http_x_request_id Foo=$http_foo $body_bytes_sent');
    expect(text(config())).toContain('access_log off;');
  });
});
