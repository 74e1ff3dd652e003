import { isIPv4 } from 'node:net';
import { AwsQueryError, el, members, page, xmlEscape, type QueryParams } from './query-protocol.js';
import type { FakeLoadBalancerScheme } from './fake-classic-elb.js';

/** The API version ELBv2 requests carry. */
export const ELBV2_VERSION = '2015-12-01';
/** The XML namespace ELBv2 responses carry. */
export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** ELBv2 load balancer types. */
export type FakeElbv2LoadBalancerType = 'application' | 'network' | 'gateway';
/** ELBv2 target types. */
export type FakeTargetType = 'instance' | 'ip' | 'lambda' | 'alb';

/** An ELBv2 load balancer's `State.Code`. */
export type FakeElbv2LoadBalancerState = 'provisioning' | 'active' | 'active_impaired' | 'failed';

/** Options of {@link FakeElbv2}. */
export interface FakeElbv2Options {
  /** Clock of `CreatedTime` and of the provisioning → active change. Default `Date.now`. */
  now?: () => number;
  /**
   * How long a new load balancer stays `provisioning` before it is `active`, by `now` (no timer:
   * the state is computed when asked). Default 0: active at once. Per load balancer:
   * {@link FakeElbv2LoadBalancerInit.provisioningMs}.
   */
  provisioningMs?: number;
}

/** Seed for {@link FakeElbv2.createLoadBalancer}. Only `name` is required. */
export interface FakeElbv2LoadBalancerInit {
  name: string;
  /** Default `network`. */
  type?: FakeElbv2LoadBalancerType;
  /** Default `internet-facing`. */
  scheme?: FakeLoadBalancerScheme;
  /** Default `<name>-<hex>.elb.<region>.amazonaws.com`. */
  dnsName?: string;
  /** Default `Z2IFOLAFXWLO4F` (eu-west-1's NLB zone) for network, `Z32O12XQLNTSW2` otherwise. */
  canonicalHostedZoneId?: string;
  tags?: Readonly<Record<string, string>>;
  /** `CreatedTime` in ms since the epoch. Default the fake's `now()`. */
  createdAt?: number;
  /** A fixed state (until {@link FakeElbv2.setLoadBalancerState}). Default: by `provisioningMs`. */
  state?: FakeElbv2LoadBalancerState;
  /** `provisioning` for this long after `createdAt`, then `active`. Default the fake's option. */
  provisioningMs?: number;
}

/** A snapshot of one fake ELBv2 load balancer. */
export interface FakeElbv2LoadBalancer {
  arn: string;
  name: string;
  type: FakeElbv2LoadBalancerType;
  scheme: FakeLoadBalancerScheme;
  dnsName: string;
  canonicalHostedZoneId: string;
  tags: Record<string, string>;
  /** `CreatedTime` in ms since the epoch. */
  createdAt: number;
  /** `State.Code` now. */
  state: FakeElbv2LoadBalancerState;
}

/** One registered target. */
export interface FakeTarget {
  id: string;
  port: number;
}

/** Seed for {@link FakeElbv2.createTargetGroup}. Only `name` is required. */
export interface FakeTargetGroupInit {
  name: string;
  /** Default `instance`. */
  targetType?: FakeTargetType;
  /** Default 80. */
  port?: number;
  /** Default `TCP`. */
  protocol?: string;
  /** ARNs of the load balancers forwarding to this group. Default none. */
  loadBalancerArns?: readonly string[];
  tags?: Readonly<Record<string, string>>;
  /** Targets already registered (port defaults to the group's). */
  targets?: readonly { id: string; port?: number }[];
}

/** A snapshot of one fake target group. */
export interface FakeTargetGroup {
  arn: string;
  name: string;
  targetType: FakeTargetType;
  port: number;
  protocol: string;
  loadBalancerArns: string[];
  tags: Record<string, string>;
  /** Registered targets, sorted by id then port. */
  targets: FakeTarget[];
}

