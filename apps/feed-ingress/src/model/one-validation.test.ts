import { describe, expect, it } from '@jest/globals';
import type { V1Ingress } from '@kubernetes/client-node';
import { renderNginxConfig, validateConfig } from '@kube-edge/nginx-render';
import { ANNOTATIONS } from './annotations.js';
import { buildFeedModel } from './build.js';
import { defaultFeedModelConfig, validateFeedModelConfig } from './config.js';
import { ingress, ingressPath, ingressRule, service } from '../../test/fixtures.js';
import type { FeedModel, FeedModelConfig, FeedModelInput } from './types.js';

// Each value a builder accepts must render: the builder uses the renderer's own validators and
// ranges, so one tenant's object can never make the whole config fail.

const config = (o: Parameters<typeof defaultFeedModelConfig>[0] = {}): FeedModelConfig =>
  defaultFeedModelConfig({ ingressClass: 'test', ingressPort: 8080, ...o });

const services = [service('default', 'web', '10.0.0.1', [80])];

function app(name: string, host: string, annotations: Record<string, string> = {}): V1Ingress {
  return ingress({
    name,
    annotations: { [ANNOTATIONS.ingressClass]: 'test', ...annotations },
    rules: [ingressRule(host, [ingressPath('/', 'web', 80)])],
  });
}

/** Builds and requires that the whole model validates and renders. */
function build(input: Partial<FeedModelInput>, cfg = config()): FeedModel {
  const model = buildFeedModel(
    { ingresses: [], services, namespaces: [], ingressClasses: [], secrets: [], ...input },
    cfg,
  );
  expect(validateConfig(model.nginx)).toEqual([]);
  expect(() => renderNginxConfig(model.nginx)).not.toThrow();
  return model;
}

const hosts = (m: FeedModel): string[] => m.nginx.servers.flatMap((s) => s.serverNames);

describe('one validation: whatever the builder accepts renders', () => {
  it('skips an Ingress whose sky.uk/allow has an IPv6 zone id and serves the others', () => {
    const model = build({
      ingresses: [
        app('good', 'good.example.com'),
        app('zoned', 'bad.example.com', { [ANNOTATIONS.allow]: 'fe80::1%eth0' }),
      ],
    });
    expect(hosts(model)).toContain('good.example.com');
    expect(model.skipped).toEqual([
      expect.objectContaining({
        name: 'zoned',
        reason: expect.stringMatching(/^sky\.uk\/allow: entry "fe80::1%eth0": IPv6 zone ids/),
      }),
    ]);
  });

  it('refuses --ingress-allow with an IPv6 zone id at start, naming the flag', () => {
    expect(validateFeedModelConfig(config({ defaultAllow: ['10.0.0.0/8', 'fe80::1%eth0'] }))).toEqual([
      { flag: '--ingress-allow', reason: expect.stringContaining('zone id') },
    ]);
  });

  it.each([
    [ANNOTATIONS.backendTimeoutSeconds, '31536001'],
    [ANNOTATIONS.backendTimeoutSeconds, '2147483647'],
    [ANNOTATIONS.legacyBackendKeepaliveSeconds, '31536001'],
    [ANNOTATIONS.legacyBackendKeepaliveSeconds, '2147483647'],
  ])(
    '%s: %s is above the renderer maximum: ignored with a warning, the Ingress served with the default',
    (name, value) => {
      const model = build({ ingresses: [app('slow', 'a.example.com', { [name]: value })] });
      expect(model.servedIngresses.map((s) => s.name)).toEqual(['slow']);
      expect(model.warnings.map((w) => w.reason)).toEqual([
        `${name}: ${value} is above the maximum 31536000; using the default`,
      ]);
      const loc = model.nginx.servers[0]?.locations.find((l) => l.action.kind === 'proxy');
      expect(loc?.proxy?.readTimeout).toBe('60s');
    },
  );

  it('the largest accepted timeout (365 days) renders', () => {
    const model = build({
      ingresses: [app('slow', 'a.example.com', { [ANNOTATIONS.backendTimeoutSeconds]: '31536000' })],
    });
    expect(model.warnings).toEqual([]);
  });

  it.each(['1000000001', '2147483647'])(
    'sky.uk/backend-max-connections: %s is above the renderer maximum: ignored with a warning',
    (value) => {
      const model = build({
        ingresses: [app('busy', 'a.example.com', { [ANNOTATIONS.backendMaxConnections]: value })],
      });
      expect(model.servedIngresses.map((s) => s.name)).toEqual(['busy']);
      expect(model.warnings.map((w) => w.reason)).toEqual([
        `${ANNOTATIONS.backendMaxConnections}: ${value} is above the maximum 1000000000; using the default`,
      ]);
      expect(model.nginx.upstreams[0]?.servers[0]?.maxConns).toBeUndefined();
    },
  );

  it('refuses --nginx-default-backend-max-connections above the renderer maximum at start', () => {
    expect(
      validateFeedModelConfig(config({ nginx: { defaultBackendMaxConnections: 1_000_000_001 } })).map(
        (i) => i.flag,
      ),
    ).toEqual(['--nginx-default-backend-max-connections']);
  });

  it('skips an Ingress whose name has a control character (only possible offline) and serves the others', () => {
    const model = build({
      ingresses: [app('good', 'good.example.com'), app('bad\u0001name', 'bad.example.com')],
    });
    expect(hosts(model)).toContain('good.example.com');
    expect(hosts(model)).not.toContain('bad.example.com');
    expect(model.skipped).toEqual([
      expect.objectContaining({
        name: 'bad\u0001name',
        reason: 'metadata.name "bad\\u0001name" is not a valid Kubernetes object name',
      }),
    ]);
  });

  it('keeps upstream ids valid for the longest namespace and name with an IPv6 ClusterIP', () => {
    const ns = 'n'.repeat(63);
    const name = 'x'.repeat(253);
    const model = build({
      ingresses: [
        ingress({
          namespace: ns,
          name,
          rules: [ingressRule('a.example.com', [ingressPath('/', 'web', 65535)])],
        }),
      ],
      services: [service(ns, 'web', 'fd00:1234:5678:9abc:def0:1234:5678:9abc', [65535])],
    });
    expect(model.servedIngresses.map((s) => s.name)).toEqual([name]);
  });

  it('quotes at most 128 characters of a user value in a reason, escaping control characters', () => {
    const path = `/a b${'x'.repeat(3000)}`;
    const model = build({
      ingresses: [
        ingress({
          name: 'long',
          rules: [ingressRule('a.example.com', [ingressPath(path, 'web', 80, 'Exact')])],
        }),
        app('nl', 'b.example.com', { [ANNOTATIONS.stripPath]: 'yes\nno' }),
      ],
    });
    const reasons = [...model.skipped, ...model.warnings].map((s) => s.reason);
    expect(reasons).toHaveLength(2);
    for (const r of reasons) {
      expect(r.length).toBeLessThan(400);
      expect(r).not.toMatch(/[\n\r]/);
    }
    expect(reasons).toContain('sky.uk/strip-path: "yes\\nno" is not "true" or "false"; using the default');
  });
});
