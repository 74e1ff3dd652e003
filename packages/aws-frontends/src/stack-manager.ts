import { createHash, randomUUID } from 'node:crypto';
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
  paginateDescribeStacks,
  type CloudFormationClient,
  type Stack,
  type Tag,
} from '@aws-sdk/client-cloudformation';
import {
  KubeEdgeError,
  TransientError,
  createNoopLogger,
  errorMessage,
  type Logger,
} from '@kube-edge/runtime';
import type { AsgTargets, TargetChange, TargetSnapshot } from './asg-targets.js';
import type { CertificateSummary } from './certificates.js';
import { systemClock, type Clock } from './clock.js';
import { APPLICATION_TAG, CLUSTER_OWNED, clusterTag } from './ec2-discovery.js';

/** Every stack name starts with this, whatever the controller id (so the original's stacks are found). */
export const STACK_NAME_PREFIX = 'kube-ingress-aws-controller';
/** Stack tag prefix of a certificate: `ingress:certificate-arn/<ARN>` = RFC 3339 expiry. */
export const CERTIFICATE_TAG_PREFIX = 'ingress:certificate-arn/';
/** The oldest certificate tag, `ingress:certificate-arn=<ARN>`; read as "in use", never written. */
export const LEGACY_CERTIFICATE_TAG = 'ingress:certificate-arn';
/** Expiry value of a certificate tag meaning "in use" (Go's zero time). */
export const CERTIFICATE_IN_USE = '0001-01-01T00:00:00Z';
/** Stack tag naming the one Ingress (`namespace/name`) a dedicated load balancer belongs to. */
export const OWNER_TAG = 'ingress:owner';
/** Legacy stack tag holding the cluster id (`ClusterID=<id>`); read, never written. */
export const LEGACY_CLUSTER_ID_TAG = 'ClusterID';
/**
 * SHA-256 of the template body a stack was last written with: lets a cycle see that a stack is
 * up to date from DescribeStacks alone (no GetTemplate per stack). A stack of the original lacks
 * it, so it is updated once when adopted.
 */
export const TEMPLATE_HASH_TAG = 'kube-edge:template-sha256';
/** Stack outputs the template must define. */
export const OUTPUT_DNS_NAME = 'LoadBalancerDNSName';
export const OUTPUT_TARGET_GROUP_ARN = 'TargetGroupARN';
export const OUTPUT_HTTP_TARGET_GROUP_ARN = 'HTTPTargetGroupARN';
export const OUTPUT_LOAD_BALANCER_ARN = 'LoadBalancerARN';

const MAX_STACK_NAME = 128;
const UUID_LENGTH = 36;

/**
 * The cluster id as it appears in stack names: characters other than `[A-Za-z0-9-]` become `-`,
 * runs of `-` are squeezed, the result keeps its last 63 characters (128 minus the prefix, a
 * UUID and two dashes), then leading and trailing `-` are trimmed.
 */
export function normalizeClusterId(clusterId: string): string {
  const max = MAX_STACK_NAME - STACK_NAME_PREFIX.length - UUID_LENGTH - 2;
  let id = clusterId.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  if (id.length > max) id = id.slice(id.length - max);
  return id.replace(/^-+|-+$/g, '');
}

/** `kube-ingress-aws-controller-<normalized cluster id>-<uuid>`, the original's naming. */
export function newStackName(clusterId: string, uuid: string = randomUUID()): string {
  return `${STACK_NAME_PREFIX}-${normalizeClusterId(clusterId)}-${uuid}`;
}

/**
 * A stack is ours when `kubernetes:application` is the controller id and the cluster tag
 * `kubernetes.io/cluster/<id>` is `owned` (or the legacy `ClusterID` tag is the cluster id).
 */
export function isManagedStack(
  tags: Readonly<Record<string, string>>,
  clusterId: string,
  controllerId: string,
): boolean {
  if (tags[APPLICATION_TAG] !== controllerId) return false;
  return tags[clusterTag(clusterId)] === CLUSTER_OWNED || tags[LEGACY_CLUSTER_ID_TAG] === clusterId;
}

/** Certificate ARN → expiry; `null` means "in use" (never expires while an Ingress needs it). */
export type CertificateExpiries = ReadonlyMap<string, Date | null>;

