/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON bodies from the server under test are untyped */
// Runs against testkit's API test server and, when available, a real kube-apiserver: what they
// answer differently is either fixed in the test server or written down in the README
// ("Differences from a real kube-apiserver") and asserted per server here.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call as rawCall,
  openWatch as rawOpenWatch,
  waitFor,
  type CallOptions,
  type CallResult,
  type WatchReader,
} from '../../test/apiserver/helpers.js';
import { realApiServerAvailable, startRealApiServer } from './real-server.js';
import { startApiServer } from './server.js';
import type { ApiServer, ApiServerHandle } from './types.js';

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const real = realApiServerAvailable();
const servers: { name: string; kind: 'fake' | 'real'; start: () => Promise<ApiServerHandle> }[] = [
  { name: 'API test server', kind: 'fake', start: () => startApiServer({ bookmarkIntervalMs: 100 }) },
  {
    name: real.available ? 'real kube-apiserver' : `real kube-apiserver (skipped: ${real.reason})`,
    kind: 'real',
    start: () => startRealApiServer(),
  },
];

let server: ApiServerHandle;
let url: string;
let nsCounter = 0;

/** The server under test as the in-process test server, for fault injection and the store. */
function fake(): ApiServer {
  if (server.kind !== 'fake') throw new Error('this test needs the API test server');
  return server as ApiServer;
}

/** An HTTP call as the admin (token and CA of the server under test). */
function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  return rawCall(base, method, path, {
    ...options,
    ...(server.caPem === undefined ? {} : { ca: server.caPem }),
    headers: { Authorization: `Bearer ${server.adminToken}`, ...options.headers },
  });
}

/** A watch as the admin. */
function openWatch(base: string, path: string): Promise<WatchReader> {
  return rawOpenWatch(base, path, server.caPem, { Authorization: `Bearer ${server.adminToken}` });
}

/** The current resourceVersion of the whole server (a list's, which is etcd's revision on a real one). */
async function currentRv(): Promise<string> {
  return (await call(url, 'GET', '/api/v1/namespaces?limit=1')).body.metadata.resourceVersion;
}

async function freshNamespace(): Promise<string> {
  nsCounter++;
  // Zero-padded, so namespaces sort in creation order (lists are ordered by namespace, then name).
  const name = `t${String(nsCounter).padStart(3, '0')}`;
  const r = await call(url, 'POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  expect(r.status).toBe(201);
  return name;
}

function pod(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...extra },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.org' },
  spec: {
    group: 'example.org',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', shortNames: ['gd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object' } },
        subresources: { status: {} },
      },
    ],
  },
};

