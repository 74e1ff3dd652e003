import { describe, expect, it } from '@jest/globals';
import {
  CERTIFICATE_IN_USE,
  certificatesExpired,
  certificatesFromTags,
  desiredCertificates,
  formatCertificateExpiry,
  isManagedStack,
  isStackUpdatable,
  newStackName,
  normalizeClusterId,
  problemOf,
  stackAcceptsIngresses,
  stackInSync,
  stackState,
  stackTags,
  toManagedStack,
  type DesiredStack,
} from './stack-manager.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const MIN = 60_000;

describe('stack names', () => {
  it.each([
    ['prod', 'prod'],
    ['my_cluster.example', 'my-cluster-example'],
    ['a__b--c', 'a-b-c'],
    ['-lead-and-trail-', 'lead-and-trail'],
    ['x'.repeat(10) + 'y'.repeat(63), 'y'.repeat(63)],
    ['_' + 'z'.repeat(62) + '_', 'z'.repeat(62)],
  ])('normalizeClusterId(%j) = %j', (id, want) => {
    expect(normalizeClusterId(id)).toBe(want);
  });

  it('keeps the original prefix whatever the controller id, and fits 128 characters', () => {
    const name = newStackName('c'.repeat(200), '01234567-89ab-4def-8123-456789abcdef');
    expect(name).toBe(`kube-ingress-aws-controller-${'c'.repeat(63)}-01234567-89ab-4def-8123-456789abcdef`);
    expect(name.length).toBe(128);
    expect(newStackName('prod')).toMatch(/^kube-ingress-aws-controller-prod-[0-9a-f-]{36}$/);
  });
});

describe('isManagedStack', () => {
  it.each([
    [
      { 'kubernetes:application': 'kube-ingress-aws-controller', 'kubernetes.io/cluster/prod': 'owned' },
      true,
    ],
    [{ 'kubernetes:application': 'kube-ingress-aws-controller', ClusterID: 'prod' }, true],
    [{ 'kubernetes:application': 'other', 'kubernetes.io/cluster/prod': 'owned' }, false],
    [
      { 'kubernetes:application': 'kube-ingress-aws-controller', 'kubernetes.io/cluster/prod': 'shared' },
      false,
    ],
    [
      { 'kubernetes:application': 'kube-ingress-aws-controller', 'kubernetes.io/cluster/dev': 'owned' },
      false,
    ],
    [{ 'kubernetes.io/cluster/prod': 'owned' }, false],
  ])('%j → %s', (tags, want) => {
    expect(isManagedStack(tags, 'prod', 'kube-ingress-aws-controller')).toBe(want);
  });
});

describe('certificate tags', () => {
  it('formats expiries as the original (RFC 3339, UTC, no fractions; zero time = in use)', () => {
    expect(formatCertificateExpiry(null)).toBe(CERTIFICATE_IN_USE);
    expect(formatCertificateExpiry(new Date('2025-06-01T12:30:00.123Z'))).toBe('2025-06-01T12:30:00Z');
  });

  it('reads the prefixed tags, the legacy tag and the zero time', () => {
    const got = certificatesFromTags({
      'ingress:certificate-arn/arn:a': '0001-01-01T00:00:00Z',
      'ingress:certificate-arn/arn:b': '2025-06-01T12:30:00Z',
      'ingress:certificate-arn/arn:c': 'garbage',
      'ingress:certificate-arn': 'arn:legacy',
      other: 'x',
    });
    expect([...got.entries()]).toEqual([
      ['arn:a', null],
      ['arn:b', new Date('2025-06-01T12:30:00Z')],
      ['arn:c', null],
      ['arn:legacy', null],
    ]);
  });

  it.each([
    {
      name: 'a used certificate is in use',
      current: [],
      inUse: ['a'],
      want: [['a', null]],
    },
    {
      name: 'an unused certificate that was in use expires after the TTL',
      current: [['a', null]],
      inUse: [],
      want: [['a', new Date(NOW.getTime() + 30 * MIN)]],
    },
    {
      name: 'an expiry already set is kept',
      current: [['a', new Date(NOW.getTime() + 5 * MIN)]],
      inUse: [],
      want: [['a', new Date(NOW.getTime() + 5 * MIN)]],
    },
    {
      name: 'a past expiry is dropped',
      current: [['a', new Date(NOW.getTime() - MIN)]],
      inUse: ['b'],
      want: [['b', null]],
    },
    {
      name: 'a certificate used again is in use again',
      current: [['a', new Date(NOW.getTime() + 5 * MIN)]],
      inUse: ['a'],
      want: [['a', null]],
    },
  ] as { name: string; current: [string, Date | null][]; inUse: string[]; want: [string, Date | null][] }[])(
    'desiredCertificates: $name',
    ({ current, inUse, want }) => {
      expect([...desiredCertificates(new Map(current), inUse, NOW, 30 * MIN)]).toEqual(want);
    },
  );

  it.each([
    [[], true],
    [[['a', null]], false],
    [[['a', new Date(NOW.getTime() + 1)]], false],
    [[['a', new Date(NOW.getTime())]], true],
    [
      [
        ['a', new Date(NOW.getTime() - 1)],
        ['b', null],
      ],
      false,
    ],
  ] as [[string, Date | null][], boolean][])('certificatesExpired(%j) = %s', (certs, want) => {
    expect(certificatesExpired(new Map(certs), NOW)).toBe(want);
  });
});

