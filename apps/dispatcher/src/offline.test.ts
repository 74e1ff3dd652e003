import { describe, expect, it } from '@jest/globals';
import { prepareForRender } from './offline.js';
import type { PodObject, SecretObject } from './model/types.js';

describe('prepareForRender', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        metadata: { labels: { a: 'b' }, annotations: { x: 'y' } },
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 3000 }] }] },
      },
    },
  };

  it('turns a workload template into one running, ready pod with a TEST-NET address', () => {
    const [pod] = prepareForRender([deployment]) as PodObject[];
    expect(pod).toMatchObject({
      kind: 'Pod',
      metadata: { name: 'web-template', namespace: 'shop', labels: { a: 'b' }, annotations: { x: 'y' } },
      spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Running', podIP: '192.0.2.1', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it("keeps a pod's own status and numbers status-less pods in namespace/name order", () => {
    const pods = prepareForRender([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'x' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'live', namespace: 'x' },
        status: { phase: 'Pending', podIP: '10.0.0.9' },
      } as PodObject,
    ]) as PodObject[];
    expect(pods.map((p) => [p.metadata?.name, p.status?.podIP, p.status?.phase])).toEqual([
      ['a', '192.0.2.1', 'Running'],
      ['b', '192.0.2.2', 'Running'],
      ['live', '10.0.0.9', 'Pending'],
    ]);
  });

  it("merges a Secret's stringData into data as base64, leaving the input untouched", () => {
    const input = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'x' },
      data: { a: 'QQ==' },
      stringData: { 'api-key': 'supersecret' },
    };
    const [s] = prepareForRender([input]) as SecretObject[];
    expect(s!.data).toEqual({ a: 'QQ==', 'api-key': 'c3VwZXJzZWNyZXQ=' });
    expect(input.stringData).toEqual({ 'api-key': 'supersecret' });
  });
});
