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
const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'GreaterThanUpperThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanThreshold',
];
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
  if (typeof a.AlarmName === 'string' && a.AlarmName.length > 128)
    return `${at}: AlarmName must be at most 128 characters (the stack name is put in front)`;
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
 * (the other keys are used), so nothing unchecked reaches a template. No ConfigMap: no alarms.
 * Pure.
 */
export function parseAlarmConfigMap(cm: ConfigMapLike | undefined): AlarmConfig {
  const alarms: CloudWatchAlarm[] = [];
  const skipped: SkippedObject[] = [];
  if (cm === undefined) return { alarms, skipped };
  const data = cm.data ?? {};
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
    alarms.push(...(checked as CloudWatchAlarm[]));
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
