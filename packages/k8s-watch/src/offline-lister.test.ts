import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ManifestError,
  createStaticLister,
  describeManifestProblem,
  loadManifests,
  loadManifestsOrThrow,
  parseManifests,
  readManifests,
} from './offline-lister.js';
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

describe('readManifests and loadManifestsOrThrow: nothing is ignored silently', () => {
  let dir: string;
  const file = (name: string): string => path.join(dir, name);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k8s-watch-report-'));
    await fs.writeFile(
      file('mixed.yaml'),
      `apiVersion: v1
kind: Service
metadata: {name: a, namespace: x}
---
just a string
---
replicas: 3
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {namespace: x}
- apiVersion: v1
  kind: Service
  metadata: {name: b}
`,
    );
    await fs.writeFile(file('broken.yaml'), 'apiVersion: v1\nkind: Service\n---\nmetadata: {name: [x\n');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const kinds = [
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  ];

  it('reports each document it does not use by file and document index, with a reason', async () => {
    const r = await readManifests(file('mixed.yaml'), { kinds });
    expect(r.objects.map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(r.problems.map((p) => [p.severity, p.reason, describeManifestProblem(p)])).toEqual([
      [
        'warning',
        'NotKubernetes',
        `${file('mixed.yaml')}: document 2: not a Kubernetes object (a string, not a mapping): ignored`,
      ],
      [
        'warning',
        'NotKubernetes',
        `${file('mixed.yaml')}: document 3: not a Kubernetes object (no apiVersion or kind): ignored`,
      ],
      [
        'warning',
        'UnknownKind',
        `${file('mixed.yaml')}: document 4: Ingress x/old: apiVersion extensions/v1beta1 is not read (only networking.k8s.io/v1): ignored`,
      ],
      [
        'warning',
        'UnknownKind',
        `${file('mixed.yaml')}: document 5: ConfigMap cm (v1): kind not read by this command: ignored`,
      ],
      ['error', 'NoName', `${file('mixed.yaml')}: document 7 item 1: Service (v1) has no metadata.name`],
    ]);
  });

  it('reports a syntax error as an Unparseable error naming the file and document, and reads no object of it', async () => {
    const r = await readManifests(file('broken.yaml'));
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([
      expect.objectContaining({
        file: file('broken.yaml'),
        document: 2,
        severity: 'error',
        reason: 'Unparseable',
      }),
    ]);
    expect(r.problems[0]!.message).not.toContain('\n');
  });

  it('loadManifestsOrThrow writes the warnings, then rejects with one line for the first error', async () => {
    const warnings: string[] = [];
    const err = await loadManifestsOrThrow([file('mixed.yaml'), file('broken.yaml')], {
      kinds,
      warn: (l) => warnings.push(l),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).message).toBe(
      `${file('mixed.yaml')}: document 7 item 1: Service (v1) has no metadata.name (and 1 more manifest errors)`,
    );
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/^warning: .*mixed\.yaml: document 2: /);
  });

  it('rejects a missing path with one line naming it', async () => {
    await expect(readManifests(file('nope.yaml'))).rejects.toThrow(
      `${file('nope.yaml')}: no such file or directory`,
    );
    await expect(loadManifests(file('nope.yaml'))).rejects.toBeInstanceOf(ManifestError);
  });
});
