import { beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Ingress } from '@kubernetes/client-node';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import { makeTestCertificate, type TestCertificate } from '@kube-edge/testkit';
import { ingress, ingressPath, ingressRule, service, tlsSecret } from '../../test/fixtures.js';
import { buildFeedModel, HOST_OWNED_BY_OTHER } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import type { FeedModel, FeedModelConfig, FeedModelInput } from './types.js';

// The builder reuses, per config object, each Ingress's plan and each host's server (with its
// rendered text) while the informers hand back the same objects. These cases change what a
// reused object depends on without changing the object itself.

let a: TestCertificate;
let b: TestCertificate;
beforeAll(async () => {
  [a, b] = await Promise.all([
    makeTestCertificate({ commonName: 'a.example.com' }),
    makeTestCertificate({ commonName: 'b.example.com' }),
  ]);
});

const newConfig = (): FeedModelConfig =>
  defaultFeedModelConfig({
    ingressClass: 'test',
    ingressPort: 8080,
    ingressHttpsPort: 8443,
    nginx: { tlsDir: '/run/feed/tls' },
  });

const created = (i: V1Ingress, at: string): V1Ingress => ({
  ...i,
  metadata: { ...i.metadata, creationTimestamp: new Date(at) },
});

const app = created(
  ingress({
    namespace: 'team-a',
    name: 'app',
    rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])],
    tls: [{ secretName: 's' }],
  }),
  '2026-02-01T00:00:00Z',
);
const other = ingress({
  namespace: 'team-a',
  name: 'other',
  rules: [ingressRule('o.example.com', [ingressPath('/', 'web')])],
});
const web = service('team-a', 'web', '10.0.0.1');

function input(o: Partial<FeedModelInput>): FeedModelInput {
  return { ingresses: [app, other], services: [web], namespaces: [], ingressClasses: [], secrets: [], ...o };
}

const serverOf = (model: FeedModel, host: string): FeedModel['nginx']['servers'][number] | undefined =>
  model.nginx.servers.find((s) => s.serverNames.includes(host));

/** The second build with a remembering config equals (model and text) a build that remembers nothing. */
function secondPass(first: FeedModelInput, second: FeedModelInput): { before: FeedModel; after: FeedModel } {
  const config = newConfig();
  const before = buildFeedModel(first, config);
  const after = buildFeedModel(second, config);
  const fresh = buildFeedModel(second, newConfig());
  expect(after).toEqual(fresh);
  expect(renderNginxConfig(after.nginx)).toBe(renderNginxConfig(fresh.nginx));
  return { before, after };
}

describe('reusing the last pass', () => {
  it('keeps the very server objects of unchanged hosts', () => {
    const same = input({ secrets: [tlsSecret('team-a', 's', a.cert, a.key)] });
    const { before, after } = secondPass(same, { ...same });
    expect(serverOf(after, 'a.example.com')).toBe(serverOf(before, 'a.example.com'));
    expect(serverOf(after, 'o.example.com')).toBe(serverOf(before, 'o.example.com'));
  });

  it('a replaced Secret changes the certificate of a reused Ingress', () => {
    const { before, after } = secondPass(
      input({ secrets: [tlsSecret('team-a', 's', a.cert, a.key)] }),
      input({ secrets: [tlsSecret('team-a', 's', b.cert, b.key)] }),
    );
    expect(serverOf(after, 'a.example.com')?.tls?.certificate).not.toBe(
      serverOf(before, 'a.example.com')?.tls?.certificate,
    );
    expect(serverOf(after, 'o.example.com')).toBe(serverOf(before, 'o.example.com'));
  });

  it('a replaced Service changes the upstream of a reused Ingress', () => {
    const { after } = secondPass(input({}), input({ services: [service('team-a', 'web', '10.0.0.2')] }));
    expect(after.nginx.upstreams.map((u) => u.servers[0]?.address)).toEqual(['10.0.0.2', '10.0.0.2']);
  });

  it('an older Ingress of another namespace takes the host of a reused Ingress', () => {
    const thief = created(
      ingress({
        namespace: 'team-b',
        name: 'older',
        rules: [ingressRule('a.example.com', [ingressPath('/', 'web')])],
      }),
      '2026-01-01T00:00:00Z',
    );
    const { after } = secondPass(
      input({}),
      input({ ingresses: [app, other, thief], services: [web, service('team-b', 'web', '10.0.0.9')] }),
    );
    expect(after.skipped).toContainEqual(
      expect.objectContaining({ namespace: 'team-a', name: 'app', code: HOST_OWNED_BY_OTHER }),
    );
    expect(serverOf(after, 'a.example.com')?.comments).toEqual(['ingress: team-b/older']);
  });

  it('a deleted Ingress leaves no server behind', () => {
    const { after } = secondPass(input({}), input({ ingresses: [other] }));
    expect(serverOf(after, 'a.example.com')).toBeUndefined();
  });
});
