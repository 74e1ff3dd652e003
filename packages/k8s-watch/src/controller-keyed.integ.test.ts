import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { TerminalError, TransientError, createMetrics } from '@kube-edge/runtime';
import { startApiServer, type ApiServer, type KubeObject } from '@kube-edge/testkit';
import {
  captureLogger,
  configMap,
  eventsAbout,
  get,
  namespace,
  scrape,
  until,
  type ConfigMapObj,
} from '../test/controller-support.js';
import { watch, type Listers, type WatchSpec } from './controller.js';
import {
  runKeyedController,
  type KeyResult,
  type KeyedControllerHandle,
  type KeyedControllerOptions,
} from './controller-keyed.js';
import { createKubeClient, type KubeClient } from './kube-client.js';
import { CONFIG_MAPS, SECRETS } from './resources.js';

type Informers = { configmaps: WatchSpec<ConfigMapObj>; secrets: WatchSpec<KubeObject> };
type Handle = KeyedControllerHandle<Informers>;
type Reconcile = (key: string, listers: Listers<Informers>) => KeyResult | void;

const P = 'keyed';

describe('runKeyedController against the testkit API server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let nsSeq = 0;
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startApiServer();
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((h) => h.stop()));
  });
  afterAll(async () => {
    await server?.close();
  });

  const freshNs = (): string => namespace(server, `keyed-${nsSeq++}`);

  /** Starts a controller over the ConfigMaps (keys) and Secrets of `ns`; `calls` lists reconciled keys in order. */
  async function start(
    ns: string,
    reconcile: Reconcile = () => undefined,
    options: Partial<KeyedControllerOptions<Informers>> = {},
  ): Promise<{ h: Handle; calls: string[]; logger: ReturnType<typeof captureLogger> }> {
    const calls: string[] = [];
    const logger = captureLogger();
    const h = await runKeyedController<Informers>(
      {
        name: 'test-keyed',
        informers: {
          configmaps: watch<ConfigMapObj>(CONFIG_MAPS, { namespaces: [ns] }),
          secrets: watch<KubeObject>(SECRETS, { namespaces: [ns] }),
        },
        primary: 'configmaps',
        // A Secret `for-<name>` affects the key of ConfigMap `<name>`.
        keysFor: (informer, e) => {
          const name = (e.object as KubeObject | undefined)?.metadata.name ?? '';
          return informer === 'secrets' && name.startsWith('for-') ? [`${ns}/${name.slice(4)}`] : [];
        },
        reconcile: (key, listers) => {
          // Every cache is complete before any key is reconciled.
          calls.push(listers.configmaps.hasSynced() && listers.secrets.hasSynced() ? key : `unsynced:${key}`);
          return Promise.resolve(reconcile(key, listers));
        },
        http: { host: '127.0.0.1', port: 0 },
        baseRetryDelayMs: 20,
        maxRetryDelayMs: 200,
        ...options,
      },
      {
        logger,
        kubeClient: client,
        metrics: createMetrics({ prefix: P, collectDefaultMetrics: false }),
      },
    );
    running.push(h);
    return { h, calls, logger };
  }

  it('reconciles every object after the sync, then only the key that changed or that keysFor names', async () => {
    const ns = freshNs();
    for (const n of ['a', 'b', 'c']) server.store.create(configMap(ns, n));
    const { h, calls } = await start(ns);
    expect((await get(h.url, '/readyz')).status).toBe(503);
    await h.ready;
    expect([...calls].sort()).toEqual([`${ns}/a`, `${ns}/b`, `${ns}/c`]);
    expect((await get(h.url, '/readyz')).status).toBe(200);
    expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'success' })).toBe(3);

    calls.length = 0;
    server.store.patchMerge('v1', 'ConfigMap', ns, 'b', { data: { v: '2' } });
    await h.waitForKey(`${ns}/b`);
    await h.drained();
    expect(calls).toEqual([`${ns}/b`]);

    calls.length = 0;
    server.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'for-c', namespace: ns } });
    await h.waitForKey(`${ns}/c`);
    await h.drained();
    expect(calls).toEqual([`${ns}/c`]);

    // A Secret no key depends on reconciles nothing; a deleted object is reconciled once more.
    calls.length = 0;
    server.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: ns } });
    server.store.delete('v1', 'ConfigMap', ns, 'a');
    await h.waitForKey(`${ns}/a`);
    await h.drained();
    expect(calls).toEqual([`${ns}/a`]);
  });

  it('does not retry a key that failed with a terminal error, and retries a transient one with backoff', async () => {
    const ns = freshNs();
    const failures = new Map<string, Error>();
    const { h, logger } = await start(ns, (key) => {
      const err = failures.get(key);
      failures.delete(key);
      if (err !== undefined) throw err;
    });
    await h.ready;

    failures.set(`${ns}/t`, new TerminalError('refused'));
    failures.set(`${ns}/r`, new TransientError('try again'));
    const terminal = h.waitForKey(`${ns}/t`);
    const transient = h.waitForKey(`${ns}/r`);
    const retried = h.waitForKey(`${ns}/r`, (r) => r.result === 'success');
    server.store.create(configMap(ns, 't'));
    server.store.create(configMap(ns, 'r'));
    expect(await terminal).toMatchObject({ result: 'terminal_error' });
    expect(await transient).toMatchObject({ result: 'error' });
    // The retry comes without any change.
    expect(await retried).toMatchObject({ result: 'success' });
    // The terminal key is not retried…
    await expect(h.waitForKey(`${ns}/t`, () => true, 500)).rejects.toThrow(/not reconciled within/);
    expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'terminal_error' })).toBe(1);
    expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'error' })).toBe(1);
    // Each failure is logged once, with the error, and whether and when it is retried.
    const warned = (key: string) => logger.lines.filter((l) => l.level === 'warn' && l.meta?.['key'] === key);
    expect(warned(`${ns}/t`)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/terminal error, not retrying/) }),
    ]);
    expect(warned(`${ns}/r`)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/retrying/),
        meta: expect.objectContaining({ error: 'try again', attempt: 1 }),
      }),
    ]);
    // …until it changes.
    const again = h.waitForKey(`${ns}/t`);
    server.store.patchMerge('v1', 'ConfigMap', ns, 't', { data: { v: '2' } });
    expect(await again).toMatchObject({ result: 'success' });
  });

  it('reports skips per key and clears them when the key returns none', async () => {
    const ns = freshNs();
    const { h } = await start(ns, (key, l) => {
      const [kns, name] = key.split('/') as [string, string];
      const cm = l.configmaps.get(name, kns);
      if (cm?.data?.['v'] !== 'bad') return { skipped: [] };
      return {
        skipped: [
          { kind: 'ConfigMap', namespace: kns, name, reason: 'BadValue', message: 'v must not be bad' },
        ],
      };
    });
    await h.ready;
    const counter = (): Promise<number | undefined> =>
      scrape(h.url, `${P}_skipped_objects_total`, { kind: 'ConfigMap', reason: 'BadValue' });
    const gauge = (): Promise<number | undefined> =>
      scrape(h.url, `${P}_skipped_objects`, { kind: 'ConfigMap', reason: 'BadValue' });
    const eventCount = (name: string): number =>
      eventsAbout(server, ns, name)
        .filter((e) => e.reason === 'BadValue')
        .reduce((n, e) => n + e.count, 0);
    let rev = 0;
    const change = async (name: string, v: string, create = false): Promise<void> => {
      const done = h.waitForKey(`${ns}/${name}`, (r) => r.result === 'success');
      // `rev` makes every write a change, also when `v` stays the same.
      const data = { v, rev: String(rev++) };
      if (create) server.store.create(configMap(ns, name, data));
      else server.store.patchMerge('v1', 'ConfigMap', ns, name, { data });
      await done;
      await h.events.flush();
    };

    await change('x', 'bad', true);
    await change('y', 'bad', true);
    expect(await counter()).toBe(2);
    expect(await gauge()).toBe(2);
    expect(eventCount('x')).toBe(1);
    expect(eventCount('y')).toBe(1);

    // x is fixed: its skip is cleared; y's stays and is not reported again.
    await change('x', 'good');
    expect(await gauge()).toBe(1);
    expect(await counter()).toBe(2);
    expect(eventCount('y')).toBe(1);

    // y is reconciled again, still bad: silent.
    await change('y', 'bad');
    expect(await counter()).toBe(2);
    expect(eventCount('y')).toBe(1);

    // x goes bad again: reported anew.
    await change('x', 'bad');
    expect(await counter()).toBe(3);
    expect(await gauge()).toBe(2);
    expect(eventCount('x')).toBe(2);
  });

  it('reconciles nothing on a follower, and every key once it leads', async () => {
    const ns = freshNs();
    server.store.create(configMap(ns, 'one'));
    const lease = {
      namespace: ns,
      name: 'keyed',
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
    };
    const a = await start(ns, undefined, { leaderElection: { ...lease, identity: 'a' } });
    await until(() => a.h.isLeader(), 'a leads');
    await until(() => a.calls.includes(`${ns}/one`), 'a reconciles one');
    const b = await start(ns, undefined, { leaderElection: { ...lease, identity: 'b' } });
    await b.h.ready;
    expect(b.h.isLeader()).toBe(false);

    const seenByA = a.h.waitForKey(`${ns}/two`);
    server.store.create(configMap(ns, 'two'));
    await seenByA;
    await until(() => b.h.listers.configmaps.get('two', ns) !== undefined, 'b caches two');
    await b.h.drained();
    expect(b.calls).toEqual([]);
    expect(await scrape(b.h.url, `${P}_reconcile_total`, { result: 'success' })).toBe(0);

    const twoOnB = b.h.waitForKey(`${ns}/two`);
    const oneOnB = b.h.waitForKey(`${ns}/one`);
    await a.h.stop();
    await until(() => b.h.isLeader(), 'b leads');
    await Promise.all([twoOnB, oneOnB]);
    expect([...b.calls].sort()).toEqual([`${ns}/one`, `${ns}/two`]);
  });
});
