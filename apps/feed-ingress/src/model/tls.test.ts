import { beforeAll, describe, expect, it } from '@jest/globals';
import { renderNginxConfig, validateConfig } from '@kube-edge/nginx-render';
import { makeTestCertificate, type TestCertificate } from '@kube-edge/testkit';
import { buildFeedModel } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import { ingress, ingressPath, ingressRule, service, tlsSecret } from '../../test/fixtures.js';
import { tlsHostMatches, tlsPairFromSecret, tlsPairFromSecretCached } from './tls.js';
import type { FeedModel, FeedModelInput } from './types.js';

let a: TestCertificate;
let b: TestCertificate;

beforeAll(async () => {
  [a, b] = await Promise.all([
    makeTestCertificate({ commonName: 'a.example.com' }),
    makeTestCertificate({ commonName: 'b.example.com' }),
  ]);
});

const config = defaultFeedModelConfig({
  ingressClass: 'test',
  ingressPort: 8080,
  ingressHttpsPort: 8443,
  nginx: { tlsDir: '/run/feed/tls' },
});
const web = service('default', 'web', '10.0.0.1');

function tlsIngress(
  name: string,
  hosts: string[],
  tls: { hosts?: string[]; secretName?: string }[],
  namespace = 'default',
): FeedModelInput['ingresses'][number] {
  return ingress({
    namespace,
    name,
    rules: hosts.map((h) => ingressRule(h, [ingressPath('/', 'web')])),
    tls,
  });
}

function build(input: Partial<FeedModelInput>): FeedModel {
  const model = buildFeedModel(
    { ingresses: [], services: [web], namespaces: [], ingressClasses: [], secrets: [], ...input },
    config,
  );
  expect(validateConfig(model.nginx)).toEqual([]);
  return model;
}

/** The certificate nginx serves for `host` over https: its server's own, else the https default server's. */
const certOf = (model: FeedModel, host: string): string | undefined => {
  const server = model.nginx.servers.find(
    (s) => s.serverNames.includes(host) && s.listen.some((l) => l.ssl === true),
  );
  const fallback = model.nginx.servers.find((s) => s.listen.some((l) => l.ssl === true && l.defaultServer));
  return server === undefined ? undefined : (server.tls?.certificate ?? fallback?.tls?.certificate);
};

