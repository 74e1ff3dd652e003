import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  badRequest,
  internalError,
  KubeApiError,
  makeStatus,
  methodNotAllowed,
  pathNotFound,
  reasonForCode,
  unsupportedMediaType,
} from './errors.js';
import {
  groupVersion,
  RESOURCE_VERBS,
  ResourceRegistry,
  splitApiVersion,
  type ResourceInfo,
} from './resources.js';
import { creationOrder, readManifests } from './seed.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ObjectStore, type ObjectFilter, type PatchType, type WatchEventType } from './store.js';
import { makeSelfSignedCert } from './tls.js';
import type {
  ApiServer,
  ApiServerOptions,
  ApiStore,
  FailMatch,
  KubeObject,
  KubeStatus,
  RequestRecord,
} from './types.js';
import { errorMessage } from '@kube-edge/runtime';

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_LOG = 20_000;
/** The token the kubeconfig carries; never checked. */
const ADMIN_TOKEN = 'kube-edge-test-token';
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };

interface FailRule {
  remaining: number;
  status: number;
  match: FailMatch | undefined;
}

interface ActiveWatch {
  end(): void;
  gone(status: KubeStatus): void;
  bookmark(): void;
}

interface Route {
  res: ResourceInfo;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

function sendJson(
  res: ServerResponse,
  record: RequestRecord,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  record.status = status;
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function sendStatus(res: ServerResponse, record: RequestRecord, status: KubeStatus): void {
  const headers: Record<string, string> = {};
  if (status.code === 429 || status.code === 503)
    headers['Retry-After'] = String(status.details?.retryAfterSeconds ?? 1);
  sendJson(res, record, status.code, status, headers);
}

/** True when an Accept header allows plain `application/json` (not only aggregated discovery, Table or protobuf). */
export function acceptsPlainJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [media = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (media === '*/*' || media === 'application/*') return true;
    return media === 'application/json' && !params.some((p) => p.startsWith('as='));
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KubeApiError(makeStatus(413, 'RequestEntityTooLarge', 'the request body is too large')));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return undefined;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media.includes('protobuf') || media.includes('cbor')) {
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (not ${media})`,
    );
  }
  try {
    return media.includes('yaml') ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${errorMessage(err)}`);
  }
}

