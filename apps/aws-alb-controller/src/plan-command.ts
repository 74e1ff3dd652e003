import { readFile } from 'node:fs/promises';
import type { Stack } from '@aws-sdk/client-cloudformation';
import {
  isManagedStack,
  selectLoadBalancerSubnets,
  stackTags,
  tagRecord,
  toManagedStack,
  type CertificateSummary,
  type SubnetInfo,
} from '@kube-edge/aws-frontends';
import { INGRESSES, loadManifestsOrThrow } from '@kube-edge/k8s-watch';
import { ConfigError } from '@kube-edge/runtime';
import type { planCli } from './cli.js';
import { modelSettings } from './config.js';
import { planStacks, plannedAction, type PlannedAction } from './model/desired.js';
import { ROUTE_GROUPS, parseIngresses, type IngressLike } from './model/ingresses.js';

type PlanValues = Extract<ReturnType<typeof planCli.parse>, { kind: 'run' }>['values'];

/** The AWS state an offline plan runs against (`--aws-state`). */
export interface AwsState {
  clusterId: string;
  vpcId: string;
  securityGroup: string;
  subnets: SubnetInfo[];
  certificates: CertificateSummary[];
  /** DescribeStacks entries (`aws cloudformation describe-stacks` → `Stacks`). */
  stacks: Stack[];
}

function fail(message: string): never {
  throw new ConfigError(message, { key: '--aws-state' });
}

const asArray = (v: unknown, what: string): unknown[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`--aws-state: ${what} must be a list`);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') fail(`--aws-state: ${what} must be a non-empty string`);
  return v;
};
const date = (v: unknown, what: string): Date => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) fail(`--aws-state: ${what} must be an RFC 3339 time`);
  return new Date(t);
};

/**
 * Reads the JSON of `--aws-state`: `certificates` ({arn, domainNames, notBefore, notAfter}),
 * `stacks` (DescribeStacks entries, times as strings), `clusterId`, `vpcId`, `securityGroup`,
 * `subnets` ({id, zone, public, tags}). Everything is optional. Throws ConfigError naming the
 * bad field. Pure.
 */
