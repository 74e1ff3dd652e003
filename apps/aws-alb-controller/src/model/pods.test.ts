import { describe, expect, it } from '@jest/globals';
import { podTargetAddresses, type PodLike } from './pods.js';

const pod = (ip: string | undefined, phase = 'Running', deleting = false): PodLike => ({
  metadata: { name: `p-${ip ?? 'none'}`, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  status: { phase, ...(ip === undefined ? {} : { podIP: ip }) },
});

describe('podTargetAddresses', () => {
  it.each([
    [
      'running pods, sorted, without duplicates',
      [pod('10.0.2.1'), pod('10.0.1.1'), pod('10.0.1.1')],
      ['10.0.1.1', '10.0.2.1'],
    ],
    ['not a pending or finished pod', [pod('10.0.0.1', 'Pending'), pod('10.0.0.2', 'Succeeded')], []],
    ['not a terminating pod', [pod('10.0.0.1', 'Running', true)], []],
    ['not a pod without an IP', [pod(undefined)], []],
    ['not an IPv6 pod IP or a hostname', [pod('fd00::1'), pod('pod.local')], []],
  ])('takes %s', (_name, pods, want) => {
    expect(podTargetAddresses(pods)).toEqual(want);
  });
});
