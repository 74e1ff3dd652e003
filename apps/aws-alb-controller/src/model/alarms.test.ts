import { describe, expect, it } from '@jest/globals';
import { SSL_POLICIES } from '../cli.js';
import {
  ALARM_TEMPLATE_BUDGET_BYTES,
  alarmConfigHash,
  alarmResource,
  parseAlarmConfigMap,
} from './alarms.js';
import type { LoadBalancerPlan } from './pack.js';
import { TEMPLATE_LIMITS, renderStack, type TemplateSettings } from './template.js';

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
          '- {MetricName: TargetResponseTime, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: 60, ExtendedStatistic: p99, Threshold: 1.5, Dimensions: [{Name: TargetGroup}]}',
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
    // What CloudWatch refuses: it would fail the create or update of every stack.
    [
      'no Threshold',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum}',
      /Threshold is required/,
    ],
    [
      'an anomaly-band operator (needs ThresholdMetricId)',
      '- {MetricName: m, ComparisonOperator: LessThanLowerThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 1}',
      /ComparisonOperator/,
    ],
    [
      'neither Statistic nor ExtendedStatistic',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Threshold: 1}',
      /exactly one of Statistic and ExtendedStatistic/,
    ],
    [
      'both Statistic and ExtendedStatistic',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Threshold: 1, Statistic: Sum, ExtendedStatistic: p99}',
      /exactly one of Statistic and ExtendedStatistic/,
    ],
    [
      'no Period',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Statistic: Sum, Threshold: 1}',
      /Period is required/,
    ],
    [
      'a Period CloudWatch does not take',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 45, Statistic: Sum, Threshold: 1}',
      /Period must be 10, 20, 30 or a multiple of 60/,
    ],
    [
      'more than a day of evaluation with a short Period',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1441, Period: 60, Statistic: Sum, Threshold: 1}',
      /at most one day/,
    ],
    [
      'more DatapointsToAlarm than EvaluationPeriods',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, DatapointsToAlarm: 2, Period: 60, Statistic: Sum, Threshold: 1}',
      /DatapointsToAlarm/,
    ],
    [
      "a dimension without a value (other than the stack's own)",
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 1, Dimensions: [{Name: AvailabilityZone}]}',
      /needs a Value/,
    ],
    [
      'a bad TreatMissingData',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 1, TreatMissingData: zero}',
      /TreatMissingData/,
    ],
    [
      'a bad Unit',
      '- {MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 1, Unit: Furlongs}',
      /Unit must be one of/,
    ],
    [
      'a name too long for the stack name in front',
      `- {AlarmName: ${'x'.repeat(127)}, MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 1}`,
      /AlarmName must be at most 126/,
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
        a: '- {AlarmName: slow, MetricName: m, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Average, Threshold: 2, Dimensions: [{Name: TargetGroup, Value: x}, {Name: AvailabilityZone, Value: eu-west-1a}]}',
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
        Period: 60,
        Statistic: 'Average',
        Threshold: 2,
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

describe('the alarms fit any template', () => {
  const alarm = (i: number): string =>
    `- {AlarmName: alarm-${i}, AlarmDescription: ${'d'.repeat(200)}, MetricName: HTTPCode_ELB_5XX_Count, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 2, Period: 60, Statistic: Sum, Threshold: 10, AlarmActions: [arn:aws:sns:eu-west-1:123456789012:pager]}`;

  it('skips a key whose alarms would take the template over CloudFormation’s size limit, and keeps the keys before it', () => {
    const many = Array.from({ length: 150 }, (_, i) => alarm(i)).join('\n');
    const r = parseAlarmConfigMap(cm({ 'a-few': [1, 2, 3].map(alarm).join('\n'), 'b-many': many }));
    expect(r.alarms).toHaveLength(3);
    expect(r.skipped.map((s) => s.message)).toEqual([
      expect.stringMatching(/^data key "b-many": its alarms would take \d+ bytes of the template/),
    ]);
  });

  it('the largest accepted alarm set still renders the largest stack within the limits', () => {
    // Fill the budget with as many alarms as it takes, one key each.
    const data: Record<string, string> = {};
    for (let i = 0; i < 400; i++) data[`k${String(i).padStart(3, '0')}`] = alarm(i);
    const { alarms, skipped } = parseAlarmConfigMap(cm(data));
    expect(skipped.length).toBeGreaterThan(0);
    const used = alarms.reduce((n, a) => n + JSON.stringify(alarmResource(a)).length, 0);
    expect(used).toBeLessThanOrEqual(ALARM_TEMPLATE_BUDGET_BYTES);
    const arns = Array.from(
      { length: 24 },
      (_, i) =>
        `arn:aws:acm:eu-west-1:123456789012:certificate/${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`,
    );
    const lb: LoadBalancerPlan = {
      stack: undefined,
      scheme: 'internet-facing',
      type: 'application',
      ipAddressType: 'dualstack',
      http2: true,
      owner: undefined,
      securityGroup: undefined,
      sslPolicy: undefined,
      wafWebAclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/' + 'f'.repeat(36),
      certificates: new Map(arns.map((a) => [a, null])),
      ingresses: [],
    };
    const settings: TemplateSettings = {
      sslPolicy: SSL_POLICIES[0] ?? '',
      securityGroup: 'sg-1',
      subnets: { 'internet-facing': ['subnet-a', 'subnet-b', 'subnet-c'], internal: ['subnet-d'] },
      vpcId: 'vpc-1',
      targetPort: 9999,
      healthCheckPath: '/kube-system/healthz',
      healthCheckPort: 9999,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 5,
      albHealthyThresholdCount: 5,
      albUnhealthyThresholdCount: 2,
      nlbHealthyThresholdCount: 3,
      deregistrationDelaySeconds: 300,
      idleTimeoutSeconds: 60,
      redirectHttpToHttps: false,
      targetAccessMode: 'AWSCNI',
      nlbCrossZone: false,
      nlbHttpEnabled: false,
      nlbZoneAffinity: 'any_availability_zone',
      logsS3Bucket: 'a'.repeat(63),
      logsS3Prefix: 'p'.repeat(200),
      targetHttps: true,
      albHttpTargetPort: 9998,
      denyInternalDomains: {
        domains: Array.from({ length: 5 }, (_, i) => `*.${String(i).repeat(120)}.local`),
        body: 'b'.repeat(1024),
        contentType: 'text/plain',
        statusCode: 401,
      },
      cloudWatchAlarms: alarms,
    };
    const spec = renderStack(lb, settings);
    expect(Buffer.byteLength(spec.templateBody)).toBeLessThanOrEqual(TEMPLATE_LIMITS.maxBodyBytes);
  });
});
