import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Node } from '@kubernetes/client-node';
import { desiredDeployment } from './desired.js';
import {
  DEFAULT_TO_BE_UPDATED_ANNOTATION,
  NODE_DETACH_REQUESTED_ANNOTATION,
  OBJECT_HASH_ANNOTATION,
} from './names.js';
import { planIds, type Action, type PlanInput } from './plan.js';
import { parseSpec, type IdsConfig, type IngressDaemonSet } from './spec.js';

const DETACHED = 'node-detacher.variant.run/detached';

function idsWith(image: string): IngressDaemonSet {
  return {
    apiVersion: 'ingressdaemonsets.mumoshu.github.io/v1alpha1',
    kind: 'IngressDaemonSet',
    metadata: { name: 'ing', namespace: 'ns', uid: 'uid-1', generation: 2, finalizers: [] },
    spec: {
      nodeSelector: { ingress: 'true' },
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailableNodes: 1, annotateNodeToDetach: { key: DETACHED, value: 'true' } },
      },
      template: { metadata: { labels: { app: 'ing' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

function configOf(ids: IngressDaemonSet): IdsConfig {
  const parsed = parseSpec(ids);
  if (parsed.config === undefined) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

const node = (name: string, annotations: Record<string, string> = {}): V1Node => ({
  metadata: { name, labels: { ingress: 'true' }, annotations },
});

/** A Deployment at `ids`'s spec for `n`, fully rolled out, with extra annotations. */
function deployment(ids: IngressDaemonSet, n: string, extra: Record<string, string> = {}): V1Deployment {
  const d = desiredDeployment(ids, configOf(ids), n);
  return {
    ...d,
    metadata: {
      ...d.metadata,
      resourceVersion: '7',
      generation: 1,
      annotations: { ...d.metadata?.annotations, ...extra },
    },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  };
}

function input(ids: IngressDaemonSet, nodes: V1Node[], deployments: V1Deployment[]): PlanInput {
  return {
    ids,
    config: configOf(ids),
    nodes,
    deployments,
    daemonSets: [],
    now: Date.parse('2026-01-01T00:00:00Z'),
    stallAfterMs: 600_000,
    healthChecker: { image: 'hc:1', imagePullPolicy: 'IfNotPresent', serviceAccountName: '' },
  };
}

const nodeWrites = (actions: readonly Action[]) => actions.filter((a) => a.kind === 'annotateNode');

describe('planIds mode A and a node annotated by someone else', () => {
  it('does not record a detach request for a node that already carries the node annotation', () => {
    const old = idsWith('img:1');
    const ids = idsWith('img:2');
    const plan = planIds(input(ids, [node('n1', { [DETACHED]: 'true' })], [deployment(old, 'n1')]));
    const mark = plan.actions.find((a) => a.kind === 'annotateDeployment');
    expect(mark).toBeDefined();
    expect(Object.keys(mark?.kind === 'annotateDeployment' ? mark.annotations : {})).not.toContain(
      NODE_DETACH_REQUESTED_ANNOTATION,
    );
    expect(nodeWrites(plan.actions)).toEqual([]);
  });

  it('leaves the operator’s node annotation in place once the rollout is done', () => {
    const old = idsWith('img:1');
    const ids = idsWith('img:2');
    const n1 = node('n1', { [DETACHED]: 'true' });
    // Pass 1: the Deployment is marked; apply that mark as the API server would.
    const first = planIds(input(ids, [n1], [deployment(old, 'n1')]));
    const mark = first.actions.find((a) => a.kind === 'annotateDeployment');
    const marks = mark?.kind === 'annotateDeployment' ? mark.annotations : {};
    const kept = Object.fromEntries(
      Object.entries(marks).filter((e): e is [string, string] => e[1] !== null),
    );
    // Later: updated to the new spec and rolled out, still carrying the marks.
    const done = deployment(ids, 'n1', kept);
    const last = planIds(input(ids, [n1], [done]));
    expect(last.actions.some((a) => a.kind === 'annotateDeployment')).toBe(true);
    expect(nodeWrites(last.actions)).toEqual([]);
  });

  it('still annotates (and later releases) a node it detached itself', () => {
    const old = idsWith('img:1');
    const ids = idsWith('img:2');
    const first = planIds(input(ids, [node('n1')], [deployment(old, 'n1')]));
    expect(nodeWrites(first.actions)).toEqual([
      expect.objectContaining({ name: 'n1', annotations: { [DETACHED]: 'true' } }),
    ]);
    const mark = first.actions.find((a) => a.kind === 'annotateDeployment');
    expect(mark?.kind === 'annotateDeployment' ? mark.annotations : {}).toMatchObject({
      [NODE_DETACH_REQUESTED_ANNOTATION]: 'true',
    });
    const done = deployment(ids, 'n1', {
      [DEFAULT_TO_BE_UPDATED_ANNOTATION]: 'true',
      [NODE_DETACH_REQUESTED_ANNOTATION]: 'true',
    });
    const last = planIds(input(ids, [node('n1', { [DETACHED]: 'true' })], [done]));
    expect(nodeWrites(last.actions)).toEqual([
      expect.objectContaining({ name: 'n1', annotations: { [DETACHED]: null } }),
    ]);
    expect(done.metadata?.annotations?.[OBJECT_HASH_ANNOTATION]).toBeDefined();
  });
});
