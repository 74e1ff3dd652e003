import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { AwsQueryError, el, members, page, type QueryParams } from './query-protocol.js';

/** The API version CloudFormation requests carry. */
export const CLOUDFORMATION_VERSION = '2010-05-15';
/** The XML namespace CloudFormation responses carry. */
export const CLOUDFORMATION_NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** The stack states the fake passes through (a subset of CloudFormation's). */
export type FakeStackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_COMPLETE'
  | 'CREATE_FAILED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_COMPLETE'
  | 'ROLLBACK_FAILED'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED';

/** `OnFailure` of CreateStack. */
export type FakeOnFailure = 'DO_NOTHING' | 'ROLLBACK' | 'DELETE';

/** A snapshot of one fake stack. */
export interface FakeStack {
  stackId: string;
  stackName: string;
  status: FakeStackStatus;
  statusReason: string | undefined;
  templateBody: string;
  /** Every parameter the template declares, with its value (defaults filled in). */
  parameters: Record<string, string>;
  tags: Record<string, string>;
  outputs: Record<string, string>;
  terminationProtection: boolean;
  onFailure: FakeOnFailure;
  creationTime: Date;
  lastUpdatedTime: Date | undefined;
  deletionTime: Date | undefined;
}

/** Seed for {@link FakeCloudFormation.createStack}: a stack that already exists. */
export interface FakeStackInit {
  stackName: string;
  /** Default a minimal template with one `AWS::CloudFormation::WaitConditionHandle`. */
  templateBody?: string;
  parameters?: Readonly<Record<string, string>>;
  tags?: Readonly<Record<string, string>>;
  /** Default `CREATE_COMPLETE`. */
  status?: FakeStackStatus;
  /** `StackStatusReason`, e.g. why a seeded `ROLLBACK_COMPLETE` create failed. Default none. */
  statusReason?: string;
  /** Default: the outputs the template's `Outputs` resolve to. */
  outputs?: Readonly<Record<string, string>>;
  terminationProtection?: boolean;
}

/** A failure to inject into the next stack operation (see {@link FakeCloudFormation.failNextOperation}). */
export interface FakeStackFailure {
  operation: 'create' | 'update' | 'delete';
  /** Only this stack; default any. */
  stackName?: string;
  /** Default `Resource creation cancelled` (create), `... failed to update` (update), `... failed to delete` (delete). */
  reason?: string;
  /** Make the rollback fail too: ROLLBACK_FAILED / UPDATE_ROLLBACK_FAILED. */
  rollbackFails?: boolean;
  /** How many operations fail. Default 1. */
  count?: number;
}

/**
 * What happens to resources of a completed stack. {@link createFakeAws} links the ELBv2 fake, so
 * `AWS::ElasticLoadBalancingV2::LoadBalancer` and `::TargetGroup` resources exist there while the
 * stack does (and `Ref`/`Fn::GetAtt` in outputs resolve to their ARNs and DNS names).
 */
export interface FakeStackResourceHooks {
  /** Creates one resource; returns its physical id (`Ref`) and attributes (`Fn::GetAtt`). */
  create(
    stackName: string,
    logicalId: string,
    type: string,
    properties: Record<string, unknown>,
  ): { ref: string; attributes: Record<string, string> } | undefined;
  /** Deletes a resource created by `create`. */
  delete(type: string, ref: string): void;
}

/** Options of {@link FakeCloudFormation}. */
export interface FakeCloudFormationOptions {
  /** Clock for CreationTime/LastUpdatedTime. Default `Date.now`. Never drives state changes. */
  now?: () => number;
  /** Stacks per DescribeStacks page. Default 100 (as CloudFormation). */
  pageSize?: number;
  /**
   * When true, every operation runs to its final state inside the call that started it, as if
   * {@link FakeCloudFormation.settle} had run. Default false: stacks move only on `advance()`.
   */
  completeImmediately?: boolean;
  resourceHooks?: FakeStackResourceHooks;
}

type Operation = 'create' | 'update' | 'delete';

interface StackState {
  stackId: string;
  stackName: string;
  status: FakeStackStatus;
  statusReason: string | undefined;
  templateBody: string;
  parameters: Map<string, string>;
  tags: Map<string, string>;
  outputs: Map<string, string>;
  outputOverrides: Map<string, string> | undefined;
  terminationProtection: boolean;
  onFailure: FakeOnFailure;
  creationTime: number;
  lastUpdatedTime: number | undefined;
  deletionTime: number | undefined;
  /** States still to come for the operation in progress; advance() takes the first. */
  pending: FakeStackStatus[];
  /** The operation in progress and what to restore if it rolls back. */
  operation:
    | {
        kind: Operation;
        previous?: { templateBody: string; parameters: Map<string, string>; tags: Map<string, string> };
      }
    | undefined;
  /** Physical resources (by logical id) made through the hooks. */
  resources: Map<string, { type: string; ref: string; attributes: Record<string, string> }>;
}

interface PendingFailure {
  failure: FakeStackFailure;
  remaining: number;
}

const ACCOUNT = '123456789012';
const MAX_TEMPLATE_BYTES = 51_200;
const MAX_RESOURCES = 500;
const DEFAULT_TEMPLATE = JSON.stringify({
  Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
});

const STABLE_FOR_UPDATE = new Set<FakeStackStatus>([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
]);

/** For a stack seeded `*_IN_PROGRESS`: the operation and the states still to come. */
const SEEDED_REST: Partial<Record<FakeStackStatus, { kind: Operation; pending: FakeStackStatus[] }>> = {
  CREATE_IN_PROGRESS: { kind: 'create', pending: ['CREATE_COMPLETE'] },
  UPDATE_IN_PROGRESS: { kind: 'update', pending: ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'] },
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: { kind: 'update', pending: ['UPDATE_COMPLETE'] },
  ROLLBACK_IN_PROGRESS: { kind: 'create', pending: ['ROLLBACK_COMPLETE'] },
  UPDATE_ROLLBACK_IN_PROGRESS: {
    kind: 'update',
    pending: ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'],
  },
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: { kind: 'update', pending: ['UPDATE_ROLLBACK_COMPLETE'] },
  DELETE_IN_PROGRESS: { kind: 'delete', pending: ['DELETE_COMPLETE'] },
};

/** States in which a stack has no resources (and so no outputs). */
const WITHOUT_RESOURCES = new Set<FakeStackStatus>([
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'DELETE_COMPLETE',
]);

/** True for the states in which no operation is running (a stack can be updated or deleted). */
export function isStackStatusSettled(status: FakeStackStatus): boolean {
  return !status.endsWith('_IN_PROGRESS');
}

function validation(message: string): AwsQueryError {
  return new AwsQueryError('ValidationError', message);
}

interface ParsedTemplate {
  parameters: Map<string, { default: string | undefined }>;
  resources: Map<string, { type: string; properties: Record<string, unknown> }>;
  outputs: Map<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Parses a JSON or YAML template and applies CloudFormation's size and resource-count limits. */
function parseTemplate(body: string): ParsedTemplate {
  if (Buffer.byteLength(body, 'utf8') > MAX_TEMPLATE_BYTES) {
    throw validation(
      `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BYTES}`,
    );
  }
  let doc: unknown;
  try {
    doc = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body, { logLevel: 'silent' });
  } catch (err) {
    throw validation(`Template format error: ${err instanceof Error ? err.message : 'unparsable'}`);
  }
  const root = asRecord(doc);
  const resources = asRecord(root?.Resources);
  if (root === undefined || resources === undefined || Object.keys(resources).length === 0) {
    throw validation('Template format error: At least one Resources member must be defined.');
  }
  const count = Object.keys(resources).length;
  if (count > MAX_RESOURCES) {
    throw validation(
      `Template format error: Number of resources, ${count}, is greater than maximum allowed, ${MAX_RESOURCES}`,
    );
  }
  const parsed: ParsedTemplate = { parameters: new Map(), resources: new Map(), outputs: new Map() };
  for (const [name, decl] of Object.entries(asRecord(root.Parameters) ?? {})) {
    const d = asRecord(decl)?.Default;
    parsed.parameters.set(name, {
      default:
        typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' ? String(d) : undefined,
    });
  }
  for (const [id, res] of Object.entries(resources)) {
    const r = asRecord(res);
    const type = r?.Type;
    if (typeof type !== 'string') {
      throw validation(
        `Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`,
      );
    }
    parsed.resources.set(id, { type, properties: asRecord(r?.Properties) ?? {} });
  }
  for (const [key, out] of Object.entries(asRecord(root.Outputs) ?? {})) {
    parsed.outputs.set(key, asRecord(out)?.Value);
  }
  return parsed;
}

function recordOf(map: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/**
 * A stateful in-memory CloudFormation (2010-05-15 Query API): CreateStack (OnFailure,
 * DisableRollback, EnableTerminationProtection, Parameters, Tags), UpdateStack (incl.
 * UsePreviousTemplate / UsePreviousValue; "No updates are to be performed." as ValidationError),
 * DeleteStack (idempotent; refused under termination protection), DescribeStacks (by name or
 * stack id, or every live stack paged by NextToken), UpdateTerminationProtection, GetTemplate.
 *
 * Operations are asynchronous as in AWS: a call leaves the stack `*_IN_PROGRESS`, and the stack
 * moves one state per {@link advance} (or to its end with {@link settle}); nothing moves with
 * wall time. Failures are injected with {@link failNextOperation} / {@link failInProgress} and
 * follow CloudFormation's paths (ROLLBACK_*, UPDATE_ROLLBACK_*, DELETE_FAILED; OnFailure=DELETE
 * deletes the stack). Templates are parsed (JSON or YAML): over 51,200 bytes, over 500
 * resources, unknown or missing parameters are refused with ValidationError as AWS does.
 */
export class FakeCloudFormation {
  readonly #stacks: StackState[] = [];
  readonly #failures: PendingFailure[] = [];
  readonly #now: () => number;
  readonly #pageSize: number;
  readonly #completeImmediately: boolean;
  readonly #hooks: FakeStackResourceHooks | undefined;
  #counter = 0;

  constructor(
    readonly region: string,
    options: FakeCloudFormationOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#pageSize = options.pageSize ?? 100;
    this.#completeImmediately = options.completeImmediately ?? false;
    this.#hooks = options.resourceHooks;
  }

  /**
   * Adds a stack directly (no API call). Its resources exist unless the status says they do not
   * (`CREATE_IN_PROGRESS`, `CREATE_FAILED`, `ROLLBACK_*`); a stack seeded `*_IN_PROGRESS` finishes
   * that operation successfully on {@link advance}. Throws if a live stack has the name.
   */
  createStack(init: FakeStackInit): FakeStack {
    if (this.#live(init.stackName) !== undefined)
      throw new Error(`FakeCloudFormation: stack ${init.stackName} exists`);
    const templateBody = init.templateBody ?? DEFAULT_TEMPLATE;
    const template = parseTemplate(templateBody);
    const state = this.#newStack(init.stackName, templateBody, 'ROLLBACK');
    state.parameters = this.#resolveParameters(
      template,
      Object.entries(init.parameters ?? {}).map(([k, v]) => ({ key: k, value: v })),
      undefined,
    );
    state.tags = new Map(Object.entries(init.tags ?? {}));
    state.terminationProtection = init.terminationProtection ?? false;
    state.status = init.status ?? 'CREATE_COMPLETE';
    state.statusReason = init.statusReason;
    if (init.outputs !== undefined) state.outputOverrides = new Map(Object.entries(init.outputs));
    const rest = SEEDED_REST[state.status];
    if (rest !== undefined) {
      // A stack seeded mid-operation finishes that operation successfully on advance().
      state.pending = [...rest.pending];
      state.operation = { kind: rest.kind };
    }
    if (!WITHOUT_RESOURCES.has(state.status)) this.#materialise(state);
    this.#stacks.push(state);
    return snapshot(state);
  }

  /** Snapshot of the live stack with this name (or any stack with this id), if any. */
  stack(nameOrId: string): FakeStack | undefined {
    const s = this.#find(nameOrId);
    return s === undefined ? undefined : snapshot(s);
  }

  /** Snapshots of every stack not DELETE_COMPLETE, in creation order. */
  stacks(): FakeStack[] {
    return this.#stacks.filter((s) => s.status !== 'DELETE_COMPLETE').map(snapshot);
  }

  /** Overrides the outputs a stack reports (now and after later updates). */
  setOutputs(nameOrId: string, outputs: Readonly<Record<string, string>>): void {
    const s = this.#find(nameOrId);
    if (s === undefined) throw new Error(`FakeCloudFormation: no stack ${nameOrId}`);
    s.outputOverrides = new Map(Object.entries(outputs));
    s.outputs = new Map(s.outputOverrides);
  }

  /** The next matching operation started through the API fails when it is advanced. */
  failNextOperation(failure: FakeStackFailure): void {
    const count = failure.count ?? 1;
    if (count > 0) this.#failures.push({ failure, remaining: count });
  }

  /** Makes the operation now in progress on a stack fail at its next step. Throws if none is. */
  failInProgress(nameOrId: string, reason?: string, rollbackFails = false): void {
    const s = this.#find(nameOrId);
    if (s?.operation === undefined)
      throw new Error(`FakeCloudFormation: no operation in progress on ${nameOrId}`);
    s.pending = this.#failurePath(s, s.operation.kind, rollbackFails);
    s.statusReason = reason ?? defaultReason(s.operation.kind);
  }

  /**
   * Moves every stack with an operation in progress (or only `nameOrId`) one state on. Returns
   * how many stacks changed. Synchronous; idempotent once everything is settled.
   */
  advance(nameOrId?: string): number {
    let changed = 0;
    for (const s of this.#stacks) {
      if (nameOrId !== undefined && s.stackName !== nameOrId && s.stackId !== nameOrId) continue;
      if (s.status === 'DELETE_COMPLETE' && nameOrId !== undefined && s.stackName === nameOrId) continue;
      if (this.#step(s)) changed += 1;
    }
    return changed;
  }

  /** Advances until no stack (or `nameOrId`) has an operation in progress; returns the steps taken. */
  settle(nameOrId?: string): number {
    let steps = 0;
    for (let n = this.advance(nameOrId); n > 0; n = this.advance(nameOrId)) steps += n;
    return steps;
  }

  /** Handles one Query request; returns the `<Result>` body or throws {@link AwsQueryError}. */
  handle(params: QueryParams): string {
    switch (params.action) {
      case 'CreateStack':
        return this.#apiCreate(params);
      case 'UpdateStack':
        return this.#apiUpdate(params);
      case 'DeleteStack':
        return this.#apiDelete(params);
      case 'DescribeStacks':
        return this.#apiDescribe(params);
      case 'UpdateTerminationProtection':
        return this.#apiTerminationProtection(params);
      case 'GetTemplate':
        return el('TemplateBody', this.#mustFind(params.required('StackName')).templateBody);
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #live(name: string): StackState | undefined {
    return this.#stacks.find((s) => s.stackName === name && s.status !== 'DELETE_COMPLETE');
  }

  #find(nameOrId: string): StackState | undefined {
    return nameOrId.startsWith('arn:')
      ? this.#stacks.find((s) => s.stackId === nameOrId)
      : this.#live(nameOrId);
  }

  #mustFind(nameOrId: string): StackState {
    const s = this.#find(nameOrId);
    if (s === undefined) throw validation(`Stack with id ${nameOrId} does not exist`);
    return s;
  }

  #newStack(name: string, templateBody: string, onFailure: FakeOnFailure): StackState {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    this.#counter += 1;
    const uuid = createHash('sha256').update(`${name}/${this.#counter}`).digest('hex');
    return {
      stackId: `arn:aws:cloudformation:${this.region}:${ACCOUNT}:stack/${name}/${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`,
      stackName: name,
      status: 'CREATE_IN_PROGRESS',
      statusReason: undefined,
      templateBody,
      parameters: new Map(),
      tags: new Map(),
      outputs: new Map(),
      outputOverrides: undefined,
      terminationProtection: false,
      onFailure,
      creationTime: this.#now(),
      lastUpdatedTime: undefined,
      deletionTime: undefined,
      pending: [],
      operation: undefined,
      resources: new Map(),
    };
  }

  #resolveParameters(
    template: ParsedTemplate,
    given: readonly { key: string; value: string | undefined; usePrevious?: boolean }[],
    previous: ReadonlyMap<string, string> | undefined,
  ): Map<string, string> {
    const unknown = given.filter((g) => !template.parameters.has(g.key)).map((g) => g.key);
    if (unknown.length > 0)
      throw validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const [name, decl] of template.parameters) {
      const g = given.find((p) => p.key === name);
      const value = g?.usePrevious === true ? previous?.get(name) : (g?.value ?? decl.default);
      if (value === undefined) missing.push(name);
      else out.set(name, value);
    }
    if (missing.length > 0) throw validation(`Parameters: [${missing.join(', ')}] must have values`);
    return out;
  }

  #takeFailure(operation: Operation, name: string): FakeStackFailure | undefined {
    const pending = this.#failures.find(
      (f) =>
        f.failure.operation === operation &&
        (f.failure.stackName === undefined || f.failure.stackName === name),
    );
    if (pending === undefined) return undefined;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.#failures.splice(this.#failures.indexOf(pending), 1);
    return pending.failure;
  }

  #successPath(kind: Operation): FakeStackStatus[] {
    if (kind === 'create') return ['CREATE_COMPLETE'];
    if (kind === 'update') return ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'];
    return ['DELETE_COMPLETE'];
  }

  #failurePath(s: StackState, kind: Operation, rollbackFails: boolean): FakeStackStatus[] {
    if (kind === 'create') {
      if (s.onFailure === 'DO_NOTHING') return ['CREATE_FAILED'];
      if (s.onFailure === 'DELETE') return ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'];
      return ['ROLLBACK_IN_PROGRESS', rollbackFails ? 'ROLLBACK_FAILED' : 'ROLLBACK_COMPLETE'];
    }
    if (kind === 'update') {
      return rollbackFails
        ? ['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED']
        : [
            'UPDATE_ROLLBACK_IN_PROGRESS',
            'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
            'UPDATE_ROLLBACK_COMPLETE',
          ];
    }
    return ['DELETE_FAILED'];
  }

  #start(s: StackState, kind: Operation): void {
    const failure = this.#takeFailure(kind, s.stackName);
    s.status =
      kind === 'create'
        ? 'CREATE_IN_PROGRESS'
        : kind === 'update'
          ? 'UPDATE_IN_PROGRESS'
          : 'DELETE_IN_PROGRESS';
    s.statusReason = kind === 'create' ? 'User Initiated' : undefined;
    if (failure === undefined) {
      s.pending = this.#successPath(kind);
    } else {
      s.pending = this.#failurePath(s, kind, failure.rollbackFails ?? false);
      s.statusReason = failure.reason ?? defaultReason(kind);
    }
    if (this.#completeImmediately) while (this.#step(s));
  }

  /** One transition; false when the stack has nothing in progress. */
  #step(s: StackState): boolean {
    const next = s.pending.shift();
    if (next === undefined) return false;
    const op = s.operation;
    s.status = next;
    switch (next) {
      case 'CREATE_COMPLETE':
      case 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS':
        s.statusReason = undefined;
        this.#materialise(s);
        break;
      case 'UPDATE_ROLLBACK_IN_PROGRESS':
        if (op?.previous !== undefined) {
          s.templateBody = op.previous.templateBody;
          s.parameters = op.previous.parameters;
          s.tags = op.previous.tags;
        }
        break;
      case 'ROLLBACK_COMPLETE':
      case 'DELETE_COMPLETE':
        this.#dematerialise(s);
        if (next === 'DELETE_COMPLETE') s.deletionTime = this.#now();
        break;
      default:
        break;
    }
    if (s.pending.length === 0) s.operation = undefined;
    return true;
  }

  /** Makes the template's resources through the hooks (keeping those already made) and resolves outputs. */
  #materialise(s: StackState): void {
    const template = parseTemplate(s.templateBody);
    if (this.#hooks !== undefined) {
      for (const [id, r] of s.resources) {
        if (template.resources.get(id)?.type !== r.type) {
          this.#hooks.delete(r.type, r.ref);
          s.resources.delete(id);
        }
      }
      for (const [id, res] of template.resources) {
        if (s.resources.has(id)) continue;
        const made = this.#hooks.create(s.stackName, id, res.type, res.properties);
        if (made !== undefined) s.resources.set(id, { type: res.type, ...made });
      }
    }
    const outputs = new Map<string, string>();
    for (const [key, value] of template.outputs) outputs.set(key, this.#resolve(s, value));
    for (const [key, value] of s.outputOverrides ?? []) outputs.set(key, value);
    s.outputs = outputs;
  }

  #dematerialise(s: StackState): void {
    for (const r of s.resources.values()) this.#hooks?.delete(r.type, r.ref);
    s.resources.clear();
    s.outputs = new Map();
  }

  /** Resolves an output value: literals, `Ref` (parameters, resources), `Fn::GetAtt`, `Fn::Join`. */
  #resolve(s: StackState, value: unknown): string {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    const rec = asRecord(value);
    if (rec === undefined) return '';
    if (typeof rec.Ref === 'string') {
      const ref = rec.Ref;
      if (ref === 'AWS::StackName') return s.stackName;
      if (ref === 'AWS::StackId') return s.stackId;
      if (ref === 'AWS::Region') return this.region;
      return s.parameters.get(ref) ?? s.resources.get(ref)?.ref ?? `${s.stackName}-${ref}`;
    }
    const getAtt = rec['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const parts: unknown[] = Array.isArray(getAtt)
        ? getAtt
        : typeof getAtt === 'string'
          ? getAtt.split('.')
          : [];
      const [id, attr] = parts.map((p) => (typeof p === 'string' ? p : ''));
      return s.resources.get(id ?? '')?.attributes[attr ?? ''] ?? `${s.stackName}-${id ?? ''}.${attr ?? ''}`;
    }
    const join = rec['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((v) => this.#resolve(s, v)).join(String(join[0]));
    }
    return '';
  }

  #apiCreate(params: QueryParams): string {
    const name = params.required('StackName');
    const existing = this.#live(name);
    if (existing !== undefined)
      throw new AwsQueryError('AlreadyExistsException', `Stack [${name}] already exists`);
    const templateBody = params.get('TemplateBody');
    if (templateBody === undefined) {
      throw validation('Either Template URL or Template Body must be specified.');
    }
    const template = parseTemplate(templateBody);
    const onFailureParam = params.get('OnFailure');
    const disableRollback = params.get('DisableRollback') === 'true';
    if (onFailureParam !== undefined && params.get('DisableRollback') !== undefined) {
      throw validation('You may not specify both DisableRollback and OnFailure.');
    }
    if (onFailureParam !== undefined && !['DO_NOTHING', 'ROLLBACK', 'DELETE'].includes(onFailureParam)) {
      throw validation(
        `1 validation error detected: Value '${onFailureParam}' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]`,
      );
    }
    const onFailure: FakeOnFailure = disableRollback
      ? 'DO_NOTHING'
      : ((onFailureParam as FakeOnFailure | undefined) ?? 'ROLLBACK');
    const s = this.#newStack(name, templateBody, onFailure);
    s.parameters = this.#resolveParameters(template, stackParameters(params), undefined);
    s.tags = stackTags(params);
    s.terminationProtection = params.get('EnableTerminationProtection') === 'true';
    s.operation = { kind: 'create' };
    this.#stacks.push(s);
    this.#start(s, 'create');
    return el('StackId', s.stackId);
  }

  #apiUpdate(params: QueryParams): string {
    const s = this.#mustFind(params.required('StackName'));
    if (!STABLE_FOR_UPDATE.has(s.status)) {
      throw validation(`Stack:${s.stackId} is in ${s.status} state and can not be updated.`);
    }
    const usePrevious = params.get('UsePreviousTemplate') === 'true';
    const templateBody = usePrevious ? s.templateBody : params.get('TemplateBody');
    if (templateBody === undefined)
      throw validation('Either Template URL or Template Body must be specified.');
    const template = parseTemplate(templateBody);
    const parameters = this.#resolveParameters(template, stackParameters(params), s.parameters);
    // UpdateStack without Tags keeps the stack's tags; with Tags replaces them.
    const tags = params.get('Tags.member.1.Key') === undefined ? new Map(s.tags) : stackTags(params);
    if (templateBody === s.templateBody && sameMap(parameters, s.parameters) && sameMap(tags, s.tags)) {
      throw validation('No updates are to be performed.');
    }
    s.operation = {
      kind: 'update',
      previous: { templateBody: s.templateBody, parameters: s.parameters, tags: s.tags },
    };
    s.templateBody = templateBody;
    s.parameters = parameters;
    s.tags = tags;
    s.lastUpdatedTime = this.#now();
    this.#start(s, 'update');
    return el('StackId', s.stackId);
  }

  #apiDelete(params: QueryParams): string {
    const nameOrId = params.required('StackName');
    const s = this.#find(nameOrId);
    // Deleting a stack that does not exist (or is already gone) succeeds, as in AWS.
    if (s === undefined || s.status === 'DELETE_COMPLETE' || s.status === 'DELETE_IN_PROGRESS') return '';
    if (s.terminationProtection) {
      throw validation(`Stack [${s.stackName}] cannot be deleted while TerminationProtection is enabled`);
    }
    if (!isStackStatusSettled(s.status)) {
      // CloudFormation queues a delete behind most operations; the fake refuses instead so a
      // test sees the overlap. Settle the stack first.
      throw validation(`Stack [${s.stackName}] is in ${s.status} state and can not be deleted.`);
    }
    s.operation = { kind: 'delete' };
    this.#start(s, 'delete');
    return '';
  }

  #apiDescribe(params: QueryParams): string {
    const name = params.get('StackName');
    let list: StackState[];
    let next: string | undefined;
    if (name !== undefined) {
      list = [this.#mustFind(name)];
    } else {
      const paged = page(
        this.#stacks.filter((s) => s.status !== 'DELETE_COMPLETE'),
        params.get('NextToken'),
        this.#pageSize,
      );
      list = paged.items;
      next = paged.nextMarker;
    }
    return members('Stacks', list.map(stackXml)) + el('NextToken', next);
  }

  #apiTerminationProtection(params: QueryParams): string {
    const s = this.#mustFind(params.required('StackName'));
    if (s.status === 'DELETE_COMPLETE') throw validation(`Stack with id ${s.stackName} does not exist`);
    s.terminationProtection = params.required('EnableTerminationProtection') === 'true';
    return el('StackId', s.stackId);
  }
}

