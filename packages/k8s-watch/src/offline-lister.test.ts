import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createStaticLister, loadManifests, parseManifests } from './offline-lister.js';
import type { KubeObjectLike } from './types.js';

interface Ing extends KubeObjectLike {
  spec?: { tls?: { secretName: string }[] };
}

describe('parseManifests', () => {
  it('reads multi-document YAML, skips empty documents and flattens List kinds', () => {
    const objs = parseManifests(`
apiVersion: v1
kind: Service
metadata: {name: a, namespace: x}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: b, namespace: x}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c, namespace: y}
`);
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Service/a',
      'Service/b',
      'ConfigMap/c',
    ]);
  });

  it('reads JSON', () => {
    expect(
      parseManifests('{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}')[0]?.metadata?.name,
    ).toBe('n1');
  });

  it('throws naming the source on a syntax error', () => {
    expect(() => parseManifests('a: [1,', 'bad.yaml')).toThrow(/bad\.yaml/);
  });
});

describe('loadManifests and createStaticLister', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k8s-watch-offline-'));
    await fs.mkdir(path.join(dir, 'sub'));
    await fs.writeFile(
      path.join(dir, 'a.yaml'),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  managedFields: [{manager: kubectl}]
spec:
  tls: [{secretName: web-tls}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
`,
    );
    await fs.writeFile(
      path.join(dir, 'sub', 'b.json'),
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'api' },
        spec: { tls: [{ secretName: 'api-tls' }] },
      }),
    );
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a manifest');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads every manifest file under a directory recursively, ignoring other files', async () => {
    const objs = await loadManifests(dir);
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Ingress/web',
      'Service/web',
      'Ingress/api',
    ]);
  });

  it('offers the Lister interface: get, list by namespace, custom index, synced, silent onChange', async () => {
    const objs = await loadManifests([path.join(dir, 'a.yaml'), path.join(dir, 'sub')]);
    const ingresses = createStaticLister<Ing>(objs, {
      kind: 'Ingress',
      defaultNamespace: 'default',
      indexers: { secret: (o) => (o.spec?.tls ?? []).map((t) => t.secretName) },
    });
    ingresses.start();
    expect(ingresses.hasSynced()).toBe(true);
    expect(
      ingresses
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['api', 'web']);
    expect(ingresses.get('api', 'default')?.kind).toBe('Ingress');
    expect(ingresses.list('shop').map((o) => o.metadata?.name)).toEqual(['web']);
    expect(ingresses.byIndex('secret', 'web-tls').map((o) => o.metadata?.name)).toEqual(['web']);
    expect(ingresses.get('web', 'shop')?.metadata).not.toHaveProperty('managedFields');
    let called = false;
    ingresses.onChange(() => (called = true))();
    expect(called).toBe(false);
  });

  it('filters by namespace like a namespaced informer and does not mutate the input objects', () => {
    const input = parseManifests(`apiVersion: v1
kind: Service
metadata: {name: a, namespace: one, managedFields: [x]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: two}
`);
    const lister = createStaticLister(input, { namespace: 'one' });
    expect(lister.list().map((o) => o.metadata?.name)).toEqual(['a']);
    expect(input[0]?.metadata?.managedFields).toEqual(['x']);
  });

  it('rejects naming the file on a syntax error', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await fs.writeFile(bad, 'kind: [');
    await expect(loadManifests(bad)).rejects.toThrow(/bad\.yaml/);
  });
});
