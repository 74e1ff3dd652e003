import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { mergeMembership, type Attachment } from './attachment.js';
import { planEviction } from './eviction.js';
import { instanceIdOf } from './instance-id.js';
import { nodeMarkerPatch } from './markers.js';
import {
  ATTACHMENT_TIMESTAMP_ANNOTATION as ATT_TS,
  DELETION_PRIORITY_ANNOTATION as PRIO,
  DETACHING_ANNOTATION as DETACHING,
  DETACHING_TAINT,
  DETACHMENT_TIMESTAMP_ANNOTATION as DET_TS,
  EXCLUDE_BALANCER_LABEL,
} from './names.js';

const ID = 'i-0123456789abcdef0';
const NOW = '2024-05-01T10:00:00Z';
const OLD = '2024-04-01T10:00:00Z';
const TAINT = { key: DETACHING_TAINT, value: 'node-detacher', effect: 'NoSchedule' };

describe('instanceIdOf', () => {
  it.each([
    ['the eksctl label', { metadata: { labels: { 'alpha.eksctl.io/instance-id': ID } } }, ID],
    ['spec.providerID', { spec: { providerID: `aws:///eu-west-1a/${ID}` } }, ID],
    [
      'the label over providerID',
      {
        metadata: { labels: { 'alpha.eksctl.io/instance-id': ID } },
        spec: { providerID: 'aws:///z/i-00000000' },
      },
      ID,
    ],
    ['a non-AWS providerID', { spec: { providerID: `gce://p/z/${ID}` } }, undefined],
    ['no id at all', {}, undefined],
    [
      'a malformed label falls back to providerID',
      {
        metadata: { labels: { 'alpha.eksctl.io/instance-id': 'x' } },
        spec: { providerID: `aws:///z/${ID}` },
      },
      ID,
    ],
  ] as [string, V1Node, string | undefined][])('%s', (_n, node, want) => {
    expect(instanceIdOf(node)).toBe(want);
  });
});

describe('nodeMarkerPatch', () => {
  const node = (
    annotations: Record<string, string>,
    taints = [] as (typeof TAINT)[],
    labels: Record<string, string> = {},
  ): V1Node => ({
    metadata: { name: 'n', resourceVersion: '7', annotations, labels },
    spec: { taints: [{ key: 'other', effect: 'NoSchedule' }, ...taints] },
  });
  it('detaching a plain node sets annotation, timestamp, taint and labels in one patch, checked by resourceVersion', () => {
    expect(
      nodeMarkerPatch(node({ [ATT_TS]: OLD }), {
        detached: true,
        name: 'node-detacher',
        now: NOW,
        cached: true,
        excludeBalancer: true,
      }),
    ).toEqual({
      patch: {
        metadata: {
          resourceVersion: '7',
          annotations: { [DETACHING]: 'true', [DET_TS]: NOW, [ATT_TS]: null },
          labels: { 'node-detacher.variant.run/cached': 'true', [EXCLUDE_BALANCER_LABEL]: 'true' },
        },
        spec: { taints: [{ key: 'other', effect: 'NoSchedule' }, TAINT] },
      },
      transition: true,
    });
  });
  it('a node already marked is not written again, and its timestamp is kept', () => {
    expect(
      nodeMarkerPatch(node({ [DETACHING]: 'true', [DET_TS]: OLD }, [TAINT]), {
        detached: true,
        name: 'node-detacher',
        now: NOW,
      }),
    ).toBeUndefined();
  });
  it('a lost taint is put back without a new timestamp or Event', () => {
    expect(
      nodeMarkerPatch(node({ [DETACHING]: 'true', [DET_TS]: OLD }), {
        detached: true,
        name: 'node-detacher',
        now: NOW,
      }),
    ).toEqual({
      patch: {
        metadata: { resourceVersion: '7' },
        spec: { taints: [{ key: 'other', effect: 'NoSchedule' }, TAINT] },
      },
      transition: false,
    });
  });
  it('re-attaching removes the taint, the detachment timestamp and the exclude label, keeps cached', () => {
    const n = node({ [DETACHING]: 'true', [DET_TS]: OLD }, [TAINT], {
      [EXCLUDE_BALANCER_LABEL]: 'true',
      'node-detacher.variant.run/cached': 'true',
    });
    expect(
      nodeMarkerPatch(n, { detached: false, name: 'node-detacher', now: NOW, excludeBalancer: false }),
    ).toEqual({
      patch: {
        metadata: {
          resourceVersion: '7',
          annotations: { [DETACHING]: 'false', [ATT_TS]: NOW, [DET_TS]: null },
          labels: { [EXCLUDE_BALANCER_LABEL]: null },
        },
        spec: { taints: [{ key: 'other', effect: 'NoSchedule' }] },
      },
      transition: true,
    });
  });
  it('the last taint removed writes taints: null', () => {
    const n: V1Node = {
      metadata: { annotations: { [DETACHING]: 'false', [ATT_TS]: OLD } },
      spec: { taints: [TAINT] },
    };
    expect(nodeMarkerPatch(n, { detached: false, name: 'node-detacher', now: NOW })?.patch).toEqual({
      metadata: {},
      spec: { taints: null },
    });
  });
});

