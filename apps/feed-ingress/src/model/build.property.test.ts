import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Ingress, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import fc from 'fast-check';
import {
  nginxPaths,
  renderNginxConfig,
  testNginxConfigFile,
  validateComment,
  validateConfig,
  type NginxPaths,
} from '@kube-edge/nginx-render';
import {
  makeTestCertificate,
  propertyRuns,
  tempDir,
  type TempDir,
  type TestCertificate,
} from '@kube-edge/testkit';
import { namespace, tlsSecret } from '../../test/fixtures.js';
import { ANNOTATIONS } from './annotations.js';
import { buildFeedModel } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import type { FeedModel, FeedModelConfig, FeedModelInput } from './types.js';

// Property tests of the model builder: arbitrary Ingresses and Services (hosts, paths, every
// annotation, names and lengths up to the API server's limits, hostile characters) are either
// skipped with a reason or rendered, and the rendered config passes real `nginx -t`. fast-check
// prints the seed and the shrunk counterexample on failure; FC_SEED reproduces a run (a fixed seed
// unless FC_SEED is set; FC_SEED=random explores new cases).
// Budget: the whole file stays within about 15 s on a 2-core machine.

const params = propertyRuns;

const NASTY = [
  ';',
  '{',
  '}',
  '"',
  "'",
  '$',
  '\\',
  ' ',
  '\n',
  '\t',
  '#',
  '%',
  '%2',
  '%41',
  ':',
  '@',
  ',',
  'é',
  '\u0000',
  '\u2028',
  '/..',
];
const nasty = fc.constantFrom(...NASTY);
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const longLabel = fc.integer({ min: 1, max: 63 }).map((n) => 'l'.repeat(n));
/** Namespaces and names as the API server allows them, plus some it would refuse (offline manifests). */
const namespaceArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('team-a', 'team-b', 'default') },
  { weight: 1, arbitrary: longLabel },
  { weight: 1, arbitrary: fc.constantFrom('Bad_NS', 'ns\u0001') },
);
const nameArb = fc.oneof(
  { weight: 6, arbitrary: label },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 253 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(label, nasty).map(([l, n]) => `${l}${n}`) },
);
const hostArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('a.example.com', 'b.example.com', 'site.example', '*.example.com'),
  },
  { weight: 2, arbitrary: fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')) },
  { weight: 1, arbitrary: fc.array(longLabel, { minLength: 3, maxLength: 4 }).map((ls) => ls.join('.')) },
  { weight: 1, arbitrary: fc.tuple(label, nasty).map(([l, n]) => `${l}${n}.example.com`) },
  { weight: 1, arbitrary: fc.constantFrom('', 'A.Example.COM.', '*', '1.2.3.4', 'x'.repeat(300)) },
);
const pathChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', '/', '-', '.', '_', '~', '0') },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: fc.constantFrom('(', ')', '*', '+', '=', '&', '!') },
);
const pathArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(undefined, '', '/', '/api', '/api/', 'api') },
  { weight: 4, arbitrary: fc.array(pathChar, { maxLength: 12 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 2100 }).map((n) => `/${'p'.repeat(n)}`) },
);
const INTS = [
  '0',
  '1',
  '4',
  '8',
  '9',
  '32',
  '33',
  '60',
  '31536000',
  '31536001',
  '1000000000',
  '1000000001',
  '2147483647',
  '2147483648',
  '99999999999',
  '-1',
  ' 7 ',
  '1e3',
  '0x10',
];
const annotationValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INTS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'true',
      'false',
      'TRUE',
      'internal',
      'internet-facing',
      '30s',
      '1m30s',
      '500ms',
      '400d',
      '-5s',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '10.0.0.0/8',
      '',
      '::1/128,fd00::/8',
      'fe80::1%eth0',
      '10.0.0.0/33',
      '1.2.3.4; deny all',
      ' 10.0.0.1 , 192.168.0.0/16',
    ),
  },
  { weight: 1, arbitrary: fc.array(nasty, { maxLength: 4 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(5000)) },
);
const ANNOTATION_NAMES = Object.values(ANNOTATIONS).filter((n) => n !== ANNOTATIONS.ingressClass);
const annotationsArb = fc.dictionary(fc.constantFrom(...ANNOTATION_NAMES), annotationValue, { maxKeys: 6 });