function stripTypeMeta(res: ResourceInfo, obj: KubeObject): Record<string, unknown> {
  if (!res.builtin) return obj;
  // The real server leaves apiVersion/kind out of list items of built-in kinds; clients must cope.
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

function failureStatus(code: number): KubeStatus {
  const messages: Record<number, string> = {
    429: 'Too many requests, please try again later.',
    500: 'Internal error occurred: injected fault',
    503: 'the server is currently unable to handle the request',
    504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  };
  const details: KubeStatus['details'] = code === 429 || code === 503 ? { retryAfterSeconds: 1 } : {};
  return makeStatus(code, reasonForCode(code), messages[code] ?? `injected fault (status ${code})`, details);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

function isDryRun(q: URLSearchParams, body?: unknown): boolean {
  if (q.getAll('dryRun').includes('All')) return true;
  const d = typeof body === 'object' && body !== null ? (body as { dryRun?: unknown }).dryRun : undefined;
  return Array.isArray(d) && d.includes('All');
}

/**
 * Starts the Kubernetes API test server on 127.0.0.1 (a free port unless `port` is given).
 * Resolves once it listens; throws if a seed file is invalid or openssl fails (https).
 * Each call makes an independent server; close it with `close()`.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const registry = new ResourceRegistry();
  const now = options.now ?? (() => new Date());
  const store = new ObjectStore({ registry, historySize: options.historySize ?? 1000, now });
  const watchGone = options.watchGone ?? 'event';
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
  const version = options.version ?? { major: '1', minor: '32' };
  const sockets = new Set<Socket>();
  const watches = new Set<ActiveWatch>();
  let failRules: FailRule[] = [];
  let latencyMs = 0;
  let log: RequestRecord[] = [];
  const tempDirs: string[] = [];
  let closed = false;

  const storeApi: ApiStore = {
    create<T extends KubeObject>(obj: T): T {
      const res = store.mustResource(obj.apiVersion, obj.kind);
      return store.create(res, undefined, obj, {}, splitApiVersion(obj.apiVersion).version) as T;
    },
    get<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      name: string,
    ): T | undefined {
      const res = store.mustResource(apiVersion, kind);
      return store.get(res, namespace ?? 'default', name, splitApiVersion(apiVersion).version) as
        T | undefined;
    },
    update<T extends KubeObject>(obj: T): T {
      const res = store.mustResource(obj.apiVersion, obj.kind);
      const v = splitApiVersion(obj.apiVersion).version;
      return store.update(
        res,
        obj.metadata.namespace ?? 'default',
        obj.metadata.name ?? '',
        obj,
        { allowUnconditional: true },
        v,
      ) as T;
    },
    patchMerge<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      name: string,
      patch: object,
    ): T {
      const res = store.mustResource(apiVersion, kind);
      return store.patch(
        res,
        namespace ?? 'default',
        name,
        'merge',
        structuredClone(patch),
        {},
        splitApiVersion(apiVersion).version,
      ) as T;
    },
    delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
      const res = store.mustResource(apiVersion, kind);
      store.delete(res, namespace ?? 'default', name);
    },
    list<T extends KubeObject>(apiVersion: string, kind: string, namespace?: string): T[] {
      const res = store.mustResource(apiVersion, kind);
      const filter: ObjectFilter = res.namespaced && namespace !== undefined ? { namespace } : {};
      return store.list(res, filter, {}, splitApiVersion(apiVersion).version).items as T[];
    },
    loadYaml(pathsOrText: string | string[]): KubeObject[] {
      return creationOrder(readManifests(pathsOrText)).map((o) => storeApi.create(o));
    },
    resourceVersion(): string {
      return String(store.currentRv());
    },
  };

  if (options.seedFiles !== undefined && options.seedFiles.length > 0) storeApi.loadYaml(options.seedFiles);

  const tls = options.https === true ? await makeSelfSignedCert() : undefined;

  function discovery(res: ServerResponse, record: RequestRecord, parts: string[]): boolean {
    const path = `/${parts.join('/')}`;
    const port = mainPort;
    if (path === '/version') {
      sendJson(res, record, 200, {
        major: version.major,
        minor: version.minor,
        gitVersion: `v${version.major}.${version.minor}.0`,
        gitCommit: 'kube-edge-testkit',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return true;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      record.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return true;
    }
    if (path === '/api') {
      sendJson(res, record, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
      });
      return true;
    }
    const groupEntry = (g: { name: string; versions: string[] }): Record<string, unknown> => ({
      name: g.name,
      versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.name}/${g.versions[0] ?? ''}`, version: g.versions[0] ?? '' },
    });
    if (path === '/apis') {
      sendJson(res, record, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: registry.groups().map(groupEntry),
      });
      return true;
    }
    const resourceList = (group: string, v: string): boolean => {
      const list = registry.inGroupVersion(group, v);
      if (list.length === 0) return false;
      const resources: Record<string, unknown>[] = [];
      for (const r of list) {
        const entry: Record<string, unknown> = {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: RESOURCE_VERBS,
        };
        if (r.shortNames.length > 0) entry['shortNames'] = r.shortNames;
        if (r.categories.length > 0) entry['categories'] = r.categories;
        resources.push(entry);
        if (r.statusVersions.includes(v)) {
          resources.push({
            name: `${r.plural}/status`,
            singularName: '',
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['get', 'patch', 'update'],
          });
        }
      }
      sendJson(res, record, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: groupVersion(group, v),
        resources,
      });
      return true;
    };
    if (parts.length === 2 && parts[0] === 'api') return resourceList('', parts[1] ?? '');
    if (parts.length === 2 && parts[0] === 'apis') {
      const g = registry.groups().find((x) => x.name === parts[1]);
      if (!g) return false;
      sendJson(res, record, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) });
      return true;
    }
    if (parts.length === 3 && parts[0] === 'apis') return resourceList(parts[1] ?? '', parts[2] ?? '');
    return false;
  }

  // Just enough OpenAPI v3 for kubectl's field-validation probe: one PATCH operation per resource,
  // tagged with its GVK and declaring the fieldValidation query parameter. No schemas, so kubectl
  // computes apply patches from its built-in types, as with no OpenAPI at all.
  function serveOpenApiV3(res: ServerResponse, record: RequestRecord, path: string): boolean {
    const gvPaths = new Map<string, { group: string; version: string }>();
    gvPaths.set('api/v1', { group: '', version: 'v1' });
    for (const g of registry.groups())
      for (const v of g.versions) gvPaths.set(`apis/${g.name}/${v}`, { group: g.name, version: v });
    if (path === '/openapi/v3') {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const key of gvPaths.keys())
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${store.currentRv()}` };
      sendJson(res, record, 200, { paths });
      return true;
    }
    const gv = gvPaths.get(path.slice('/openapi/v3/'.length));
    if (!gv) return false;
    const paths: Record<string, unknown> = {};
    for (const r of registry.inGroupVersion(gv.group, gv.version)) {
      const prefix = gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
      const item = `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
      paths[item] = {
        patch: {
          'x-kubernetes-group-version-kind': { group: gv.group, version: gv.version, kind: r.kind },
          parameters: [
            { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          ],
          responses: { '200': { description: 'OK' } },
        },
      };
    }
    sendJson(res, record, 200, {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: `v${version.major}.${version.minor}.0` },
      paths,
    });
    return true;
  }

  function route(parts: string[]): { route: Route; watchPath: boolean } | undefined {
    let group: string;
    let v: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      group = '';
      v = parts[1] ?? '';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1] ?? '';
      v = parts[2] ?? '';
      rest = parts.slice(3);
    } else {
      return undefined;
    }
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const nsRes = registry.byPlural(group, v, rest[2] ?? '');
      if (nsRes?.namespaced === true) {
        if (rest.length > 5) return undefined;
        return {
          route: { res: nsRes, version: v, namespace: rest[1], name: rest[3], subresource: rest[4] },
          watchPath,
        };
      }
    }
    const res = registry.byPlural(group, v, rest[0] ?? '');
    if (!res || rest.length > 3) return undefined;
    if (res.namespaced && rest.length > 1) return undefined;
    return {
      route: { res, version: v, namespace: undefined, name: rest[1], subresource: rest[2] },
      watchPath,
    };
  }

  function filterFrom(r: Route, q: URLSearchParams): ObjectFilter {
    const filter: ObjectFilter = {};
    if (r.namespace !== undefined) filter.namespace = r.namespace;
    const ls = q.get('labelSelector');
    if (ls !== null && ls !== '') filter.labels = parseLabelSelector(ls);
    const fs = q.get('fieldSelector');
    if (fs !== null && fs !== '') filter.fields = parseFieldSelector(fs, r.res);
    return filter;
  }

  function serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    r: Route,
    q: URLSearchParams,
  ): void {
    const filter = filterFrom(r, q);
    if (r.name !== undefined)
      filter.fields = [...(filter.fields ?? []), { field: 'metadata.name', op: '=', value: r.name }];
    const rvParam = q.get('resourceVersion') ?? '';
    const initialEvents = q.get('sendInitialEvents') === 'true';
    let fromRv: number | undefined;
    if (rvParam !== '' && rvParam !== '0' && !initialEvents) {
      fromRv = Number(rvParam);
      if (!Number.isInteger(fromRv) || fromRv < 0)
        throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    }
    const allowBookmarks = q.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = intParam(q, 'timeoutSeconds');
    const gv = groupVersion(r.res.group, r.version);
    const write = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    let expired: KubeStatus | undefined;
    try {
      store.checkWatchable(fromRv);
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.code !== 410) throw err;
      if (watchGone === 'status') throw err;
      expired = err.status;
    }
    record.status = 200;
    res.writeHead(200, { ...JSON_HEADERS, 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (expired !== undefined) {
      write('ERROR', expired);
      res.end();
      return;
    }
    const bookmarkObject = (annotations?: Record<string, string>): unknown => ({
      kind: r.res.kind,
      apiVersion: gv,
      metadata: annotations
        ? { resourceVersion: String(store.currentRv()), annotations }
        : { resourceVersion: String(store.currentRv()) },
    });
    const unsubscribe = store.watch(r.res, filter, fromRv, (type, obj) =>
      write(type, { ...obj, apiVersion: gv }),
    );
    if (initialEvents && allowBookmarks)
      write('BOOKMARK', bookmarkObject({ 'k8s.io/initial-events-end': 'true' }));
    const timers: NodeJS.Timeout[] = [];
    const active: ActiveWatch = {
      end: () => res.end(),
      gone: (status) => {
        write('ERROR', status);
        res.end();
      },
      bookmark: () => {
        if (allowBookmarks) write('BOOKMARK', bookmarkObject());
      },
    };
    watches.add(active);
    if (allowBookmarks) timers.push(setInterval(() => active.bookmark(), bookmarkIntervalMs));
    if (timeoutSeconds !== undefined && timeoutSeconds > 0)
      timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
    const cleanup = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      watches.delete(active);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
    req.on('close', () => {
      if (!res.writableEnded) res.end();
    });
  }

  /**
   * POST pods/NAME/eviction (policy/v1 or v1beta1 Eviction): deletes the pod as a DELETE would,
   * honouring `deleteOptions.preconditions` and dry run, and answers 201 Success. There are no
   * PodDisruptionBudgets here: a refused eviction (429) is injected with `faults`.
   */
  async function serveEviction(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    r: Route,
    name: string,
    q: URLSearchParams,
  ): Promise<void> {
    if ((req.method ?? 'GET') !== 'POST') throw methodNotAllowed();
    const body = parseBody(await readBody(req), req.headers['content-type']) as
      | {
          apiVersion?: string;
          kind?: string;
          metadata?: { name?: string };
          deleteOptions?: { dryRun?: string[]; preconditions?: { uid?: string; resourceVersion?: string } };
        }
      | undefined;
    if (body?.kind !== 'Eviction' || !['policy/v1', 'policy/v1beta1'].includes(body.apiVersion ?? ''))
      throw badRequest('the body of the request must be a policy/v1 or policy/v1beta1 Eviction');
    if (body.metadata?.name !== name) throw badRequest(`name in URL does not match name in Eviction object`);
    const del: { dryRun: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {
      dryRun: isDryRun(q, body.deleteOptions),
    };
    if (body.deleteOptions?.preconditions !== undefined) del.preconditions = body.deleteOptions.preconditions;
    store.delete(r.res, r.namespace, name, del, r.version);
    sendJson(res, record, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
  }

  async function serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    r: Route,
    q: URLSearchParams,
    watchPath: boolean,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const isWatch = watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    const sub = r.subresource;
    if (sub === 'eviction' && r.res.builtin && r.res.group === '' && r.res.plural === 'pods' && r.name) {
      await serveEviction(req, res, record, r, r.name, q);
      return;
    }
    if (sub !== undefined && !(sub === 'status' && r.res.statusVersions.includes(r.version)))
      throw pathNotFound();
    if (r.res.namespaced && r.name !== undefined && r.namespace === undefined) throw pathNotFound();
    const gv = groupVersion(r.res.group, r.version);
    if (r.name === undefined) {
      switch (method) {
        case 'GET': {
          if (isWatch) {
            serveWatch(req, res, record, r, q);
            return;
          }
          const limit = intParam(q, 'limit');
          const cont = q.get('continue');
          const page: { limit?: number; continue?: string; exactRv?: number } = {};
          if (limit !== undefined) page.limit = limit;
          if (cont !== null) page.continue = cont;
          if (q.get('resourceVersionMatch') === 'Exact') {
            const exact = intParam(q, 'resourceVersion');
            if (exact === undefined)
              throw badRequest(
                'resourceVersionMatch: Forbidden: resourceVersionMatch "Exact" is forbidden for resourceVersion ""',
              );
            page.exactRv = exact;
          }
          const list = store.list(r.res, filterFrom(r, q), page, r.version);
          const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
          if (list.continue !== undefined) metadata['continue'] = list.continue;
          if (list.remainingItemCount !== undefined) metadata['remainingItemCount'] = list.remainingItemCount;
          sendJson(res, record, 200, {
            kind: r.res.listKind,
            apiVersion: gv,
            metadata,
            items: list.items.map((o) => stripTypeMeta(r.res, o)),
          });
          return;
        }
        case 'POST': {
          if (r.res.namespaced && r.namespace === undefined) throw methodNotAllowed();
          const body = parseBody(await readBody(req), req.headers['content-type']);
          const created = store.create(
            r.res,
            r.namespace,
            body as KubeObject,
            { dryRun: isDryRun(q) },
            r.version,
          );
          sendJson(res, record, 201, created);
          return;
        }
        case 'DELETE': {
          const body = parseBody(await readBody(req), req.headers['content-type']);
          const items = store.deleteCollection(
            r.res,
            filterFrom(r, q),
            { dryRun: isDryRun(q, body) },
            r.version,
          );
          sendJson(res, record, 200, {
            kind: r.res.listKind,
            apiVersion: gv,
            metadata: { resourceVersion: String(store.currentRv()) },
            items,
          });
          return;
        }
        default:
          throw methodNotAllowed();
      }
    }
    const name = r.name;
    const statusSub = sub === 'status' ? ('status' as const) : undefined;
    switch (method) {
      case 'GET':
        if (isWatch) {
          serveWatch(req, res, record, r, q);
          return;
        }
        sendJson(res, record, 200, store.mustGet(r.res, r.namespace, name, r.version));
        return;
      case 'PUT': {
        const body = parseBody(await readBody(req), req.headers['content-type']);
        const opts = {
          dryRun: isDryRun(q),
          keepStatus: true,
          ...(statusSub ? { subresource: statusSub } : {}),
        };
        sendJson(
          res,
          record,
          200,
          store.update(r.res, r.namespace, name, body as KubeObject, opts, r.version),
        );
        return;
      }
      case 'PATCH': {
        const media = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const types: Record<string, PatchType> = {
          'application/merge-patch+json': 'merge',
          'application/strategic-merge-patch+json': 'strategic',
          'application/json-patch+json': 'json',
        };
        const type = types[media];
        if (type === undefined) {
          if (media.startsWith('application/apply-patch'))
            throw unsupportedMediaType(
              'server-side apply is not supported by the kube-edge test server; use client-side apply, update or a merge patch',
            );
          throw unsupportedMediaType(
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
          );
        }
        const text = await readBody(req);
        let patch: unknown;
        try {
          patch = JSON.parse(text) as unknown;
        } catch (err) {
          throw badRequest(`error decoding patch: ${errorMessage(err)}`);
        }
        const opts = {
          dryRun: isDryRun(q),
          keepStatus: true,
          ...(statusSub ? { subresource: statusSub } : {}),
        };
        sendJson(res, record, 200, store.patch(r.res, r.namespace, name, type, patch, opts, r.version));
        return;
      }
      case 'DELETE': {
        if (statusSub) throw methodNotAllowed();
        const body = parseBody(await readBody(req), req.headers['content-type']) as
          { preconditions?: { uid?: string; resourceVersion?: string } } | undefined;
        const del: { dryRun: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {
          dryRun: isDryRun(q, body),
        };
        if (body?.preconditions !== undefined) del.preconditions = body.preconditions;
        sendJson(res, record, 200, store.delete(r.res, r.namespace, name, del, r.version));
        return;
      }
      default:
        throw methodNotAllowed();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      watch:
        q.get('watch') === 'true' || q.get('watch') === '1' || /^\/apis?\/(.+\/)?watch\//.test(url.pathname),
      status: 0,
    };
    log.push(record);
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
    if (latencyMs > 0) await sleep(latencyMs);
    if (res.destroyed) return;
    const full = `${url.pathname}${url.search}`;
    const rule = failRules.find(
      (f) =>
        f.remaining > 0 &&
        (f.match?.method === undefined || f.match.method.toUpperCase() === record.method.toUpperCase()) &&
        (f.match?.pathIncludes === undefined || full.includes(f.match.pathIncludes)),
    );
    if (rule) {
      rule.remaining--;
      failRules = failRules.filter((f) => f.remaining > 0);
      req.resume();
      if (rule.status === 0) {
        // A dropped request: the connection is reset without an answer (status stays 0 in the log).
        req.socket.destroy();
        return;
      }
      sendStatus(res, record, failureStatus(rule.status));
      return;
    }
    try {
      if (url.pathname.startsWith('/openapi/')) {
        if (options.openApiV3 === true && req.method === 'GET' && serveOpenApiV3(res, record, url.pathname))
          return;
        throw pathNotFound();
      }
      if (!acceptsPlainJson(req.headers.accept)) {
        req.resume();
        sendStatus(
          res,
          record,
          makeStatus(
            406,
            'NotAcceptable',
            'only application/json is served; aggregated discovery, Table and protobuf are not',
          ),
        );
        return;
      }
      const parts = url.pathname.split('/').filter((p) => p !== '');
      if (req.method === 'GET' && discovery(res, record, parts)) return;
      const found = route(parts);
      if (!found) throw pathNotFound();
      await serveResource(req, res, record, found.route, q, found.watchPath);
    } catch (err) {
      req.resume();
      sendStatus(res, record, err instanceof KubeApiError ? err.status : internalError(err).status);
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const makeServer = (secure: boolean): Server => {
    const srv =
      secure && tls
        ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, onRequest)
        : createHttpServer(onRequest);
    srv.on('connection', track);
    srv.keepAliveTimeout = 5000;
    return srv;
  };
  // Listens with a fresh server per attempt: the port may still be held for a moment after a restart.
  const listen = async (secure: boolean, port: number): Promise<{ srv: Server; port: number }> => {
    for (let attempt = 0; ; attempt++) {
      const srv = makeServer(secure);
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, '127.0.0.1', () => {
            srv.off('error', reject);
            resolve();
          });
        });
        const addr = srv.address();
        if (addr === null || typeof addr === 'string')
          throw new Error('the API test server has no TCP address');
        return { srv, port: addr.port };
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE' || port === 0 || attempt >= 20) throw err;
        await sleep(50);
      }
    }
  };

  let servers: Server[] = [];
  let mainPort = options.port ?? 0;
  let httpPort = 0;
  const startListening = async (): Promise<void> => {
    const main = await listen(tls !== undefined, mainPort);
    mainPort = main.port;
    servers = [main.srv];
    if (tls !== undefined) {
      const plain = await listen(false, httpPort);
      httpPort = plain.port;
      servers.push(plain.srv);
    } else {
      httpPort = mainPort;
    }
  };
  await startListening();

  const stop = async (): Promise<void> => {
    const current = servers;
    servers = [];
    for (const w of [...watches]) w.end();
    for (const s of [...sockets]) s.destroy();
    await Promise.all(current.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };

  const scheme = tls !== undefined ? 'https' : 'http';
  const server: ApiServer = {
    kind: 'fake',
    adminToken: ADMIN_TOKEN,
    url: `${scheme}://127.0.0.1:${mainPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    caPem: tls?.caPem,
    port: mainPort,
    kubeconfigYaml(opts: { https?: boolean } = {}): string {
      const useTls = (opts.https ?? tls !== undefined) && tls !== undefined;
      const cluster: Record<string, unknown> = { server: useTls ? server.url : server.httpUrl };
      if (useTls) cluster['certificate-authority-data'] = Buffer.from(tls.caPem).toString('base64');
      // client-node 2.x refuses plain-HTTP clusters unless TLS verification is marked as skipped.
      else cluster['insecure-skip-tls-verify'] = true;
      return stringifyYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'kube-edge-test', cluster }],
        users: [{ name: 'kube-edge-test', user: { token: ADMIN_TOKEN } }],
        contexts: [
          {
            name: 'kube-edge-test',
            context: { cluster: 'kube-edge-test', user: 'kube-edge-test', namespace: 'default' },
          },
        ],
        'current-context': 'kube-edge-test',
        preferences: {},
      });
    },
    async writeKubeconfig(path?: string): Promise<string> {
      let target = path;
      if (target === undefined) {
        const dir = await mkdtemp(join(tmpdir(), 'kube-edge-apiserver-'));
        tempDirs.push(dir);
        target = join(dir, 'kubeconfig');
      }
      await writeFile(target, server.kubeconfigYaml(), { mode: 0o600 });
      return target;
    },
    makeKubeConfig(): KubeConfig {
      const kc = new KubeConfig();
      kc.loadFromString(server.kubeconfigYaml());
      return kc;
    },
    store: storeApi,
    faults: {
      endWatches(): void {
        for (const w of [...watches]) w.end();
      },
      destroySockets(): void {
        for (const s of [...sockets]) s.destroy();
      },
      failNext(count: number, status: number, match?: FailMatch): void {
        if (count > 0) failRules.push({ remaining: count, status, match });
      },
      dropNext(count: number, match?: FailMatch): void {
        if (count > 0) failRules.push({ remaining: count, status: 0, match });
      },
      compact(opts: { closeWatches?: boolean } = {}): void {
        store.compact();
        if (opts.closeWatches === true) {
          const status = makeStatus(
            410,
            'Expired',
            `too old resource version: ${store.currentRv() - 1} (${store.currentRv()})`,
          );
          for (const w of [...watches]) w.gone(status);
        }
      },
      setLatency(ms: number): void {
        latencyMs = Math.max(0, ms);
      },
      sendBookmarks(): void {
        for (const w of [...watches]) w.bookmark();
      },
      reset(): void {
        failRules = [];
        latencyMs = 0;
      },
    },
    requests(): RequestRecord[] {
      return log.map((r) => ({ ...r }));
    },
    openWatches(): number {
      return watches.size;
    },
    clearRequests(): void {
      log = [];
    },
    stop,
    async restart(): Promise<void> {
      if (closed) throw new Error('the API test server was closed; start a new one');
      if (servers.length > 0) return;
      await startListening();
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await stop();
      await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
  return server;
}
