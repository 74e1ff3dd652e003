import { describe, expect, it } from '@jest/globals';
import type { V1Ingress } from '@kubernetes/client-node';
import { validateConfig, type Location } from '@kube-edge/nginx-render';
import { buildFeedPass } from '../feed-pass.js';
import { buildFeedModel, HOST_OWNED_BY_OTHER } from './build.js';
import { defaultFeedModelConfig } from './config.js';
import { ingress, ingressPath, ingressRule, service } from '../../test/fixtures.js';
import type { FeedModel, FeedModelInput } from './types.js';

// A host belongs to the oldest selected Ingress that claims it, whether or not its backends are
// valid: while namespace A's Service is missing, namespace B must not take A's host over.

const config = defaultFeedModelConfig({ ingressClass: 'test', ingressPort: 8080 });

function site(
  ns: string,
  name: string,
  created: string,
  path = '/',
  annotations?: Record<string, string>,
): V1Ingress {
  const ing = ingress({
    namespace: ns,
    name,
    ...(annotations !== undefined ? { annotations } : {}),
    rules: [ingressRule('site.example', [ingressPath(path, 'web', 80)])],
  });
  return { ...ing, metadata: { ...ing.metadata, creationTimestamp: new Date(created) } };
}

function build(input: Partial<FeedModelInput>): FeedModel {
  const model = buildFeedModel(
    { ingresses: [], services: [], namespaces: [], ingressClasses: [], secrets: [], ...input },
    config,
  );
  expect(validateConfig(model.nginx)).toEqual([]);
  return model;
}

const locations = (m: FeedModel): readonly Location[] =>
  m.nginx.servers.find((s) => s.serverNames.includes('site.example'))?.locations ?? [];

const svcA = service('team-a', 'web', '10.0.0.1');
const svcB = service('team-b', 'web', '10.0.0.2');
const older = site('team-a', 'site', '2026-01-01T00:00:00Z');
const newer = site('team-b', 'site', '2026-02-01T00:00:00Z');

describe('host ownership across namespaces', () => {
  it("while the owner's Service is missing, its host answers 503 and the newer namespace is refused, naming the owner", () => {
    const model = build({ ingresses: [older, newer], services: [svcB] });
    expect(locations(model)).toEqual([
      { match: 'prefix', path: '/', action: { kind: 'return', status: 503 } },
    ]);
    expect(model.nginx.upstreams).toEqual([]);
    expect(model.servedIngresses).toEqual([]);
    expect(model.skipped).toContainEqual({
      kind: 'Ingress',
      namespace: 'team-b',
      name: 'site',
      uid: 'uid-team-b-site',
      code: HOST_OWNED_BY_OTHER,
      reason:
        'rules[0]: host "site.example" belongs to Ingress team-a/site, the oldest Ingress that claims it; only its namespace can serve it',
    });
  });

  it('the loop gets the refusal with reason HostOwnedByOther and the owner in the message', () => {
    const pass = buildFeedPass(
      { ingresses: [older, newer], services: [svcB], namespaces: [], ingressClasses: [], secrets: [] },
      config,
    );
    expect(pass.skipped).toContainEqual(
      expect.objectContaining({
        namespace: 'team-b',
        reason: HOST_OWNED_BY_OTHER,
        message: expect.stringContaining('team-a/site'),
      }),
    );
  });

  it('the owner is the oldest by creationTimestamp, not the first by name', () => {
    const aNewer = site('team-a', 'site', '2026-03-01T00:00:00Z');
    const model = build({ ingresses: [aNewer, newer], services: [svcA, svcB] });
    expect(locations(model).map((l) => l.action)).toEqual([
      { kind: 'proxy', upstream: 'team-b.site.10.0.0.2.80', uri: '/' },
    ]);
    expect(model.skipped.map((s) => [s.namespace, s.code])).toEqual([['team-a', HOST_OWNED_BY_OTHER]]);
  });

  it('other namespaces cannot add paths to an owned host either', () => {
    const model = build({
      ingresses: [older, site('team-b', 'extra', '2026-02-01T00:00:00Z', '/extra')],
      services: [svcA, svcB],
    });
    expect(locations(model).map((l) => l.path)).toEqual(['/']);
    expect(model.servedIngresses.map((s) => s.namespace)).toEqual(['team-a']);
  });

  it('Ingresses of the owner namespace still share the host (different paths)', () => {
    const model = build({
      ingresses: [older, site('team-a', 'api', '2026-05-01T00:00:00Z', '/api')],
      services: [svcA],
    });
    expect(
      locations(model)
        .map((l) => l.path)
        .sort(),
    ).toEqual(['/', '/api/']);
  });

  it("only the owner's missing paths answer 503; its served paths keep working", () => {
    const api = site('team-a', 'api', '2026-05-01T00:00:00Z', '/api');
    const apiIng: V1Ingress = {
      ...api,
      spec: { rules: [ingressRule('site.example', [ingressPath('/api', 'gone', 80)])] },
    };
    const model = build({ ingresses: [older, apiIng], services: [svcA] });
    expect(locations(model).map((l) => [l.path, l.action.kind])).toEqual([
      ['/', 'proxy'],
      ['/api/', 'return'],
    ]);
  });

  it('a deleted owner, or one that no longer selects this controller, releases the host', () => {
    expect(build({ ingresses: [newer], services: [svcB] }).servedIngresses.map((s) => s.namespace)).toEqual([
      'team-b',
    ]);
    const otherClass = site('team-a', 'site', '2026-01-01T00:00:00Z', '/', {
      'kubernetes.io/ingress.class': 'other',
    });
    const model = build({ ingresses: [otherClass, newer], services: [svcA, svcB] });
    expect(model.servedIngresses.map((s) => s.namespace)).toEqual(['team-b']);
    expect(model.skipped).toEqual([]);
  });

  it('without creation times (offline manifests) namespace/name order decides', () => {
    const strip = (i: V1Ingress): V1Ingress => {
      const { creationTimestamp: _, ...metadata } = i.metadata ?? {};
      return { ...i, metadata };
    };
    const model = build({ ingresses: [strip(newer), strip(older)], services: [svcA, svcB] });
    expect(model.servedIngresses.map((s) => s.namespace)).toEqual(['team-a']);
  });
});
