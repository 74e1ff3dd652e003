import { createHash } from 'node:crypto';
import type { SkippedObject } from '@kube-edge/k8s-watch';
import { parse } from 'yaml';

/**
 * Stack tag holding the hash of the alarms a stack was written with (the original's name), so a
 * changed alarm configuration is seen in the tags as well as in the template.
 */
export const ALARM_CONFIG_HASH_TAG = 'cloudwatch:alarm-config-hash';

/** A ConfigMap as far as `--cloudwatch-alarms-config-map` cares. */
export interface ConfigMapLike {
  metadata?: { name?: string; namespace?: string; uid?: string };
  data?: Record<string, string>;
}

/**
 * One validated alarm: the properties of a CloudFormation `AWS::CloudWatch::Alarm`, keys sorted.
 * The template prefixes `AlarmName` with the stack name and points the `LoadBalancer` and
 * `TargetGroup` dimensions at the stack's own resources.
 */
export type CloudWatchAlarm = Readonly<Record<string, unknown>>;

/** What {@link parseAlarmConfigMap} read. */
export interface AlarmConfig {
  /** Every valid key's alarms, keys in sorted order. */
  alarms: CloudWatchAlarm[];
  /** One entry per data key that is not a valid alarm list (the other keys are used). */
  skipped: SkippedObject[];
}

const STRINGS = [
  'AlarmDescription',
  'AlarmName',
  'EvaluateLowSampleCountPercentile',
  'ExtendedStatistic',
  'MetricName',
  'Namespace',
  'TreatMissingData',
  'Unit',
] as const;
const STRING_LISTS = ['AlarmActions', 'InsufficientDataActions', 'OKActions'] as const;
const INTEGERS = ['DatapointsToAlarm', 'EvaluationPeriods', 'Period'] as const;
// The static-threshold operators only: the anomaly-band ones need ThresholdMetricId and Metrics,
// which are not taken here, so CloudWatch would refuse them in every stack.
const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanThreshold',
];
const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'];
const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];
/** Dimensions whose value the template fills in (this stack's load balancer and target group). */
const OWN_DIMENSIONS = new Set(['LoadBalancer', 'TargetGroup']);
/**
 * The bytes all alarm resources of a template may take: with the largest template without alarms
 * (24 certificates, deny rules, WAF, two target groups) well under 16 KiB, every stack stays
 * within CloudFormation's 51,200-byte inline template.
 */
export const ALARM_TEMPLATE_BUDGET_BYTES = 32_768;
const STATISTICS = ['Average', 'Maximum', 'Minimum', 'SampleCount', 'Sum'];
const KNOWN = new Set<string>([
  ...STRINGS,
  ...STRING_LISTS,
  ...INTEGERS,
  'ActionsEnabled',
  'ComparisonOperator',
  'Dimensions',
  'Statistic',
  'Threshold',
]);
/** Long enough for any real value; keeps a template within CloudFormation's size limit. */
const MAX_STRING = 1024;

const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_STRING;