interface LbState {
  arn: string;
  name: string;
  type: FakeElbv2LoadBalancerType;
  scheme: FakeLoadBalancerScheme;
  dnsName: string;
  canonicalHostedZoneId: string;
  tags: Map<string, string>;
  createdAt: number;
  /** A fixed state, or undefined: provisioning until `activeAt`, then active. */
  state: FakeElbv2LoadBalancerState | undefined;
  activeAt: number;
}

interface TgState {
  arn: string;
  name: string;
  targetType: FakeTargetType;
  port: number;
  protocol: string;
  loadBalancerArns: string[];
  tags: Map<string, string>;
  targets: Map<string, FakeTarget>;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ACCOUNT = '123456789012';

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function lengthCheck(name: string, values: readonly string[], max: number): void {
  if (values.length > max) {
    throw new AwsQueryError(
      'ValidationError',
      `1 validation error detected: Value '[${values.join(', ')}]' at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

/**
 * A stateful in-memory ELBv2 (2015-12-01 Query API): DescribeLoadBalancers and
 * DescribeTargetGroups (paged by Marker/PageSize ≤ 400; filters by names, ARNs, load balancer),
 * DescribeTags (1–20 ARNs), RegisterTargets, DeregisterTargets, DescribeTargetHealth, AddTags.
 * Errors as AWS names them: `LoadBalancerNotFound`, `TargetGroupNotFound`, `InvalidTarget`
 * (an instance id in an `ip` group, an IP in an `instance` group), `ValidationError`.
 * A load balancer reports `CreatedTime` and `State.Code` from the fake's clock: `provisioning`
 * for `provisioningMs` after its creation, then `active`, or a state fixed by
 * {@link FakeElbv2.setLoadBalancerState}.
 */
export class FakeElbv2 {
  readonly #lbs = new Map<string, LbState>();
  readonly #tgs = new Map<string, TgState>();
  readonly #now: () => number;
  readonly #provisioningMs: number;
  #counter = 0;

  constructor(
    readonly region: string,
    options: FakeElbv2Options = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#provisioningMs = options.provisioningMs ?? 0;
  }

  #stateOf(lb: LbState): FakeElbv2LoadBalancerState {
    return lb.state ?? (this.#now() >= lb.activeAt ? 'active' : 'provisioning');
  }

  #snapshot(lb: LbState): FakeElbv2LoadBalancer {
    return lbSnapshot(lb, this.#stateOf(lb));
  }

  #suffix(): string {
    this.#counter += 1;
    return this.#counter.toString(16).padStart(16, '0');
  }

  /** Adds a load balancer and returns its snapshot (with its generated ARN). */
  createLoadBalancer(init: FakeElbv2LoadBalancerInit): FakeElbv2LoadBalancer {
    const type = init.type ?? 'network';
    const suffix = this.#suffix();
    const kind = type === 'application' ? 'app' : type === 'network' ? 'net' : 'gwy';
    const createdAt = init.createdAt ?? this.#now();
    const state: LbState = {
      arn: `arn:aws:elasticloadbalancing:${this.region}:${ACCOUNT}:loadbalancer/${kind}/${init.name}/${suffix}`,
      name: init.name,
      type,
      scheme: init.scheme ?? 'internet-facing',
      dnsName: init.dnsName ?? `${init.name}-${suffix}.elb.${this.region}.amazonaws.com`,
      canonicalHostedZoneId:
        init.canonicalHostedZoneId ?? (type === 'network' ? 'Z2IFOLAFXWLO4F' : 'Z32O12XQLNTSW2'),
      tags: new Map(Object.entries(init.tags ?? {})),
      createdAt,
      state: init.state,
      activeAt: createdAt + (init.provisioningMs ?? this.#provisioningMs),
    };
    this.#lbs.set(state.arn, state);
    return this.#snapshot(state);
  }

  /**
   * Fixes a load balancer's state (e.g. `active` before its provisioning time, or `failed`);
   * `undefined` returns it to the clock's provisioning → active. Throws for an unknown ARN.
   */
  setLoadBalancerState(arn: string, state: FakeElbv2LoadBalancerState | undefined): void {
    const lb = this.#lbs.get(arn);
    if (lb === undefined) throw new Error(`FakeElbv2: unknown load balancer ${arn}`);
    lb.state = state;
  }

  /** Adds a target group and returns its snapshot. Throws if a load balancer ARN is unknown. */
  createTargetGroup(init: FakeTargetGroupInit): FakeTargetGroup {
    for (const arn of init.loadBalancerArns ?? []) {
      if (!this.#lbs.has(arn)) throw new Error(`FakeElbv2: unknown load balancer ${arn}`);
    }
    const port = init.port ?? 80;
    const state: TgState = {
      arn: `arn:aws:elasticloadbalancing:${this.region}:${ACCOUNT}:targetgroup/${init.name}/${this.#suffix()}`,
      name: init.name,
      targetType: init.targetType ?? 'instance',
      port,
      protocol: init.protocol ?? 'TCP',
      loadBalancerArns: [...(init.loadBalancerArns ?? [])],
      tags: new Map(Object.entries(init.tags ?? {})),
      targets: new Map(),
    };
    for (const t of init.targets ?? []) {
      const target = { id: t.id, port: t.port ?? port };
      state.targets.set(`${target.id}:${target.port}`, target);
    }
    this.#tgs.set(state.arn, state);
    return tgSnapshot(state);
  }

  /** Removes a load balancer (and detaches it from its target groups); true if it existed. */
  deleteLoadBalancer(arn: string): boolean {
    for (const tg of this.#tgs.values()) tg.loadBalancerArns = tg.loadBalancerArns.filter((a) => a !== arn);
    return this.#lbs.delete(arn);
  }

  /** Removes a target group; true if it existed. */
  deleteTargetGroup(arn: string): boolean {
    return this.#tgs.delete(arn);
  }

  /** Snapshot of one load balancer by ARN. */
  loadBalancer(arn: string): FakeElbv2LoadBalancer | undefined {
    const lb = this.#lbs.get(arn);
    return lb === undefined ? undefined : this.#snapshot(lb);
  }

  /** Snapshot of one target group by ARN. */
  targetGroup(arn: string): FakeTargetGroup | undefined {
    const tg = this.#tgs.get(arn);
    return tg === undefined ? undefined : tgSnapshot(tg);
  }

  /** Snapshots of every load balancer, sorted by name. */
  loadBalancers(): FakeElbv2LoadBalancer[] {
    return [...this.#lbs.values()].sort(byName).map((lb) => this.#snapshot(lb));
  }

  /** Snapshots of every target group, sorted by name. */
  targetGroups(): FakeTargetGroup[] {
    return [...this.#tgs.values()].sort(byName).map(tgSnapshot);
  }

  /** Registered targets of a target group (sorted), or [] for an unknown ARN. */
  targetsOf(arn: string): FakeTarget[] {
    const tg = this.#tgs.get(arn);
    return tg === undefined ? [] : tgSnapshot(tg).targets;
  }

  /** ARNs of the target groups that have `id` (any port) registered, sorted by group name. */
  targetGroupsWithTarget(id: string): string[] {
    return [...this.#tgs.values()]
      .sort(byName)
      .filter((tg) => [...tg.targets.values()].some((t) => t.id === id))
      .map((tg) => tg.arn);
  }

  /**
   * Registers targets (port defaults to the group's) as the API would, without validation;
   * for other fakes (an Auto Scaling group attached to the group) and test set-up. Returns false
   * for an unknown ARN.
   */
  registerTargets(arn: string, targets: readonly { id: string; port?: number }[]): boolean {
    const tg = this.#tgs.get(arn);
    if (tg === undefined) return false;
    for (const t of targets) {
      const target = { id: t.id, port: t.port ?? tg.port };
      tg.targets.set(`${target.id}:${target.port}`, target);
    }
    return true;
  }

  /** Deregisters `ids` (every port) from a target group; false for an unknown ARN. */
  deregisterTargets(arn: string, ids: readonly string[]): boolean {
    const tg = this.#tgs.get(arn);
    if (tg === undefined) return false;
    for (const [key, t] of tg.targets) if (ids.includes(t.id)) tg.targets.delete(key);
    return true;
  }

  /** Handles one Query request; returns the `<Result>` body or throws {@link AwsQueryError}. */
  handle(params: QueryParams): string {
    switch (params.action) {
      case 'DescribeLoadBalancers':
        return this.#describeLoadBalancers(params);
      case 'DescribeTargetGroups':
        return this.#describeTargetGroups(params);
      case 'DescribeTags':
        return this.#describeTags(params);
      case 'RegisterTargets':
        return this.#changeTargets(params, true);
      case 'DeregisterTargets':
        return this.#changeTargets(params, false);
      case 'DescribeTargetHealth':
        return this.#describeTargetHealth(params);
      case 'AddTags':
        return this.#addTags(params);
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #lb(arn: string): LbState {
    const lb = this.#lbs.get(arn);
    if (lb === undefined) throw new AwsQueryError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  }

  #tg(arn: string): TgState {
    const tg = this.#tgs.get(arn);
    if (tg === undefined) throw new AwsQueryError('TargetGroupNotFound', `Target groups '${arn}' not found`);
    return tg;
  }

  #describeLoadBalancers(params: QueryParams): string {
    const names = params.list('Names');
    const arns = params.list('LoadBalancerArns');
    lengthCheck('names', names, 20);
    lengthCheck('loadBalancerArns', arns, 20);
    const pageSize = params.int('PageSize', 400, 1, 400);
    const sorted = [...this.#lbs.values()].sort(byName);
    let all: LbState[];
    if (names.length > 0) {
      all = names.map((n) => {
        const lb = sorted.find((l) => l.name === n);
        if (lb === undefined)
          throw new AwsQueryError('LoadBalancerNotFound', `Load balancers '[${n}]' not found`);
        return lb;
      });
    } else if (arns.length > 0) {
      all = arns.map((a) => this.#lb(a));
    } else {
      all = sorted;
    }
    const { items, nextMarker } = page(all, params.get('Marker'), pageSize);
    const body = items.map(
      (lb) =>
        el('LoadBalancerArn', lb.arn) +
        el('DNSName', lb.dnsName) +
        el('CanonicalHostedZoneId', lb.canonicalHostedZoneId) +
        el('CreatedTime', new Date(lb.createdAt).toISOString()) +
        el('LoadBalancerName', lb.name) +
        el('Scheme', lb.scheme) +
        el('VpcId', 'vpc-0123456789abcdef0') +
        `<State>${el('Code', this.#stateOf(lb))}</State>` +
        el('Type', lb.type) +
        el('IpAddressType', 'ipv4'),
    );
    return members('LoadBalancers', body) + el('NextMarker', nextMarker);
  }

  #describeTargetGroups(params: QueryParams): string {
    const names = params.list('Names');
    const arns = params.list('TargetGroupArns');
    const lbArn = params.get('LoadBalancerArn');
    const pageSize = params.int('PageSize', 400, 1, 400);
    const sorted = [...this.#tgs.values()].sort(byName);
    let all: TgState[];
    if (names.length > 0) {
      all = names.map((n) => {
        const tg = sorted.find((t) => t.name === n);
        if (tg === undefined)
          throw new AwsQueryError('TargetGroupNotFound', `Target groups '[${n}]' not found`);
        return tg;
      });
    } else if (arns.length > 0) {
      all = arns.map((a) => this.#tg(a));
    } else if (lbArn !== undefined) {
      this.#lb(lbArn);
      all = sorted.filter((tg) => tg.loadBalancerArns.includes(lbArn));
    } else {
      all = sorted;
    }
    const { items, nextMarker } = page(all, params.get('Marker'), pageSize);
    const body = items.map(
      (tg) =>
        el('TargetGroupArn', tg.arn) +
        el('TargetGroupName', tg.name) +
        el('Protocol', tg.protocol) +
        el('Port', tg.port) +
        el('VpcId', 'vpc-0123456789abcdef0') +
        members('LoadBalancerArns', tg.loadBalancerArns.map(xmlEscape)) +
        el('TargetType', tg.targetType),
    );
    return members('TargetGroups', body) + el('NextMarker', nextMarker);
  }

  #describeTags(params: QueryParams): string {
    const arns = params.list('ResourceArns');
    if (arns.length < 1)
      throw new AwsQueryError('ValidationError', 'ResourceArns must contain at least one ARN');
    lengthCheck('resourceArns', arns, 20);
    const body = arns.map((arn) => {
      const tags = arn.includes(':targetgroup/') ? this.#tg(arn).tags : this.#lb(arn).tags;
      return (
        el('ResourceArn', arn) +
        members(
          'Tags',
          [...tags].map(([k, v]) => el('Key', k) + el('Value', v)),
        )
      );
    });
    return members('TagDescriptions', body);
  }

  #changeTargets(params: QueryParams, register: boolean): string {
    const tg = this.#tg(params.required('TargetGroupArn'));
    const targets = params.structList('Targets', ['Id', 'Port', 'AvailabilityZone']);
    if (targets.length === 0)
      throw new AwsQueryError(
        'ValidationError',
        "Value null at 'targets' failed to satisfy constraint: Member must not be null",
      );
    const parsed = targets.map((t) => {
      const id = t.Id ?? '';
      const valid =
        tg.targetType === 'ip'
          ? isIPv4(id)
          : tg.targetType === 'instance'
            ? INSTANCE_ID.test(id)
            : id.startsWith('arn:');
      if (!valid) {
        throw new AwsQueryError(
          'InvalidTarget',
          `The following targets are not valid for target type '${tg.targetType}': ${id}`,
        );
      }
      return { id, port: t.Port === undefined ? tg.port : Number(t.Port) };
    });
    for (const t of parsed) {
      if (register) tg.targets.set(`${t.id}:${t.port}`, t);
      else tg.targets.delete(`${t.id}:${t.port}`);
    }
    return '';
  }

  #describeTargetHealth(params: QueryParams): string {
    const tg = this.#tg(params.required('TargetGroupArn'));
    const body = tgSnapshot(tg).targets.map(
      (t) =>
        `<Target>${el('Id', t.id)}${el('Port', t.port)}</Target>` +
        el('HealthCheckPort', t.port) +
        `<TargetHealth>${el('State', 'healthy')}</TargetHealth>`,
    );
    return members('TargetHealthDescriptions', body);
  }

  #addTags(params: QueryParams): string {
    const arns = params.list('ResourceArns');
    const tags = params.structList('Tags', ['Key', 'Value']);
    for (const arn of arns) {
      const target = arn.includes(':targetgroup/') ? this.#tg(arn).tags : this.#lb(arn).tags;
      for (const t of tags) target.set(t.Key ?? '', t.Value ?? '');
    }
    return '';
  }
}

function lbSnapshot(lb: LbState, state: FakeElbv2LoadBalancerState): FakeElbv2LoadBalancer {
  return {
    arn: lb.arn,
    name: lb.name,
    type: lb.type,
    scheme: lb.scheme,
    dnsName: lb.dnsName,
    canonicalHostedZoneId: lb.canonicalHostedZoneId,
    tags: Object.fromEntries(lb.tags),
    createdAt: lb.createdAt,
    state,
  };
}

function tgSnapshot(tg: TgState): FakeTargetGroup {
  return {
    arn: tg.arn,
    name: tg.name,
    targetType: tg.targetType,
    port: tg.port,
    protocol: tg.protocol,
    loadBalancerArns: [...tg.loadBalancerArns],
    tags: Object.fromEntries(tg.tags),
    targets: [...tg.targets.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.port - b.port))
      .map((t) => ({ ...t })),
  };
}
