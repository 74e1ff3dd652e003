import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApiServer, mulberry32 } from '@kube-edge/testkit';
import type { ApiServer, KubeObject } from '@kube-edge/testkit';
import { createBackoff } from './backoff.js';
import { createInformer } from './informer.js';
import type { Informer } from './informer.js';
import { createKubeClient } from './kube-client.js';
import type { KubeClient } from './kube-client.js';
import { createApiListWatch } from './list-watch.js';
import { INGRESSES, SERVICES } from './resources.js';
import type { KubeObjectLike } from './types.js';
import { loadKubeConfig } from './config.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { makeApiClient } from './typed-api-client.js';

interface Ing extends KubeObjectLike {
  spec?: { rules?: { host: string }[] };
}

const ingress = (
  ns: string,
  name: string,
  host: string,
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: ns, labels },
  spec: { rules: [{ host }] },
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('informer against the testkit API server', () => {
  let server: ApiServer;
  let client: KubeClient;
  const informers: Informer<Ing>[] = [];
  const make = (opts: { namespace?: string; labelSelector?: string } = {}): Informer<Ing> => {
    const inf = createInformer<Ing>({
      name: 'ingresses',
      source: createApiListWatch<Ing>({ client, resource: INGRESSES, ...opts }),
      backoff: createBackoff({ initialMs: 5, maxMs: 50 }),
    });
    informers.push(inf);
    return inf;
  };
  const serverState = (): Map<string, string> =>
    new Map(
      server.store
        .list('networking.k8s.io/v1', 'Ingress')
        .map((o) => [
          `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`,
          o.metadata.resourceVersion ?? '',
        ]),
    );
  const matches = (inf: Informer<Ing>): boolean => {
    const want = serverState();
    const got = inf.list();
    return (
      got.length === want.size &&
      got.every(
        (o) => want.get(`${o.metadata?.namespace}/${o.metadata?.name}`) === o.metadata?.resourceVersion,
      )
    );
  };

  beforeAll(async () => {
    server = await startApiServer({ bookmarkIntervalMs: 200 });
    for (const name of ['a', 'b'])
      server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    client = createKubeClient({ kubeConfig: server.makeKubeConfig(), userAgent: 'kube-edge-test/0.0.0' });
  });
  afterEach(async () => {
    server.faults.reset();
    await Promise.all(informers.splice(0).map((i) => i.stop()));
    for (const o of server.store.list('networking.k8s.io/v1', 'Ingress')) {
      server.store.delete('networking.k8s.io/v1', 'Ingress', o.metadata.namespace, o.metadata.name ?? '');
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('syncs, then follows creates, updates and deletes', async () => {
    server.store.create(ingress('a', 'one', 'one.example.com'));
    const inf = make();
    inf.start();
    await inf.waitForSync();
    expect(inf.get('one', 'a')?.kind).toBe('Ingress');
    server.store.create(ingress('b', 'two', 'two.example.com'));
    server.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'a', 'one', {
      spec: { rules: [{ host: 'changed.example.com' }] },
    });
    await until(
      () =>
        inf.get('one', 'a')?.spec?.rules?.[0]?.host === 'changed.example.com' &&
        inf.get('two', 'b') !== undefined,
    );
    server.store.delete('networking.k8s.io/v1', 'Ingress', 'a', 'one');
    await until(() => inf.get('one', 'a') === undefined);
    expect(matches(inf)).toBe(true);
  });

  it('applies the label selector to both list and watch, and scopes to one namespace', async () => {
    server.store.create(ingress('a', 'yes', 'y.example.com', { team: 'edge' }));
    server.store.create(ingress('a', 'no', 'n.example.com', { team: 'other' }));
    server.store.create(ingress('b', 'elsewhere', 'e.example.com', { team: 'edge' }));
    const inf = make({ namespace: 'a', labelSelector: 'team=edge' });
    inf.start();
    await inf.waitForSync();
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['yes']);
    server.store.create(ingress('a', 'yes2', 'y2.example.com', { team: 'edge' }));
    server.store.create(ingress('a', 'no2', 'n2.example.com'));
    server.store.create(ingress('b', 'elsewhere2', 'e2.example.com', { team: 'edge' }));
    await until(() => inf.get('yes2', 'a') !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(
      inf
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['yes', 'yes2']);
    const lists = server
      .requests()
      .filter((r) => r.path === '/apis/networking.k8s.io/v1/namespaces/a/ingresses');
    expect(lists.length).toBeGreaterThanOrEqual(2);
  });

  it('applies a field selector to both list and watch', async () => {
    server.store.create(ingress('a', 'picked', 'p.example.com'));
    server.store.create(ingress('a', 'other', 'o.example.com'));
    const inf = createInformer<Ing>({
      name: 'by-name',
      source: createApiListWatch<Ing>({ client, resource: INGRESSES, fieldSelector: 'metadata.name=picked' }),
    });
    informers.push(inf);
    inf.start();
    await inf.waitForSync();
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['picked']);
    server.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'a', 'other', {
      metadata: { labels: { x: 'y' } },
    });
    server.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'a', 'picked', {
      metadata: { labels: { x: 'y' } },
    });
    await until(() => inf.get('picked', 'a')?.metadata?.labels?.x === 'y');
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['picked']);
  });

  it('re-lists through 5xx answers to the list after a 410, and catches up', async () => {
    server.clearRequests();
    const inf = make();
    inf.start();
    await inf.waitForSync();
    await until(() =>
      server.requests().some((r) => r.watch && r.status === 200 && r.path.endsWith('/ingresses')),
    );
    server.clearRequests();
    server.faults.failNext(2, 500, { pathIncludes: '/ingresses' });
    server.faults.compact({ closeWatches: true });
    // Created after the watch was closed, so only a successful re-list can bring it.
    server.store.create(ingress('a', 'during-outage', 'o.example.com'));
    await until(() => inf.get('during-outage', 'a') !== undefined && inf.stats().relists === 1);
    const lists = server.requests().filter((r) => !r.watch && r.path.endsWith('/ingresses'));
    expect(lists.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(inf.stats().relists).toBe(1);
    expect(matches(inf)).toBe(true);
  });

  it('resumes after a server restart with the state kept', async () => {
    const inf = make();
    inf.start();
    await inf.waitForSync();
    await server.stop();
    await new Promise((r) => setTimeout(r, 100));
    await server.restart();
    server.store.create(ingress('a', 'after-restart', 'r.example.com'));
    await until(() => inf.get('after-restart', 'a') !== undefined);
    expect(inf.stats().restarts).toBeGreaterThanOrEqual(1);
  });

  it.each([11, 22, 33])(
    'cache equals the server after random changes interleaved with every fault (seed %p)',
    async (seed) => {
      server.clearRequests();
      const rnd = mulberry32(seed);
      const inf = make();
      inf.start();
      await inf.waitForSync();
      const names = Array.from({ length: 10 }, (_, i) => `ing${i}`);
      const faultsSeen = new Set<string>();
      for (let step = 0; step < 120; step++) {
        const r = rnd();
        const ns = rnd() < 0.5 ? 'a' : 'b';
        const name = names[Math.floor(rnd() * names.length)]!;
        const exists = server.store.get('networking.k8s.io/v1', 'Ingress', ns, name) !== undefined;
        if (r < 0.55) {
          if (exists)
            server.store.patchMerge('networking.k8s.io/v1', 'Ingress', ns, name, {
              spec: { rules: [{ host: `h${step}.example.com` }] },
            });
          else server.store.create(ingress(ns, name, `h${step}.example.com`));
        } else if (r < 0.75) {
          if (exists) server.store.delete('networking.k8s.io/v1', 'Ingress', ns, name);
        } else {
          const f = Math.floor(rnd() * 6);
          if (f === 0) {
            server.faults.endWatches();
            faultsSeen.add('stream end');
          } else if (f === 1) {
            server.faults.destroySockets();
            faultsSeen.add('socket destroyed');
          } else if (f === 2) {
            server.faults.compact({ closeWatches: rnd() < 0.5 });
            server.faults.endWatches();
            faultsSeen.add('410 on watch');
          } else if (f === 3) {
            server.faults.failNext(1 + Math.floor(rnd() * 2), 500, {
              method: 'GET',
              pathIncludes: '/ingresses',
            });
            server.faults.compact({ closeWatches: true });
            faultsSeen.add('5xx on list or watch, then 410');
          } else if (f === 4) {
            await server.stop();
            if (rnd() < 0.5) server.store.create(ingress('a', `while-down-${step}`, 'd.example.com'));
            await server.restart();
            faultsSeen.add('server restart');
          } else {
            server.faults.failNext(1, 503, { pathIncludes: 'watch=true' });
            server.faults.destroySockets();
            faultsSeen.add('5xx on watch');
          }
        }
        if (rnd() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(rnd() * 15)));
      }
      await until(() => matches(inf), 15_000);
      expect(faultsSeen.size).toBeGreaterThanOrEqual(5);
      expect(inf.stats().restarts + inf.stats().relists).toBeGreaterThan(0);
    },
    40_000,
  );

  it('works over HTTPS with the server certificate from the kubeconfig', async () => {
    const tlsServer = await startApiServer({ https: true });
    try {
      tlsServer.store.create(ingress('default', 'tls', 't.example.com'));
      const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: tlsServer.kubeconfigYaml({ https: true }) });
      const tlsClient = createKubeClient({ kubeConfig });
      const inf = createInformer<Ing>({
        name: 'tls',
        source: createApiListWatch<Ing>({ client: tlsClient, resource: INGRESSES }),
      });
      informers.push(inf);
      inf.start();
      await inf.waitForSync();
      expect(inf.get('tls', 'default')).toBeDefined();
      tlsServer.store.create(ingress('default', 'tls2', 't2.example.com'));
      await until(() => inf.get('tls2', 'default') !== undefined);
      await inf.stop();
    } finally {
      await tlsServer.close();
    }
  });

  it('makes typed client-node API clients that work against a plain-HTTP server', async () => {
    const core = makeApiClient(server.makeKubeConfig(), CoreV1Api, 'kube-edge-test/0.0.0');
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('fills kind and apiVersion into listed items of any resource', async () => {
    server.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'a' },
      spec: { ports: [{ port: 80 }] },
    });
    const lw = createApiListWatch<KubeObjectLike>({ client, resource: SERVICES, namespace: 'a' });
    const res = await lw.list(new AbortController().signal);
    expect(res.items.map((i) => [i.apiVersion, i.kind, i.metadata?.name])).toEqual([
      ['v1', 'Service', 'svc'],
    ]);
    expect(Number(res.resourceVersion)).toBeGreaterThan(0);
  });
});

describe('createKubeClient', () => {
  it('sends the configured User-Agent and the bearer token', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end('{"kind":"IngressList","metadata":{"resourceVersion":"7"},"items":[]}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const { kubeConfig } = loadKubeConfig({
        kubeconfigYaml: `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: sekret}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`,
      });
      const c = createKubeClient({ kubeConfig, userAgent: 'kube-edge-feed-ingress/1.0.0' });
      await c.request({ path: '/apis/networking.k8s.io/v1/ingresses' });
      expect(seen[0]?.['user-agent']).toBe('kube-edge-feed-ingress/1.0.0');
      expect(seen[0]?.authorization).toBe('Bearer sekret');
      // The typed client-node clients made by makeApiClient send it too.
      await makeApiClient(kubeConfig, CoreV1Api, 'kube-edge-feed-ingress/1.0.0')
        .listNamespace()
        .catch(() => undefined);
      expect(seen[1]?.['user-agent']).toBe('kube-edge-feed-ingress/1.0.0');
      expect(seen[1]?.authorization).toBe('Bearer sekret');
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
