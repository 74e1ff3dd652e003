import { describe, expect, it } from '@jest/globals';
import { ingress, ingressPath, ingressRule, namespace, service, tlsSecret } from '../test/fixtures.js';
import { buildFeedPass, feedTransforms } from './feed-pass.js';
import { defaultFeedModelConfig, type FeedModelInput } from './model/index.js';

const config = defaultFeedModelConfig({ ingressClass: 'test', ingressPort: 8080 });

describe('buildFeedPass', () => {
  it("hands the loop the builder's skipped objects (reason Skipped) and ignored values (reason Ignored), each with an Event", () => {
    const bad = ingress({
      name: 'bad',
      annotations: { 'kubernetes.io/ingress.class': 'test', 'sky.uk/allow': '10.0.0.0/8, not-an-ip' },
      rules: [ingressRule('bad.example.com', [ingressPath('/', 'web')])],
    });
    // The Service does not declare port 80: served, with a warning.
    const warned = ingress({
      name: 'warned',
      rules: [ingressRule('ok.example.com', [ingressPath('/', 'web')])],
    });
    const { model, skipped } = buildFeedPass(
      {
        ingresses: [bad, warned],
        services: [service('default', 'web', '10.0.0.1', [8080])],
        namespaces: [],
        ingressClasses: [],
        secrets: [],
      },
      config,
    );
    expect(model.servedIngresses.map((i) => i.name)).toEqual(['warned']);
    expect(model.skipped.length).toBeGreaterThan(0);
    expect(model.warnings.length).toBeGreaterThan(0);
    expect(skipped).toEqual([
      ...model.skipped.map((s) => ({
        kind: 'Ingress',
        apiVersion: 'networking.k8s.io/v1',
        namespace: 'default',
        name: s.name,
        uid: s.uid,
        reason: 'Skipped',
        message: s.reason,
      })),
      ...model.warnings.map((s) => ({
        kind: 'Ingress',
        apiVersion: 'networking.k8s.io/v1',
        namespace: 'default',
        name: s.name,
        uid: s.uid,
        reason: 'Ignored',
        message: s.reason,
      })),
    ]);
    expect(skipped.find((s) => s.reason === 'Skipped')?.message).toContain('sky.uk/allow');
    expect(skipped.every((s) => s.quiet !== true)).toBe(true);
  });
});

describe('feedTransforms (what the caches keep)', () => {
  const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
  const full = (): FeedModelInput => {
    const ing = ingress({
      name: 'app',
      annotations: {
        'kubernetes.io/ingress.class': 'test',
        'sky.uk/allow': '10.0.0.0/8',
        'sky.uk/backend-timeout-seconds': '30',
        [lastApplied]: JSON.stringify({ big: 'x'.repeat(2000) }),
      },
      rules: [ingressRule('a.example.com', [ingressPath('/', 'web'), ingressPath('/api', 'web')])],
    });
    ing.metadata!.managedFields = [{ manager: 'kubectl', operation: 'Update' }];
    ing.status = { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } };
    const svc = service('default', 'web', '10.0.0.1', [80]);
    svc.metadata!.annotations = { [lastApplied]: 'y'.repeat(2000) };
    svc.metadata!.labels = { app: 'web' };
    svc.spec!.selector = { app: 'web' };
    const ns = namespace('default', { team: 'a' });
    ns.metadata!.annotations = { [lastApplied]: 'z' };
    return { ingresses: [ing], services: [svc], namespaces: [ns], ingressClasses: [], secrets: [] };
  };

  it('drop what the model never reads, and the model built from them is the same', () => {
    const input = full();
    const kept: FeedModelInput = {
      ...input,
      ingresses: input.ingresses.map((i) => feedTransforms.ingress(structuredClone(i))),
      services: input.services.map((s) => feedTransforms.service(structuredClone(s))),
      namespaces: input.namespaces.map((n) => feedTransforms.namespace(structuredClone(n))),
    };
    const selecting = defaultFeedModelConfig({
      ingressClass: 'test',
      ingressPort: 8080,
      namespaceSelectors: [{ name: 'team', value: 'a' }],
    });
    expect(buildFeedPass(kept, selecting).model).toEqual(buildFeedPass(input, selecting).model);
    const ing = kept.ingresses[0]!;
    expect(ing.metadata?.annotations?.[lastApplied]).toBeUndefined();
    expect(ing.metadata?.annotations?.['sky.uk/allow']).toBe('10.0.0.0/8');
    expect(ing.metadata?.managedFields).toBeUndefined();
    expect(ing.status?.loadBalancer?.ingress).toEqual([{ hostname: 'lb.example.com' }]);
    expect(kept.services[0]).toEqual({
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: '10.0.0.1', ports: [{ port: 80 }] },
    });
    expect(kept.namespaces[0]).toEqual({ metadata: { name: 'default', labels: { team: 'a' } } });
  });

  it('keep a Secret its type, name and certificate and key only', () => {
    const secret = {
      ...tlsSecret('default', 's', 'CERT', 'KEY'),
      data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5', 'ca.crt': 'Y2E=' },
    };
    expect(feedTransforms.secret(secret)).toEqual({
      metadata: { name: 's', namespace: 'default' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' },
    });
  });
});