export function parseAwsState(text: string, clusterIdFlag: string | undefined): AwsState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('--aws-state is not JSON', { key: '--aws-state', cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    fail('--aws-state must be a JSON object');
  const o = doc as Record<string, unknown>;
  const certificates = asArray(o.certificates, 'certificates').map((c, i): CertificateSummary => {
    const r = (c ?? {}) as Record<string, unknown>;
    const arn = str(r.arn, `certificates[${i}].arn`);
    return {
      arn,
      domainNames: asArray(r.domainNames, `certificates[${i}].domainNames`).map((d, j) =>
        str(d, `certificates[${i}].domainNames[${j}]`).toLowerCase(),
      ),
      notBefore: date(r.notBefore, `certificates[${i}].notBefore`),
      notAfter: date(r.notAfter, `certificates[${i}].notAfter`),
      source: arn.includes(':iam:') ? 'iam' : 'acm',
    };
  });
  const stacks = asArray(o.stacks, 'stacks').map((s, i): Stack => {
    const r = (s ?? {}) as Record<string, unknown>;
    str(r.StackName, `stacks[${i}].StackName`);
    return {
      ...(r as unknown as Stack),
      ...(typeof r.CreationTime === 'string'
        ? { CreationTime: date(r.CreationTime, `stacks[${i}].CreationTime`) }
        : {}),
    };
  });
  const subnets = asArray(o.subnets, 'subnets').map((s, i): SubnetInfo => {
    const r = (s ?? {}) as Record<string, unknown>;
    return {
      id: str(r.id, `subnets[${i}].id`),
      availabilityZone: str(r.zone, `subnets[${i}].zone`),
      public: r.public === true,
      tags: (typeof r.tags === 'object' && r.tags !== null ? r.tags : {}) as Record<string, string>,
    };
  });
  const clusterId =
    clusterIdFlag ?? (typeof o.clusterId === 'string' && o.clusterId !== '' ? o.clusterId : 'cluster');
  return {
    clusterId,
    vpcId: typeof o.vpcId === 'string' && o.vpcId !== '' ? o.vpcId : 'vpc-00000000',
    securityGroup:
      typeof o.securityGroup === 'string' && o.securityGroup !== '' ? o.securityGroup : 'sg-00000000',
    subnets,
    certificates,
    stacks,
  };
}

/** One load balancer of an offline plan. */
export interface OfflineLoadBalancer {
  action: PlannedAction;
  stackName: string;
  scheme: string;
  type: string;
  owner: string | undefined;
  ingresses: string[];
  certificates: Record<string, string>;
  parameters: Readonly<Record<string, string>>;
  tags: Record<string, string>;
  template: unknown;
}

/** What an offline plan found, before formatting. */
export interface OfflinePlan {
  loadBalancers: OfflineLoadBalancer[];
  /** `ns/name: Reason: message` of every ingress left out. */
  skipped: string[];
  /** Ingresses whose hosts are all cluster-local: their status would be cleared. */
  clusterLocal: string[];
}

/** Options of {@link computeOfflinePlan}. */
export interface PlanCommandOptions {
  /** Receives one line per manifest document not read; default dropped. */
  readonly warn?: (line: string) => void;
}

/**
 * Reads the files and computes the plan with the controller's own pure functions (parse, pack,
 * render, and the stack manager's action rules). Rejects with ConfigError for bad flags or state
 * files, and with k8s-watch's one-line `ManifestError` for unreadable manifests.
 */
export async function computeOfflinePlan(
  values: PlanValues,
  options: PlanCommandOptions = {},
): Promise<OfflinePlan> {
  const { parse, settings } = modelSettings(values);
  let state: AwsState;
  const file = values['aws-state'];
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}`, { key: '--aws-state', cause: err });
    }
    state = parseAwsState(text, values['cluster-id']);
  } else state = parseAwsState('{}', values['cluster-id']);
  const now = values.now === undefined ? new Date() : new Date(Date.parse(values.now));
  if (Number.isNaN(now.getTime())) throw new ConfigError('--now must be an RFC 3339 time', { key: '--now' });
  const objects = (await loadManifestsOrThrow(values.filename, {
    kinds: [INGRESSES, ROUTE_GROUPS],
    warn: options.warn ?? (() => undefined),
  })) as (IngressLike & { kind?: string })[];
  const parsed = parseIngresses(
    objects.filter((o) => o.kind !== 'RouteGroup'),
    parse,
    objects.filter((o) => o.kind === 'RouteGroup'),
  );
  const managed = state.stacks
    .filter((s) => isManagedStack(tagRecord(s.Tags), state.clusterId, settings.controllerId))
    .map(toManagedStack);
  const plan = planStacks(
    parsed,
    { stacks: managed, certificates: state.certificates, now },
    {
      ...settings,
      clusterId: state.clusterId,
      vpcId: state.vpcId,
      securityGroup: state.securityGroup,
      subnets: {
        'internet-facing': selectLoadBalancerSubnets(state.subnets, 'internet-facing'),
        internal: selectLoadBalancerSubnets(state.subnets, 'internal'),
      },
    },
  );
  let n = 0;
  const loadBalancers = plan.loadBalancers.map((p): OfflineLoadBalancer => {
    const tags = stackTags(p.desired, state.clusterId, settings.controllerId);
    return {
      action: plannedAction(p, now, state.clusterId, settings.controllerId),
      stackName: p.lb.stack?.name ?? `kube-ingress-aws-controller-${state.clusterId}-<new ${++n}>`,
      scheme: p.lb.scheme,
      type: p.lb.type,
      owner: p.lb.owner,
      ingresses: p.lb.ingresses.map(
        (i) => `${i.kind === 'RouteGroup' ? 'routegroup/' : ''}${i.namespace}/${i.name}`,
      ),
      certificates: Object.fromEntries(
        [...p.lb.certificates].map(([arn, e]) => [arn, e === null ? 'in use' : `expires ${e.toISOString()}`]),
      ),
      parameters: p.desired.parameters,
      tags,
      template: JSON.parse(p.desired.templateBody) as unknown,
    };
  });
  return {
    loadBalancers,
    skipped: [...parsed.skipped, ...plan.skipped].map(
      (s) => `${s.namespace ?? ''}/${s.name}: ${s.reason}: ${s.message}`,
    ),
    clusterLocal: parsed.clusterLocal.map(
      (c) => `${c.kind === 'RouteGroup' ? 'routegroup/' : ''}${c.namespace}/${c.name}`,
    ),
  };
}

/** Formats an offline plan: one block per load balancer, or JSON. Pure. */
export function formatOfflinePlan(plan: OfflinePlan, output: 'text' | 'json'): string {
  if (output === 'json') return `${JSON.stringify(plan, null, 2)}\n`;
  const lines: string[] = [];
  for (const lb of plan.loadBalancers) {
    lines.push(
      `${lb.action} stack ${lb.stackName} (${lb.type}, ${lb.scheme}${lb.owner === undefined ? '' : `, owner ${lb.owner}`})`,
    );
    lines.push(`  ingresses: ${lb.ingresses.length === 0 ? '(none)' : lb.ingresses.join(', ')}`);
    for (const [arn, e] of Object.entries(lb.certificates)) lines.push(`  certificate ${arn}: ${e}`);
    lines.push('  parameters:');
    for (const [k, v] of Object.entries(lb.parameters)) lines.push(`    ${k}=${v}`);
    lines.push('  tags:');
    for (const [k, v] of Object.entries(lb.tags)) lines.push(`    ${k}=${v}`);
    lines.push('  template:');
    for (const l of JSON.stringify(lb.template, null, 2).split('\n')) lines.push(`    ${l}`);
  }
  for (const s of plan.skipped) lines.push(`skipped ${s}`);
  for (const c of plan.clusterLocal) lines.push(`cluster-local ${c}: no load balancer; status cleared`);
  if (plan.loadBalancers.length === 0) lines.push('no load balancer');
  return `${lines.join('\n')}\n`;
}

/** `aws-alb-controller plan`: {@link computeOfflinePlan} then {@link formatOfflinePlan}. */
export async function runPlanCommand(values: PlanValues, options: PlanCommandOptions = {}): Promise<string> {
  return formatOfflinePlan(await computeOfflinePlan(values, options), values.output);
}
