import type { V1PodTemplateSpec, V1ResourceRequirements } from '@kubernetes/client-node';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION } from './names.js';

/** An IntOrString as Kubernetes writes it (`3`, `"25%"`). */
export type IntOrString = number | string;

/** An annotation the controller writes (`value` defaults to `"true"`). */
export interface AnnotationSpec {
  key?: string;
  value?: string;
  /** Accepted for compatibility; has no effect. */
  gracePeriodSeconds?: number;
}

/** `spec.updateStrategy.rollingUpdate` as stored (unknown fields are kept so they can be reported). */
export interface RollingUpdateSpec {
  maxUnavailableNodes?: number;
  maxDegradedNodes?: number;
  maxUnavailablePodsPerNodes?: IntOrString;
  maxUnavailablePodsPerNode?: IntOrString;
  maxSurgedPodsPerNode?: IntOrString;
  annotateDeploymentToDetach?: AnnotationSpec;
  annotateNodeToDetach?: AnnotationSpec;
  waitForDetachmentByAnnotatedTimestamp?: { key?: string; format?: string; gracePeriodSeconds?: number };
  [unknown: string]: unknown;
}

/** The IngressDaemonSet custom resource (`ingressdaemonsets.mumoshu.github.io/v1alpha1`). */
export interface IngressDaemonSet {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string | Date;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    podsPerNode?: number;
    nodeSelector?: Record<string, string>;
    healthCheckNodePorts?: number[];
    updateStrategy?: { type?: string; rollingUpdate?: RollingUpdateSpec };
    healthChecker?: {
      image?: string;
      imagePullPolicy?: string;
      serviceAccountName?: string;
      resources?: V1ResourceRequirements;
    };
    template?: V1PodTemplateSpec;
  };
  status?: IngressDaemonSetStatus;
}

/** A status condition (metav1.Condition shape). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What the controller writes to the status subresource. */
export interface IngressDaemonSetStatus {
  observedGeneration?: number;
  /** Nodes matching `spec.nodeSelector`. */
  desiredNodes?: number;
  /** Nodes whose Deployment has the current spec. */
  updatedNodes?: number;
  /** Nodes whose Deployment has the current spec, rolled out and fully available. */
  readyNodes?: number;
  /** Nodes whose Deployment is being updated (or waiting for detachment). */
  updatingNodes?: number;
  conditions?: Condition[];
}

/** The rollout mode: A detaches each node first, B limits the nodes degraded at once. */
export type RolloutMode =
  | {
      readonly kind: 'detach';
      readonly maxUnavailableNodes: number;
      /** Node annotation written to ask for detachment; undefined: none written. */
      readonly nodeAnnotation?: { readonly key: string; readonly value: string };
      /** Node annotation holding the detachment time, and the wait after it. */
      readonly waitForTimestamp?: { readonly key: string; readonly graceMs: number };
    }
  | { readonly kind: 'degraded'; readonly maxDegradedNodes: number };

/** A checked IngressDaemonSet spec with the defaults filled in. */
export interface IdsConfig {
  readonly podsPerNode: number;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly healthCheckNodePorts: readonly number[];
  readonly maxUnavailablePods?: IntOrString;
  readonly maxSurgePods?: IntOrString;
  readonly toBeUpdated: { readonly key: string; readonly value: string };
  readonly mode: RolloutMode;
  readonly healthChecker: {
    readonly image?: string;
    readonly imagePullPolicy?: string;
    readonly serviceAccountName?: string;
    readonly resources?: V1ResourceRequirements;
  };
  readonly template: V1PodTemplateSpec;
}

/** A problem found in a spec: `fatal` ones stop the reconcile of the object; others are warnings. */
export interface SpecProblem {
  readonly reason: string;
  readonly message: string;
  readonly fatal: boolean;
}

