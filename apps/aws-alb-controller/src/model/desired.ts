import {
  certificatesExpired,
  isStackUpdatable,
  stackInSync,
  stackState,
  type CertificateSummary,
  type DesiredStack,
  type ManagedStack,
} from '@kube-edge/aws-frontends';
import type { SkippedObject } from '@kube-edge/k8s-watch';
import { ALARM_CONFIG_HASH_TAG, alarmConfigHash } from './alarms.js';
import type { ParsedIngresses } from './ingresses.js';
import { packLoadBalancers, type LoadBalancerPlan, type PackOptions } from './pack.js';
import { renderStack, type TemplateSettings } from './template.js';

/** Everything that decides the stacks besides the ingresses and AWS's state. */
export interface PlanSettings extends TemplateSettings, Omit<PackOptions, 'now' | 'defaultSecurityGroup'> {
  controllerId: string;
  clusterId: string;
  additionalStackTags: Readonly<Record<string, string>>;
}

/** One load balancer with its desired stack. */
export interface PlannedLoadBalancer {
  lb: LoadBalancerPlan;
  desired: DesiredStack;
}

/** The whole desired state of one pass. */
export interface StackPlan {
  loadBalancers: PlannedLoadBalancer[];
  /** Ingresses skipped by the packing (no certificate, unknown pinned ARN, too many). */
  skipped: SkippedObject[];
}

/**
 * The pure plan of one pass: pack the ingresses onto the stacks, render each load balancer's
 * template and parameters, and describe the stack the stack manager should converge to. A
 * template over CloudFormation's limits throws TerminalError (see `renderStack`).
 */
export function planStacks(
  parsed: Pick<ParsedIngresses, 'ingresses'>,
  state: { stacks: readonly ManagedStack[]; certificates: readonly CertificateSummary[]; now: Date },
  s: PlanSettings,
): StackPlan {
  const packed = packLoadBalancers(parsed.ingresses, state.stacks, state.certificates, {
    ...s,
    defaultSecurityGroup: s.securityGroup,
    now: state.now,
  });
  const hash = alarmConfigHash(s.cloudWatchAlarms ?? []);
  const extraTags =
    hash === undefined ? s.additionalStackTags : { ...s.additionalStackTags, [ALARM_CONFIG_HASH_TAG]: hash };
  const loadBalancers = packed.loadBalancers.map((lb): PlannedLoadBalancer => {
    const spec = renderStack(lb, s);
    return {
      lb,
      desired: {
        stackName: lb.stack?.name,
        templateBody: spec.templateBody,
        parameters: spec.parameters,
        certificates: lb.certificates,
        owner: lb.owner,
        extraTags,
      },
    };
  });
  return { loadBalancers, skipped: packed.skipped };
}

/** What the stack manager will do with a planned stack (for the offline plan and logs). */
export type PlannedAction = 'create' | 'update' | 'delete' | 'unchanged' | 'wait';

/**
 * The action the stack manager takes for a planned stack, by the same rules: no stack → create;
 * every certificate expired → delete; a ROLLBACK_COMPLETE stack → delete; in sync → unchanged;
 * out of sync and updatable → update; else wait. Pure.
 */
export function plannedAction(
  p: PlannedLoadBalancer,
  now: Date,
  clusterId: string,
  controllerId: string,
): PlannedAction {
  const stack = p.lb.stack;
  if (stack === undefined) return 'create';
  if (certificatesExpired(p.desired.certificates, now)) return 'delete';
  if (stackState(stack.status) === 'rollback-complete') return 'delete';
  if (stackInSync(stack, p.desired, clusterId, controllerId)) return 'unchanged';
  return isStackUpdatable(stack.status) ? 'update' : 'wait';
}