/** RFC 3339 in UTC without fractions, as the original writes it; `null` → {@link CERTIFICATE_IN_USE}. */
export function formatCertificateExpiry(expiry: Date | null): string {
  if (expiry === null) return CERTIFICATE_IN_USE;
  return expiry.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The certificates recorded in stack tags. An unparsable or zero time reads as "in use". */
export function certificatesFromTags(tags: Readonly<Record<string, string>>): Map<string, Date | null> {
  const out = new Map<string, Date | null>();
  for (const [key, value] of Object.entries(tags)) {
    if (key.startsWith(CERTIFICATE_TAG_PREFIX)) {
      const arn = key.slice(CERTIFICATE_TAG_PREFIX.length);
      const t = Date.parse(value);
      out.set(arn, Number.isNaN(t) || t <= Date.parse(CERTIFICATE_IN_USE) ? null : new Date(t));
    } else if (key === LEGACY_CERTIFICATE_TAG && value !== '') {
      out.set(value, null);
    }
  }
  return out;
}

/**
 * Pure: the certificate tags a load balancer should carry. Every certificate in `inUse` is
 * "in use"; one on the stack that is no longer used keeps its future expiry, or gets
 * `now + ttlMs` when it was in use; a past expiry is dropped. So an unused certificate stays on
 * the load balancer for the TTL before it goes.
 */
export function desiredCertificates(
  current: CertificateExpiries,
  inUse: Iterable<string>,
  now: Date,
  ttlMs: number,
): Map<string, Date | null> {
  const out = new Map<string, Date | null>();
  for (const arn of inUse) out.set(arn, null);
  for (const [arn, expiry] of current) {
    if (out.has(arn)) continue;
    if (expiry === null) out.set(arn, new Date(now.getTime() + ttlMs));
    else if (expiry.getTime() > now.getTime()) out.set(arn, expiry);
  }
  return out;
}

/** True when no certificate is in use and every expiry has passed (also for none at all). */
export function certificatesExpired(certs: CertificateExpiries, now: Date): boolean {
  for (const expiry of certs.values()) if (expiry === null || expiry.getTime() > now.getTime()) return false;
  return true;
}

/**
 * How the stack manager treats a CloudFormation status:
 * - `complete`: CREATE/UPDATE/IMPORT_COMPLETE — updatable, healthy;
 * - `update-rolled-back`: UPDATE_ROLLBACK_COMPLETE (and IMPORT_ROLLBACK_COMPLETE) — the last
 *   update failed and was undone; updatable, reported, updates backed off;
 * - `rollback-complete`: ROLLBACK_COMPLETE — the create failed; CloudFormation cannot update it,
 *   so it is reported and deleted (the next cycle creates a new stack);
 * - `in-progress`: a create or update is running — wait;
 * - `rolling-back`: a rollback is running — reported, wait (its outputs may be missing);
 * - `failed`: CREATE_FAILED, UPDATE_FAILED, ROLLBACK_FAILED, UPDATE_ROLLBACK_FAILED,
 *   DELETE_FAILED, IMPORT_ROLLBACK_FAILED — reported; only DELETE_FAILED is acted on (delete
 *   retried with backoff);
 * - `deleting`/`deleted`: on its way out — wait.
 */
export type StackState =
  | 'complete'
  | 'update-rolled-back'
  | 'rollback-complete'
  | 'in-progress'
  | 'rolling-back'
  | 'failed'
  | 'deleting'
  | 'deleted';

/** Classifies a CloudFormation stack status (see {@link StackState}); an unknown status is `in-progress`. */
export function stackState(status: string): StackState {
  switch (status) {
    case 'CREATE_COMPLETE':
    case 'UPDATE_COMPLETE':
    case 'IMPORT_COMPLETE':
      return 'complete';
    case 'UPDATE_ROLLBACK_COMPLETE':
    case 'IMPORT_ROLLBACK_COMPLETE':
      return 'update-rolled-back';
    case 'ROLLBACK_COMPLETE':
      return 'rollback-complete';
    case 'ROLLBACK_IN_PROGRESS':
    case 'UPDATE_ROLLBACK_IN_PROGRESS':
    case 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS':
    case 'IMPORT_ROLLBACK_IN_PROGRESS':
      return 'rolling-back';
    case 'DELETE_IN_PROGRESS':
      return 'deleting';
    case 'DELETE_COMPLETE':
      return 'deleted';
    default:
      return status.endsWith('_FAILED') ? 'failed' : 'in-progress';
  }
}

/** CloudFormation accepts an update in this status. */
export function isStackUpdatable(status: string): boolean {
  const s = stackState(status);
  return s === 'complete' || s === 'update-rolled-back';
}

/**
 * Whether the model may keep or place Ingresses on this stack. False for stacks being deleted,
 * deleted, or in ROLLBACK_COMPLETE (the manager deletes those); a DELETE_FAILED stack keeps its
 * Ingresses so no duplicate is created while its delete is retried.
 */
export function stackAcceptsIngresses(stack: Pick<ManagedStack, 'status'>): boolean {
  const s = stackState(stack.status);
  return s !== 'deleting' && s !== 'deleted' && s !== 'rollback-complete';
}

/** A managed stack as read from DescribeStacks. */
export interface ManagedStack {
  readonly name: string;
  readonly id: string | undefined;
  /** CloudFormation `StackStatus`. */
  readonly status: string;
  readonly statusReason: string | undefined;
  /** Output `LoadBalancerDNSName`; undefined while the stack has no outputs. */
  readonly dnsName: string | undefined;
  /** Output `LoadBalancerARN` (stacks of the original lack it). */
  readonly loadBalancerArn: string | undefined;
  /**
   * Outputs `TargetGroupARN` and `HTTPTargetGroupARN`. A stack rolling back has no outputs: the
   * manager then reports the ARNs it last saw for that stack, never an empty ARN.
   */
  readonly targetGroupArns: readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** From the certificate tags (legacy tag included). */
  readonly certificates: CertificateExpiries;
  /** `ingress:owner` tag: the Ingress of a dedicated load balancer. */
  readonly owner: string | undefined;
  readonly terminationProtection: boolean;
  readonly createdAt: Date | undefined;
}

/** Maps a DescribeStacks entry to a {@link ManagedStack} (pure; no ownership check). */
export function toManagedStack(stack: Stack): ManagedStack {
  const tags = tagsRecord(stack.Tags);
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? [])
    if (o.OutputKey !== undefined) outputs[o.OutputKey] = o.OutputValue ?? '';
  const parameters: Record<string, string> = {};
  for (const p of stack.Parameters ?? [])
    if (p.ParameterKey !== undefined) parameters[p.ParameterKey] = p.ParameterValue ?? '';
  const tgs = [outputs[OUTPUT_TARGET_GROUP_ARN], outputs[OUTPUT_HTTP_TARGET_GROUP_ARN]].filter(
    (a): a is string => a !== undefined && a !== '',
  );
  return {
    name: stack.StackName ?? '',
    id: stack.StackId,
    status: stack.StackStatus ?? 'UNKNOWN',
    statusReason: stack.StackStatusReason,
    dnsName: outputs[OUTPUT_DNS_NAME] === '' ? undefined : outputs[OUTPUT_DNS_NAME],
    loadBalancerArn: outputs[OUTPUT_LOAD_BALANCER_ARN] === '' ? undefined : outputs[OUTPUT_LOAD_BALANCER_ARN],
    targetGroupArns: tgs,
    parameters,
    tags,
    certificates: certificatesFromTags(tags),
    owner: tags[OWNER_TAG] === '' ? undefined : tags[OWNER_TAG],
    terminationProtection: stack.EnableTerminationProtection === true,
    createdAt: stack.CreationTime,
  };
}

function tagsRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** What a load balancer's stack should look like (from the app's model and template). */
export interface DesiredStack {
  /** The existing stack this load balancer lives in; undefined: a new stack is created. */
  readonly stackName?: string | undefined;
  readonly templateBody: string;
  /** Every parameter the template takes (compared with the stack's, key by key). */
  readonly parameters: Readonly<Record<string, string>>;
  /** From {@link desiredCertificates}; when {@link certificatesExpired}, the stack is deleted. */
  readonly certificates: CertificateExpiries;
  /** `namespace/name` of the Ingress of a dedicated load balancer (`ingress:owner`). */
  readonly owner?: string | undefined;
  /** More stack tags (`--additional-stack-tags`); the manager's own tags win. */
  readonly extraTags?: Readonly<Record<string, string>> | undefined;
}

/** The full tag set of a stack: extra tags, ownership, cluster, certificates, owner, template hash. */
export function stackTags(
  desired: DesiredStack,
  clusterId: string,
  controllerId: string,
): Record<string, string> {
  const tags: Record<string, string> = { ...desired.extraTags };
  tags[APPLICATION_TAG] = controllerId;
  tags[clusterTag(clusterId)] = CLUSTER_OWNED;
  for (const [arn, expiry] of desired.certificates)
    tags[CERTIFICATE_TAG_PREFIX + arn] = formatCertificateExpiry(expiry);
  if (desired.owner !== undefined && desired.owner !== '') tags[OWNER_TAG] = desired.owner;
  tags[TEMPLATE_HASH_TAG] = createHash('sha256').update(desired.templateBody).digest('hex');
  return tags;
}