/** Checks one alarm; returns it with sorted keys, or the first problem. */
function checkAlarm(raw: unknown, index: number): CloudWatchAlarm | string {
  const at = `alarm ${index + 1}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `${at} is not a map`;
  const a = raw as Record<string, unknown>;
  for (const key of Object.keys(a)) if (!KNOWN.has(key)) return `${at}: unknown field ${JSON.stringify(key)}`;
  for (const key of STRINGS)
    if (a[key] !== undefined && !isString(a[key])) return `${at}: ${key} must be a string`;
  for (const key of STRING_LISTS) {
    const v = a[key];
    if (v !== undefined && !(Array.isArray(v) && v.every(isString)))
      return `${at}: ${key} must be a list of strings`;
  }
  for (const key of INTEGERS) {
    const v = a[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0))
      return `${at}: ${key} must be a positive integer`;
  }
  if (a.ActionsEnabled !== undefined && typeof a.ActionsEnabled !== 'boolean')
    return `${at}: ActionsEnabled must be true or false`;
  if (a.Threshold !== undefined && !(typeof a.Threshold === 'number' && Number.isFinite(a.Threshold)))
    return `${at}: Threshold must be a number`;
  if (typeof a.ComparisonOperator !== 'string' || !COMPARISON_OPERATORS.includes(a.ComparisonOperator))
    return `${at}: ComparisonOperator must be one of ${COMPARISON_OPERATORS.join(', ')}`;
  if (a.EvaluationPeriods === undefined) return `${at}: EvaluationPeriods is required`;
  if (typeof a.MetricName !== 'string' || a.MetricName === '') return `${at}: MetricName is required`;
  if (a.Statistic !== undefined && !(typeof a.Statistic === 'string' && STATISTICS.includes(a.Statistic)))
    return `${at}: Statistic must be one of ${STATISTICS.join(', ')}`;
  if (typeof a.AlarmName === 'string' && a.AlarmName.length > 126)
    return `${at}: AlarmName must be at most 126 characters (the stack name, up to 128, and a dash are put in front; CloudWatch takes 255)`;
  if (a.Dimensions !== undefined) {
    const d = a.Dimensions;
    if (
      !Array.isArray(d) ||
      d.length > 30 ||
      !d.every(
        (x: unknown) =>
          x !== null &&
          typeof x === 'object' &&
          Object.keys(x).every((k) => k === 'Name' || k === 'Value') &&
          isString((x as { Name?: unknown }).Name) &&
          ((x as { Value?: unknown }).Value === undefined || isString((x as { Value?: unknown }).Value)),
      )
    )
      return `${at}: Dimensions must be a list of {Name, Value} strings (at most 30)`;
  }
  // What CloudWatch requires of a static-threshold alarm on one metric: checked here, since a
  // refused alarm fails the create or update of every stack (a new one is deleted and retried).
  if (a.Threshold === undefined) return `${at}: Threshold is required`;
  const dims = (a.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
  if (dims.some((x) => !OWN_DIMENSIONS.has(x.Name) && x.Value === undefined))
    return `${at}: a dimension other than LoadBalancer or TargetGroup needs a Value`;
  if ((a.Statistic === undefined) === (a.ExtendedStatistic === undefined))
    return `${at}: exactly one of Statistic and ExtendedStatistic is required`;
  const period = a.Period;
  if (typeof period !== 'number') return `${at}: Period is required`;
  if (!(period === 10 || period === 20 || period === 30 || period % 60 === 0))
    return `${at}: Period must be 10, 20, 30 or a multiple of 60 seconds`;
  const evaluated = period * (a.EvaluationPeriods as number);
  if (evaluated > (period < 3600 ? 86_400 : 604_800))
    return `${at}: Period × EvaluationPeriods must be at most one day (Period under an hour) or seven days`;
  if (typeof a.DatapointsToAlarm === 'number' && a.DatapointsToAlarm > (a.EvaluationPeriods as number))
    return `${at}: DatapointsToAlarm must be at most EvaluationPeriods`;
  if (a.TreatMissingData !== undefined && !TREAT_MISSING_DATA.includes(a.TreatMissingData as string))
    return `${at}: TreatMissingData must be one of ${TREAT_MISSING_DATA.join(', ')}`;
  if (
    a.EvaluateLowSampleCountPercentile !== undefined &&
    !['evaluate', 'ignore'].includes(a.EvaluateLowSampleCountPercentile as string)
  )
    return `${at}: EvaluateLowSampleCountPercentile must be evaluate or ignore`;
  if (a.Unit !== undefined && !UNITS.includes(a.Unit as string))
    return `${at}: Unit must be one of ${UNITS.join(', ')}`;
  return Object.fromEntries(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );
}

/**
 * The alarms of the `--cloudwatch-alarms-config-map` ConfigMap: each data key (in sorted order)
 * holds a YAML list of CloudWatch alarm definitions (the properties of `AWS::CloudWatch::Alarm`).
 * A key that is not valid YAML or holds an invalid alarm is skipped with a reason naming the key
 * (the other keys are used), so nothing unchecked reaches a template. A key whose alarms would
 * take the template over {@link ALARM_TEMPLATE_BUDGET_BYTES} of alarms is skipped the same way, so
 * no alarm configuration can make a stack's template too large. No ConfigMap: no alarms. Pure.
 */
export function parseAlarmConfigMap(cm: ConfigMapLike | undefined): AlarmConfig {
  const alarms: CloudWatchAlarm[] = [];
  const skipped: SkippedObject[] = [];
  if (cm === undefined) return { alarms, skipped };
  const data = cm.data ?? {};
  let budget = ALARM_TEMPLATE_BUDGET_BYTES;
  for (const key of Object.keys(data).sort()) {
    const skip = (message: string): void => {
      skipped.push({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        namespace: cm.metadata?.namespace ?? '',
        name: cm.metadata?.name ?? '',
        ...(cm.metadata?.uid === undefined ? {} : { uid: cm.metadata.uid }),
        reason: 'InvalidCloudWatchAlarms',
        message: `data key ${JSON.stringify(key)}: ${message}`,
      });
    };
    let list: unknown;
    try {
      list = parse(data[key] ?? '');
    } catch (err) {
      skip(`not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      continue;
    }
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list)) {
      skip('not a list of alarms');
      continue;
    }
    const checked = list.map((a, i) => checkAlarm(a, i));
    const problem = checked.find((c): c is string => typeof c === 'string');
    if (problem !== undefined) {
      skip(problem);
      continue;
    }
    const valid = checked as CloudWatchAlarm[];
    // Each alarm's resource as the template holds it, with room for its `"CloudWatchAlarm<i>":` key.
    const bytes = valid.reduce((n, a) => n + Buffer.byteLength(JSON.stringify(alarmResource(a))) + 24, 0);
    if (bytes > budget) {
      skip(
        `its alarms would take ${bytes} bytes of the template, more than the ${budget} left of ${ALARM_TEMPLATE_BUDGET_BYTES} (CloudFormation takes 51,200-byte templates)`,
      );
      continue;
    }
    budget -= bytes;
    alarms.push(...valid);
  }
  return { alarms, skipped };
}

