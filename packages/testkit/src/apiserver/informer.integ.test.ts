// Fidelity: @kubernetes/client-node's informer (ListWatch) against the test server and a real
// kube-apiserver (without faults), and against the test server after every injected fault. client-node's informer stops for good on most errors
// (see TOOLCHAIN.md), so, as k8s-watch will, the harness restarts it on `error` unless stopped.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  ListWatch,
  makeInformer,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { fidelityServers, waitFor } from '../../test/apiserver/helpers.js';
import { adminRequest } from './real-server.js';
import { startApiServer } from './server.js';
import type { ApiServer, ApiServerHandle, KubeObject } from './types.js';

interface Harness {
  informer: ListWatch<V1ConfigMap>;
  adds: string[];
  updates: string[];
  deletes: string[];
  errors: number;
  stop(): Promise<void>;
}

const running: Harness[] = [];

function startInformer(
  server: ApiServerHandle,
  kc: KubeConfig,
  namespace: string,
  labelSelector?: string,
): Harness {
  const api = kc.makeApiClient(CoreV1Api);
  const listFn = (): Promise<{ metadata?: { resourceVersion?: string }; items: V1ConfigMap[] }> =>
    api.listNamespacedConfigMap(labelSelector === undefined ? { namespace } : { namespace, labelSelector });
  // The real ListWatch, with its reconnect back-off (1 s doubling to 30 s) capped at 50 ms to keep the suite fast.
  const informer = new ListWatch<V1ConfigMap>(
    `/api/v1/namespaces/${namespace}/configmaps`,
    new Watch(kc),
    listFn,
    false,
    labelSelector,
    undefined,
    {
      delayFn: (ms) => sleep(Math.min(ms, 50)),
    },
  );
  let stopped = false;
  const h: Harness = {
    informer,
    adds: [],
    updates: [],
    deletes: [],
    errors: 0,
    async stop(): Promise<void> {
      stopped = true;
      await informer.stop();
    },
  };
  informer.on('add', (o) => h.adds.push(o.metadata?.name ?? ''));
  informer.on('update', (o) => h.updates.push(o.metadata?.name ?? ''));
  informer.on('delete', (o) => h.deletes.push(o.metadata?.name ?? ''));
  informer.on('error', () => {
    h.errors++;
    if (stopped || h.errors > 500) return;
    setTimeout(() => {
      if (!stopped) void informer.start().catch(() => undefined);
    }, 20);
  });
  running.push(h);
  void informer.start().catch(() => undefined);
  void server;
  return h;
}

function cacheState(h: Harness, namespace: string): Record<string, string> {
  return Object.fromEntries(
    h.informer.list(namespace).map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']),
  );
}

function serverState(
  server: ApiServer,
  namespace: string,
  selector?: (o: KubeObject) => boolean,
): Record<string, string> {
  return Object.fromEntries(
    server.store
      .list('v1', 'ConfigMap', namespace)
      .filter((o) => selector === undefined || selector(o))
      .map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']),
  );
}

async function converge(
  h: Harness,
  server: ApiServer,
  namespace: string,
  selector?: (o: KubeObject) => boolean,
): Promise<void> {
  await waitFor(
    () =>
      JSON.stringify(cacheState(h, namespace)) === JSON.stringify(serverState(server, namespace, selector)),
    10_000,
    'the informer cache to converge to the server state',
  );
  expect(cacheState(h, namespace)).toEqual(serverState(server, namespace, selector));
  // Faults injected next must meet an open watch, not the informer's list-to-watch gap.
  await waitFor(() => server.openWatches() > 0, 10_000, 'the informer to watch');
}

function cm(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    data,
  };
}

let server: ApiServer;
let kc: KubeConfig;
let nsCounter = 0;

function freshNamespace(): string {
  nsCounter++;
  const name = `inf${nsCounter}`;
  server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Changes that exercise add, update and delete while the informer may be disconnected. */
function churn(namespace: string, round: number): void {
  server.store.create(cm(namespace, `new-${round}`));
  server.store.patchMerge('v1', 'ConfigMap', namespace, 'keep', { data: { round: String(round) } });
  const victims = server.store
    .list('v1', 'ConfigMap', namespace)
    .filter((o) => o.metadata.name?.startsWith('new-') && o.metadata.name !== `new-${round}`);
  for (const v of victims) server.store.delete('v1', 'ConfigMap', namespace, v.metadata.name ?? '');
}

beforeAll(async () => {
  server = await startApiServer();
  kc = server.makeKubeConfig();
});

afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
  server.faults.reset();
  if ((await fetch(`${server.url}/version`).catch(() => undefined)) === undefined) await server.restart();
  // client-node 2.0.1 can open one more watch after stop() when stop() lands while a re-list is in
  // flight (doneHandler does not re-check `stopped` after the list); end such leftovers so the next
  // test starts clean.
  server.faults.endWatches();
  await waitFor(() => server.openWatches() === 0, 3000, 'every watch to close');
});

