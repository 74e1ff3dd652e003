/* eslint-disable @typescript-eslint/no-unsafe-call -- JSON bodies from the server under test are untyped */
// The test-facing API of the server: store, seeds, faults, request log, HTTPS, stop/restart.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { call, openWatch, waitFor } from '../../test/apiserver/helpers.js';
import { ROUTEGROUP_CRD_FILE } from './crd-files.js';
import { KubeApiError } from './errors.js';
import { startApiServer } from './server.js';
import type { ApiServer, KubeObject } from './types.js';

const seedDir = fileURLToPath(new URL('../../testdata/apiserver/seed', import.meta.url));

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer({ seedFiles: [seedDir] });
});

afterAll(async () => {
  await server.close();
});

describe('seeds', () => {
  it('loads YAML and JSON files of a directory, namespaces and CRDs first, List kinds expanded', () => {
    expect(server.store.get('example.com/v1', 'Widget', 'shop', 'first')).toMatchObject({
      spec: { size: 3 },
    });
    expect(server.store.get('v1', 'ConfigMap', 'shop', 'settings')).toMatchObject({ data: { mode: 'fast' } });
    expect(server.store.list('v1', 'Node').map((n) => n.metadata.name)).toEqual(['node-a', 'node-b']);
  });

  it('serves seeded custom resources through discovery and the REST API', async () => {
    const disc = await call(server.url, 'GET', '/apis/example.com/v1');
    expect(disc.body.resources.map((r: { name: string }) => r.name)).toEqual(['widgets', 'widgets/status']);
    const list = await call(server.url, 'GET', '/apis/example.com/v1/namespaces/shop/widgets');
    expect(list.body.items.map((i: KubeObject) => i.metadata.name)).toEqual(['first']);
  });

  it('loads inline YAML text with store.loadYaml', () => {
    const created = server.store.loadYaml(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inline, namespace: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: inline-ns}\n',
    );
    expect(created.map((o) => `${o.kind}/${o.metadata.name ?? ''}`)).toEqual([
      'Namespace/inline-ns',
      'ConfigMap/inline',
    ]);
  });

  it('ROUTEGROUP_CRD_FILE serves namespaced zalando.org/v1 RouteGroups with a status subresource', async () => {
    expect(server.store.loadYaml(ROUTEGROUP_CRD_FILE).map((o) => o.metadata.name)).toEqual([
      'routegroups.zalando.org',
    ]);
    const disc = await call(server.url, 'GET', '/apis/zalando.org/v1');
    expect(
      disc.body.resources.map((r: { name: string; namespaced: boolean }) => [r.name, r.namespaced]),
    ).toEqual([
      ['routegroups', true],
      ['routegroups/status', true],
    ]);
    server.store.create({
      apiVersion: 'zalando.org/v1',
      kind: 'RouteGroup',
      metadata: { name: 'rg', namespace: 'shop' },
      spec: { hosts: ['rg.example.org'] },
    });
    const put = await call(server.url, 'PUT', '/apis/zalando.org/v1/namespaces/shop/routegroups/rg/status', {
      body: {
        ...server.store.get('zalando.org/v1', 'RouteGroup', 'shop', 'rg'),
        status: { loadBalancer: { routegroup: [{ hostname: 'lb.example.org' }] } },
      },
    });
    expect(put.status).toBe(200);
    expect(server.store.get('zalando.org/v1', 'RouteGroup', 'shop', 'rg')).toMatchObject({
      spec: { hosts: ['rg.example.org'] },
      status: { loadBalancer: { routegroup: [{ hostname: 'lb.example.org' }] } },
    });
  });
});