function defaultReason(kind: Operation): string {
  return kind === 'create'
    ? 'The following resource(s) failed to create: [LB]. Rollback requested by user.'
    : kind === 'update'
      ? 'The following resource(s) failed to update: [LB].'
      : 'The following resource(s) failed to delete: [LB].';
}

function stackParameters(
  params: QueryParams,
): { key: string; value: string | undefined; usePrevious: boolean }[] {
  return params.structList('Parameters', ['ParameterKey', 'ParameterValue', 'UsePreviousValue']).map((p) => ({
    key: p.ParameterKey ?? '',
    value: p.ParameterValue,
    usePrevious: p.UsePreviousValue === 'true',
  }));
}

function stackTags(params: QueryParams): Map<string, string> {
  const tags = params.structList('Tags', ['Key', 'Value']);
  if (tags.length > 50)
    throw validation('1 validation error detected: Member must have length less than or equal to 50');
  return new Map(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function stackXml(s: StackState): string {
  return (
    el('StackId', s.stackId) +
    el('StackName', s.stackName) +
    members(
      'Parameters',
      [...s.parameters].map(([k, v]) => el('ParameterKey', k) + el('ParameterValue', v)),
    ) +
    el('CreationTime', iso(s.creationTime)) +
    el('LastUpdatedTime', iso(s.lastUpdatedTime)) +
    el('DeletionTime', iso(s.deletionTime)) +
    el('StackStatus', s.status) +
    el('StackStatusReason', s.statusReason) +
    el('DisableRollback', s.onFailure === 'DO_NOTHING') +
    members(
      'Outputs',
      [...s.outputs].map(([k, v]) => el('OutputKey', k) + el('OutputValue', v)),
    ) +
    members(
      'Tags',
      [...s.tags].map(([k, v]) => el('Key', k) + el('Value', v)),
    ) +
    el('EnableTerminationProtection', s.terminationProtection)
  );
}

function snapshot(s: StackState): FakeStack {
  return {
    stackId: s.stackId,
    stackName: s.stackName,
    status: s.status,
    statusReason: s.statusReason,
    templateBody: s.templateBody,
    parameters: recordOf(s.parameters),
    tags: recordOf(s.tags),
    outputs: recordOf(s.outputs),
    terminationProtection: s.terminationProtection,
    onFailure: s.onFailure,
    creationTime: new Date(s.creationTime),
    lastUpdatedTime: s.lastUpdatedTime === undefined ? undefined : new Date(s.lastUpdatedTime),
    deletionTime: s.deletionTime === undefined ? undefined : new Date(s.deletionTime),
  };
}