/** Pure: the stack already has these tags (ignoring `aws:` tags) and every desired parameter. */
export function stackInSync(
  stack: ManagedStack,
  desired: DesiredStack,
  clusterId: string,
  controllerId: string,
): boolean {
  const want = stackTags(desired, clusterId, controllerId);
  const have = Object.entries(stack.tags).filter(([k]) => !k.startsWith('aws:'));
  if (have.length !== Object.keys(want).length) return false;
  for (const [k, v] of have) if (want[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.parameters)) if (stack.parameters[k] !== v) return false;
  return true;
}

/** A stack status or failure the app reports (Warning Event, metric `reason` label). */
export interface StackProblem {
  /** CamelCase: StackRollbackComplete, StackUpdateRolledBack, StackRollingBack, StackFailed, StackDeleteFailed, StackCreateFailed, StackUpdateFailed, StackDeleteError. */
  readonly reason: string;
  readonly message: string;
}

/** What happened to one stack in a cycle. */
export interface StackResult {
  readonly stackName: string;
  /**
   * - created / adopted (the create found the stack existing) / updated / deleted: a call made;
   * - unchanged: in sync, nothing to do; waiting: an operation or backoff is running;
   * - reported: a status that needs a person (see `problem`), left alone;
   * - failed: a create/update/delete call failed (`error`; the app should retry the pass).
   */
  readonly action:
    'created' | 'adopted' | 'updated' | 'deleted' | 'unchanged' | 'waiting' | 'reported' | 'failed';
  /** The status read this cycle (undefined for a stack created this cycle). */
  readonly status: string | undefined;
  readonly problem?: StackProblem;
  readonly error?: unknown;
  /** The desired entry this result is for; undefined for a stack deleted because of its status only. */
  readonly desired?: DesiredStack;
}

/** Why a cycle stopped before changing anything. */
export type CycleAbortReason =
  'CertificatesUnavailable' | 'NoCertificates' | 'StacksUnavailable' | 'Ec2Unavailable';

/**
 * A cycle was abandoned before any change because an input could not be read: nothing was
 * created, updated, detached or deleted. Transient: the loop retries with backoff.
 */
export class CycleAbortedError extends TransientError {
  readonly reason: CycleAbortReason;
  constructor(reason: CycleAbortReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? { code: reason } : { code: reason, cause });
    this.reason = reason;
  }
}

/** The inputs of one cycle, read before any change. */
export interface CycleSnapshot {
  readonly now: Date;
  readonly certificates: readonly CertificateSummary[];
  /** Managed stacks, sorted by name. */
  readonly stacks: readonly ManagedStack[];
  readonly targets: TargetSnapshot;
}

/** What one cycle did. */
export interface StackCycleResult {
  readonly snapshot: CycleSnapshot;
  readonly stacks: readonly StackResult[];
  /** Target group attachments and registrations changed this cycle (detaches before deletes included). */
  readonly targets: readonly TargetChange[];
  /** Number of create, update, termination-protection and delete calls made. */
  readonly mutatingCalls: number;
}