const KNOWN_ROLLING_UPDATE = new Set([
  'maxUnavailableNodes',
  'maxDegradedNodes',
  'maxUnavailablePodsPerNodes',
  'maxUnavailablePodsPerNode',
  'maxSurgedPodsPerNode',
  'annotateDeploymentToDetach',
  'annotateNodeToDetach',
  'waitForDetachmentByAnnotatedTimestamp',
]);

/** Default wait after the detachment timestamp when `gracePeriodSeconds` is unset or not positive. */
export const DEFAULT_DETACH_GRACE_SECONDS = 10;

const nonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const intOrString = (v: unknown): v is IntOrString =>
  nonNegInt(v) || (typeof v === 'string' && /^(\d+%?)$/.test(v));

/**
 * Checks a spec and fills in the defaults. Pure. Returns the config (absent when a fatal problem
 * was found) and every problem: unknown `rollingUpdate` fields (such as a misspelt one) are
 * warnings, not silently dropped.
 */
export function parseSpec(ids: IngressDaemonSet): { config?: IdsConfig; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const fatal = (reason: string, message: string): void =>
    void problems.push({ reason, message, fatal: true });
  const warn = (reason: string, message: string): void =>
    void problems.push({ reason, message, fatal: false });
  const spec = ids.spec ?? {};
  const podsPerNode = spec.podsPerNode ?? 1;
  if (!nonNegInt(podsPerNode)) fatal('InvalidSpec', 'spec.podsPerNode must be a non-negative integer');
  const ports = spec.healthCheckNodePorts ?? [];
  for (const p of ports)
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      fatal('InvalidSpec', `spec.healthCheckNodePorts: ${JSON.stringify(p)} is not a port (1-65535)`);
  if (new Set(ports).size !== ports.length) fatal('InvalidSpec', 'spec.healthCheckNodePorts has duplicates');
  if (spec.template === undefined) fatal('InvalidSpec', 'spec.template is required');
  const strategyType = spec.updateStrategy?.type;
  if (strategyType !== undefined && strategyType !== 'RollingUpdate')
    fatal(
      'InvalidSpec',
      `spec.updateStrategy.type ${JSON.stringify(strategyType)}: only RollingUpdate is supported`,
    );

  const ru: RollingUpdateSpec = spec.updateStrategy?.rollingUpdate ?? {};
  for (const key of Object.keys(ru).sort())
    if (!KNOWN_ROLLING_UPDATE.has(key))
      warn(
        'UnknownField',
        `spec.updateStrategy.rollingUpdate.${key} is not a known field and has no effect (known: ${[...KNOWN_ROLLING_UPDATE].join(', ')})`,
      );
  const checkInt = (name: string, v: unknown): void => {
    if (v !== undefined && !nonNegInt(v))
      fatal('InvalidSpec', `spec.updateStrategy.rollingUpdate.${name} must be a non-negative integer`);
  };
  checkInt('maxUnavailableNodes', ru.maxUnavailableNodes);
  checkInt('maxDegradedNodes', ru.maxDegradedNodes);
  if (ru.maxUnavailablePodsPerNodes !== undefined && ru.maxUnavailablePodsPerNode !== undefined)
    warn(
      'AmbiguousField',
      'both maxUnavailablePodsPerNodes and maxUnavailablePodsPerNode are set; maxUnavailablePodsPerNodes is used',
    );
  const maxUnavailablePods = ru.maxUnavailablePodsPerNodes ?? ru.maxUnavailablePodsPerNode;
  for (const [name, v] of [
    ['maxUnavailablePodsPerNodes', maxUnavailablePods],
    ['maxSurgedPodsPerNode', ru.maxSurgedPodsPerNode],
  ] as const)
    if (v !== undefined && !intOrString(v))
      fatal('InvalidSpec', `spec.updateStrategy.rollingUpdate.${name} must be an integer or a percentage`);

  const annotation = (name: string, a: AnnotationSpec | undefined, defaultKey?: string) => {
    const key = a?.key ?? defaultKey;
    if (a !== undefined && (key === undefined || key === ''))
      fatal('InvalidSpec', `spec.updateStrategy.rollingUpdate.${name}.key is required`);
    return key === undefined ? undefined : { key, value: a?.value || 'true' };
  };
  const toBeUpdated = annotation(
    'annotateDeploymentToDetach',
    ru.annotateDeploymentToDetach,
    DEFAULT_TO_BE_UPDATED_ANNOTATION,
  ) ?? { key: DEFAULT_TO_BE_UPDATED_ANNOTATION, value: 'true' };
  const nodeAnnotation = annotation('annotateNodeToDetach', ru.annotateNodeToDetach);
  const wait = ru.waitForDetachmentByAnnotatedTimestamp;
  if (wait !== undefined) {
    if (wait.key === undefined || wait.key === '')
      fatal(
        'InvalidSpec',
        'spec.updateStrategy.rollingUpdate.waitForDetachmentByAnnotatedTimestamp.key is required',
      );
    if (wait.format !== undefined && wait.format !== 'RFC3339')
      fatal(
        'InvalidSpec',
        `waitForDetachmentByAnnotatedTimestamp.format ${JSON.stringify(wait.format)}: only RFC3339 is supported`,
      );
  }
  let mode: RolloutMode;
  if (ru.maxUnavailableNodes !== undefined && ru.maxUnavailableNodes >= 1) {
    if (ru.maxDegradedNodes !== undefined && ru.maxDegradedNodes > 0)
      warn(
        'IgnoredField',
        'maxDegradedNodes has no effect while maxUnavailableNodes is 1 or more (nodes are detached before their update)',
      );
    const graceSeconds =
      wait?.gracePeriodSeconds !== undefined && wait.gracePeriodSeconds > 0
        ? wait.gracePeriodSeconds
        : DEFAULT_DETACH_GRACE_SECONDS;
    mode = {
      kind: 'detach',
      maxUnavailableNodes: ru.maxUnavailableNodes,
      ...(nodeAnnotation === undefined ? {} : { nodeAnnotation }),
      ...(wait?.key === undefined
        ? {}
        : { waitForTimestamp: { key: wait.key, graceMs: graceSeconds * 1000 } }),
    };
  } else {
    if (wait !== undefined || nodeAnnotation !== undefined)
      warn(
        'IgnoredField',
        'annotateNodeToDetach and waitForDetachmentByAnnotatedTimestamp take effect only with maxUnavailableNodes of 1 or more',
      );
    mode = { kind: 'degraded', maxDegradedNodes: ru.maxDegradedNodes ?? 1 };
    if (mode.maxDegradedNodes === 0)
      warn(
        'RolloutDisabled',
        'maxDegradedNodes is 0 and maxUnavailableNodes is unset: no node is ever updated',
      );
  }
  if (problems.some((p) => p.fatal)) return { problems };
  return {
    problems,
    config: {
      podsPerNode,
      nodeSelector: spec.nodeSelector ?? {},
      healthCheckNodePorts: ports,
      ...(maxUnavailablePods === undefined ? {} : { maxUnavailablePods }),
      ...(ru.maxSurgedPodsPerNode === undefined ? {} : { maxSurgePods: ru.maxSurgedPodsPerNode }),
      toBeUpdated,
      mode,
      healthChecker: {
        ...(spec.healthChecker?.image === undefined ? {} : { image: spec.healthChecker.image }),
        ...(spec.healthChecker?.imagePullPolicy === undefined
          ? {}
          : { imagePullPolicy: spec.healthChecker.imagePullPolicy }),
        ...(spec.healthChecker?.serviceAccountName === undefined
          ? {}
          : { serviceAccountName: spec.healthChecker.serviceAccountName }),
        ...(spec.healthChecker?.resources === undefined ? {} : { resources: spec.healthChecker.resources }),
      },
      template: spec.template ?? {},
    },
  };
}

/** Whether a node's labels match a `nodeSelector` map (an empty selector matches every node). Pure. */
export function matchesSelector(
  labels: Readonly<Record<string, string>> | undefined,
  selector: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
