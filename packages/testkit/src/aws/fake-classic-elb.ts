import { AwsQueryError, el, members, page, type QueryParams } from './query-protocol.js';

/** The API version classic ELB requests carry. */
export const CLASSIC_ELB_VERSION = '2012-06-01';
/** The XML namespace classic ELB responses carry. */
export const CLASSIC_ELB_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/';

/** A classic load balancer scheme. */
export type FakeLoadBalancerScheme = 'internal' | 'internet-facing';

/** Seed for {@link FakeClassicElb.createLoadBalancer}. Only `name` is required. */
export interface FakeClassicLoadBalancerInit {
  name: string;
  /** Default `internet-facing`. */
  scheme?: FakeLoadBalancerScheme;
  /** Default `<name>-<n>.<region>.elb.amazonaws.com` (prefixed `internal-` for internal LBs). */
  dnsName?: string;
  /** Default `Z32O12XQLNTSW2` (eu-west-1's classic ELB zone). */
  canonicalHostedZoneNameId?: string;
  tags?: Readonly<Record<string, string>>;
  /** Instance ids already registered. */
  instances?: readonly string[];
}

/** A snapshot of one fake classic load balancer; changing it does not change the fake. */
export interface FakeClassicLoadBalancer {
  name: string;
  scheme: FakeLoadBalancerScheme;
  dnsName: string;
  canonicalHostedZoneNameId: string;
  tags: Record<string, string>;
  /** Registered instance ids, sorted. */
  instances: string[];
}

interface State {
  name: string;
  scheme: FakeLoadBalancerScheme;
  dnsName: string;
  canonicalHostedZoneNameId: string;
  tags: Map<string, string>;
  instances: Set<string>;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * A stateful in-memory classic ELB (2012-06-01 Query API): DescribeLoadBalancers (paged by
 * Marker/PageSize ≤ 400), DescribeTags (1–20 names), RegisterInstancesWithLoadBalancer,
 * DeregisterInstancesFromLoadBalancer, AddTags. Unknown names give `LoadBalancerNotFound`,
 * malformed instance ids `InvalidInstance`, limit violations `ValidationError`, like AWS.
 * Not thread-safe in any sense that matters: requests are handled synchronously, one at a time.
 */
export class FakeClassicElb {
  readonly #lbs = new Map<string, State>();
  #counter = 0;

  constructor(readonly region: string) {}

  /** Adds a load balancer (replacing one of the same name) and returns its snapshot. */
  createLoadBalancer(init: FakeClassicLoadBalancerInit): FakeClassicLoadBalancer {
    const scheme = init.scheme ?? 'internet-facing';
    this.#counter += 1;
    const state: State = {
      name: init.name,
      scheme,
      dnsName:
        init.dnsName ??
        `${scheme === 'internal' ? 'internal-' : ''}${init.name}-${1000 + this.#counter}.${this.region}.elb.amazonaws.com`,
      canonicalHostedZoneNameId: init.canonicalHostedZoneNameId ?? 'Z32O12XQLNTSW2',
      tags: new Map(Object.entries(init.tags ?? {})),
      instances: new Set(init.instances ?? []),
    };
    this.#lbs.set(init.name, state);
    return snapshot(state);
  }

  /** Removes a load balancer; true if it existed. */
  deleteLoadBalancer(name: string): boolean {
    return this.#lbs.delete(name);
  }

  /** A snapshot of one load balancer, or undefined. */
  loadBalancer(name: string): FakeClassicLoadBalancer | undefined {
    const state = this.#lbs.get(name);
    return state === undefined ? undefined : snapshot(state);
  }

  /** Snapshots of every load balancer, sorted by name. */
  loadBalancers(): FakeClassicLoadBalancer[] {
    return this.#sorted().map(snapshot);
  }

  /** Names of the load balancers `instanceId` is registered with, sorted. */
  loadBalancersWithInstance(instanceId: string): string[] {
    return this.#sorted()
      .filter((lb) => lb.instances.has(instanceId))
      .map((lb) => lb.name);
  }

  /** Handles one Query request; returns the `<Result>` body or throws {@link AwsQueryError}. */
  handle(params: QueryParams): string {
    switch (params.action) {
      case 'DescribeLoadBalancers':
        return this.#describeLoadBalancers(params);
      case 'DescribeTags':
        return this.#describeTags(params);
      case 'RegisterInstancesWithLoadBalancer':
        return this.#changeInstances(params, true);
      case 'DeregisterInstancesFromLoadBalancer':
        return this.#changeInstances(params, false);
      case 'AddTags':
        return this.#addTags(params);
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #sorted(): State[] {
    return [...this.#lbs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #get(name: string): State {
    const lb = this.#lbs.get(name);
    if (lb === undefined)
      throw new AwsQueryError('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`);
    return lb;
  }

  #describeLoadBalancers(params: QueryParams): string {
    const names = params.list('LoadBalancerNames');
    const pageSize = params.int('PageSize', 400, 1, 400);
    const all = names.length > 0 ? names.map((n) => this.#get(n)) : this.#sorted();
    const { items, nextMarker } = page(all, params.get('Marker'), pageSize);
    const body = items.map(
      (lb) =>
        el('LoadBalancerName', lb.name) +
        el('DNSName', lb.dnsName) +
        el('CanonicalHostedZoneName', lb.dnsName) +
        el('CanonicalHostedZoneNameID', lb.canonicalHostedZoneNameId) +
        members(
          'Instances',
          [...lb.instances].sort().map((id) => el('InstanceId', id)),
        ) +
        el('Scheme', lb.scheme),
    );
    return members('LoadBalancerDescriptions', body) + el('NextMarker', nextMarker);
  }

  #describeTags(params: QueryParams): string {
    const names = params.list('LoadBalancerNames');
    if (names.length < 1 || names.length > 20) {
      throw new AwsQueryError(
        'ValidationError',
        `1 validation error detected: Value '[${names.join(', ')}]' at 'loadBalancerNames' failed to satisfy constraint: Member must have length less than or equal to 20`,
      );
    }
    const body = names.map((name) => {
      const lb = this.#get(name);
      return (
        el('LoadBalancerName', lb.name) +
        members(
          'Tags',
          [...lb.tags].map(([k, v]) => el('Key', k) + el('Value', v)),
        )
      );
    });
    return members('TagDescriptions', body);
  }

  #changeInstances(params: QueryParams, register: boolean): string {
    const lb = this.#get(params.required('LoadBalancerName'));
    const ids = params.structList('Instances', ['InstanceId']).map((i) => i.InstanceId ?? '');
    for (const id of ids) {
      if (!INSTANCE_ID.test(id))
        throw new AwsQueryError('InvalidInstance', `The specified instances are not valid: ${id}`);
    }
    for (const id of ids) {
      if (register) lb.instances.add(id);
      else lb.instances.delete(id);
    }
    return members(
      'Instances',
      [...lb.instances].sort().map((id) => el('InstanceId', id)),
    );
  }

  #addTags(params: QueryParams): string {
    const names = params.list('LoadBalancerNames');
    const tags = params.structList('Tags', ['Key', 'Value']);
    for (const name of names) {
      const lb = this.#get(name);
      for (const t of tags) lb.tags.set(t.Key ?? '', t.Value ?? '');
    }
    return '';
  }
}

function snapshot(state: State): FakeClassicLoadBalancer {
  return {
    name: state.name,
    scheme: state.scheme,
    dnsName: state.dnsName,
    canonicalHostedZoneNameId: state.canonicalHostedZoneNameId,
    tags: Object.fromEntries(state.tags),
    instances: [...state.instances].sort(),
  };
}
