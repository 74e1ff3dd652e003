import { AwsQueryError, el, members, page, type QueryParams } from './query-protocol.js';

/** The API version Auto Scaling requests carry. */
export const AUTOSCALING_VERSION = '2011-01-01';
/** The XML namespace Auto Scaling responses carry. */
export const AUTOSCALING_NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/** Seed for {@link FakeAutoScaling.putGroup}. Only `name` is required. */
export interface FakeAutoScalingGroupInit {
  name: string;
  /** Instance ids (InService, Healthy). Default none. */
  instanceIds?: readonly string[];
  /** Default `['eu-west-1a']`-style: the region plus `a`. */
  availabilityZones?: readonly string[];
  targetGroupArns?: readonly string[];
  loadBalancerNames?: readonly string[];
  tags?: Readonly<Record<string, string>>;
  minSize?: number;
  maxSize?: number;
}

/** A snapshot of one fake Auto Scaling group. */
export interface FakeAutoScalingGroup {
  name: string;
  arn: string;
  instanceIds: string[];
  availabilityZones: string[];
  /** Attached target groups, in attach order. */
  targetGroupArns: string[];
  loadBalancerNames: string[];
  tags: Record<string, string>;
  minSize: number;
  maxSize: number;
}

/**
 * The target groups an Auto Scaling group attaches to. {@link createFakeAws} links the ELBv2
 * fake: an unknown ARN is refused, and attaching registers the group's instances (detaching
 * deregisters them), as AWS does.
 */
export interface FakeAutoScalingTargetGroups {
  exists(arn: string): boolean;
  register(arn: string, instanceIds: readonly string[]): void;
  deregister(arn: string, instanceIds: readonly string[]): void;
}

/** The most target groups one Attach/DetachLoadBalancerTargetGroups call may name. */
export const MAX_TARGET_GROUPS_PER_CALL = 10;

function validation(message: string): AwsQueryError {
  return new AwsQueryError('ValidationError', message);
}

/**
 * A stateful in-memory Auto Scaling (2011-01-01 Query API): DescribeAutoScalingGroups (by names
 * or `tag:<key>`/`tag-key`/`tag-value` filters, paged by MaxRecords ≤ 100/NextToken),
 * DescribeLoadBalancerTargetGroups, AttachLoadBalancerTargetGroups and
 * DetachLoadBalancerTargetGroups (at most 10 ARNs per call, else ValidationError, as AWS).
 */
export class FakeAutoScaling {
  readonly #groups = new Map<string, FakeAutoScalingGroup>();

  constructor(
    readonly region: string,
    private readonly targetGroups?: FakeAutoScalingTargetGroups,
  ) {}

  /** Adds or replaces a group; returns its snapshot. Attached target groups are not registered. */
  putGroup(init: FakeAutoScalingGroupInit): FakeAutoScalingGroup {
    const group: FakeAutoScalingGroup = {
      name: init.name,
      arn: `arn:aws:autoscaling:${this.region}:123456789012:autoScalingGroup:00000000-0000-4000-8000-000000000000:autoScalingGroupName/${init.name}`,
      instanceIds: [...(init.instanceIds ?? [])],
      availabilityZones: [...(init.availabilityZones ?? [`${this.region}a`])],
      targetGroupArns: [...(init.targetGroupArns ?? [])],
      loadBalancerNames: [...(init.loadBalancerNames ?? [])],
      tags: { ...init.tags },
      minSize: init.minSize ?? 0,
      maxSize: init.maxSize ?? 10,
    };
    this.#groups.set(init.name, group);
    return clone(group);
  }

  /** Snapshot of a group, if known. */
  group(name: string): FakeAutoScalingGroup | undefined {
    const g = this.#groups.get(name);
    return g === undefined ? undefined : clone(g);
  }

  /** Snapshots of every group, sorted by name. */
  groups(): FakeAutoScalingGroup[] {
    return this.#sorted().map(clone);
  }

