import { AwsQueryError, el, xmlEscape, type QueryParams } from './query-protocol.js';

/** The API version EC2 requests carry. */
export const EC2_VERSION = '2016-11-15';
/** The XML namespace EC2 responses carry. */
export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** EC2 instance states, with their codes in {@link INSTANCE_STATE_CODES}. */
export type FakeInstanceState =
  'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

/** The `instanceState.code` EC2 reports for each state. */
export const INSTANCE_STATE_CODES: Readonly<Record<FakeInstanceState, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** An EC2 instance of the fake. */
export interface FakeInstance {
  instanceId: string;
  /** Default `running`. */
  state?: FakeInstanceState;
  vpcId?: string;
  subnetId?: string;
  availabilityZone?: string;
  privateIpAddress?: string;
  privateDnsName?: string;
  instanceType?: string;
  securityGroupIds?: readonly string[];
  tags?: Readonly<Record<string, string>>;
}

/** A subnet of the fake. */
export interface FakeSubnet {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  /** Default `10.0.0.0/24`. */
  cidrBlock?: string;
  tags?: Readonly<Record<string, string>>;
}

/** A route of a route table: `gatewayId` starting `igw-` makes the associated subnets public. */
export interface FakeRoute {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
}

/** A route table of the fake. */
export interface FakeRouteTable {
  routeTableId: string;
  vpcId: string;
  /** The VPC's main table (used by subnets without an explicit association). */
  main?: boolean;
  /** Explicitly associated subnets. */
  subnetIds?: readonly string[];
  routes?: readonly FakeRoute[];
  tags?: Readonly<Record<string, string>>;
}

/** A security group of the fake. */
export interface FakeSecurityGroup {
  groupId: string;
  groupName: string;
  vpcId: string;
  /** Default `groupName`. */
  description?: string;
  tags?: Readonly<Record<string, string>>;
}

/** A VPC of the fake. */
export interface FakeVpc {
  vpcId: string;
  /** Default `10.0.0.0/16`. */
  cidrBlock?: string;
  isDefault?: boolean;
  tags?: Readonly<Record<string, string>>;
}

interface Filter {
  name: string;
  values: string[];
}

const OWNER = '123456789012';

