import { randomUUID } from 'node:crypto';
import {
  KubeApiError,
  makeStatus,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  invalid,
  notFound,
  unsupportedMediaType,
  type FieldCause,
  type StatusTarget,
} from './errors.js';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.js';
import { groupVersion, ResourceRegistry, type ResourceInfo } from './resources.js';
import {
  matchFields,
  matchLabelRequirements,
  type FieldRequirement,
  type LabelRequirement,
} from './selectors.js';
import type { KubeObject } from './types.js';
import { validateObject } from './validation.js';

/** A watch event type the store produces. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Filters of a list or watch. */
export interface ObjectFilter {
  namespace?: string | undefined;
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
}

/** Options of mutating calls. */
export interface WriteOptions {
  /** Validate and compute the result without storing it or emitting events (`?dryRun=All`). */
  dryRun?: boolean;
}

/** Options of update and patch. */
export interface UpdateOptions extends WriteOptions {
  /** Write only `.status` (the `/status` subresource). */
  subresource?: 'status';
  /** Keep the stored status on kinds with a status subresource (a REST PUT/PATCH of the main resource). */
  keepStatus?: boolean;
  /** Allow an update without metadata.resourceVersion (built-ins do; custom resources do not). */
  allowUnconditional?: boolean;
}

/** Options of delete. */
export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** The patch content types the server understands. */
export type PatchType = 'merge' | 'strategic' | 'json';

/** Store options. */
export interface ObjectStoreOptions {
  registry: ResourceRegistry;
  historySize: number;
  now: () => Date;
}

/** Result of a list call. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface HistoryEvent {
  rv: number;
  key: string;
  type: WatchEventType;
  obj: KubeObject;
  prev: KubeObject | undefined;
}

interface Subscriber {
  key: string;
  deliver(ev: HistoryEvent): void;
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function clone<T>(v: T): T {
  return structuredClone(v);
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Deep equality ignoring object key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

function withoutMeta(o: KubeObject, dropStatus: boolean): Record<string, unknown> {
  const { metadata: _m, status, ...rest } = o;
  return dropStatus ? rest : { ...rest, status };
}

function toTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function objectKey(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`;
}

function ipForIndex(i: number): string {
  return `10.96.${Math.floor(i / 256) % 256}.${i % 256}`;
}

/**
 * The in-memory state: objects per resource, one monotonically increasing resourceVersion, a
 * bounded watch history and the semantics of the real registry (validation, optimistic
 * concurrency, finalizers, namespace cascade, status subresource, ClusterIP allocation).
 * Synchronous and single-threaded; every object going in or out is deep-copied.
 */
export class ObjectStore {
  private rv = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private history: HistoryEvent[] = [];
  private droppedRv = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly ips = new Map<string, string>();
  private readonly nodePorts = new Map<number, string>();
  private readonly registry: ResourceRegistry;
  private readonly historySize: number;
  private readonly now: () => Date;