describe('planEviction', () => {
  const pod = (name: string, prio?: string, extra: { deleting?: string; phase?: string } = {}): V1Pod => ({
    metadata: {
      name,
      ...(prio === undefined ? {} : { annotations: { [PRIO]: prio } }),
      ...(extra.deleting === undefined ? {} : { deletionTimestamp: new Date(extra.deleting) }),
    },
    ...(extra.phase === undefined ? {} : { status: { phase: extra.phase } }),
  });
  const names = (ps: readonly V1Pod[]): string[] => ps.map((p) => p.metadata?.name ?? '');
  const now = Date.parse(NOW);
  it('takes the highest priority group first (numerically, negatives included), ignoring pods without one', () => {
    const plan = planEviction([pod('a', '2'), pod('b', '10'), pod('c', '-1'), pod('d'), pod('e', '10')], {
      now,
    });
    expect(plan.priority).toBe(10);
    expect(names(plan.evict)).toEqual(['b', 'e']);
    expect(names(plan.waiting)).toEqual(['b', 'e']);
  });
  it('waits for terminating pods without evicting them again', () => {
    const plan = planEviction([pod('a', '1'), pod('b', '5', { deleting: NOW })], { now });
    expect(plan.priority).toBe(5);
    expect(plan.evict).toEqual([]);
    expect(names(plan.waiting)).toEqual(['b']);
  });
  it('moves on past a pod stuck terminating beyond the timeout, and past finished pods', () => {
    const plan = planEviction(
      [pod('a', '1'), pod('b', '5', { deleting: OLD }), pod('c', '7', { phase: 'Succeeded' })],
      { now, podDeletionTimeoutMs: 60_000 },
    );
    expect(plan.priority).toBe(1);
    expect(names(plan.stuck)).toEqual(['b']);
    expect(names(plan.evict)).toEqual(['a']);
  });
  it('reports non-integer priorities and never evicts them', () => {
    const plan = planEviction([pod('a', 'high'), pod('b', '1.5'), pod('c', ' 3 ')], { now });
    expect(names(plan.invalid)).toEqual(['a', 'b']);
    expect(names(plan.evict)).toEqual(['c']);
  });
  it('is done when nothing with a priority is left', () => {
    expect(planEviction([pod('x')], { now })).toEqual({
      priority: undefined,
      evict: [],
      waiting: [],
      invalid: [],
      stuck: [],
    });
  });
});

describe('mergeMembership', () => {
  const att = (phase: 'Attached' | 'Detaching'): Attachment => ({
    metadata: { name: 'n' },
    spec: {
      nodeName: 'n',
      awsLoadBalancers: [{ name: 'gone-clb', detached: true }],
      awsTargets: [{ arn: 'tg-old', port: 80, detached: false }],
    },
    status: { phase },
  });
  const found = { loadBalancers: ['clb'], targets: [{ arn: 'tg', port: 8080 }] };
  it('a new cycle records what was found, not detached', () => {
    expect(mergeMembership(undefined, found)).toEqual({
      awsLoadBalancers: [{ name: 'clb', detached: false }],
      awsTargets: [{ arn: 'tg', port: 8080, detached: false }],
    });
    expect(mergeMembership(att('Attached'), found)).toEqual(mergeMembership(undefined, found));
  });
  it('an unfinished cycle keeps what it recorded (already taken out, so no longer found) and adds the new finds', () => {
    expect(mergeMembership(att('Detaching'), found)).toEqual({
      awsLoadBalancers: [
        { name: 'clb', detached: false },
        { name: 'gone-clb', detached: true },
      ],
      awsTargets: [
        { arn: 'tg', port: 8080, detached: false },
        { arn: 'tg-old', port: 80, detached: false },
      ],
    });
  });
});
