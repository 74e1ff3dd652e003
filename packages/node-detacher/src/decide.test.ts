import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { decide, parseTaintPatterns, type NodeDecision } from './decide.js';
import { DETACHED_ANNOTATION, DETACHING_TAINT } from './names.js';

function node(opts: {
  unschedulable?: boolean;
  taints?: V1Taint[];
  annotations?: Record<string, string>;
}): V1Node {
  return {
    metadata: { name: 'n1', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      ...(opts.unschedulable === undefined ? {} : { unschedulable: opts.unschedulable }),
      ...(opts.taints ? { taints: opts.taints } : {}),
    },
  };
}
const taint = (key: string, effect = 'NoSchedule', value?: string): V1Taint => ({
  key,
  effect,
  ...(value === undefined ? {} : { value }),
});

describe('decide', () => {
  const cases: [string, V1Node, NodeDecision, string[]?][] = [
    ['a plain node stays attached', node({}), { action: 'attach' }],
    ['uncordoned (unschedulable false) stays attached', node({ unschedulable: false }), { action: 'attach' }],
    [
      'a cordoned node is detached and its pods evicted',
      node({ unschedulable: true }),
      { action: 'detach', reasons: ['Cordoned'], taints: [], evictPods: true },
    ],
    [
      "the cluster autoscaler's taint detaches",
      node({ taints: [taint('ToBeDeletedByClusterAutoscaler', 'NoSchedule', '1700000000')] }),
      {
        action: 'detach',
        reasons: ['Taint'],
        taints: ['ToBeDeletedByClusterAutoscaler:NoSchedule'],
        evictPods: true,
      },
    ],
    [
      'any node.kubernetes.io/* taint detaches',
      node({ taints: [taint('node.kubernetes.io/unreachable', 'NoExecute')] }),
      {
        action: 'detach',
        reasons: ['Taint'],
        taints: ['node.kubernetes.io/unreachable:NoExecute'],
        evictPods: true,
      },
    ],
    [
      "Karpenter's disrupted taint with NoSchedule detaches",
      node({ taints: [taint('karpenter.sh/disrupted')] }),
      {
        action: 'detach',
        reasons: ['Taint'],
        taints: ['karpenter.sh/disrupted:NoSchedule'],
        evictPods: true,
      },
    ],
    [
      "Karpenter's taint with another effect does not",
      node({ taints: [taint('karpenter.sh/disrupted', 'PreferNoSchedule')] }),
      { action: 'attach' },
    ],
    [
      'a custom taint (dedicated=ingress) is ignored by default',
      node({ taints: [taint('dedicated', 'NoSchedule', 'ingress')] }),
      { action: 'attach' },
    ],
    [
      'a custom taint detaches when listed',
      node({ taints: [taint('dedicated', 'NoSchedule', 'ingress')] }),
      { action: 'detach', reasons: ['Taint'], taints: ['dedicated:NoSchedule'], evictPods: true },
      ['dedicated'],
    ],
    [
      'a configured list replaces the defaults',
      node({ taints: [taint('ToBeDeletedByClusterAutoscaler')] }),
      { action: 'attach' },
      ['example.com/*:NoExecute'],
    ],
    [
      'a prefix pattern with an effect matches only that effect',
      node({ taints: [taint('example.com/drain', 'NoExecute'), taint('example.com/x', 'NoSchedule')] }),
      { action: 'detach', reasons: ['Taint'], taints: ['example.com/drain:NoExecute'], evictPods: true },
      ['example.com/*:NoExecute'],
    ],
    [
      "node-detacher's own taint never triggers (a detached node must be able to come back)",
      node({ taints: [taint(DETACHING_TAINT, 'NoSchedule', 'node-detacher')] }),
      { action: 'attach' },
      [`${DETACHING_TAINT}`, 'node-detacher.variant.run/*'],
    ],
    [
      'the detached annotation (any value, even empty) detaches without eviction',
      node({ annotations: { [DETACHED_ANNOTATION]: '' } }),
      { action: 'detach', reasons: ['DetachedAnnotation'], taints: [], evictPods: false },
    ],
    [
      'the detached annotation plus a cordon evicts',
      node({ unschedulable: true, annotations: { [DETACHED_ANNOTATION]: 'true' } }),
      { action: 'detach', reasons: ['Cordoned', 'DetachedAnnotation'], taints: [], evictPods: true },
    ],
    [
      'a control-plane node is ignored even when cordoned',
      node({ unschedulable: true, taints: [taint('node-role.kubernetes.io/control-plane')] }),
      { action: 'ignore', reason: 'ControlPlane' },
    ],
    [
      'a legacy master node is ignored',
      node({ taints: [taint('node-role.kubernetes.io/master')] }),
      { action: 'ignore', reason: 'ControlPlane' },
    ],
  ];
  it.each(cases.map(([name, n, want, triggerTaints]) => ({ name, n, want, triggerTaints })))(
    '$name',
    ({ n, want, triggerTaints }) => {
      expect(decide(n, triggerTaints === undefined ? {} : { triggerTaints })).toEqual(want);
    },
  );
});

describe('parseTaintPatterns', () => {
  it.each(['a:b:c', 'a*b', ':NoSchedule', 'a:', 'a:Sometimes', ''])('refuses %j', (p) => {
    expect(() => parseTaintPatterns([p])).toThrow(TypeError);
  });
  it('accepts key, key:Effect, prefix* and prefix*:Effect', () => {
    expect(parseTaintPatterns(['k', 'k:NoExecute', 'p/*', '*:PreferNoSchedule'])).toEqual([
      { key: 'k', prefix: false, effect: undefined },
      { key: 'k', prefix: false, effect: 'NoExecute' },
      { key: 'p/', prefix: true, effect: undefined },
      { key: '', prefix: true, effect: 'PreferNoSchedule' },
    ]);
  });
});
