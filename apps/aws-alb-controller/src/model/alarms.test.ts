import { describe, expect, it } from '@jest/globals';
import { alarmConfigHash, alarmResource, parseAlarmConfigMap } from './alarms.js';

const cm = (data: Record<string, string>) => ({
  metadata: { name: 'alb-alarms', namespace: 'kube-system', uid: 'u1' },
  data,
});

const GOOD = `
- AlarmName: 5xx
  MetricName: HTTPCode_ELB_5XX_Count
  ComparisonOperator: GreaterThanThreshold
  EvaluationPeriods: 2
  Period: 60
  Statistic: Sum
  Threshold: 10
  AlarmActions: [arn:aws:sns:eu-west-1:123456789012:pager]
`;

describe('parseAlarmConfigMap', () => {
  it('reads every key in sorted order, keys of each alarm sorted', () => {
    const r = parseAlarmConfigMap(
      cm({
        'b.yaml': GOOD,
        'a.yaml':
          '- {MetricName: TargetResponseTime, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Threshold: 1.5, Dimensions: [{Name: TargetGroup}]}',
      }),
    );
    expect(r.skipped).toEqual([]);
    expect(r.alarms.map((a) => a.MetricName)).toEqual(['TargetResponseTime', 'HTTPCode_ELB_5XX_Count']);
    expect(Object.keys(r.alarms[1] ?? {})).toEqual([...Object.keys(r.alarms[1] ?? {})].sort());
  });

  it('is empty without a ConfigMap, and for an empty key', () => {
    expect(parseAlarmConfigMap(undefined)).toEqual({ alarms: [], skipped: [] });
    expect(parseAlarmConfigMap(cm({ empty: '' }))).toEqual({ alarms: [], skipped: [] });
  });

  it.each([
    ['not YAML', '- [unclosed', /not YAML/],
    ['a map, not a list', 'AlarmName: x', /not a list/],
    [
      'an unknown field',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Oops: 1}',
      /unknown field "Oops"/,
    ],
    [
      'a bad operator',
      '- {MetricName: m, ComparisonOperator: Bigger, EvaluationPeriods: 1}',
      /ComparisonOperator/,
    ],
    [
      'no EvaluationPeriods',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold}',
      /EvaluationPeriods is required/,
    ],
    [
      'no MetricName',
      '- {ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1}',
      /MetricName is required/,
    ],
    [
      'a string threshold',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Threshold: "1"}',
      /Threshold/,
    ],
    [
      'a bad statistic',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Statistic: Median}',
      /Statistic/,
    ],
    [
      'a bad dimension',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Dimensions: [{Name: 1}]}',
      /Dimensions/,
    ],
  ])('skips a key holding %s (naming the key), and uses the others', (_name, text, message) => {
    const r = parseAlarmConfigMap(cm({ bad: text, good: GOOD }));
    expect(r.alarms).toHaveLength(1);
    expect(r.skipped).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        namespace: 'kube-system',
        name: 'alb-alarms',
        uid: 'u1',
        reason: 'InvalidCloudWatchAlarms',
        message: expect.stringMatching(message) as unknown as string,
      }),
    ]);
    expect(r.skipped[0]?.message).toMatch(/^data key "bad": /);
  });
});

describe('alarmResource', () => {
  it('prefixes the name with the stack name, defaults the namespace and points the dimensions at the stack', () => {
    const [alarm] = parseAlarmConfigMap(
      cm({
        a: '- {AlarmName: slow, MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Dimensions: [{Name: TargetGroup, Value: x}, {Name: AvailabilityZone, Value: eu-west-1a}]}',
      }),
    ).alarms;
    expect(alarmResource(alarm ?? {})).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'slow']] },
        ComparisonOperator: 'LessThanThreshold',
        Dimensions: [
          { Name: 'TargetGroup', Value: { 'Fn::GetAtt': ['TG', 'TargetGroupFullName'] } },
          { Name: 'AvailabilityZone', Value: 'eu-west-1a' },
        ],
        EvaluationPeriods: 1,
        MetricName: 'm',
        Namespace: 'AWS/ApplicationELB',
      },
    });
    expect(alarmResource({ MetricName: 'm' }).Properties).toMatchObject({
      Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': ['LB', 'LoadBalancerFullName'] } }],
    });
  });

  it('hashes the alarms (none: no hash)', () => {
    const { alarms } = parseAlarmConfigMap(cm({ a: GOOD }));
    expect(alarmConfigHash(alarms)).toMatch(/^[0-9a-f]{64}$/);
    expect(alarmConfigHash([])).toBeUndefined();
  });
});