describe('stack states', () => {
  it.each([
    ['CREATE_COMPLETE', 'complete', true, true, false],
    ['UPDATE_COMPLETE', 'complete', true, true, false],
    ['UPDATE_ROLLBACK_COMPLETE', 'update-rolled-back', true, true, true],
    ['ROLLBACK_COMPLETE', 'rollback-complete', false, false, true],
    ['ROLLBACK_IN_PROGRESS', 'rolling-back', false, true, true],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'rolling-back', false, true, true],
    ['CREATE_IN_PROGRESS', 'in-progress', false, true, false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'in-progress', false, true, false],
    ['CREATE_FAILED', 'failed', false, true, true],
    ['UPDATE_ROLLBACK_FAILED', 'failed', false, true, true],
    ['DELETE_FAILED', 'failed', false, true, true],
    ['DELETE_IN_PROGRESS', 'deleting', false, false, false],
    ['DELETE_COMPLETE', 'deleted', false, false, false],
  ])(
    '%s: %s, updatable %s, accepts Ingresses %s, reported %s',
    (status, state, updatable, accepts, reported) => {
      expect(stackState(status)).toBe(state);
      expect(isStackUpdatable(status)).toBe(updatable);
      expect(stackAcceptsIngresses({ status })).toBe(accepts);
      expect(problemOf({ status, statusReason: 'why' }) !== undefined).toBe(reported);
    },
  );

  it('names the status and its reason in the problem', () => {
    expect(problemOf({ status: 'DELETE_FAILED', statusReason: 'resource in use' })).toEqual({
      reason: 'StackDeleteFailed',
      message: 'DELETE_FAILED: resource in use',
    });
  });
});

describe('toManagedStack, stackTags and stackInSync', () => {
  const desired: DesiredStack = {
    stackName: 'kube-ingress-aws-controller-prod-1',
    templateBody: '{"Resources":{}}',
    parameters: { LoadBalancerSchemeParameter: 'internet-facing' },
    certificates: new Map([['arn:a', null]]),
    owner: 'ns/web',
    extraTags: { team: 'edge', 'kubernetes:application': 'overridden' },
  };
  const tags = stackTags(desired, 'prod', 'kube-ingress-aws-controller');

  it('writes the ownership, certificate, owner and template-hash tags; the manager wins over extra tags', () => {
    expect(tags).toEqual({
      team: 'edge',
      'kubernetes:application': 'kube-ingress-aws-controller',
      'kubernetes.io/cluster/prod': 'owned',
      'ingress:certificate-arn/arn:a': '0001-01-01T00:00:00Z',
      'ingress:owner': 'ns/web',
      'kube-edge:template-sha256': expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string,
    });
  });

  const described = toManagedStack({
    StackName: 'kube-ingress-aws-controller-prod-1',
    StackId: 'id-1',
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: NOW,
    EnableTerminationProtection: true,
    Parameters: [
      { ParameterKey: 'LoadBalancerSchemeParameter', ParameterValue: 'internet-facing' },
      { ParameterKey: 'TargetGroupHealthCheckPortParameter', ParameterValue: '9999' },
    ],
    Outputs: [
      { OutputKey: 'LoadBalancerDNSName', OutputValue: 'lb-1.elb.amazonaws.com' },
      { OutputKey: 'TargetGroupARN', OutputValue: 'arn:tg' },
    ],
    Tags: [
      ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      { Key: 'aws:cloudformation:x', Value: 'y' },
    ],
  });

  it('maps outputs, parameters, certificates and owner', () => {
    expect(described).toMatchObject({
      name: 'kube-ingress-aws-controller-prod-1',
      status: 'UPDATE_COMPLETE',
      dnsName: 'lb-1.elb.amazonaws.com',
      targetGroupArns: ['arn:tg'],
      owner: 'ns/web',
      terminationProtection: true,
    });
    expect([...described.certificates]).toEqual([['arn:a', null]]);
  });

  it('is in sync with what it was written from, and out of sync after any change', () => {
    expect(stackInSync(described, desired, 'prod', 'kube-ingress-aws-controller')).toBe(true);
    const changes: DesiredStack[] = [
      { ...desired, templateBody: '{"Resources":{"X":{}}}' },
      { ...desired, parameters: { LoadBalancerSchemeParameter: 'internal' } },
      { ...desired, certificates: new Map([['arn:a', new Date(NOW.getTime() + MIN)]]) },
      { ...desired, owner: undefined },
      { ...desired, extraTags: {} },
    ];
    for (const d of changes)
      expect(stackInSync(described, d, 'prod', 'kube-ingress-aws-controller')).toBe(false);
  });

  it('a stack of the original (no template hash) is out of sync once, so it is adopted by an update', () => {
    const original = { ...described, tags: { ...described.tags } };
    delete (original.tags as Record<string, string>)['kube-edge:template-sha256'];
    expect(stackInSync(original, desired, 'prod', 'kube-ingress-aws-controller')).toBe(false);
  });
});
