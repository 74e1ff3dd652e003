import { describe, expect, it } from '@jest/globals';
import { ingress, ingressPath, ingressRule, service } from '../test/fixtures.js';
import { buildFeedPass } from './feed-pass.js';
import { defaultFeedModelConfig } from './model/index.js';

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
