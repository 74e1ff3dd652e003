import { describe, expect, it } from '@jest/globals';
import { ResourceRegistry } from './resources.js';
import type { KubeObject } from './types.js';
import { nameProblem, validateObject } from './validation.js';

describe('nameProblem', () => {
  it.each([
    ['subdomain', 'web', true],
    ['subdomain', 'web.example.com', true],
    ['subdomain', '1-web', true],
    ['subdomain', 'Web', false],
    ['subdomain', 'web_1', false],
    ['subdomain', '-web', false],
    ['subdomain', 'web.', false],
    ['subdomain', 'a'.repeat(253), true],
    ['subdomain', 'a'.repeat(254), false],
    ['label', 'kube-system', true],
    ['label', 'a.b', false],
    ['label', 'a'.repeat(64), false],
    ['dns1035', 'web-1', true],
    ['dns1035', '1web', false],
  ] as const)('%s %j valid: %s', (rule, name, valid) => {
    expect(nameProblem(rule, name) === undefined).toBe(valid);
  });
});

describe('validateObject', () => {
  const registry = new ResourceRegistry();
  const cm = registry.byKind('v1', 'ConfigMap')!;
  const crd = registry.byKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!;
  const obj = (metadata: KubeObject['metadata'], extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    ...extra,
  });

  it('accepts a valid object', () => {
    expect(
      validateObject(
        cm,
        obj({
          name: 'ok',
          labels: { 'app.kubernetes.io/name': 'x', empty: '' },
          annotations: { 'a/b': 'any value!' },
        }),
      ),
    ).toEqual([]);
  });

  it('reports each broken field with its path and reason', () => {
    const causes = validateObject(cm, obj({ name: 'ok', labels: { 'bad key': 'v', good: 'bad value!' } }));
    expect(causes.map((c) => `${c.reason} ${c.field}`)).toEqual([
      'FieldValueInvalid metadata.labels',
      'FieldValueInvalid metadata.labels',
    ]);
    expect(validateObject(cm, obj({}))).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ]);
  });

  it('requires a CRD to be named plural.group', () => {
    const spec = { group: 'example.com', names: { plural: 'widgets' } };
    expect(
      validateObject(crd, {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec,
      }),
    ).toEqual([]);
    expect(
      validateObject(crd, {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widget.example.com' },
        spec,
      }),
    ).toHaveLength(1);
  });

  it.each([
    ['shop.example.com', true],
    ['*.example.com', true],
    ['localhost', true],
    [`${'a'.repeat(64)}.example.com`, true],
    ['bad_host.example.com', false],
    ['Shop.example.com', false],
    ['shop.example.com.', false],
    ['*.*.example.com', false],
    ['a.*.example.com', false],
    ['*', false],
    ['10.0.0.1', false],
    [`${'a.'.repeat(126)}aa`, false],
  ] as const)('Ingress rule host %j valid: %s', (host, valid) => {
    const ingress = registry.byKind('networking.k8s.io/v1', 'Ingress')!;
    const causes = validateObject(ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web' },
      spec: { rules: [{ host: 'ok.example.com' }, { host }, {}] },
    });
    expect(causes.map((c) => c.field)).toEqual(valid ? [] : ['spec.rules[1].host']);
  });
});
