import { describe, expect, it } from '@jest/globals';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.js';

describe('jsonMergePatch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: ['b'] }, { a: ['c', 'd'] }, { a: ['c', 'd'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(jsonMergePatch(target, patch)).toEqual(expected);
  });

  it('leaves its inputs untouched', () => {
    const target = { a: { b: 1 } };
    jsonMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { list: [1, 2, 3] } };
  it.each([
    [
      [{ op: 'add', path: '/metadata/labels/b', value: '2' }],
      { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2, 3] } },
    ],
    [[{ op: 'remove', path: '/metadata/labels/a' }], { metadata: { labels: {} }, spec: { list: [1, 2, 3] } }],
    [
      [{ op: 'replace', path: '/spec/list/0', value: 9 }],
      { metadata: { labels: { a: '1' } }, spec: { list: [9, 2, 3] } },
    ],
    [
      [{ op: 'add', path: '/spec/list/-', value: 4 }],
      { metadata: { labels: { a: '1' } }, spec: { list: [1, 2, 3, 4] } },
    ],
    [
      [{ op: 'add', path: '/spec/list/1', value: 7 }],
      { metadata: { labels: { a: '1' } }, spec: { list: [1, 7, 2, 3] } },
    ],
    [
      [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z' }],
      { metadata: { labels: { z: '1' } }, spec: { list: [1, 2, 3] } },
    ],
    [
      [{ op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/y' }],
      { metadata: { labels: { a: '1', y: '1' } }, spec: { list: [1, 2, 3] } },
    ],
    [
      [
        { op: 'test', path: '/metadata/labels/a', value: '1' },
        { op: 'add', path: '/metadata/labels/a~1b', value: 'x' },
      ],
      { metadata: { labels: { a: '1', 'a/b': 'x' } }, spec: { list: [1, 2, 3] } },
    ],
  ])('applies %j', (ops, expected) => {
    expect(jsonPatch(doc, ops)).toEqual(expected);
  });

  it.each([
    [[{ op: 'test', path: '/metadata/labels/a', value: '2' }]],
    [[{ op: 'remove', path: '/metadata/missing' }]],
    [[{ op: 'replace', path: '/spec/list/5', value: 1 }]],
  ])('rejects %j with 422', (ops) => {
    expect(() => jsonPatch(doc, ops)).toThrow(expect.objectContaining({ code: 422 }));
  });
});

describe('strategicMergePatch', () => {
  const deployment = {
    metadata: { name: 'd', finalizers: ['a'] },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80 }],
            },
            { name: 'side', image: 'busybox' },
          ],
          tolerations: [{ key: 'x' }],
        },
      },
    },
  };

  it('merges containers by name and env by name', () => {
    const out = strategicMergePatch('Deployment', deployment, {
      spec: {
        template: {
          spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '3' }] }] },
        },
      },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers).toEqual([
      {
        name: 'web',
        image: 'nginx:2',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '3' },
        ],
        ports: [{ containerPort: 80 }],
      },
      { name: 'side', image: 'busybox' },
    ]);
  });

  it('deletes list elements with $patch: delete and keeps the others', () => {
    const out = strategicMergePatch('Deployment', deployment, {
      spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['web']);
  });

  it('replaces lists without a merge key (tolerations) and merges finalizers as a set', () => {
    const out = strategicMergePatch('Deployment', deployment, {
      metadata: { finalizers: ['b', 'a'] },
      spec: { template: { spec: { tolerations: [{ key: 'y' }] } } },
    }) as typeof deployment;
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'y' }]);
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
  });

  it('honours $deleteFromPrimitiveList, $retainKeys, $patch: replace and ignores $setElementOrder', () => {
    const out = strategicMergePatch('Deployment', deployment, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
            containers: [{ name: 'web', $retainKeys: ['name', 'image'], image: 'nginx:3' }],
          },
        },
      },
    }) as typeof deployment;
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.spec.template.spec.containers[0]).toEqual({ name: 'web', image: 'nginx:3' });
    const replaced = strategicMergePatch('Deployment', deployment, {
      spec: { template: { $patch: 'replace', metadata: { labels: { a: 'b' } } } },
    }) as { spec: { template: unknown } };
    expect(replaced.spec.template).toEqual({ metadata: { labels: { a: 'b' } } });
  });

  it('merges Service ports by port and deletes fields set to null', () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }], selector: { app: 'a' } } };
    const out = strategicMergePatch('Service', svc, {
      spec: { ports: [{ port: 80, targetPort: 9090 }], selector: null },
    });
    expect(out).toEqual({ spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } });
  });
});