/** EC2's filter value wildcards: `*` any run, `?` one character; everything else literal. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/** Values a tag filter sees; undefined when `name` is not a tag filter. */
function tagValues(name: string, tags: Readonly<Record<string, string>> | undefined): string[] | undefined {
  const t = tags ?? {};
  if (name.startsWith('tag:')) {
    const v = t[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(t);
  if (name === 'tag-value') return Object.values(t);
  return undefined;
}

function matches<T>(
  item: T,
  filters: readonly Filter[],
  fields: (item: T, name: string) => (string | undefined)[] | undefined,
  tags: (item: T) => Readonly<Record<string, string>> | undefined,
): boolean {
  return filters.every((f) => {
    const values = tagValues(f.name, tags(item)) ?? fields(item, f.name);
    if (values === undefined) {
      throw new AwsQueryError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
    return values.some((v) => v !== undefined && f.values.some((p) => globMatch(p, v)));
  });
}

function tagSet(tags: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(tags ?? {});
  return entries.length === 0
    ? ''
    : `<tagSet>${entries.map(([k, v]) => `<item>${el('key', k)}${el('value', v)}</item>`).join('')}</tagSet>`;
}

function itemSet(name: string, bodies: readonly string[]): string {
  return `<${name}>${bodies.map((b) => `<item>${b}</item>`).join('')}</${name}>`;
}

/**
 * A stateful in-memory EC2 (2016-11-15 EC2 Query API), the read side a load-balancer controller
 * needs: DescribeInstances (filters incl. `tag:<key>`, `tag-key`, `tag-value`, `instance-state-name`,
 * `vpc-id`, `instance-id`, `subnet-id`, `availability-zone`, `private-ip-address`; `*`/`?`
 * wildcards; paged by MaxResults/NextToken), DescribeSubnets, DescribeRouteTables
 * (`association.subnet-id`, `association.main`), DescribeSecurityGroups, DescribeVpcs. An
 * unknown filter name answers `InvalidParameterValue`, an unknown id `Invalid<Kind>ID.NotFound`,
 * as EC2 does. Tests seed and change state with the `put*`/`set*`/`remove*` methods.
 */
export class FakeEc2 {
  readonly #instances = new Map<string, FakeInstance>();
  readonly #subnets = new Map<string, FakeSubnet>();
  readonly #routeTables = new Map<string, FakeRouteTable>();
  readonly #groups = new Map<string, FakeSecurityGroup>();
  readonly #vpcs = new Map<string, FakeVpc>();

  constructor(readonly region: string) {}

  /** Adds or replaces an instance (by id). */
  putInstance(instance: FakeInstance): void {
    this.#instances.set(instance.instanceId, { ...instance });
  }
  /** Changes an instance's state (e.g. to `terminated`). Throws for an unknown id. */
  setInstanceState(instanceId: string, state: FakeInstanceState): void {
    const i = this.#instances.get(instanceId);
    if (i === undefined) throw new Error(`FakeEc2: unknown instance ${instanceId}`);
    i.state = state;
  }
  /** Removes an instance; true if it existed. */
  removeInstance(instanceId: string): boolean {
    return this.#instances.delete(instanceId);
  }
  /** A copy of an instance, if known. */
  instance(instanceId: string): FakeInstance | undefined {
    const i = this.#instances.get(instanceId);
    return i === undefined ? undefined : { ...i };
  }
  /** Adds or replaces a subnet. */
  putSubnet(subnet: FakeSubnet): void {
    this.#subnets.set(subnet.subnetId, { ...subnet });
  }
  /** Adds or replaces a route table. */
  putRouteTable(table: FakeRouteTable): void {
    this.#routeTables.set(table.routeTableId, { ...table });
  }
  /** Adds or replaces a security group. */
  putSecurityGroup(group: FakeSecurityGroup): void {
    this.#groups.set(group.groupId, { ...group });
  }
  /** Adds or replaces a VPC. */
  putVpc(vpc: FakeVpc): void {
    this.#vpcs.set(vpc.vpcId, { ...vpc });
  }

  /** Handles one EC2 Query request; returns the response body (inside the action element). */
  handle(params: QueryParams): string {
    const filters = params.filters('ec2');
    switch (params.action) {
      case 'DescribeInstances':
        return this.#describeInstances(params, filters);
      case 'DescribeSubnets': {
        const list = this.#byIds(
          this.#subnets,
          params.ec2List('SubnetId'),
          'InvalidSubnetID.NotFound',
          'subnet',
        );
        const out = list.filter((s) => matches(s, filters, subnetField, (x) => x.tags));
        return itemSet('subnetSet', out.map(subnetXml));
      }
      case 'DescribeRouteTables': {
        const list = this.#byIds(
          this.#routeTables,
          params.ec2List('RouteTableId'),
          'InvalidRouteTableID.NotFound',
          'route table',
        );
        return itemSet(
          'routeTableSet',
          list.filter((t) => matches(t, filters, routeTableField, (x) => x.tags)).map(routeTableXml),
        );
      }
      case 'DescribeSecurityGroups': {
        let list = this.#byIds(
          this.#groups,
          params.ec2List('GroupId'),
          'InvalidGroup.NotFound',
          'security group',
        );
        const names = params.ec2List('GroupName');
        if (names.length > 0) {
          const missing = names.filter((n) => !list.some((g) => g.groupName === n));
          if (missing.length > 0) {
            throw new AwsQueryError(
              'InvalidGroup.NotFound',
              `The security group '${missing[0] ?? ''}' does not exist`,
            );
          }
          list = list.filter((g) => names.includes(g.groupName));
        }
        return itemSet(
          'securityGroupInfo',
          list.filter((g) => matches(g, filters, groupField, (x) => x.tags)).map(groupXml),
        );
      }
      case 'DescribeVpcs': {
        const list = this.#byIds(this.#vpcs, params.ec2List('VpcId'), 'InvalidVpcID.NotFound', 'vpc');
        return itemSet(
          'vpcSet',
          list.filter((v) => matches(v, filters, vpcField, (x) => x.tags)).map(vpcXml),
        );
      }
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #byIds<T>(map: ReadonlyMap<string, T>, ids: readonly string[], code: string, kind: string): T[] {
    if (ids.length === 0) return [...map.values()];
    const missing = ids.filter((id) => !map.has(id));
    if (missing.length > 0) {
      throw new AwsQueryError(
        code,
        `The ${kind} ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
      );
    }
    return ids.map((id) => map.get(id) as T);
  }

  #describeInstances(params: QueryParams, filters: readonly Filter[]): string {
    const ids = params.ec2List('InstanceId');
    const maxRaw = params.get('MaxResults');
    if (maxRaw !== undefined && ids.length > 0) {
      throw new AwsQueryError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    const max = params.int('MaxResults', 1000, 5, 1000);
    const list = this.#byIds(this.#instances, ids, 'InvalidInstanceID.NotFound', 'instance').filter((i) =>
      matches(i, filters, instanceField, (x) => x.tags),
    );
    let start = 0;
    const token = params.get('NextToken');
    if (token !== undefined) {
      start = Number(
        Buffer.from(token, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      );
      if (!Number.isInteger(start))
        throw new AwsQueryError('InvalidParameterValue', 'Invalid value for nextToken');
    }
    const end = start + max;
    // One reservation per instance, as instances launched separately are.
    const reservations = list
      .slice(start, end)
      .map(
        (i) =>
          el('reservationId', `r-${i.instanceId.slice(2)}`) +
          el('ownerId', OWNER) +
          itemSet('instancesSet', [instanceXml(i)]),
      );
    return (
      itemSet('reservationSet', reservations) +
      (end < list.length ? el('nextToken', Buffer.from(`offset:${end}`).toString('base64')) : '')
    );
  }
}

function instanceField(i: FakeInstance, name: string): (string | undefined)[] | undefined {
  const state = i.state ?? 'running';
  switch (name) {
    case 'instance-id':
      return [i.instanceId];
    case 'instance-state-name':
      return [state];
    case 'instance-state-code':
      return [String(INSTANCE_STATE_CODES[state])];
    case 'vpc-id':
      return [i.vpcId];
    case 'subnet-id':
      return [i.subnetId];
    case 'availability-zone':
      return [i.availabilityZone];
    case 'private-ip-address':
      return [i.privateIpAddress];
    case 'private-dns-name':
      return [i.privateDnsName];
    case 'instance-type':
      return [i.instanceType];
    case 'instance.group-id':
      return [...(i.securityGroupIds ?? [])];
    default:
      return undefined;
  }
}

function subnetField(s: FakeSubnet, name: string): (string | undefined)[] | undefined {
  switch (name) {
    case 'subnet-id':
      return [s.subnetId];
    case 'vpc-id':
      return [s.vpcId];
    case 'availability-zone':
      return [s.availabilityZone];
    case 'cidr-block':
      return [s.cidrBlock ?? '10.0.0.0/24'];
    case 'state':
      return ['available'];
    default:
      return undefined;
  }
}

function routeTableField(t: FakeRouteTable, name: string): (string | undefined)[] | undefined {
  switch (name) {
    case 'route-table-id':
      return [t.routeTableId];
    case 'vpc-id':
      return [t.vpcId];
    case 'association.subnet-id':
      return [...(t.subnetIds ?? [])];
    case 'association.main':
      return [String(t.main ?? false)];
    case 'route.gateway-id':
      return (t.routes ?? []).map((r) => r.gatewayId);
    default:
      return undefined;
  }
}

function groupField(g: FakeSecurityGroup, name: string): (string | undefined)[] | undefined {
  switch (name) {
    case 'group-id':
      return [g.groupId];
    case 'group-name':
      return [g.groupName];
    case 'vpc-id':
      return [g.vpcId];
    case 'description':
      return [g.description ?? g.groupName];
    default:
      return undefined;
  }
}

function vpcField(v: FakeVpc, name: string): (string | undefined)[] | undefined {
  switch (name) {
    case 'vpc-id':
      return [v.vpcId];
    case 'is-default':
      return [String(v.isDefault ?? false)];
    case 'cidr':
    case 'cidr-block-association.cidr-block':
      return [v.cidrBlock ?? '10.0.0.0/16'];
    case 'state':
      return ['available'];
    default:
      return undefined;
  }
}

function instanceXml(i: FakeInstance): string {
  const state = i.state ?? 'running';
  return (
    el('instanceId', i.instanceId) +
    `<instanceState>${el('code', INSTANCE_STATE_CODES[state])}${el('name', state)}</instanceState>` +
    el('privateDnsName', i.privateDnsName) +
    el('instanceType', i.instanceType ?? 'm5.large') +
    (i.availabilityZone === undefined
      ? ''
      : `<placement>${el('availabilityZone', i.availabilityZone)}</placement>`) +
    el('subnetId', i.subnetId) +
    el('vpcId', i.vpcId) +
    el('privateIpAddress', i.privateIpAddress) +
    itemSet(
      'groupSet',
      (i.securityGroupIds ?? []).map((id) => el('groupId', id)),
    ) +
    tagSet(i.tags)
  );
}

function subnetXml(s: FakeSubnet): string {
  return (
    el('subnetId', s.subnetId) +
    el('state', 'available') +
    el('vpcId', s.vpcId) +
    el('cidrBlock', s.cidrBlock ?? '10.0.0.0/24') +
    el('availabilityZone', s.availabilityZone) +
    el('ownerId', OWNER) +
    tagSet(s.tags)
  );
}

function routeTableXml(t: FakeRouteTable): string {
  const associations = (t.subnetIds ?? []).map(
    (id, n) =>
      el('routeTableAssociationId', `rtbassoc-${t.routeTableId.slice(4)}${n}`) +
      el('routeTableId', t.routeTableId) +
      el('subnetId', id) +
      el('main', false),
  );
  if (t.main === true) {
    associations.unshift(
      el('routeTableAssociationId', `rtbassoc-${t.routeTableId.slice(4)}m`) +
        el('routeTableId', t.routeTableId) +
        el('main', true),
    );
  }
  return (
    el('routeTableId', t.routeTableId) +
    el('vpcId', t.vpcId) +
    el('ownerId', OWNER) +
    itemSet(
      'routeSet',
      (t.routes ?? []).map(
        (r) =>
          el('destinationCidrBlock', r.destinationCidrBlock) +
          el('gatewayId', r.gatewayId) +
          el('natGatewayId', r.natGatewayId) +
          el('state', 'active') +
          el('origin', 'CreateRoute'),
      ),
    ) +
    itemSet('associationSet', associations) +
    tagSet(t.tags)
  );
}

function groupXml(g: FakeSecurityGroup): string {
  return (
    el('ownerId', OWNER) +
    el('groupId', g.groupId) +
    el('groupName', g.groupName) +
    el('groupDescription', g.description ?? g.groupName) +
    el('vpcId', g.vpcId) +
    tagSet(g.tags)
  );
}

function vpcXml(v: FakeVpc): string {
  return (
    el('vpcId', v.vpcId) +
    el('state', 'available') +
    el('cidrBlock', v.cidrBlock ?? '10.0.0.0/16') +
    el('isDefault', v.isDefault ?? false) +
    el('ownerId', OWNER) +
    tagSet(v.tags)
  );
}

/** The EC2 success envelope (no `Result` wrapper; `requestId` first). */
export function ec2Response(action: string, body: string, requestId: string): string {
  return `<${action}Response xmlns="${EC2_NAMESPACE}">${el('requestId', requestId)}${body}</${action}Response>`;
}

/** The EC2 error envelope: `<Response><Errors><Error>`. */
export function ec2ErrorResponse(err: AwsQueryError, requestId: string): string {
  return (
    `<Response><Errors><Error>${el('Code', err.code)}${el('Message', err.message)}</Error></Errors>` +
    `<RequestID>${xmlEscape(requestId)}</RequestID></Response>`
  );
}