describe.each(servers)('$name', ({ kind, start }) => {
  const describeOn = kind === 'real' && !real.available ? describe.skip : describe;
  const itFake = kind === 'fake' ? it : it.skip;
  const isReal = kind === 'real';

  describeOn('against', () => {
    beforeAll(async () => {
      server = await start();
      url = server.url;
    }, 90_000);

    afterAll(async () => {
      await server?.close();
    });

    describe('discovery', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('serves /version, /api and /apis with every built-in group', async () => {
        expect((await call(url, 'GET', '/version')).body).toMatchObject({
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0',
        });
        expect((await call(url, 'GET', '/api')).body).toMatchObject({
          kind: 'APIVersions',
          versions: ['v1'],
        });
        const apis = (await call(url, 'GET', '/apis')).body;
        expect(apis.kind).toBe('APIGroupList');
        expect(apis.groups.map((g: { name: string }) => g.name).sort()).toEqual(
          [
            'apiextensions.k8s.io',
            'apps',
            'coordination.k8s.io',
            'discovery.k8s.io',
            'events.k8s.io',
            'networking.k8s.io',
          ].sort(),
        );
        const apps = (await call(url, 'GET', '/apis/apps')).body;
        expect(apps).toMatchObject({
          kind: 'APIGroup',
          name: 'apps',
          preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
        });
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('lists resources with scope, verbs, short names and status subresources', async () => {
        const core = (await call(url, 'GET', '/api/v1')).body;
        const byName = new Map<
          string,
          { namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[] }
        >(core.resources.map((r: { name: string }) => [r.name, r]));
        expect([...byName.keys()].filter((n) => !n.includes('/')).sort()).toEqual(
          ['configmaps', 'endpoints', 'events', 'namespaces', 'nodes', 'pods', 'secrets', 'services'].sort(),
        );
        expect(byName.get('namespaces')).toMatchObject({
          namespaced: false,
          kind: 'Namespace',
          shortNames: ['ns'],
        });
        expect(byName.get('nodes')?.namespaced).toBe(false);
        expect(byName.get('pods')).toMatchObject({ namespaced: true, kind: 'Pod' });
        expect(byName.get('pods')?.verbs).toEqual(
          expect.arrayContaining(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete']),
        );
        expect(byName.get('pods/status')?.verbs).toEqual(['get', 'patch', 'update']);
        expect(byName.has('configmaps/status')).toBe(false);
        const net = (await call(url, 'GET', '/apis/networking.k8s.io/v1')).body;
        expect(net.resources.find((r: { name: string }) => r.name === 'ingressclasses').namespaced).toBe(
          false,
        );
        expect(net.resources.find((r: { name: string }) => r.name === 'ingresses').namespaced).toBe(true);
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'refuses aggregated discovery and OpenAPI so kubectl falls back, but serves plain JSON when it is acceptable',
        async () => {
          const aggregated = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
          expect((await call(url, 'GET', '/apis', { headers: { Accept: aggregated } })).status).toBe(406);
          const withFallback = await call(url, 'GET', '/apis', {
            headers: { Accept: `${aggregated},application/json` },
          });
          expect(withFallback.status).toBe(200);
          expect(withFallback.body.kind).toBe('APIGroupList');
          expect((await call(url, 'GET', '/openapi/v2')).status).toBe(404);
          expect((await call(url, 'GET', '/openapi/v3')).status).toBe(404);
          expect((await call(url, 'GET', '/apis/nope.example.com/v1')).status).toBe(404);
        },
      );
    });

    describe('create, get, update and errors', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'creates with uid, creationTimestamp, resourceVersion and pod defaults, and gets it back',
        async () => {
          const ns = await freshNamespace();
          const created = await call(url, 'POST', `/api/v1/namespaces/${ns}/pods`, { body: pod('p1') });
          expect(created.status).toBe(201);
          expect(created.body.metadata).toMatchObject({ name: 'p1', namespace: ns });
          expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
          expect(created.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
          expect(Number(created.body.metadata.resourceVersion)).toBeGreaterThan(0);
          expect(created.body.status).toEqual({ phase: 'Pending' });
          const got = await call(url, 'GET', `/api/v1/namespaces/${ns}/pods/p1`);
          expect(got.body).toEqual(created.body);
        },
      );

      it('answers errors as Status objects with the real reasons and codes', async () => {
        const ns = await freshNamespace();
        await call(url, 'POST', `/api/v1/namespaces/${ns}/pods`, { body: pod('dup') });
        const again = await call(url, 'POST', `/api/v1/namespaces/${ns}/pods`, { body: pod('dup') });
        expect(again.status).toBe(409);
        expect(again.body).toMatchObject({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'AlreadyExists',
          code: 409,
          message: 'pods "dup" already exists',
          details: { name: 'dup', kind: 'pods' },
        });
        // The core group is left out, not sent as "".
        expect(again.body.details).not.toHaveProperty('group');
        const missing = await call(url, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/nope`);
        expect(missing.body).toMatchObject({
          code: 404,
          reason: 'NotFound',
          message: 'deployments.apps "nope" not found',
          details: { group: 'apps', kind: 'deployments' },
        });
        const noNs = await call(url, 'POST', '/api/v1/namespaces/does-not-exist/configmaps', {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
        });
        expect(noNs.body).toMatchObject({
          code: 404,
          reason: 'NotFound',
          message: 'namespaces "does-not-exist" not found',
        });
        const bad = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
        });
        expect(bad.status).toBe(422);
        expect(bad.body.reason).toBe('Invalid');
        expect(bad.body.message).toMatch(
          /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
        );
        expect(bad.body.details.causes).toEqual([
          expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' }),
        ]);
        const noName = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
        });
        expect(noName.body.details.causes).toEqual([
          {
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
            field: 'metadata.name',
          },
        ]);
        const svc = await call(url, 'POST', `/api/v1/namespaces/${ns}/services`, {
          body: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: '1svc' },
            spec: { ports: [{ port: 80 }] },
          },
        });
        expect(svc.status).toBe(422);
        const mismatch = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'other' } },
        });
        expect(mismatch.body).toMatchObject({ code: 400, reason: 'BadRequest' });
        expect((await call(url, 'GET', '/api/v1/namespaces/default/nodes')).status).toBe(404);
      });

      it('refuses an Ingress rule host that is not a lowercase DNS subdomain or wildcard (422), accepts one that is', async () => {
        const ns = await freshNamespace();
        const ingress = (name: string, host: string): Record<string, unknown> => ({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name },
          spec: { rules: [{ host }] },
        });
        const post = (name: string, host: string): Promise<CallResult> =>
          call(url, 'POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
            body: ingress(name, host),
          });
        for (const [i, host] of [
          'bad_host.example.com',
          'Upper.example.com',
          '*.*.example.com',
          '10.0.0.1',
          'a.*.example.com',
        ].entries()) {
          const r = await post(`bad-${i}`, host);
          expect({ host, status: r.status }).toEqual({ host, status: 422 });
          expect(r.body.reason).toBe('Invalid');
          expect(r.body.details).toMatchObject({ group: 'networking.k8s.io', kind: 'Ingress' });
          expect(r.body.details.causes).toEqual([
            expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.rules[0].host' }),
          ]);
        }
        for (const [i, host] of ['shop.example.com', '*.example.com', 'a-1.b'].entries())
          expect({ host, status: (await post(`good-${i}`, host)).status }).toEqual({ host, status: 201 });
      });

      it('accepts YAML bodies and defaults new namespaces like the real server', async () => {
        const r = await call(url, 'POST', '/api/v1/namespaces', {
          body: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n',
          contentType: 'application/yaml',
        });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({
          metadata: { name: 'from-yaml', labels: { 'kubernetes.io/metadata.name': 'from-yaml' } },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        });
      });

      it('generates names from generateName', async () => {
        const ns = await freshNamespace();
        const r = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } },
        });
        expect(r.status).toBe(201);
        expect(r.body.metadata.name).toMatch(/^cfg-[a-z0-9]{5}$/);
      });

      it('updates with optimistic concurrency: 409 Conflict on a stale resourceVersion', async () => {
        const ns = await freshNamespace();
        const created = (
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } },
          })
        ).body;
        const updated = await call(url, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, {
          body: { ...created, data: { a: '2' } },
        });
        expect(updated.status).toBe(200);
        expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
          Number(created.metadata.resourceVersion),
        );
        expect(updated.body.metadata.uid).toBe(created.metadata.uid);
        const stale = await call(url, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, {
          body: { ...created, data: { a: '3' } },
        });
        expect(stale.status).toBe(409);
        expect(stale.body).toMatchObject({
          reason: 'Conflict',
          message:
            'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again',
        });
        const { resourceVersion: _rv, ...metaWithoutRv } = created.metadata;
        const unconditional = await call(url, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, {
          body: { ...created, metadata: metaWithoutRv, data: { a: '4' } },
        });
        expect(unconditional.body.data).toEqual({ a: '4' });
        const noop = await call(url, 'PUT', `/api/v1/namespaces/${ns}/configmaps/c`, {
          body: unconditional.body,
        });
        expect(noop.body.metadata.resourceVersion).toBe(unconditional.body.metadata.resourceVersion);
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'allocates distinct ClusterIPs and node ports, keeps them on update and refuses a taken IP',
        async () => {
          const ns = await freshNamespace();
          const svc = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name },
            spec,
          });
          const a = (
            await call(url, 'POST', `/api/v1/namespaces/${ns}/services`, {
              body: svc('a', { ports: [{ port: 80 }] }),
            })
          ).body;
          const b = (
            await call(url, 'POST', `/api/v1/namespaces/${ns}/services`, {
              body: svc('b', { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] }),
            })
          ).body;
          const h = (
            await call(url, 'POST', `/api/v1/namespaces/${ns}/services`, {
              body: svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }),
            })
          ).body;
          expect(a.spec.clusterIP).toMatch(isReal ? /^127\.64\.\d+\.\d+$/ : /^10\.96\.\d+\.\d+$/);
          expect(b.spec.clusterIP).not.toBe(a.spec.clusterIP);
          expect(a.spec).toMatchObject({
            type: 'ClusterIP',
            clusterIPs: [a.spec.clusterIP],
            ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
          });
          expect(b.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
          expect(b.spec.ports[1].nodePort).not.toBe(b.spec.ports[0].nodePort);
          expect(h.spec.clusterIP).toBe('None');
          const { clusterIP: _ip, clusterIPs: _ips, ...specWithoutIp } = a.spec;
          const updated = await call(url, 'PUT', `/api/v1/namespaces/${ns}/services/a`, {
            body: { ...a, spec: { ...specWithoutIp, selector: { x: 'y' } } },
          });
          expect(updated.body.spec.clusterIP).toBe(a.spec.clusterIP);
          const taken = await call(url, 'POST', `/api/v1/namespaces/${ns}/services`, {
            body: svc('c', { clusterIP: a.spec.clusterIP, ports: [{ port: 80 }] }),
          });
          expect(taken.status).toBe(422);
          expect(taken.body.message).toContain('provided IP is already allocated');
        },
      );

      it('converts Secret stringData to base64 data', async () => {
        const ns = await freshNamespace();
        const r = await call(url, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
          body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { token: 'abc' } },
        });
        expect(r.body).toMatchObject({ type: 'Opaque', data: { token: 'YWJj' } });
        expect(r.body.stringData).toBeUndefined();
      });

      it('does not store anything for ?dryRun=All', async () => {
        const ns = await freshNamespace();
        const r = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=All`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
        });
        expect(r.status).toBe(201);
        expect((await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps/dry`)).status).toBe(404);
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('refuses protobuf bodies with 415 (kubectl create -f sends JSON)', async () => {
        const r = await call(url, 'POST', '/api/v1/namespaces', {
          body: 'k8s\u0000',
          contentType: 'application/vnd.kubernetes.protobuf',
        });
        expect(r.body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
      });
    });

    describe('list', () => {
      it('returns metadata.resourceVersion and items without kind (as the real server), in one namespace or all', async () => {
        const ns1 = await freshNamespace();
        const ns2 = await freshNamespace();
        for (const [ns, name] of [
          [ns1, 'b'],
          [ns1, 'a'],
          [ns2, 'c'],
        ] as const) {
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { set: 'list' } } },
          });
        }
        const one = (await call(url, 'GET', `/api/v1/namespaces/${ns1}/configmaps`)).body;
        expect(one).toMatchObject({
          kind: 'ConfigMapList',
          apiVersion: 'v1',
          // A real server writes in the background (its own Lease), so only the format is comparable there.
          metadata: {
            resourceVersion: isReal ? expect.stringMatching(/^\d+$/) : fake().store.resourceVersion(),
          },
        });
        expect(one.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['a', 'b']);
        expect(one.items[0].kind).toBeUndefined();
        const all = (await call(url, 'GET', '/api/v1/configmaps?labelSelector=set%3Dlist')).body;
        expect(
          all.items.map(
            (i: { metadata: { namespace: string; name: string } }) =>
              `${i.metadata.namespace}/${i.metadata.name}`,
          ),
        ).toEqual([`${ns1}/a`, `${ns1}/b`, `${ns2}/c`]);
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('filters by label selector (equality and set-based) and field selector', async () => {
        const ns = await freshNamespace();
        const mk = (name: string, labels: Record<string, string>, nodeName: string): Promise<unknown> =>
          call(url, 'POST', `/api/v1/namespaces/${ns}/pods`, {
            body: { ...pod(name, { labels }), spec: { nodeName, containers: [] } },
          });
        await mk('p1', { app: 'web', tier: 'front' }, 'n1');
        await mk('p2', { app: 'web', tier: 'back' }, 'n2');
        await mk('p3', { app: 'db' }, 'n1');
        const names = async (query: string): Promise<string[]> =>
          (await call(url, 'GET', `/api/v1/namespaces/${ns}/pods?${query}`)).body.items.map(
            (i: { metadata: { name: string } }) => i.metadata.name,
          );
        expect(await names(`labelSelector=${encodeURIComponent('app=web')}`)).toEqual(['p1', 'p2']);
        expect(
          await names(`labelSelector=${encodeURIComponent('app in (web,db),tier notin (back)')}`),
        ).toEqual(['p1', 'p3']);
        expect(await names(`labelSelector=${encodeURIComponent('!tier')}`)).toEqual(['p3']);
        expect(await names(`fieldSelector=${encodeURIComponent('spec.nodeName=n1')}`)).toEqual(['p1', 'p3']);
        expect(
          await names(`fieldSelector=${encodeURIComponent('metadata.name!=p1,status.phase=Pending')}`),
        ).toEqual(['p2', 'p3']);
        const bad = await call(
          url,
          'GET',
          `/api/v1/namespaces/${ns}/configmaps?fieldSelector=spec.nodeName%3Dn1`,
        );
        expect(bad.body).toMatchObject({
          code: 400,
          reason: 'BadRequest',
          message: 'field label not supported: spec.nodeName',
        });
      });

      it('pages with limit and continue, reporting the first page resourceVersion and remainingItemCount', async () => {
        const ns = await freshNamespace();
        for (let i = 0; i < 7; i++) {
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } },
          });
        }
        const seen: string[] = [];
        let cont = '';
        let pages = 0;
        let firstRv = '';
        do {
          const r = (
            await call(
              url,
              'GET',
              `/api/v1/namespaces/${ns}/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
            )
          ).body;
          if (pages === 0) {
            firstRv = r.metadata.resourceVersion;
            expect(r.metadata.remainingItemCount).toBe(4);
          }
          expect(r.metadata.resourceVersion).toBe(firstRv);
          seen.push(...r.items.map((i: { metadata: { name: string } }) => i.metadata.name));
          cont = r.metadata.continue ?? '';
          pages++;
        } while (cont !== '' && pages < 10);
        expect(pages).toBe(3);
        expect(seen).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
      });
    });

    describe('list consistency', () => {
      it('serves later pages at the first page resourceVersion, unaffected by writes in between', async () => {
        const ns = await freshNamespace();
        for (let i = 0; i < 6; i++) {
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: '1' } },
          });
        }
        const first = (await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=3`)).body;
        await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/cm-4`);
        await call(url, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/cm-5`, {
          body: { data: { v: '2' } },
          contentType: 'application/merge-patch+json',
        });
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-9' } },
        });
        const second = (
          await call(
            url,
            'GET',
            `/api/v1/namespaces/${ns}/configmaps?limit=10&continue=${encodeURIComponent(first.metadata.continue)}`,
          )
        ).body;
        expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
        expect(
          second.items.map(
            (i: { metadata: { name: string }; data: { v: string } }) => `${i.metadata.name}=${i.data.v}`,
          ),
        ).toEqual(['cm-3=1', 'cm-4=1', 'cm-5=1']);
        expect(second.metadata.continue).toBeUndefined();
        const exact = (
          await call(
            url,
            'GET',
            `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`,
          )
        ).body;
        expect(exact.items).toHaveLength(6);
        const now = (await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps`)).body;
        expect(now.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
          'cm-0',
          'cm-1',
          'cm-2',
          'cm-3',
          'cm-5',
          'cm-9',
        ]);
        // An expired continue token needs fault injection: a real server's history is only compacted every 5 minutes.
        if (isReal) return;
        fake().faults.compact();
        const gone = await call(
          url,
          'GET',
          `/api/v1/namespaces/${ns}/configmaps?limit=10&continue=${encodeURIComponent(first.metadata.continue)}`,
        );
        expect(gone.body).toMatchObject({ code: 410, reason: 'Expired' });
      });
    });

    describe('patch', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('applies JSON merge, strategic merge and JSON patches', async () => {
        const ns = await freshNamespace();
        const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
        await call(url, 'POST', base, {
          body: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'd', labels: { a: '1' } },
            spec: {
              replicas: 1,
              selector: { matchLabels: { a: '1' } },
              template: {
                metadata: { labels: { a: '1' } },
                spec: {
                  containers: [
                    { name: 'web', image: 'nginx:1' },
                    { name: 'side', image: 'busybox' },
                  ],
                },
              },
            },
          },
        });
        const merge = await call(url, 'PATCH', `${base}/d`, {
          body: { metadata: { labels: { b: '2', a: null } } },
          contentType: 'application/merge-patch+json',
        });
        expect(merge.body.metadata.labels).toEqual({ b: '2' });
        const smp = await call(url, 'PATCH', `${base}/d`, {
          body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } },
          contentType: 'application/strategic-merge-patch+json',
        });
        expect(smp.body.spec.template.spec.containers).toEqual([
          { name: 'web', image: 'nginx:2' },
          { name: 'side', image: 'busybox' },
        ]);
        expect(smp.body.metadata.generation).toBe(2);
        const json = await call(url, 'PATCH', `${base}/d`, {
          body: [{ op: 'replace', path: '/spec/replicas', value: 4 }],
          contentType: 'application/json-patch+json',
        });
        expect(json.body.spec.replicas).toBe(4);
        const stale = await call(url, 'PATCH', `${base}/d`, {
          body: { metadata: { resourceVersion: '1' }, spec: { replicas: 9 } },
          contentType: 'application/merge-patch+json',
        });
        expect(stale.body).toMatchObject({ code: 409, reason: 'Conflict' });
        const apply = await call(url, 'PATCH', `${base}/d`, {
          body: '{}',
          contentType: 'application/apply-patch+yaml',
        });
        expect(apply.body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
        const failedTest = await call(url, 'PATCH', `${base}/d`, {
          body: [{ op: 'test', path: '/spec/replicas', value: 1 }],
          contentType: 'application/json-patch+json',
        });
        expect(failedTest.status).toBe(422);
      });
    });

    describe('status subresource', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('keeps status on main-resource writes and spec on /status writes', async () => {
        const ns = await freshNamespace();
        const base = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
        const created = (
          await call(url, 'POST', base, {
            body: {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              metadata: { name: 'i' },
              spec: { ingressClassName: 'a' },
              status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } },
            },
          })
        ).body;
        const put = await call(url, 'PUT', `${base}/i`, {
          body: {
            ...created,
            spec: { ingressClassName: 'b' },
            status: { loadBalancer: { ingress: [{ ip: '9.9.9.9' }] } },
          },
        });
        expect(put.body.spec.ingressClassName).toBe('b');
        expect(put.body.status).toEqual(created.status);
        expect(put.body.metadata.generation).toBe(2);
        const status = await call(url, 'PUT', `${base}/i/status`, {
          body: {
            ...put.body,
            spec: { ingressClassName: 'c' },
            status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } },
          },
        });
        expect(status.body.spec.ingressClassName).toBe('b');
        expect(status.body.status).toEqual({ loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } });
        expect(status.body.metadata.generation).toBe(2);
        const patched = await call(url, 'PATCH', `${base}/i/status`, {
          body: { status: { loadBalancer: { ingress: [{ ip: '2.2.2.2' }] } } },
          contentType: 'application/merge-patch+json',
        });
        expect(patched.body.status.loadBalancer.ingress).toEqual([{ ip: '2.2.2.2' }]);
        expect((await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps/x/status`)).status).toBe(404);
      });
    });

    describe('delete', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('marks objects with finalizers and removes them when the last finalizer goes', async () => {
        const ns = await freshNamespace();
        const created = (
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'f', finalizers: ['example.com/keep'] },
            },
          })
        ).body;
        const w = await openWatch(
          url,
          `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${created.metadata.resourceVersion}`,
        );
        const del = await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/f`);
        expect(del.status).toBe(200);
        expect(del.body.metadata.deletionTimestamp).toBeDefined();
        expect(
          (await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps/f`)).body.metadata.deletionTimestamp,
        ).toBe(del.body.metadata.deletionTimestamp);
        const addFinalizer = await call(url, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/f`, {
          body: { metadata: { finalizers: ['example.com/keep', 'example.com/new'] } },
          contentType: 'application/merge-patch+json',
        });
        expect(addFinalizer.status).toBe(422);
        await call(url, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/f`, {
          body: { metadata: { finalizers: null } },
          contentType: 'application/merge-patch+json',
        });
        expect((await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps/f`)).status).toBe(404);
        const events = await w.waitForCount(2);
        expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
        expect(events[1]?.object.metadata.finalizers).toBeUndefined();
        w.close();
      });

      it('checks delete preconditions and answers 404 for a missing object', async () => {
        const ns = await freshNamespace();
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' } },
        });
        const pre = await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/p`, {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } },
        });
        expect(pre.body).toMatchObject({ code: 409, reason: 'Conflict' });
        expect((await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/p`)).status).toBe(200);
        expect((await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/p`)).body).toMatchObject({
          code: 404,
          reason: 'NotFound',
        });
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'cascades namespace deletion: Terminating, contents deleted, new content forbidden, gone when finalizers are',
        async () => {
          const ns = await freshNamespace();
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } },
          });
          await call(url, 'POST', `/api/v1/namespaces/${ns}/pods`, {
            body: pod('held', { finalizers: ['example.com/hold'] }),
          });
          const del = await call(url, 'DELETE', `/api/v1/namespaces/${ns}`);
          expect(del.body.status.phase).toBe('Terminating');
          expect((await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps/plain`)).status).toBe(404);
          expect(
            (await call(url, 'GET', `/api/v1/namespaces/${ns}/pods/held`)).body.metadata.deletionTimestamp,
          ).toBeDefined();
          const forbidden = await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } },
          });
          expect(forbidden.body).toMatchObject({ code: 403, reason: 'Forbidden' });
          expect(forbidden.body.message).toContain(
            `unable to create new content in namespace ${ns} because it is being terminated`,
          );
          expect((await call(url, 'GET', `/api/v1/namespaces/${ns}`)).status).toBe(200);
          await call(url, 'PATCH', `/api/v1/namespaces/${ns}/pods/held`, {
            body: { metadata: { finalizers: [] } },
            contentType: 'application/merge-patch+json',
          });
          expect((await call(url, 'GET', `/api/v1/namespaces/${ns}/pods/held`)).status).toBe(404);
          expect((await call(url, 'GET', `/api/v1/namespaces/${ns}`)).status).toBe(404);
        },
      );

      it('deletes a collection by label selector', async () => {
        const ns = await freshNamespace();
        for (const [name, keep] of [
          ['a', 'no'],
          ['b', 'no'],
          ['c', 'yes'],
        ]) {
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { keep } } },
          });
        }
        expect(
          (await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps?labelSelector=keep%3Dno`)).status,
        ).toBe(200);
        expect(
          (await call(url, 'GET', `/api/v1/namespaces/${ns}/configmaps`)).body.items.map(
            (o: { metadata: { name: string } }) => o.metadata.name,
          ),
        ).toEqual(['c']);
      });
    });

    describe('custom resources', () => {
      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'serves custom resources of a CRD registered at run time, and removes them with the CRD',
        async () => {
          const ns = await freshNamespace();
          const crd = await call(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
            body: widgetCrd,
          });
          expect(crd.status).toBe(201);
          expect(
            crd.body.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`),
          ).toEqual(['NamesAccepted=True', 'Established=True']);
          const disc = (await call(url, 'GET', '/apis/example.org/v1')).body;
          expect(disc.resources.map((r: { name: string }) => r.name)).toEqual(['gadgets', 'gadgets/status']);
          expect(
            (await call(url, 'GET', '/apis')).body.groups.map((g: { name: string }) => g.name),
          ).toContain('example.org');
          const base = `/apis/example.org/v1/namespaces/${ns}/gadgets`;
          const g = await call(url, 'POST', base, {
            body: {
              apiVersion: 'example.org/v1',
              kind: 'Gadget',
              metadata: { name: 'g1' },
              spec: { size: 1 },
            },
          });
          expect(g.status).toBe(201);
          const list = (await call(url, 'GET', '/apis/example.org/v1/gadgets')).body;
          expect(list).toMatchObject({
            kind: 'GadgetList',
            items: [{ apiVersion: 'example.org/v1', kind: 'Gadget', metadata: { name: 'g1' } }],
          });
          const { resourceVersion: _rv, ...meta } = g.body.metadata;
          const noRv = await call(url, 'PUT', `${base}/g1`, { body: { ...g.body, metadata: meta } });
          expect(noRv.status).toBe(422);
          const smp = await call(url, 'PATCH', `${base}/g1`, {
            body: { spec: { size: 2 } },
            contentType: 'application/strategic-merge-patch+json',
          });
          expect(smp.status).toBe(415);
          const merge = await call(url, 'PATCH', `${base}/g1`, {
            body: { spec: { size: 2 } },
            contentType: 'application/merge-patch+json',
          });
          expect(merge.body.spec.size).toBe(2);
          expect(merge.body.metadata.generation).toBe(2);
          expect(
            (
              await call(
                url,
                'DELETE',
                '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org',
              )
            ).status,
          ).toBe(200);
          expect((await call(url, 'GET', '/apis/example.org/v1')).status).toBe(404);
          expect((await call(url, 'GET', base)).status).toBe(404);
        },
      );

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('serves a cluster-scoped CRD at every served version, rewriting only apiVersion', async () => {
        const crd = {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'pools.lb.example.org' },
          spec: {
            group: 'lb.example.org',
            scope: 'Cluster',
            names: { plural: 'pools', singular: 'pool', kind: 'Pool' },
            versions: [
              { name: 'v1beta1', served: true, storage: false },
              { name: 'v1', served: true, storage: true },
              { name: 'v1alpha1', served: false, storage: false },
            ],
          },
        };
        expect(
          (await call(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd }))
            .status,
        ).toBe(201);
        const group = (await call(url, 'GET', '/apis/lb.example.org')).body;
        expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1']);
        expect(group.preferredVersion.version).toBe('v1');
        expect((await call(url, 'GET', '/apis/lb.example.org/v1alpha1/pools')).status).toBe(404);
        const created = await call(url, 'POST', '/apis/lb.example.org/v1beta1/pools', {
          body: { apiVersion: 'lb.example.org/v1beta1', kind: 'Pool', metadata: { name: 'p' } },
        });
        expect(created.body).toMatchObject({ apiVersion: 'lb.example.org/v1beta1', metadata: { name: 'p' } });
        expect(created.body.metadata.namespace).toBeUndefined();
        expect((await call(url, 'GET', '/apis/lb.example.org/v1/pools/p')).body.apiVersion).toBe(
          'lb.example.org/v1',
        );
        expect((await call(url, 'GET', '/apis/lb.example.org/v1/namespaces/default/pools/p')).status).toBe(
          404,
        );
        const disc = (await call(url, 'GET', '/apis/lb.example.org/v1')).body;
        expect(disc.resources).toEqual([
          expect.objectContaining({ name: 'pools', namespaced: false, kind: 'Pool' }),
        ]);
      });

      it('rejects a CRD whose name is not plural.group', async () => {
        const r = await call(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
          body: { ...widgetCrd, metadata: { name: 'wrong.example.org' } },
        });
        expect(r.body).toMatchObject({ code: 422, reason: 'Invalid' });
      });
    });

    describe('watch', () => {
      it('starts with synthetic ADDED events without a resourceVersion, then streams changes as chunked NDJSON', async () => {
        const ns = await freshNamespace();
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' } },
        });
        const w = await openWatch(url, `/api/v1/namespaces/${ns}/configmaps?watch=true`);
        expect(w.status).toBe(200);
        expect(w.headers['transfer-encoding']).toBe('chunked');
        expect(w.headers['content-type']).toBe('application/json');
        await w.waitForCount(1);
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } },
        });
        await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/old`);
        const events = await w.waitForCount(3);
        expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
          'ADDED old',
          'ADDED new',
          'DELETED old',
        ]);
        expect(events[1]?.object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
        w.close();
      });

      it('replays history after resourceVersion=N, with each event carrying its own resourceVersion', async () => {
        const ns = await freshNamespace();
        const rv0 = await currentRv();
        const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'h' }, data: { a: '1' } };
        const c = (await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body })).body;
        await call(url, 'PUT', `/api/v1/namespaces/${ns}/configmaps/h`, { body: { ...c, data: { a: '2' } } });
        await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/h`);
        const w = await openWatch(
          url,
          `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv0}`,
        );
        const events = await w.waitForCount(3);
        expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
        const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
        expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
        expect(new Set(rvs).size).toBe(3);
        w.close();
      });

      it('sends DELETED/ADDED when an object leaves or enters the label selector', async () => {
        const ns = await freshNamespace();
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', labels: { on: 'yes' } } },
        });
        const w = await openWatch(
          url,
          `/api/v1/namespaces/${ns}/configmaps?watch=true&labelSelector=on%3Dyes`,
        );
        await w.waitForCount(1);
        const patch = (v: string): Promise<unknown> =>
          call(url, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/m`, {
            body: { metadata: { labels: { on: v } } },
            contentType: 'application/merge-patch+json',
          });
        await patch('no');
        await patch('yes');
        const events = await w.waitForCount(3);
        expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
        w.close();
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'sends BOOKMARK events when allowWatchBookmarks=true, and ends the stream at timeoutSeconds',
        async () => {
          const ns = await freshNamespace();
          const started = Date.now();
          const w = await openWatch(
            url,
            `/api/v1/namespaces/${ns}/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${await currentRv()}`,
          );
          await w.waitForCount(1);
          expect(w.events[0]).toEqual({
            type: 'BOOKMARK',
            object: {
              kind: 'Pod',
              apiVersion: 'v1',
              metadata: { resourceVersion: await currentRv() },
            },
          });
          expect(await w.done).toBe('end');
          expect(Date.now() - started).toBeGreaterThanOrEqual(900);
          expect(Date.now() - started).toBeLessThan(10_000);
        },
      );

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'also watches through the legacy /watch/ prefix and a single object with ?watch=true',
        async () => {
          const ns = await freshNamespace();
          const rv = await currentRv();
          const legacy = await openWatch(
            url,
            `/api/v1/watch/namespaces/${ns}/configmaps?resourceVersion=${rv}`,
          );
          const single = await openWatch(
            url,
            `/api/v1/namespaces/${ns}/configmaps/one?watch=true&resourceVersion=${rv}`,
          );
          for (const name of ['one', 'two']) {
            await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
              body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
            });
          }
          expect((await legacy.waitForCount(2)).map((e) => e.object.metadata.name)).toEqual(['one', 'two']);
          await sleepMs(50);
          expect(single.events.map((e) => e.object.metadata.name)).toEqual(['one']);
          if (!isReal)
            expect(
              fake()
                .requests()
                .filter((r) => r.path.startsWith('/api/v1/watch/'))
                .every((r) => r.watch),
            ).toBe(true);
          legacy.close();
          single.close();
        },
      );

      itFake('sends a BOOKMARK on demand with faults.sendBookmarks()', async () => {
        const quiet = await startApiServer({ bookmarkIntervalMs: 60_000 });
        try {
          const w = await openWatch(
            quiet.url,
            `/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${quiet.store.resourceVersion()}`,
          );
          const plain = await openWatch(
            quiet.url,
            `/api/v1/pods?watch=true&resourceVersion=${quiet.store.resourceVersion()}`,
          );
          await waitFor(() => quiet.requests().filter((r) => r.watch).length === 2);
          quiet.faults.sendBookmarks();
          expect((await w.waitForCount(1))[0]?.type).toBe('BOOKMARK');
          await sleepMs(50);
          expect(plain.events).toEqual([]);
          w.close();
          plain.close();
        } finally {
          await quiet.close();
        }
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake('supports sendInitialEvents with the initial-events-end bookmark', async () => {
        const ns = await freshNamespace();
        await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        });
        const w = await openWatch(
          url,
          `/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
        );
        const events = await w.waitForCount(2);
        expect(events[0]?.type).toBe('ADDED');
        expect(events[1]).toMatchObject({
          type: 'BOOKMARK',
          object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
        });
        w.close();
      });

      // Fake only: a real kube-apiserver answers differently (README, "Differences from a real kube-apiserver").
      itFake(
        'answers 410 Expired as an ERROR event for a resourceVersion older than the history',
        async () => {
          const ns = await freshNamespace();
          // A real server's watch cache starts at its start-up revision, so resourceVersion 1 is older than
          // its history; the test server's history is dropped by fault injection.
          const old = isReal ? '1' : await currentRv();
          await call(url, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
          });
          if (!isReal) fake().faults.compact();
          const w = await openWatch(
            url,
            `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${old}`,
          );
          expect(w.status).toBe(200);
          expect(await w.done).toBe('end');
          expect(w.events).toEqual([
            {
              type: 'ERROR',
              object: expect.objectContaining({
                kind: 'Status',
                code: 410,
                reason: 'Expired',
                message: expect.stringMatching(/^too old resource version: /),
              }),
            },
          ]);
          const current = await openWatch(
            url,
            `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${await currentRv()}`,
          );
          await call(url, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/x`);
          expect((await current.waitForCount(1))[0]?.type).toBe('DELETED');
          current.close();
        },
      );

      itFake('closes open watches with an ERROR 410 event on compact({ closeWatches: true })', async () => {
        const ns = await freshNamespace();
        const w = await openWatch(
          url,
          `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${fake().store.resourceVersion()}`,
        );
        await waitFor(() =>
          fake()
            .requests()
            .some((r) => r.watch && r.query.includes(`resourceVersion=`) && r.path.includes(ns)),
        );
        fake().faults.compact({ closeWatches: true });
        expect(await w.done).toBe('end');
        expect(w.events.map((e) => `${e.type} ${String(e.object.code)}`)).toEqual(['ERROR 410']);
      });
    });

    describe('bounded history', () => {
      itFake(
        'answers HTTP 410 when configured with watchGone: status and the history overflowed',
        async () => {
          const small = await startApiServer({ historySize: 3, watchGone: 'status' });
          try {
            const start = small.store.resourceVersion();
            for (let i = 0; i < 5; i++)
              small.store.create({
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: `c${i}`, namespace: 'default' },
              });
            const gone = await call(
              small.url,
              'GET',
              `/api/v1/configmaps?watch=true&resourceVersion=${start}`,
            );
            expect(gone.status).toBe(410);
            expect(gone.body).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
            const recent = await openWatch(
              small.url,
              `/api/v1/configmaps?watch=true&resourceVersion=${Number(small.store.resourceVersion()) - 2}`,
            );
            expect((await recent.waitForCount(2)).map((e) => e.object.metadata.name)).toEqual(['c3', 'c4']);
            recent.close();
          } finally {
            await small.close();
          }
        },
      );
    });
  });
});