/** Options of {@link createStackManager}. */
export interface StackManagerOptions {
  cloudFormation: CloudFormationClient;
  clusterId: string;
  /** `--controller-id`, the `kubernetes:application` tag. */
  controllerId: string;
  /** Where the certificate list comes from (the certificate cache's `certificates`). Throwing aborts the cycle. */
  certificates: () => readonly CertificateSummary[];
  targets: AsgTargets;
  /** `--creation-timeout` in minutes (CreateStack `TimeoutInMinutes`). Default 5. */
  creationTimeoutMinutes?: number;
  /** `--stack-termination-protection`. Default false. */
  terminationProtection?: boolean;
  /** First backoff after a failed update (UPDATE_ROLLBACK_COMPLETE) or DELETE_FAILED. Default 60 s; doubles up to 30 min. */
  backoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Creates, updates and deletes the load balancers' CloudFormation stacks. One caller at a time. */
export interface StackManager {
  /** DescribeStacks over all pages, keeping managed stacks (sorted by name). Rejects with TransientError. */
  listManagedStacks(): Promise<ManagedStack[]>;
  /**
   * One cycle: reads the certificates, the managed stacks and the EC2 instances — if any of them
   * cannot be read, or the certificate list is empty, rejects with {@link CycleAbortedError}
   * having changed nothing — then asks `plan` (pure: the app's model and template) for the
   * desired stacks, syncs the target groups of the stacks that stay with the instances, and
   * applies each desired stack: create (OnFailure=DELETE), update when out of sync and
   * updatable, delete when its certificates have all expired (target groups detached from the
   * Auto Scaling groups and termination protection off first). Managed stacks `plan` does not
   * mention are left alone, except ROLLBACK_COMPLETE ones, which are deleted and reported.
   * Call failures are results (`failed`), not rejections; a failed target sync rejects.
   */
  cycle(plan: (snapshot: CycleSnapshot) => readonly DesiredStack[]): Promise<StackCycleResult>;
  /** Forgets backoffs and remembered target groups (a new leader starts fresh). */
  reset(): void;
}

function isNoUpdates(err: unknown): boolean {
  // CloudFormation answers a no-op update with a ValidationError whose message is the only signal.
  return (
    err instanceof Error &&
    err.name === 'ValidationError' &&
    /No updates are to be performed/i.test(err.message)
  );
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AlreadyExistsException' || err.name === 'AlreadyExists');
}

/** Creates a {@link StackManager}. Makes no AWS call until used. */
export function createStackManager(options: StackManagerOptions): StackManager {
  const cf = options.cloudFormation;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  const timeout = options.creationTimeoutMinutes ?? 5;
  const protect = options.terminationProtection ?? false;
  const baseBackoff = options.backoffMs ?? 60_000;
  const maxBackoff = options.maxBackoffMs ?? 30 * 60_000;
  const backoff = new Map<string, { failures: number; until: number }>();
  const lastTargetGroups = new Map<string, readonly string[]>();

  const backedOff = (name: string): boolean => (backoff.get(name)?.until ?? 0) > clock.now();
  const noteFailure = (name: string): void => {
    const failures = (backoff.get(name)?.failures ?? 0) + 1;
    const delay = Math.min(maxBackoff, baseBackoff * 2 ** (failures - 1));
    backoff.set(name, { failures, until: clock.now() + delay });
  };

  const listManagedStacks = async (): Promise<ManagedStack[]> => {
    const out: ManagedStack[] = [];
    try {
      for await (const page of paginateDescribeStacks({ client: cf }, {})) {
        for (const s of page.Stacks ?? []) {
          if (isManagedStack(tagsRecord(s.Tags), options.clusterId, options.controllerId))
            out.push(toManagedStack(s));
        }
      }
    } catch (err) {
      throw new TransientError(`listing CloudFormation stacks failed: ${errorMessage(err)}`, { cause: err });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  /** The stack's target groups, or the last ones seen for it while it has no outputs. */
  const targetGroupsOf = (stack: ManagedStack): readonly string[] => {
    if (stack.targetGroupArns.length > 0) {
      lastTargetGroups.set(stack.name, stack.targetGroupArns);
      return stack.targetGroupArns;
    }
    return lastTargetGroups.get(stack.name) ?? [];
  };

  return {
    listManagedStacks,
    reset() {
      backoff.clear();
      lastTargetGroups.clear();
    },
    async cycle(plan) {
      let certificates: readonly CertificateSummary[];
      try {
        certificates = options.certificates();
      } catch (err) {
        throw new CycleAbortedError(
          'CertificatesUnavailable',
          `certificates unavailable: ${errorMessage(err)}`,
          err,
        );
      }
      if (certificates.length === 0) {
        throw new CycleAbortedError('NoCertificates', 'no certificates found; not changing any stack');
      }
      let stacks: ManagedStack[];
      try {
        stacks = await listManagedStacks();
      } catch (err) {
        throw new CycleAbortedError('StacksUnavailable', errorMessage(err), err);
      }
      let targets: TargetSnapshot;
      try {
        targets = await options.targets.describe();
      } catch (err) {
        throw new CycleAbortedError('Ec2Unavailable', errorMessage(err), err);
      }
      const now = new Date(clock.now());
      const snapshot: CycleSnapshot = { now, certificates, stacks, targets };
      const desired = plan(snapshot);

      const byName = new Map(stacks.map((s) => [s.name, s]));
      const results: StackResult[] = [];
      const changes: TargetChange[] = [];
      let mutating = 0;
      const send = async <T>(fn: () => Promise<T>): Promise<T> => {
        mutating += 1;
        return fn();
      };

      // What goes: expired (both the desired map and the stack's own tags), or ROLLBACK_COMPLETE.
      const planned = new Set<string>();
      const toDelete: { stack: ManagedStack; desired: DesiredStack | undefined; problem?: StackProblem }[] =
        [];
      const toApply: { stack: ManagedStack | undefined; desired: DesiredStack }[] = [];
      for (const d of desired) {
        if (d.stackName === undefined) {
          toApply.push({ stack: undefined, desired: d });
          continue;
        }
        planned.add(d.stackName);
        const stack = byName.get(d.stackName);
        if (stack === undefined) {
          results.push({
            stackName: d.stackName,
            action: 'failed',
            status: undefined,
            desired: d,
            error: new KubeEdgeError(`stack ${d.stackName} is not among the managed stacks`),
          });
          continue;
        }
        const state = stackState(stack.status);
        if (state === 'rollback-complete') {
          toDelete.push({ stack, desired: d, problem: rollbackComplete(stack) });
        } else if (certificatesExpired(d.certificates, now) && certificatesExpired(stack.certificates, now)) {
          toDelete.push({ stack, desired: d });
        } else {
          toApply.push({ stack, desired: d });
        }
      }
      for (const stack of stacks) {
        if (!planned.has(stack.name) && stackState(stack.status) === 'rollback-complete') {
          toDelete.push({ stack, desired: undefined, problem: rollbackComplete(stack) });
        }
      }

      // Targets: the target groups of every stack that stays.
      const deleting = new Set(toDelete.map((t) => t.stack.name));
      const keep: string[] = [];
      for (const stack of stacks) {
        const state = stackState(stack.status);
        if (deleting.has(stack.name) || state === 'deleting' || state === 'deleted') continue;
        keep.push(...targetGroupsOf(stack));
      }
      changes.push(...(await options.targets.sync(targets, keep)));

      for (const item of toDelete) {
        const { stack } = item;
        const state = stackState(stack.status);
        const base = {
          stackName: stack.name,
          status: stack.status,
          ...(item.desired ? { desired: item.desired } : {}),
        };
        if (state === 'deleting' || state === 'deleted') {
          results.push({ ...base, action: 'waiting' });
          continue;
        }
        const problem: StackProblem | undefined =
          item.problem ??
          (state === 'failed' && stack.status === 'DELETE_FAILED'
            ? { reason: 'StackDeleteFailed', message: reasonText(stack) }
            : undefined);
        if (backedOff(stack.name)) {
          results.push({ ...base, action: 'waiting', ...(problem ? { problem } : {}) });
          continue;
        }
        try {
          changes.push(...(await options.targets.detach(targetGroupsOf(stack))));
          if (stack.terminationProtection) {
            await send(() =>
              cf.send(
                new UpdateTerminationProtectionCommand({
                  StackName: stack.name,
                  EnableTerminationProtection: false,
                }),
              ),
            );
          }
          await send(() => cf.send(new DeleteStackCommand({ StackName: stack.name })));
          lastTargetGroups.delete(stack.name);
          if (stack.status === 'DELETE_FAILED') noteFailure(stack.name);
          logger.info('stack deleted', { stack: stack.name, status: stack.status });
          results.push({ ...base, action: 'deleted', ...(problem ? { problem } : {}) });
        } catch (err) {
          noteFailure(stack.name);
          results.push({
            ...base,
            action: 'failed',
            error: err,
            problem: problem ?? { reason: 'StackDeleteError', message: errorMessage(err) },
          });
        }
      }

      for (const { stack, desired: d } of toApply) {
        const tags = stackTags(d, options.clusterId, options.controllerId);
        const cfTags = Object.entries(tags)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([Key, Value]) => ({ Key, Value }));
        const parameters = Object.entries(d.parameters)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
        if (stack === undefined) {
          if (certificatesExpired(d.certificates, now) && d.certificates.size === 0) {
            // Nothing would be served by it; the original never creates a certificate-less stack.
            continue;
          }
          const name = newStackName(options.clusterId);
          try {
            await send(() =>
              cf.send(
                new CreateStackCommand({
                  StackName: name,
                  TemplateBody: d.templateBody,
                  Parameters: parameters,
                  Tags: cfTags,
                  OnFailure: 'DELETE',
                  TimeoutInMinutes: timeout,
                  EnableTerminationProtection: protect,
                }),
              ),
            );
            logger.info('stack created', { stack: name });
            results.push({ stackName: name, action: 'created', status: undefined, desired: d });
          } catch (err) {
            if (isAlreadyExists(err)) {
              const found = await cf.send(new DescribeStacksCommand({ StackName: name })).then(
                (r) => r.Stacks?.[0],
                () => undefined,
              );
              results.push({ stackName: name, action: 'adopted', status: found?.StackStatus, desired: d });
            } else {
              results.push({
                stackName: name,
                action: 'failed',
                status: undefined,
                desired: d,
                error: err,
                problem: { reason: 'StackCreateFailed', message: errorMessage(err) },
              });
            }
          }
          continue;
        }

        const state = stackState(stack.status);
        const base = { stackName: stack.name, status: stack.status, desired: d };
        const problem = problemOf(stack);
        if (stackInSync(stack, d, options.clusterId, options.controllerId)) {
          if (state === 'complete') backoff.delete(stack.name);
          results.push({
            ...base,
            action: problem ? 'reported' : 'unchanged',
            ...(problem ? { problem } : {}),
          });
          continue;
        }
        if (!isStackUpdatable(stack.status)) {
          results.push({
            ...base,
            action: problem && state !== 'rolling-back' ? 'reported' : 'waiting',
            ...(problem ? { problem } : {}),
          });
          continue;
        }
        if (state === 'update-rolled-back' && backedOff(stack.name)) {
          results.push({ ...base, action: 'waiting', ...(problem ? { problem } : {}) });
          continue;
        }
        try {
          if (protect && !stack.terminationProtection) {
            await send(() =>
              cf.send(
                new UpdateTerminationProtectionCommand({
                  StackName: stack.name,
                  EnableTerminationProtection: true,
                }),
              ),
            );
          }
          await send(() =>
            cf.send(
              new UpdateStackCommand({
                StackName: stack.name,
                TemplateBody: d.templateBody,
                Parameters: parameters,
                Tags: cfTags,
              }),
            ),
          );
          if (state === 'update-rolled-back') noteFailure(stack.name);
          logger.info('stack updated', { stack: stack.name });
          results.push({ ...base, action: 'updated', ...(problem ? { problem } : {}) });
        } catch (err) {
          if (isNoUpdates(err)) {
            results.push({ ...base, action: 'unchanged', ...(problem ? { problem } : {}) });
            continue;
          }
          noteFailure(stack.name);
          results.push({
            ...base,
            action: 'failed',
            error: err,
            problem: { reason: 'StackUpdateFailed', message: errorMessage(err) },
          });
        }
      }
      return { snapshot, stacks: results, targets: changes, mutatingCalls: mutating };
    },
  };
}

function reasonText(stack: ManagedStack): string {
  return stack.statusReason !== undefined && stack.statusReason !== ''
    ? `${stack.status}: ${stack.statusReason}`
    : stack.status;
}

function rollbackComplete(stack: ManagedStack): StackProblem {
  return {
    reason: 'StackRollbackComplete',
    message: `${reasonText(stack)} (the create failed; the stack is deleted and created again)`,
  };
}

/** The problem a stack's status alone shows, if any. */
export function problemOf(stack: Pick<ManagedStack, 'status' | 'statusReason'>): StackProblem | undefined {
  const s = stackState(stack.status);
  const message = reasonText(stack as ManagedStack);
  switch (s) {
    case 'update-rolled-back':
      return { reason: 'StackUpdateRolledBack', message };
    case 'rollback-complete':
      return { reason: 'StackRollbackComplete', message };
    case 'rolling-back':
      return { reason: 'StackRollingBack', message };
    case 'failed':
      return { reason: stack.status === 'DELETE_FAILED' ? 'StackDeleteFailed' : 'StackFailed', message };
    default:
      return undefined;
  }
}
