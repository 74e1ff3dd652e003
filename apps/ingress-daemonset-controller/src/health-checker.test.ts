import { describe, expect, it } from '@jest/globals';
import type { V1Deployment } from '@kubernetes/client-node';
import { findDeployment, healthAnswer } from './health-checker.js';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION, NODE_ANNOTATION } from './names.js';

const dep = (
  over: {
    replicas?: number;
    status?: V1Deployment['status'];
    annotations?: Record<string, string>;
    generation?: number;
    deleting?: boolean;
  } = {},
): V1Deployment => ({
  metadata: {
    name: 'web-n1',
    generation: over.generation ?? 2,
    annotations: { [NODE_ANNOTATION]: 'n1', ...over.annotations },
    ownerReferences: [
      { apiVersion: 'x/v1', kind: 'IngressDaemonSet', name: 'web', uid: 'u', controller: true },
    ],
    ...(over.deleting === true ? { deletionTimestamp: new Date() } : {}),
  },
  spec: { ...(over.replicas === undefined ? {} : { replicas: over.replicas }), selector: {}, template: {} },
  status: over.status ?? { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
});

describe('healthAnswer', () => {
  it.each([
    ['no Deployment', undefined, 503, 'no per-node deployment'],
    ['every replica updated and available', dep({ replicas: 2 }), 200, '2 / 2 replicas are available'],
    [
      'unset replicas count as 1',
      dep({ status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 } }),
      200,
      '1 / 1',
    ],
    [
      'one replica unavailable',
      dep({ replicas: 2, status: { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 } }),
      503,
      'only 1 / 2 replicas are available',
    ],
    ['a spec not yet observed', dep({ replicas: 2, generation: 3 }), 503, 'not yet observed'],
    [
      'old replicas left',
      dep({ replicas: 2, status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 2 } }),
      503,
      'only 1 / 2 replicas are updated',
    ],
    [
      'an update pending',
      dep({ replicas: 2, annotations: { [DEFAULT_TO_BE_UPDATED_ANNOTATION]: 'true' } }),
      503,
      'is pending',
    ],
    ['the Deployment being deleted', dep({ replicas: 2, deleting: true }), 503, 'being deleted'],
  ])('%s', (_name, d, status, text) => {
    const a = healthAnswer(d, {});
    expect(a.status).toBe(status);
    expect(a.body).toContain(text);
  });

  it('finds the Deployment by name, or by IngressDaemonSet and node', () => {
    const d = dep();
    expect(findDeployment([d], { deployment: 'web-n1' })).toBe(d);
    expect(findDeployment([d], { ingressDaemonSet: 'web', node: 'n1' })).toBe(d);
    expect(findDeployment([d], { ingressDaemonSet: 'web', node: 'n2' })).toBeUndefined();
    expect(findDeployment([d], { ingressDaemonSet: 'other', node: 'n1' })).toBeUndefined();
  });
});