describe('store API', () => {
  it('deep-copies objects in and out', () => {
    const input = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'copy', namespace: 'default' },
      data: { a: '1' },
    };
    const created = server.store.create(input);
    input.data.a = 'changed-input';
    created.data.a = 'changed-output';
    const got = server.store.get<typeof input>('v1', 'ConfigMap', 'default', 'copy');
    expect(got?.data).toEqual({ a: '1' });
    got!.data.a = 'changed-get';
    expect(
      server.store.list<typeof input>('v1', 'ConfigMap', 'default').find((o) => o.metadata.name === 'copy')
        ?.data,
    ).toEqual({ a: '1' });
  });

  it('updates with optimistic concurrency and writes status directly', () => {
    const created = server.store.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sp', namespace: 'default' },
      spec: { containers: [] },
    });
    const updated = server.store.update({ ...created, status: { phase: 'Running' } });
    expect(updated['status']).toEqual({ phase: 'Running' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    let err: unknown;
    try {
      server.store.update({ ...created, status: { phase: 'Failed' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(() => server.store.get('v1', 'Nope', 'default', 'x')).toThrow(/no kind "Nope"/);
    expect(() => server.store.delete('v1', 'Pod', 'default', 'missing')).toThrow(
      expect.objectContaining({ code: 404 }),
    );
    expect(() =>
      server.store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'missing' } }),
    ).toThrow(expect.objectContaining({ code: 404, message: 'namespaces "missing" not found' }));
  });

  it('emits watch events for store writes with one increasing resourceVersion', async () => {
    const from = server.store.resourceVersion();
    const w = await openWatch(
      server.url,
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}`,
    );
    server.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ev', namespace: 'default' },
    });
    server.store.patchMerge('v1', 'ConfigMap', 'default', 'ev', { data: { x: 'y' } });
    server.store.delete('v1', 'ConfigMap', 'default', 'ev');
    const events = await w.waitForCount(3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events.map((e) => Number(e.object.metadata.resourceVersion))).toEqual([
      Number(from) + 1,
      Number(from) + 2,
      Number(from) + 3,
    ]);
    w.close();
  });
});

describe('faults', () => {
  it('answers the next N matching requests with the given code and a Status, then recovers', async () => {
    server.faults.failNext(2, 503, { pathIncludes: '/configmaps' });
    const first = await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.body).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' });
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(503);
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    server.faults.failNext(1, 500, { method: 'POST' });
    expect((await call(server.url, 'GET', '/api/v1/namespaces')).status).toBe(200);
    const post = await call(server.url, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'f' } },
    });
    expect(post.body).toMatchObject({ code: 500, reason: 'InternalError' });
    server.faults.failNext(1, 429);
    expect((await call(server.url, 'GET', '/version')).body).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
    });
  });

  it('drops the next matching requests without an answer', async () => {
    server.faults.dropNext(1, { pathIncludes: '/version' });
    await expect(call(server.url, 'GET', '/version')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await call(server.url, 'GET', '/version')).status).toBe(200);
    expect(
      server
        .requests()
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([0, 200]);
  });

  it('counts open watch streams and forgets the ones clients close', async () => {
    const before = server.openWatches();
    const w = await openWatch(
      server.url,
      `/api/v1/pods?watch=true&resourceVersion=${server.store.resourceVersion()}`,
    );
    await waitFor(() => server.openWatches() === before + 1);
    w.close();
    await waitFor(() => server.openWatches() === before, 2000, 'the closed watch to be forgotten');
  });

  it('adds latency to every request until reset', async () => {
    server.faults.setLatency(2000);
    const started = Date.now();
    await call(server.url, 'GET', '/version');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1990);
    server.faults.reset();
    const again = Date.now();
    await call(server.url, 'GET', '/version');
    expect(Date.now() - again).toBeLessThan(1500);
  });

  it('ends watch streams cleanly with endWatches and cuts them with destroySockets', async () => {
    const path = `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${server.store.resourceVersion()}`;
    const clean = await openWatch(server.url, path);
    await waitFor(() => server.requests().filter((r) => r.watch).length > 0);
    server.faults.endWatches();
    expect(await clean.done).toBe('end');
    const cut = await openWatch(server.url, path);
    server.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cut', namespace: 'default' },
      spec: { containers: [] },
    });
    await cut.waitForCount(1);
    server.faults.destroySockets();
    expect(await cut.done).toBe('error');
  });

  it('stops (connections refused) and restarts on the same port with state and resourceVersion kept', async () => {
    server.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'survivor', namespace: 'default' },
    });
    const rv = server.store.resourceVersion();
    const port = server.port;
    await server.stop();
    await expect(call(server.url, 'GET', '/version')).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    expect(server.port).toBe(port);
    const got = await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps/survivor');
    expect(got.status).toBe(200);
    const next = server.store.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'after', namespace: 'default' },
    });
    expect(Number(next.metadata.resourceVersion)).toBe(Number(rv) + 1);
  });

  it('logs every request with method, path, query, watch flag and status', async () => {
    server.clearRequests();
    await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps/nope');
    await call(server.url, 'GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%3Db');
    expect(server.requests()).toEqual([
      {
        method: 'GET',
        path: '/api/v1/namespaces/default/configmaps/nope',
        query: '',
        watch: false,
        status: 404,
      },
      {
        method: 'GET',
        path: '/api/v1/namespaces/default/configmaps',
        query: 'labelSelector=a%3Db',
        watch: false,
        status: 200,
      },
    ]);
  });
});

describe('HTTPS', () => {
  it('serves HTTPS with a self-signed certificate that client-node trusts through the kubeconfig, and plain HTTP beside it', async () => {
    const tls = await startApiServer({ https: true });
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(tls.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(tls.caPem).toContain('BEGIN CERTIFICATE');
      expect(tls.kubeconfigYaml()).toContain('certificate-authority-data');
      const api = tls.makeKubeConfig().makeApiClient(CoreV1Api);
      const list = await api.listNamespace();
      expect(list.items.map((n) => n.metadata?.name)).toContain('default');
      expect((await call(tls.url, 'GET', '/version', { ca: tls.caPem! })).status).toBe(200);
      await expect(call(tls.url, 'GET', '/version')).rejects.toThrow(/self-signed|certificate/);
      expect((await call(tls.httpUrl, 'GET', '/version')).status).toBe(200);
      const path = await tls.writeKubeconfig();
      expect(await readFile(path, 'utf8')).toBe(tls.kubeconfigYaml());
      await tls.stop();
      await tls.restart();
      expect((await api.listNamespace()).items.length).toBe(4);
    } finally {
      await tls.close();
    }
  });
});