describe('TLS from spec.tls secrets', () => {
  it('serves the host with the secret certificate by SNI and lists the files to write with mode 0600', () => {
    const model = build({
      ingresses: [
        tlsIngress(
          'app',
          ['a.example.com', 'plain.example.com'],
          [{ hosts: ['a.example.com'], secretName: 'a-tls' }],
        ),
      ],
      secrets: [tlsSecret('default', 'a-tls', a.cert, a.key)],
    });
    const cert = certOf(model, 'a.example.com');
    expect(cert).toMatch(/^\/run\/feed\/tls\/default_a-tls_[0-9a-f]{16}\.crt$/);
    expect(certOf(model, 'plain.example.com')).toBe('/etc/ssl/default-ssl/default-ssl.crt');
    expect(model.tlsFiles).toEqual([
      { path: cert, content: a.cert, mode: 0o600 },
      { path: cert?.replace(/\.crt$/, '.key'), content: a.key, mode: 0o600 },
    ]);
    expect(model.warnings).toEqual([]);
  });

  it('new secret content gives new file paths, so the config changes and nginx reloads', () => {
    const one = build({
      ingresses: [tlsIngress('app', ['a.example.com'], [{ secretName: 's' }])],
      secrets: [tlsSecret('default', 's', a.cert, a.key)],
    });
    const two = build({
      ingresses: [tlsIngress('app', ['a.example.com'], [{ secretName: 's' }])],
      secrets: [tlsSecret('default', 's', b.cert, b.key)],
    });
    expect(certOf(one, 'a.example.com')).not.toBe(certOf(two, 'a.example.com'));
  });

  it('spec.tls without hosts covers every rule host of the ingress', () => {
    const model = build({
      ingresses: [tlsIngress('app', ['a.example.com', 'x.example.com'], [{ secretName: 's' }])],
      secrets: [tlsSecret('default', 's', a.cert, a.key)],
    });
    expect(certOf(model, 'a.example.com')).toContain('default_s_');
    expect(certOf(model, 'x.example.com')).toContain('default_s_');
  });

  it('a wildcard TLS host covers one label', () => {
    const model = build({
      ingresses: [
        tlsIngress(
          'app',
          ['a.example.com', 'deep.a.example.com'],
          [{ hosts: ['*.example.com'], secretName: 's' }],
        ),
      ],
      secrets: [tlsSecret('default', 's', a.cert, a.key)],
    });
    expect(certOf(model, 'a.example.com')).toContain('default_s_');
    expect(certOf(model, 'deep.a.example.com')).toBe('/etc/ssl/default-ssl/default-ssl.crt');
    expect(tlsHostMatches('*.example.com', 'example.com')).toBe(false);
  });

  it('a secret never covers a host that is not one of its own ingress rules (no cross-team certificates)', () => {
    const owner = tlsIngress('owner', ['a.example.com'], [], 'team-a');
    const other = tlsIngress(
      'other',
      ['b.example.com'],
      [{ hosts: ['a.example.com', 'b.example.com'], secretName: 's' }],
      'team-b',
    );
    const model = build({
      ingresses: [owner, other],
      services: [service('team-a', 'web', '10.0.0.1'), service('team-b', 'web', '10.0.0.2')],
      secrets: [tlsSecret('team-b', 's', b.cert, b.key)],
    });
    expect(certOf(model, 'a.example.com')).toBe('/etc/ssl/default-ssl/default-ssl.crt');
    expect(certOf(model, 'b.example.com')).toContain('team-b_s_');
  });

  it.each([
    [
      'a missing secret',
      [],
      'secret "s" does not exist (only Secrets of type kubernetes.io/tls are read); its hosts use the default certificate',
    ],
    [
      'an Opaque secret',
      () => [{ ...tlsSecret('default', 's', a.cert, a.key), type: 'Opaque' }],
      'secret "s" is of type "Opaque", not kubernetes.io/tls; its hosts use the default certificate',
    ],
    [
      'a secret without tls data',
      [{ ...tlsSecret('default', 's', 'x', 'y'), data: {} }],
      'secret "s" has no tls.crt and tls.key data',
    ],
    [
      'a certificate that is not PEM',
      () => [tlsSecret('default', 's', 'hello', a.key)],
      'tls.crt is not a PEM certificate',
    ],
    [
      'a key that does not belong to the certificate',
      () => [tlsSecret('default', 's', a.cert, b.key)],
      'tls.key does not belong to the certificate in tls.crt',
    ],
    [
      'a garbled certificate',
      () => [
        tlsSecret('default', 's', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', a.key),
      ],
      'tls.crt does not parse as an X.509 certificate',
    ],
  ] as const)(
    '%s is a warning and the host keeps the default certificate (nginx -t never sees a bad pair)',
    (_name, secrets, reason) => {
      const list = typeof secrets === 'function' ? secrets() : secrets;
      const model = build({
        ingresses: [tlsIngress('app', ['a.example.com'], [{ secretName: 's' }])],
        secrets: [...list],
      });
      expect(certOf(model, 'a.example.com')).toBe('/etc/ssl/default-ssl/default-ssl.crt');
      expect(model.tlsFiles).toEqual([]);
      expect(model.warnings.map((w) => w.reason)).toEqual([expect.stringContaining(reason)]);
      expect(model.servedIngresses).toHaveLength(1);
    },
  );

  it('the first ingress (namespace/name order) gives a host its certificate; a conflicting one is a warning', () => {
    const first = tlsIngress('a-first', ['a.example.com'], [{ secretName: 'one' }]);
    const second = ingress({
      name: 'b-second',
      rules: [ingressRule('a.example.com', [ingressPath('/other', 'web')])],
      tls: [{ secretName: 'two' }],
    });
    const model = build({
      ingresses: [second, first],
      secrets: [tlsSecret('default', 'one', a.cert, a.key), tlsSecret('default', 'two', b.cert, b.key)],
    });
    expect(certOf(model, 'a.example.com')).toContain('default_one_');
    expect(model.warnings).toEqual([
      expect.objectContaining({
        name: 'b-second',
        reason: expect.stringContaining('already has the certificate of secret default/one'),
      }),
    ]);
  });

  it('writes no TLS files and reports nothing when there is no https port', () => {
    const model = buildFeedModel(
      {
        ingresses: [tlsIngress('app', ['a.example.com'], [{ secretName: 'missing' }])],
        services: [web],
        namespaces: [],
        ingressClasses: [],
        secrets: [],
      },
      defaultFeedModelConfig({ ingressClass: 'test', ingressPort: 8080 }),
    );
    expect(model.tlsFiles).toEqual([]);
    expect(model.warnings).toEqual([]);
  });

  it('renders ssl_certificate lines for the SNI server', () => {
    const model = build({
      ingresses: [tlsIngress('app', ['a.example.com'], [{ secretName: 's' }])],
      secrets: [tlsSecret('default', 's', a.cert, a.key)],
    });
    expect(renderNginxConfig(model.nginx)).toMatch(
      /ssl_certificate \/run\/feed\/tls\/default_s_[0-9a-f]{16}\.crt;/,
    );
  });
});

describe('tlsPairFromSecretCached', () => {
  it('checks a Secret object once while its data and the TLS directory stay, and again when they change', () => {
    const secret = tlsSecret('default', 's', a.cert, a.key);
    const first = tlsPairFromSecretCached(secret, '/run/feed/tls');
    expect(first).toEqual(tlsPairFromSecret(secret, '/run/feed/tls'));
    expect(tlsPairFromSecretCached(secret, '/run/feed/tls')).toBe(first);
    expect(tlsPairFromSecretCached(secret, '/other')).not.toBe(first);
    // An object changed in place (informers replace objects, but nothing relies on it) is checked again.
    secret.data = { ...secret.data, 'tls.key': Buffer.from(b.key).toString('base64') };
    expect(tlsPairFromSecretCached(secret, '/run/feed/tls')).toEqual({
      ok: false,
      reason: 'tls.key does not belong to the certificate in tls.crt',
    });
  });
});
