import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { seedExampleText } from '../test/cluster.js';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION } from './names.js';
import { parseSpec, type IngressDaemonSet } from './spec.js';

const base = (spec: Record<string, unknown>): IngressDaemonSet => ({
  metadata: { name: 'x', namespace: 'ns' },
  spec: { template: { spec: { containers: [] } }, ...spec },
});

describe('parseSpec', () => {
  it('reads the original README example: detach mode, node annotation, timestamp wait, and reports the misspelt field', () => {
    const r = parseSpec(parseYaml(seedExampleText()) as IngressDaemonSet);
    expect(r.config?.podsPerNode).toBe(2);
    expect(r.config?.healthCheckNodePorts).toEqual([10080]);
    expect(r.config?.maxSurgePods).toBe(1);
    expect(r.config?.maxUnavailablePods).toBeUndefined();
    expect(r.config?.mode).toEqual({
      kind: 'detach',
      maxUnavailableNodes: 2,
      nodeAnnotation: { key: 'node-detacher.variant.run/detached', value: 'true' },
      waitForTimestamp: { key: 'node-detacher.variant.run/detachment-timestamp', graceMs: 30_000 },
    });
    expect(r.problems.map((p) => [p.reason, p.fatal])).toEqual([
      ['UnknownField', false],
      ['IgnoredField', false],
    ]);
    expect(r.problems[0]?.message).toContain('maxUnavaiablePodsPerNode');
  });

  it.each([
    [
      'defaults: degraded mode with 1 node, 1 pod per node, the .com to-be-updated key',
      {},
      {
        podsPerNode: 1,
        mode: { kind: 'degraded', maxDegradedNodes: 1 },
        toBeUpdated: { key: DEFAULT_TO_BE_UPDATED_ANNOTATION, value: 'true' },
      },
    ],
    [
      'maxUnavailableNodes 0 is the degraded mode',
      { updateStrategy: { rollingUpdate: { maxUnavailableNodes: 0, maxDegradedNodes: 3 } } },
      { mode: { kind: 'degraded', maxDegradedNodes: 3 } },
    ],
    [
      'the singular per-node field is accepted',
      { updateStrategy: { rollingUpdate: { maxUnavailablePodsPerNode: '50%' } } },
      { maxUnavailablePods: '50%' },
    ],
    [
      'the plural (original) name wins over the singular',
      { updateStrategy: { rollingUpdate: { maxUnavailablePodsPerNodes: 2, maxUnavailablePodsPerNode: 3 } } },
      { maxUnavailablePods: 2 },
    ],
    [
      'a missing value of annotateDeploymentToDetach is "true"',
      { updateStrategy: { rollingUpdate: { annotateDeploymentToDetach: { key: 'k' } } } },
      { toBeUpdated: { key: 'k', value: 'true' } },
    ],
    [
      'grace not positive is 10 s',
      {
        updateStrategy: {
          rollingUpdate: {
            maxUnavailableNodes: 1,
            waitForDetachmentByAnnotatedTimestamp: { key: 't', gracePeriodSeconds: 0 },
          },
        },
      },
      { mode: { kind: 'detach', maxUnavailableNodes: 1, waitForTimestamp: { key: 't', graceMs: 10_000 } } },
    ],
  ])('%s', (_name, spec, want) => {
    const r = parseSpec(base(spec));
    expect(r.config).toMatchObject(want);
  });

  it.each([
    ['a port out of range', { healthCheckNodePorts: [70000] }],
    ['duplicate ports', { healthCheckNodePorts: [1, 1] }],
    ['a negative podsPerNode', { podsPerNode: -1 }],
    ['another strategy type', { updateStrategy: { type: 'OnDelete' } }],
    [
      'a timestamp format other than RFC3339',
      {
        updateStrategy: {
          rollingUpdate: { waitForDetachmentByAnnotatedTimestamp: { key: 't', format: 'unix' } },
        },
      },
    ],
    [
      'a per-node limit that is not an int or percentage',
      { updateStrategy: { rollingUpdate: { maxSurgedPodsPerNode: 'lots' } } },
    ],
  ])('refuses %s', (_name, spec) => {
    const r = parseSpec(base(spec));
    expect(r.config).toBeUndefined();
    expect(r.problems.some((p) => p.fatal && p.reason === 'InvalidSpec')).toBe(true);
  });
});