const ingressArb = fc
  .record({
    ns: namespaceArb,
    name: nameArb,
    annotations: annotationsArb,
    created: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    rules: fc.array(
      fc.record({
        host: hostArb,
        paths: fc.array(
          fc.record({
            path: pathArb,
            pathType: fc.constantFrom('Exact', 'Prefix', 'ImplementationSpecific'),
            service: fc.constantFrom('web', 'api', 'headless', 'missing'),
            port: fc.constantFrom(80, 8080, 0, -1, 65535, 65536),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 0, maxLength: 2 },
    ),
  })
  .map((i): V1Ingress => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace: i.ns,
      name: i.name,
      uid: `uid-${i.ns}-${i.name}`,
      annotations: { [ANNOTATIONS.ingressClass]: 'test', ...i.annotations },
      ...(i.created !== undefined ? { creationTimestamp: new Date(Date.UTC(2026, 0, 1 + i.created)) } : {}),
    },
    spec: {
      rules: i.rules.map((r) => ({
        host: r.host,
        http: {
          paths: r.paths.map((p) => ({
            ...(p.path !== undefined ? { path: p.path } : {}),
            pathType: p.pathType,
            backend: { service: { name: p.service, port: { number: p.port } } },
          })),
        },
      })),
    },
  }));

const clusterIpArb = fc.constantFrom(
  '10.0.0.1',
  '10.0.0.2',
  'fd00::1',
  'fd00:1234:5678:9abc:def0:1234:5678:9abc',
  'fe80::1%eth0',
  '',
  '1.2.3.4; x',
);
const servicesArb = fc.record({ web: clusterIpArb, api: clusterIpArb }).map(({ web, api }): V1Service[] =>
  ['team-a', 'team-b', 'default'].flatMap((ns) => [
    {
      metadata: { namespace: ns, name: 'web' },
      spec: { clusterIP: web, ports: [{ port: 80 }, { port: 8080 }] },
    },
    { metadata: { namespace: ns, name: 'api' }, spec: { clusterIP: api, ports: [{ port: 80 }] } },
    { metadata: { namespace: ns, name: 'headless' }, spec: { clusterIP: 'None' } },
  ]),
);

const inputArb = fc.record({
  ingresses: fc.array(ingressArb, { minLength: 1, maxLength: 6 }),
  services: servicesArb,
});

function build(ingresses: V1Ingress[], services: V1Service[], config: FeedModelConfig): FeedModel {
  const input: FeedModelInput = { ingresses, services, namespaces: [], ingressClasses: [], secrets: [] };
  return buildFeedModel(input, config);
}

/** Every adopted Ingress is served or has a reason; every reason fits an Event and a comment line. */
function checkExplained(ingresses: readonly V1Ingress[], model: FeedModel): void {
  const explained = new Set([
    ...model.servedIngresses.map((s) => `${s.namespace}/${s.name}`),
    ...model.skipped.map((s) => `${s.namespace}/${s.name}`),
  ]);
  for (const ing of ingresses)
    expect(explained.has(`${ing.metadata?.namespace}/${ing.metadata?.name}`)).toBe(true);
  for (const s of [...model.skipped, ...model.warnings]) {
    expect(s.reason.length).toBeLessThanOrEqual(1000);
    expect(validateComment(s.reason)).toMatchObject({ ok: true });
  }
}

describe('feed-ingress model properties', () => {
  let dir: TempDir;
  let paths: NginxPaths;
  let config: FeedModelConfig;
  let checks = 0;
  let certA: TestCertificate;
  let certB: TestCertificate;

  beforeAll(async () => {
    [certA, certB] = await Promise.all([
      makeTestCertificate({ commonName: 'a.example.com' }),
      makeTestCertificate({ commonName: 'b.example.com' }),
    ]);
    dir = await tempDir('feed-properties');
    paths = nginxPaths(join(dir.path, 'nginx'));
    config = defaultFeedModelConfig({
      ingressClass: 'test',
      ingressPort: 8080,
      defaultSslPath: undefined,
      nginx: { tempPathRoot: paths.tempDir },
    });
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('arbitrary objects are skipped with a reason or render into a config nginx-render accepts', () => {
    fc.assert(
      fc.property(inputArb, ({ ingresses, services }) => {
        const model = build(ingresses, services, config);
        expect(validateConfig(model.nginx)).toEqual([]);
        renderNginxConfig(model.nginx);
        checkExplained(ingresses, model);
      }),
      params(1000),
    );
  });

  it('the rendered config of arbitrary objects passes real nginx -t', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async ({ ingresses, services }) => {
        const model = build(ingresses, services, config);
        const conf = join(dir.path, `t${checks++ % 4}.conf`);
        await writeFile(conf, renderNginxConfig(model.nginx));
        const verdict = await testNginxConfigFile({ paths, confPath: conf });
        if (!verdict.ok) throw new Error(`nginx -t refused the config: ${verdict.output}`);
      }),
      params(200),
    );
  });

  it("a pass that reuses the last pass's unchanged objects builds and renders what a fresh build does", () => {
    // The builder remembers, per config, each Ingress's plan and each host's server while the
    // informers hand back the same objects. Each later pass keeps some Ingress objects (one maybe
    // twice), drops or adds others, and may replace the Services, the TLS Secrets and the
    // namespaces' labels (a namespace selector picks the Ingresses); it must equal a build that
    // remembers nothing. HTTPS is on, with a default certificate or without.
    const withTls = (i: V1Ingress, secret: boolean): V1Ingress =>
      secret ? { ...i, spec: { ...i.spec, tls: [{ secretName: 'tls' }] } } : i;
    const secretsArb = fc
      .array(fc.constantFrom<'a' | 'b' | 'none'>('a', 'b', 'none'), { minLength: 3, maxLength: 3 })
      .map((picks): V1Secret[] =>
        ['team-a', 'team-b', 'default'].flatMap((ns, n) => {
          const cert = picks[n] === 'a' ? certA : picks[n] === 'b' ? certB : undefined;
          return cert === undefined ? [] : [tlsSecret(ns, 'tls', cert.cert, cert.key)];
        }),
      );
    const namespacesArb = fc
      .array(fc.boolean(), { minLength: 3, maxLength: 3 })
      .map((on): V1Namespace[] =>
        ['team-a', 'team-b', 'default'].map((ns, n) => namespace(ns, on[n] ? { serve: 'yes' } : {})),
      );
    const stepArb = fc.record({
      keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      twice: fc.boolean(),
      added: fc.array(fc.tuple(ingressArb, fc.boolean()), { maxLength: 3 }),
      services: fc.option(servicesArb, { nil: undefined }),
      secrets: fc.option(secretsArb, { nil: undefined }),
      namespaces: fc.option(namespacesArb, { nil: undefined }),
    });
    const configArb = fc.record({ defaultCertificate: fc.boolean(), selector: fc.boolean() });
    fc.assert(
      fc.property(
        inputArb,
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        secretsArb,
        namespacesArb,
        configArb,
        fc.array(stepArb, { minLength: 1, maxLength: 3 }),
        (first, tlsOf, firstSecrets, firstNamespaces, c, steps) => {
          const newConfig = (): FeedModelConfig => ({
            ...config,
            ingressHttpsPort: 8443,
            ...(c.defaultCertificate ? { defaultSslPath: '/etc/feed/default' } : {}),
            namespaceSelectors: c.selector ? [{ name: 'serve', value: 'yes' }] : [],
          });
          const shared = newConfig();
          let input: FeedModelInput = {
            ingresses: first.ingresses.map((i, n) => withTls(i, tlsOf[n % tlsOf.length] ?? false)),
            services: first.services,
            secrets: firstSecrets,
            namespaces: firstNamespaces,
            ingressClasses: [],
          };
          buildFeedModel(input, shared);
          for (const step of steps) {
            const kept = input.ingresses.filter((_, i) => step.keep[i % step.keep.length]);
            input = {
              ingresses: [
                ...kept,
                ...(step.twice && kept.length > 0 ? [kept[0]!] : []),
                ...step.added.map(([i, tls]) => withTls(i, tls)),
              ],
              services: step.services ?? input.services,
              secrets: step.secrets ?? input.secrets,
              namespaces: step.namespaces ?? input.namespaces,
              ingressClasses: [],
            };
            const reused = buildFeedModel(input, shared);
            const fresh = buildFeedModel(input, newConfig());
            expect(reused).toEqual(fresh);
            expect(renderNginxConfig(reused.nginx)).toBe(renderNginxConfig(fresh.nginx));
          }
        },
      ),
      params(500),
    );
  });

  it('adding a skipped Ingress on hosts of its own never changes what the others render', () => {
    const extraArb = ingressArb.map((i): V1Ingress => ({
      ...i,
      spec: {
        rules: (i.spec?.rules ?? []).map((r, n) => ({ ...r, host: `extra-${n}.other.example` })),
      },
    }));
    fc.assert(
      fc.property(inputArb, extraArb, ({ ingresses, services }, extra) => {
        const base = build(ingresses, services, config);
        const withExtra = build([...ingresses, extra], services, config);
        const extraKey = `${extra.metadata?.namespace}/${extra.metadata?.name}`;
        const sameKey = ingresses.some((i) => `${i.metadata?.namespace}/${i.metadata?.name}` === extraKey);
        const served = withExtra.servedIngresses.some((s) => `${s.namespace}/${s.name}` === extraKey);
        fc.pre(!sameKey && !served);
        const extraHosts = new Set((extra.spec?.rules ?? []).map((r) => r.host));
        const others = withExtra.nginx.servers.filter((s) => !s.serverNames.some((n) => extraHosts.has(n)));
        expect(others).toEqual(base.nginx.servers);
        expect(withExtra.nginx.upstreams).toEqual(base.nginx.upstreams);
        expect(withExtra.servedIngresses).toEqual(base.servedIngresses);
      }),
      params(600),
    );
  });
});