afterAll(async () => {
  await server.close();
});

describe('client-node informer, with faults injected (API test server)', () => {
  it('re-watches from its last resourceVersion without re-listing after endWatches', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    server.clearRequests();
    server.faults.endWatches();
    churn(ns, 1);
    await converge(h, server, ns);
    churn(ns, 2);
    await converge(h, server, ns);
    const own = server.requests().filter((r) => r.path === `/api/v1/namespaces/${ns}/configmaps`);
    expect(own.filter((r) => !r.watch)).toHaveLength(0);
    expect(own.filter((r) => r.watch).length).toBeGreaterThanOrEqual(1);
    expect(h.errors).toBe(0);
    expect(h.deletes).toEqual(['new-1']);
  });

  it('recovers when its sockets are destroyed mid-stream', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    const watchesBefore = server
      .requests()
      .filter((r) => r.watch && r.path.includes(`/namespaces/${ns}/`)).length;
    server.faults.destroySockets();
    churn(ns, 1);
    await converge(h, server, ns);
    // Depending on timing client-node sees the cut stream as an error (restarted by the harness) or as a close (re-watch).
    expect(
      server.requests().filter((r) => r.watch && r.path.includes(`/namespaces/${ns}/`)).length,
    ).toBeGreaterThan(watchesBefore);
    churn(ns, 2);
    await converge(h, server, ns);
  });

  it('recovers after the watch request fails with a 500', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    server.faults.failNext(2, 500, { pathIncludes: 'watch=true' });
    server.faults.endWatches();
    churn(ns, 1);
    await converge(h, server, ns);
    expect(server.requests().filter((r) => r.watch && r.status === 500)).toHaveLength(2);
    expect(h.errors).toBeGreaterThanOrEqual(1);
  });

  it('re-lists after a 410 ERROR event, deleting what vanished meanwhile, even when the re-list first fails with 503', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    server.store.create(cm(ns, 'doomed'));
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    server.faults.failNext(1, 503, { method: 'GET', pathIncludes: `/namespaces/${ns}/configmaps` });
    server.store.delete('v1', 'ConfigMap', ns, 'doomed');
    server.faults.compact({ closeWatches: true });
    churn(ns, 1);
    await converge(h, server, ns);
    expect(h.deletes).toContain('doomed');
    const lists = server
      .requests()
      .filter((r) => r.path === `/api/v1/namespaces/${ns}/configmaps` && !r.watch);
    expect(lists.map((r) => r.status)).toEqual([200, 503, 200]);
  });

  it('converges after the server stops and restarts on the same port with state kept, changes made while it was down', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    server.store.create(cm(ns, 'new-0'));
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    const port = server.port;
    await server.stop();
    churn(ns, 1);
    await sleep(100);
    await server.restart();
    expect(server.port).toBe(port);
    await converge(h, server, ns);
    expect(h.deletes).toEqual(['new-0']);
    expect(h.errors).toBeGreaterThanOrEqual(1);
  });

  it('converges with added latency on every request', async () => {
    const ns = freshNamespace();
    server.store.create(cm(ns, 'keep'));
    server.faults.setLatency(150);
    const h = startInformer(server, kc, ns);
    await converge(h, server, ns);
    server.faults.endWatches();
    churn(ns, 1);
    await converge(h, server, ns);
  });
});

describe('client-node informer, history overflow', () => {
  it.each(['event', 'status'] as const)(
    're-lists and converges when the watch resourceVersion fell out of a small history (410 as %s)',
    async (watchGone) => {
      const small = await startApiServer({ historySize: 5, watchGone });
      try {
        const skc = small.makeKubeConfig();
        small.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'h' } });
        small.store.create(cm('h', 'keep'));
        small.store.create(cm('h', 'doomed'));
        const h = startInformer(small, skc, 'h');
        await converge(h, small, 'h');
        await small.stop();
        small.store.delete('v1', 'ConfigMap', 'h', 'doomed');
        for (let i = 0; i < 10; i++)
          small.store.patchMerge('v1', 'ConfigMap', 'h', 'keep', { data: { i: String(i) } });
        await small.restart();
        await converge(h, small, 'h');
        expect(h.deletes).toEqual(['doomed']);
        const watches = small.requests().filter((r) => r.watch);
        expect(watches.some((r) => r.status === (watchGone === 'status' ? 410 : 200))).toBe(true);
        expect(
          small.requests().filter((r) => !r.watch && r.path === '/api/v1/namespaces/h/configmaps').length,
        ).toBeGreaterThanOrEqual(2);
        await h.stop();
      } finally {
        await small.close();
      }
    },
  );
});