  constructor(options: ObjectStoreOptions) {
    this.registry = options.registry;
    this.historySize = options.historySize;
    this.now = options.now;
    const ns = this.mustResource('v1', 'Namespace');
    for (const name of INITIAL_NAMESPACES)
      this.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** The latest resourceVersion. */
  currentRv(): number {
    return this.rv;
  }

  /** The resource of an apiVersion/kind; throws 400 BadRequest for a kind that is not served. */
  mustResource(apiVersion: string, kind: string): ResourceInfo {
    const res = this.registry.byKind(apiVersion, kind);
    if (!res) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
    return res;
  }

  private bucket(res: ResourceInfo): Map<string, KubeObject> {
    let b = this.data.get(res.key);
    if (!b) {
      b = new Map();
      this.data.set(res.key, b);
    }
    return b;
  }

  private target(res: ResourceInfo, name?: string): StatusTarget {
    return name === undefined
      ? { group: res.group, resource: res.plural }
      : { group: res.group, resource: res.plural, name };
  }

  private typed(res: ResourceInfo, obj: KubeObject, version?: string): KubeObject {
    const v = version !== undefined && res.versions.includes(version) ? version : (res.versions[0] ?? 'v1');
    return { ...obj, apiVersion: groupVersion(res.group, v), kind: res.kind };
  }

  /** A deep copy of one object (apiVersion set to `version` when given), or undefined. */
  get(res: ResourceInfo, ns: string | undefined, name: string, version?: string): KubeObject | undefined {
    const o = this.bucket(res).get(objectKey(res.namespaced ? ns : undefined, name));
    return o === undefined ? undefined : clone(this.typed(res, o, version));
  }

  /** Like {@link get} but throws 404 NotFound. */
  mustGet(res: ResourceInfo, ns: string | undefined, name: string, version?: string): KubeObject {
    const o = this.get(res, ns, name, version);
    if (!o) throw notFound(this.target(res, name));
    return o;
  }

  private matches(filter: ObjectFilter, obj: KubeObject): boolean {
    if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
    if (filter.labels && !matchLabelRequirements(filter.labels, obj.metadata.labels)) return false;
    if (filter.fields && !matchFields(filter.fields, obj)) return false;
    return true;
  }

  /**
   * The objects of a resource as they were at resourceVersion `rv`, rebuilt by undoing the history
   * after it. Throws 410 Expired when the history no longer reaches back to `rv`.
   */
  private snapshot(res: ResourceInfo, rv: number, expiredMessage: string): Map<string, KubeObject> {
    if (rv < this.droppedRv) throw expired(expiredMessage);
    const state = new Map(this.bucket(res));
    for (let i = this.history.length - 1; i >= 0; i--) {
      const ev = this.history[i];
      if (!ev || ev.rv <= rv) break;
      if (ev.key !== res.key) continue;
      const key = objectKey(
        res.namespaced ? ev.obj.metadata.namespace : undefined,
        ev.obj.metadata.name ?? '',
      );
      if (ev.type === 'ADDED' || ev.prev === undefined) state.delete(key);
      else state.set(key, ev.prev);
    }
    return state;
  }

  /**
   * Lists objects sorted by namespace/name, with `limit`/`continue` paging. Like the real server,
   * every page is read at the resourceVersion of the first page (rebuilt from the watch history; a
   * continue token older than the history gets 410). `exactRv` lists at that resourceVersion
   * (`resourceVersionMatch=Exact`).
   */
  list(
    res: ResourceInfo,
    filter: ObjectFilter,
    page: { limit?: number; continue?: string; exactRv?: number } = {},
    version?: string,
  ): ListResult {
    let listRv = this.rv;
    let startAfter: string | undefined;
    let source: Map<string, KubeObject> = this.bucket(res);
    if (page.exactRv !== undefined && page.exactRv !== this.rv) {
      if (page.exactRv > this.rv)
        throw new KubeApiError(
          makeStatus(504, 'Timeout', `Too large resource version: ${page.exactRv}, current: ${this.rv}`),
        );
      listRv = page.exactRv;
      source = this.snapshot(res, listRv, `too old resource version: ${listRv} (${this.droppedRv + 1})`);
    }
    if (page.continue !== undefined && page.continue !== '') {
      let token: { rv?: unknown; start?: unknown };
      try {
        token = JSON.parse(Buffer.from(page.continue, 'base64url').toString('utf8')) as typeof token;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      if (typeof token.rv !== 'number' || typeof token.start !== 'string')
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion');
      listRv = token.rv;
      startAfter = token.start;
      source = this.snapshot(
        res,
        listRv,
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    const entries = [...source.entries()]
      .filter(([k, o]) => (startAfter === undefined || k > startAfter) && this.matches(filter, o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const limit = page.limit !== undefined && page.limit > 0 ? page.limit : entries.length;
    const pageEntries = entries.slice(0, limit);
    const result: ListResult = {
      items: pageEntries.map(([, o]) => clone(this.typed(res, o, version))),
      resourceVersion: String(listRv),
    };
    if (entries.length > limit) {
      const last = pageEntries[pageEntries.length - 1]?.[0] ?? '';
      result.continue = Buffer.from(JSON.stringify({ rv: listRv, start: last })).toString('base64url');
      if (!filter.labels?.length && !filter.fields?.length)
        result.remainingItemCount = entries.length - limit;
    }
    return result;
  }

  private checkNamespace(res: ResourceInfo, ns: string, name: string): void {
    const nsRes = this.mustResource('v1', 'Namespace');
    const nsObj = this.bucket(nsRes).get(objectKey(undefined, ns));
    if (!nsObj) throw notFound({ group: '', resource: 'namespaces', name: ns });
    if (nsObj.metadata.deletionTimestamp !== undefined) {
      throw forbidden(
        this.target(res, name),
        `unable to create new content in namespace ${ns} because it is being terminated`,
      );
    }
  }

  private generateName(res: ResourceInfo, ns: string | undefined, prefix: string): string {
    for (let attempt = 0; attempt < 20; attempt++) {
      let suffix = '';
      for (let i = 0; i < 5; i++)
        suffix += GENERATE_CHARS.charAt(Math.floor(Math.random() * GENERATE_CHARS.length));
      const name = `${prefix}${suffix}`;
      if (!this.bucket(res).has(objectKey(ns, name))) return name;
    }
    throw conflict(this.target(res, prefix), 'could not generate a unique name');
  }

  private validate(res: ResourceInfo, obj: KubeObject, extra: FieldCause[] = []): void {
    // MicroTime fields are decoded strictly by the real server (six fractional digits): a
    // client that sends a JavaScript Date's ISO string (three) gets 400, not a stored Event.
    const eventTime = obj['eventTime'];
    if (res.kind === 'Event' && eventTime !== undefined && eventTime !== null) {
      if (
        typeof eventTime !== 'string' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(eventTime)
      )
        throw badRequest(
          `Event in version "${res.versions[0] ?? ''}" cannot be handled as a Event: parsing time ${JSON.stringify(eventTime)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
        );
    }
    const causes = [...validateObject(res, obj), ...extra];
    if (causes.length > 0) throw invalid(res.kind, res.group, obj.metadata.name ?? '', causes);
  }

  /** Creates an object. `ns` is the namespace of the request path (undefined: from the body, else `default`). */
  create(
    res: ResourceInfo,
    ns: string | undefined,
    body: KubeObject,
    options: WriteOptions = {},
    version?: string,
  ): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the body of the request was not a JSON object');
    const obj = clone(body);
    if (obj.kind !== undefined && obj.kind !== res.kind) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version or kind ${res.kind}`,
      );
    }
    const meta = rec(obj.metadata) as KubeObject['metadata'];
    obj.metadata = meta;
    let namespace: string | undefined;
    if (res.namespaced) {
      if (
        ns !== undefined &&
        meta.namespace !== undefined &&
        meta.namespace !== '' &&
        meta.namespace !== ns
      ) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      namespace = ns ?? (meta.namespace !== undefined && meta.namespace !== '' ? meta.namespace : 'default');
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    if (
      (meta.name === undefined || meta.name === '') &&
      typeof meta.generateName === 'string' &&
      meta.generateName !== ''
    ) {
      meta.name = this.generateName(res, namespace, meta.generateName);
    }
    const name = meta.name ?? '';
    const typedObj = this.typed(res, obj, version);
    typedObj.metadata = meta;
    meta.uid = randomUUID();
    meta.creationTimestamp = toTimestamp(this.now());
    if (res.generation) meta.generation = 1;
    else delete meta.generation;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    this.validate(res, typedObj, this.kindCauses(res, typedObj, undefined));
    if (res.namespaced && namespace !== undefined) this.checkNamespace(res, namespace, name);
    if (this.bucket(res).has(objectKey(namespace, name))) throw alreadyExists(this.target(res, name));
    this.prepareCreate(res, typedObj);
    if (options.dryRun === true) return clone(typedObj);
    this.rv++;
    meta.resourceVersion = String(this.rv);
    this.commit(res, typedObj, undefined, 'ADDED');
    return clone(typedObj);
  }

  private kindCauses(res: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): FieldCause[] {
    if (!res.builtin || res.group !== '' || res.kind !== 'Service') return [];
    const spec = rec(obj['spec']);
    const ip = spec['clusterIP'];
    if (typeof ip === 'string' && ip !== '' && ip !== 'None') {
      const owner = this.ips.get(ip);
      const key = objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
      if (owner !== undefined && owner !== key) {
        return [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`,
          },
        ];
      }
      const oldIp = old ? rec(old['spec'])['clusterIP'] : undefined;
      if (old && typeof oldIp === 'string' && oldIp !== '' && oldIp !== ip) {
        return [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIPs[0]',
            message: `Invalid value: "${ip}": may not change once set`,
          },
        ];
      }
    }
    return [];
  }

  private prepareCreate(res: ResourceInfo, obj: KubeObject): void {
    if (res.builtin && res.group === '') {
      switch (res.kind) {
        case 'Namespace': {
          const name = obj.metadata.name ?? '';
          obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
          obj['spec'] = { finalizers: ['kubernetes'], ...rec(obj['spec']) };
          obj['status'] = { phase: 'Active' };
          break;
        }
        case 'Pod':
          if (obj['status'] === undefined) obj['status'] = { phase: 'Pending' };
          break;
        case 'Service':
          this.prepareService(obj, undefined);
          break;
        case 'Secret':
          this.prepareSecret(obj);
          break;
      }
    }
    if (res.builtin && res.kind === 'CustomResourceDefinition') {
      const spec = rec(obj['spec']);
      const versions = Array.isArray(spec['versions']) ? (spec['versions'] as unknown[]).map(rec) : [];
      const storage = versions.find((v) => v['storage'] === true) ?? versions[0];
      const t = toTimestamp(this.now());
      obj['status'] = {
        acceptedNames: clone(spec['names'] ?? {}),
        conditions: [
          {
            type: 'NamesAccepted',
            status: 'True',
            reason: 'NoConflicts',
            message: 'no conflicts found',
            lastTransitionTime: t,
          },
          {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
            lastTransitionTime: t,
          },
        ],
        storedVersions: storage && typeof storage['name'] === 'string' ? [storage['name']] : [],
      };
    }
  }

  private prepareSecret(obj: KubeObject): void {
    const stringData = rec(obj['stringData']);
    if (obj['stringData'] !== undefined) {
      const data = { ...rec(obj['data']) };
      for (const [k, v] of Object.entries(stringData))
        data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      obj['data'] = data;
      delete obj['stringData'];
    }
    if (obj['type'] === undefined) obj['type'] = 'Opaque';
  }

  private prepareService(obj: KubeObject, old: KubeObject | undefined): void {
    const spec = { ...rec(obj['spec']) };
    const oldSpec = old ? rec(old['spec']) : {};
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    const type = spec['type'];
    if (type !== 'ExternalName') {
      // Like the real server, an update that omits the allocated IP keeps it.
      if (
        (spec['clusterIP'] === undefined || spec['clusterIP'] === '') &&
        typeof oldSpec['clusterIP'] === 'string'
      ) {
        spec['clusterIP'] = oldSpec['clusterIP'];
      }
      if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
        let i = 10;
        while (this.ips.has(ipForIndex(i))) i++;
        spec['clusterIP'] = ipForIndex(i);
      }
      spec['clusterIPs'] = [spec['clusterIP']];
      if (spec['clusterIP'] !== 'None') {
        spec['ipFamilies'] ??= ['IPv4'];
        spec['ipFamilyPolicy'] ??= 'SingleStack';
      }
      spec['internalTrafficPolicy'] ??= 'Cluster';
    }
    const oldPorts = Array.isArray(oldSpec['ports']) ? (oldSpec['ports'] as unknown[]).map(rec) : [];
    const usedHere = new Set<unknown>();
    if (Array.isArray(spec['ports'])) {
      spec['ports'] = (spec['ports'] as unknown[]).map((p) => {
        const port = { ...rec(p) };
        port['protocol'] ??= 'TCP';
        port['targetPort'] ??= port['port'];
        if (type === 'NodePort' || type === 'LoadBalancer') {
          if (port['nodePort'] === undefined) {
            const prev = oldPorts.find(
              (o) => o['port'] === port['port'] && typeof o['nodePort'] === 'number',
            );
            if (prev) {
              port['nodePort'] = prev['nodePort'];
            } else {
              let n = 30000;
              while (this.nodePorts.has(n) || usedHere.has(n)) n++;
              port['nodePort'] = n;
            }
          }
        }
        usedHere.add(port['nodePort']);
        return port;
      });
    }
    if (type === 'LoadBalancer' || type === 'NodePort') spec['externalTrafficPolicy'] ??= 'Cluster';
    obj['spec'] = spec;
    if (obj['status'] === undefined) obj['status'] = { loadBalancer: {} };
  }

  private releaseAllocations(obj: KubeObject | undefined): void {
    if (!obj || obj.kind !== 'Service') return;
    const key = objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
    for (const [ip, owner] of this.ips) if (owner === key) this.ips.delete(ip);
    for (const [port, owner] of this.nodePorts) if (owner === key) this.nodePorts.delete(port);
  }

  private recordAllocations(obj: KubeObject): void {
    if (obj.kind !== 'Service' || obj.apiVersion !== 'v1') return;
    const key = objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
    const spec = rec(obj['spec']);
    if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== 'None')
      this.ips.set(spec['clusterIP'], key);
    if (Array.isArray(spec['ports'])) {
      for (const p of spec['ports'] as unknown[]) {
        const n = rec(p)['nodePort'];
        if (typeof n === 'number') this.nodePorts.set(n, key);
      }
    }
  }

  /** Stores a change and emits it. For DELETED, `obj` is the last state (new resourceVersion) and `prev` the stored one. */
  private commit(
    res: ResourceInfo,
    obj: KubeObject,
    prev: KubeObject | undefined,
    type: WatchEventType,
  ): void {
    const key = objectKey(res.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
    const stored = this.typed(res, obj);
    if (type === 'DELETED') {
      this.bucket(res).delete(key);
      if (res.builtin && res.kind === 'Service') this.releaseAllocations(prev);
    } else {
      this.bucket(res).set(key, stored);
      if (res.builtin && res.kind === 'Service') {
        this.releaseAllocations(prev);
        this.recordAllocations(stored);
      }
    }
    const ev: HistoryEvent = { rv: this.rv, key: res.key, type, obj: stored, prev };
    this.history.push(ev);
    while (this.history.length > this.historySize) {
      const dropped = this.history.shift();
      if (dropped) this.droppedRv = dropped.rv;
    }
    if (res.builtin && res.kind === 'CustomResourceDefinition') {
      if (type === 'DELETED') this.removeCrd(stored);
      else this.registry.registerCrd(stored);
    }
    for (const s of [...this.subscribers]) if (s.key === res.key) s.deliver(ev);
  }

  private removeCrd(crd: KubeObject): void {
    const info = ResourceRegistry.fromCrd(crd);
    const registered = this.registry.all().find((r) => !r.builtin && r.key === info.key);
    if (!registered) return;
    // The real server deletes every custom resource before the CRD goes; finalizers on them are not waited for here.
    for (const obj of [...this.bucket(registered).values()]) {
      this.rv++;
      const gone = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
      this.commit(registered, gone, obj, 'DELETED');
    }
    this.registry.unregisterCrd(crd);
  }

  /**
   * Replaces an object. Optimistic concurrency on metadata.resourceVersion; status handling per
   * `options`; removing the last finalizer of an object being deleted deletes it.
   */
  update(
    res: ResourceInfo,
    ns: string | undefined,
    name: string,
    body: KubeObject,
    options: UpdateOptions = {},
    version?: string,
  ): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the body of the request was not a JSON object');
    const nsKey = res.namespaced ? (ns ?? 'default') : undefined;
    const stored = this.bucket(res).get(objectKey(nsKey, name));
    if (!stored) throw notFound(this.target(res, name));
    const cur = clone(stored);
    const meta = rec(body.metadata) as KubeObject['metadata'];
    if (meta.name !== undefined && meta.name !== '' && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (res.namespaced && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== nsKey) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (body.kind !== undefined && body.kind !== res.kind)
      throw badRequest(`the kind in the data (${String(body.kind)}) does not match ${res.kind}`);
    const rv = meta.resourceVersion;
    if (rv !== undefined && rv !== '') {
      if (rv !== cur.metadata.resourceVersion) throw conflict(this.target(res, name));
    } else if (options.allowUnconditional !== true && !res.builtin) {
      throw invalid(res.kind, res.group, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== cur.metadata.uid) {
      throw conflict(
        this.target(res, name),
        `Precondition failed: UID in precondition: ${cur.metadata.uid ?? ''}, UID in object meta: ${meta.uid}`,
      );
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(cur);
      if (body['status'] === undefined) delete next['status'];
      else next['status'] = clone(body['status']);
    } else {
      next = this.typed(res, clone(body));
      next.metadata = clone(meta);
      if (options.keepStatus === true && res.statusVersions.length > 0) {
        if (cur['status'] === undefined) delete next['status'];
        else next['status'] = clone(cur['status']);
      }
      next.metadata.name = name;
      if (nsKey !== undefined) next.metadata.namespace = nsKey;
      else delete next.metadata.namespace;
      next.metadata.uid = cur.metadata.uid ?? '';
      next.metadata.creationTimestamp = cur.metadata.creationTimestamp ?? '';
      if (cur.metadata.deletionTimestamp !== undefined) {
        next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
        next.metadata['deletionGracePeriodSeconds'] = cur.metadata['deletionGracePeriodSeconds'];
      } else {
        delete next.metadata.deletionTimestamp;
        delete next.metadata['deletionGracePeriodSeconds'];
      }
      if (res.builtin && res.group === '' && res.kind === 'Secret') this.prepareSecret(next);
      if (res.builtin && res.group === '' && res.kind === 'Service') this.prepareService(next, cur);
      if (res.builtin && res.group === '' && res.kind === 'Namespace') {
        next.metadata.labels = { ...next.metadata.labels, 'kubernetes.io/metadata.name': name };
        if (next['status'] === undefined) next['status'] = clone(cur['status']);
      }
    }
    next.metadata.resourceVersion = cur.metadata.resourceVersion ?? '';
    const extra: FieldCause[] = this.kindCauses(res, next, cur);
    if (cur.metadata.deletionTimestamp !== undefined) {
      const added = (next.metadata.finalizers ?? []).filter(
        (f) => !(cur.metadata.finalizers ?? []).includes(f),
      );
      if (added.length > 0) {
        extra.push({
          reason: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        });
      }
    }
    this.validate(res, next, extra);
    if (res.generation) {
      const generation = typeof cur.metadata['generation'] === 'number' ? cur.metadata['generation'] : 1;
      const hasStatus = res.statusVersions.length > 0;
      const same = deepEqual(withoutMeta(next, hasStatus), withoutMeta(cur, hasStatus));
      next.metadata['generation'] = same ? generation : generation + 1;
    } else {
      delete next.metadata['generation'];
    }
    if (deepEqual(next, cur)) return clone(this.typed(res, cur, version));
    if (options.dryRun === true) return clone(this.typed(res, next, version));
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    const finalizersGone = (next.metadata.finalizers ?? []).length === 0;
    if (
      next.metadata.deletionTimestamp !== undefined &&
      finalizersGone &&
      !(res.builtin && res.kind === 'Namespace')
    ) {
      this.commit(res, next, cur, 'DELETED');
      this.afterRemoval(res, next);
    } else {
      this.commit(res, next, cur, 'MODIFIED');
      if (res.builtin && res.kind === 'Namespace' && next.metadata.deletionTimestamp !== undefined)
        this.maybeFinalizeNamespace(name);
    }
    return clone(this.typed(res, next, version));
  }

  /** Applies a patch and stores the result with the semantics of {@link update}. */
  patch(
    res: ResourceInfo,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patchBody: unknown,
    options: UpdateOptions = {},
    version?: string,
  ): KubeObject {
    const cur = this.mustGet(res, ns, name, version);
    let patched: unknown;
    switch (type) {
      case 'merge':
        if (typeof patchBody !== 'object' || patchBody === null || Array.isArray(patchBody))
          throw badRequest('a merge patch must be a JSON object');
        patched = jsonMergePatch(cur, patchBody);
        break;
      case 'json':
        patched = jsonPatch(cur, patchBody);
        break;
      case 'strategic':
        if (!res.builtin)
          throw unsupportedMediaType('strategic merge patch is not supported for custom resources');
        patched = strategicMergePatch(res.kind, cur, patchBody);
        break;
    }
    const obj = rec(patched) as KubeObject;
    obj.metadata = rec(obj.metadata);
    // A patch without a resourceVersion is unconditional; one with a resourceVersion is checked.
    if (obj.metadata.resourceVersion === undefined || obj.metadata.resourceVersion === '')
      obj.metadata.resourceVersion = cur.metadata.resourceVersion ?? '';
    return this.update(res, ns, name, obj, { ...options, allowUnconditional: true }, version);
  }

  /** Deletes an object (finalizers and namespaces first get a deletionTimestamp). Returns the last state. */
  delete(
    res: ResourceInfo,
    ns: string | undefined,
    name: string,
    options: DeleteOptions = {},
    version?: string,
  ): KubeObject {
    const nsKey = res.namespaced ? (ns ?? 'default') : undefined;
    const stored = this.bucket(res).get(objectKey(nsKey, name));
    if (!stored) throw notFound(this.target(res, name));
    const cur = clone(stored);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cur.metadata.uid) {
      throw conflict(
        this.target(res, name),
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(
        this.target(res, name),
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`,
      );
    }
    if (options.dryRun === true || cur.metadata.deletionTimestamp !== undefined)
      return clone(this.typed(res, cur, version));
    const isNamespace = res.builtin && res.group === '' && res.kind === 'Namespace';
    if ((cur.metadata.finalizers ?? []).length > 0 || isNamespace) {
      const next = clone(cur);
      next.metadata.deletionTimestamp = toTimestamp(this.now());
      next.metadata['deletionGracePeriodSeconds'] = 0;
      if (isNamespace) next['status'] = { ...rec(next['status']), phase: 'Terminating' };
      this.rv++;
      next.metadata.resourceVersion = String(this.rv);
      this.commit(res, next, cur, 'MODIFIED');
      if (isNamespace) {
        for (const r of this.registry.all()) {
          if (!r.namespaced) continue;
          for (const o of [...this.bucket(r).values()]) {
            if (o.metadata.namespace === name && o.metadata.deletionTimestamp === undefined)
              this.delete(r, name, o.metadata.name ?? '');
          }
        }
        this.maybeFinalizeNamespace(name);
      }
      return clone(this.typed(res, this.bucket(res).get(objectKey(nsKey, name)) ?? next, version));
    }
    this.rv++;
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(this.rv);
    this.commit(res, gone, cur, 'DELETED');
    this.afterRemoval(res, gone);
    return clone(this.typed(res, gone, version));
  }

  /** Deletes every object matching the filter; returns their last states. */
  deleteCollection(
    res: ResourceInfo,
    filter: ObjectFilter,
    options: WriteOptions = {},
    version?: string,
  ): KubeObject[] {
    return this.list(res, filter).items.map((o) =>
      this.delete(res, o.metadata.namespace, o.metadata.name ?? '', options, version),
    );
  }

  private afterRemoval(res: ResourceInfo, obj: KubeObject): void {
    if (res.namespaced && obj.metadata.namespace !== undefined)
      this.maybeFinalizeNamespace(obj.metadata.namespace);
  }

  private maybeFinalizeNamespace(name: string): void {
    const nsRes = this.mustResource('v1', 'Namespace');
    const stored = this.bucket(nsRes).get(objectKey(undefined, name));
    if (!stored || stored.metadata.deletionTimestamp === undefined) return;
    for (const r of this.registry.all()) {
      if (!r.namespaced) continue;
      for (const o of this.bucket(r).values()) if (o.metadata.namespace === name) return;
    }
    let cur = clone(stored);
    const specFinalizers = rec(cur['spec'])['finalizers'];
    if (Array.isArray(specFinalizers) && specFinalizers.length > 0) {
      // The namespace controller's part: content is gone, so the `kubernetes` finalizer is removed.
      const next = clone(cur);
      next['spec'] = { ...rec(next['spec']), finalizers: [] };
      this.rv++;
      next.metadata.resourceVersion = String(this.rv);
      this.commit(nsRes, next, cur, 'MODIFIED');
      cur = next;
    }
    if ((cur.metadata.finalizers ?? []).length > 0) return;
    this.rv++;
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(this.rv);
    this.commit(nsRes, gone, cur, 'DELETED');
  }

  /** Throws 410 Expired when a watch from `fromRv` cannot be served from the history. */
  checkWatchable(fromRv: number | undefined): void {
    if (fromRv !== undefined && fromRv < this.droppedRv) {
      throw expired(`too old resource version: ${fromRv} (${this.droppedRv + 1})`);
    }
  }

  /**
   * Starts a watch. Without `fromRv` it first sends ADDED for the current state; with it, it replays
   * the history after `fromRv` (410 Expired when that is older than the history). Then it follows
   * changes until the returned function is called. `send` is called synchronously.
   */

  watch(
    res: ResourceInfo,
    filter: ObjectFilter,
    fromRv: number | undefined,
    send: (type: WatchEventType, obj: KubeObject) => void,
  ): () => void {
    this.checkWatchable(fromRv);
    const deliver = (ev: HistoryEvent): void => {
      const now = this.matches(filter, ev.obj);
      const before = ev.prev !== undefined && this.matches(filter, ev.prev);
      if (ev.type === 'ADDED' && now) send('ADDED', ev.obj);
      else if (ev.type === 'DELETED' && now) send('DELETED', ev.obj);
      else if (ev.type === 'MODIFIED') {
        if (now && before) send('MODIFIED', ev.obj);
        else if (now) send('ADDED', ev.obj);
        else if (before) send('DELETED', ev.obj);
      }
    };
    if (fromRv === undefined) {
      for (const o of this.list(res, filter).items) send('ADDED', o);
    } else {
      for (const ev of this.history) if (ev.rv > fromRv && ev.key === res.key) deliver(ev);
    }
    const sub: Subscriber = { key: res.key, deliver };
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Drops the watch history: watches from any older resourceVersion get 410. */
  compact(): void {
    this.history = [];
    this.droppedRv = this.rv;
  }
}