  /** Handles one Query request; returns the `<Result>` body or throws {@link AwsQueryError}. */
  handle(params: QueryParams): string {
    switch (params.action) {
      case 'DescribeAutoScalingGroups':
        return this.#describeGroups(params);
      case 'DescribeLoadBalancerTargetGroups': {
        const g = this.#group(params.required('AutoScalingGroupName'));
        const paged = page(g.targetGroupArns, params.get('NextToken'), params.int('MaxRecords', 100, 1, 100));
        return (
          members(
            'LoadBalancerTargetGroups',
            paged.items.map((arn) => el('LoadBalancerTargetGroupARN', arn) + el('State', 'InService')),
          ) + el('NextToken', paged.nextMarker)
        );
      }
      case 'AttachLoadBalancerTargetGroups':
        return this.#change(params, true);
      case 'DetachLoadBalancerTargetGroups':
        return this.#change(params, false);
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #sorted(): FakeAutoScalingGroup[] {
    return [...this.#groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #group(name: string): FakeAutoScalingGroup {
    const g = this.#groups.get(name);
    if (g === undefined)
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return g;
  }

  #describeGroups(params: QueryParams): string {
    const names = params.list('AutoScalingGroupNames');
    const filters = params.filters('query');
    let list = names.length === 0 ? this.#sorted() : this.#sorted().filter((g) => names.includes(g.name));
    for (const f of filters) {
      list = list.filter((g) => {
        if (f.name.startsWith('tag:')) {
          const v = g.tags[f.name.slice(4)];
          return v !== undefined && f.values.includes(v);
        }
        if (f.name === 'tag-key') return Object.keys(g.tags).some((k) => f.values.includes(k));
        if (f.name === 'tag-value') return Object.values(g.tags).some((v) => f.values.includes(v));
        throw validation(`Filter name '${f.name}' is invalid.`);
      });
    }
    const paged = page(list, params.get('NextToken'), params.int('MaxRecords', 50, 1, 100));
    return (
      members(
        'AutoScalingGroups',
        paged.items.map((g) => this.#groupXml(g)),
      ) + el('NextToken', paged.nextMarker)
    );
  }

  #groupXml(g: FakeAutoScalingGroup): string {
    const az = g.availabilityZones[0] ?? `${this.region}a`;
    return (
      el('AutoScalingGroupName', g.name) +
      el('AutoScalingGroupARN', g.arn) +
      el('MinSize', g.minSize) +
      el('MaxSize', g.maxSize) +
      el('DesiredCapacity', g.instanceIds.length) +
      el('DefaultCooldown', 300) +
      members(
        'AvailabilityZones',
        g.availabilityZones.map((z) => z),
      ) +
      members('LoadBalancerNames', g.loadBalancerNames) +
      members('TargetGroupARNs', g.targetGroupArns) +
      el('HealthCheckType', 'EC2') +
      el('HealthCheckGracePeriod', 300) +
      members(
        'Instances',
        g.instanceIds.map(
          (id) =>
            el('InstanceId', id) +
            el('AvailabilityZone', az) +
            el('LifecycleState', 'InService') +
            el('HealthStatus', 'Healthy') +
            el('ProtectedFromScaleIn', false),
        ),
      ) +
      el('CreatedTime', '2020-01-01T00:00:00.000Z') +
      members(
        'Tags',
        Object.entries(g.tags).map(
          ([k, v]) =>
            el('ResourceId', g.name) +
            el('ResourceType', 'auto-scaling-group') +
            el('Key', k) +
            el('Value', v) +
            el('PropagateAtLaunch', true),
        ),
      )
    );
  }

  #change(params: QueryParams, attach: boolean): string {
    const g = this.#group(params.required('AutoScalingGroupName'));
    const arns = params.list('TargetGroupARNs');
    if (arns.length === 0) {
      throw validation(
        "1 validation error detected: Value null at 'targetGroupARNs' failed to satisfy constraint: Member must not be null",
      );
    }
    if (arns.length > MAX_TARGET_GROUPS_PER_CALL) {
      throw validation(
        `1 validation error detected: Value '[${arns.join(', ')}]' at 'targetGroupARNs' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TARGET_GROUPS_PER_CALL}`,
      );
    }
    if (attach && this.targetGroups !== undefined) {
      const unknown = arns.filter((a) => !this.targetGroups?.exists(a));
      if (unknown.length > 0)
        throw validation(`Provided Target Groups may not be valid. Please ensure they exist and try again.`);
    }
    for (const arn of arns) {
      const attached = g.targetGroupArns.includes(arn);
      if (attach && !attached) {
        g.targetGroupArns.push(arn);
        this.targetGroups?.register(arn, g.instanceIds);
      } else if (!attach && attached) {
        g.targetGroupArns = g.targetGroupArns.filter((a) => a !== arn);
        this.targetGroups?.deregister(arn, g.instanceIds);
      }
    }
    return '';
  }
}

function clone(g: FakeAutoScalingGroup): FakeAutoScalingGroup {
  return {
    ...g,
    instanceIds: [...g.instanceIds],
    availabilityZones: [...g.availabilityZones],
    targetGroupArns: [...g.targetGroupArns],
    loadBalancerNames: [...g.loadBalancerNames],
    tags: { ...g.tags },
  };
}