/** SHA-256 of the alarms (the {@link ALARM_CONFIG_HASH_TAG} value); undefined for none. Pure. */
export function alarmConfigHash(alarms: readonly CloudWatchAlarm[]): string | undefined {
  if (alarms.length === 0) return undefined;
  return createHash('sha256').update(JSON.stringify(alarms)).digest('hex');
}

type Json = Record<string, unknown>;

/**
 * The template resource of one alarm, as the original renders it: `AlarmName` prefixed with the
 * stack name (alarm names are unique per account), `Namespace` defaulting to
 * `AWS/ApplicationELB`, the `LoadBalancer` and `TargetGroup` dimensions pointing at this stack's
 * load balancer and target group, and with no dimensions the `LoadBalancer` one. Pure.
 */
export function alarmResource(alarm: CloudWatchAlarm): Json {
  const lb = { Name: 'LoadBalancer', Value: { 'Fn::GetAtt': ['LB', 'LoadBalancerFullName'] } };
  const dims = (alarm.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
  const properties: Json = {
    ...alarm,
    ...(typeof alarm.AlarmName === 'string'
      ? { AlarmName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, alarm.AlarmName]] } }
      : {}),
    Dimensions:
      dims.length === 0
        ? [lb]
        : dims.map((d) =>
            d.Name === 'LoadBalancer'
              ? lb
              : d.Name === 'TargetGroup'
                ? { Name: 'TargetGroup', Value: { 'Fn::GetAtt': ['TG', 'TargetGroupFullName'] } }
                : d,
          ),
    Namespace: alarm.Namespace ?? 'AWS/ApplicationELB',
  };
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: Object.fromEntries(
      Object.keys(properties)
        .sort()
        .map((k) => [k, properties[k]]),
    ),
  };
}