// The same informer behaviour without faults, on both servers; writes go through the API.
describe.each(fidelityServers())('client-node informer on the $name', ({ kind, available, start }) => {
  (available ? describe : describe.skip)('without faults', () => {
    let handle: ApiServerHandle;
    let kube: KubeConfig;
    let n = 0;

    beforeAll(async () => {
      handle = await start();
      kube = handle.makeKubeConfig();
    }, 90_000);

    afterAll(async () => {
      while (running.length > 0) await running.pop()?.stop();
      await handle?.close();
    });

    const write = async (method: string, path: string, body?: unknown, type?: string): Promise<void> => {
      const r = await adminRequest(handle, method, path, body, type);
      if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body}`);
    };
    const freshNs = async (): Promise<string> => {
      const name = `each${++n}`;
      await write('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    };
    const create = (o: KubeObject): Promise<void> =>
      write('POST', `/api/v1/namespaces/${o.metadata.namespace ?? ''}/configmaps`, o);
    const mergePatch = (ns: string, name: string, patch: unknown): Promise<void> =>
      write('PATCH', `/api/v1/namespaces/${ns}/configmaps/${name}`, patch, 'application/merge-patch+json');
    /** name -> resourceVersion of the server's ConfigMaps in `ns` (matching `labelSelector`). */
    const serverState = async (ns: string, labelSelector?: string): Promise<Record<string, string>> => {
      const list = await kube
        .makeApiClient(CoreV1Api)
        .listNamespacedConfigMap(
          labelSelector === undefined ? { namespace: ns } : { namespace: ns, labelSelector },
        );
      return Object.fromEntries(
        list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']),
      );
    };

    it('lists, then watches add/update/delete through makeInformer and mirrors the server', async () => {
      const ns = await freshNs();
      await create(cm(ns, 'a'));
      const api = kube.makeApiClient(CoreV1Api);
      const informer = makeInformer(kube, `/api/v1/namespaces/${ns}/configmaps`, () =>
        api.listNamespacedConfigMap({ namespace: ns }),
      );
      const seen: string[] = [];
      informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
      informer.on('update', (o) => seen.push(`update ${o.metadata?.name ?? ''} ${String(o.data?.['v'])}`));
      informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
      await informer.start();
      try {
        await waitFor(() => seen.length === 1);
        // The watch starts at the list's resourceVersion: nothing written from here on is missed.
        await create(cm(ns, 'b'));
        await mergePatch(ns, 'a', { data: { v: '2' } });
        await write('DELETE', `/api/v1/namespaces/${ns}/configmaps/b`);
        await waitFor(() => seen.length === 4, 10_000, 'add b, update a, delete b');
        expect(seen).toEqual(['add a', 'add b', 'update a 2', 'delete b']);
        expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['a']);
        if (kind === 'fake') {
          // One list, then one watch from its resourceVersion (the test's own writes are POSTs).
          const requests = (handle as ApiServer).requests();
          const lists = requests.filter(
            (r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${ns}/configmaps` && !r.watch,
          );
          const watches = requests.filter((r) => r.path === `/api/v1/namespaces/${ns}/configmaps` && r.watch);
          expect(lists).toHaveLength(1);
          expect(watches).toHaveLength(1);
          expect(watches[0]?.query).toMatch(/resourceVersion=\d+/);
        }
        expect(informer.get('a', ns)?.metadata?.resourceVersion).toBe((await serverState(ns))['a']);
      } finally {
        await informer.stop();
      }
    });

    it('keeps only the selected objects with a label selector, dropping an object that leaves the selector', async () => {
      const ns = await freshNs();
      await create(cm(ns, 'in', {}, { pick: 'yes' }));
      await create(cm(ns, 'out', {}, { pick: 'no' }));
      const h = startInformer(handle, kube, ns, 'pick=yes');
      const converged = async (): Promise<void> => {
        const want = JSON.stringify(await serverState(ns, 'pick=yes'));
        await waitFor(
          () => JSON.stringify(cacheState(h, ns)) === want,
          10_000,
          'the cache to match the server',
        );
      };
      await converged();
      await mergePatch(ns, 'out', { metadata: { labels: { pick: 'yes' } } });
      await mergePatch(ns, 'in', { metadata: { labels: { pick: 'no' } } });
      await waitFor(() => h.deletes.includes('in'), 10_000, 'in to leave the selector');
      await converged();
      expect(h.informer.list(ns).map((o) => o.metadata?.name)).toEqual(['out']);
      expect(h.deletes).toEqual(['in']);
    });
  });
});
