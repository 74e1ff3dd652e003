import { describe, it, expect, afterEach } from '@jest/globals';
import { Registry } from 'prom-client';
import { createBackoff } from './backoff.js';
import { createFakeClock } from './fake-clock.js';
import { createFakeListWatch } from './fake-list-watch.js';
import type { FakeListWatch } from './fake-list-watch.js';
import { createInformer } from './informer.js';
import type { Informer } from './informer.js';
import type { ChangeEvent, KubeObjectLike } from './types.js';
import { mulberry32 } from '@kube-edge/testkit';

interface Obj extends KubeObjectLike {
  spec?: { n?: number; secret?: string };
}

const mk = (ns: string, name: string, n = 0, extra: Partial<Obj> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: { name, namespace: ns },
  spec: { n, secret: `s${n % 3}` },
  ...extra,
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

function cacheMatches(inf: Informer<Obj>, src: FakeListWatch<Obj>): boolean {
  const want = src.snapshot();
  const got = inf.list();
  if (got.length !== want.size) return false;
  return got.every((o) => {
    const w = want.get(`${o.metadata?.namespace}/${o.metadata?.name}`);
    return (
      w !== undefined &&
      w.metadata?.resourceVersion === o.metadata?.resourceVersion &&
      w.spec?.n === o.spec?.n
    );
  });
}

const informers: Informer<Obj>[] = [];
const make = (
  src: FakeListWatch<Obj>,
  extra: Partial<Parameters<typeof createInformer<Obj>>[0]> = {},
): Informer<Obj> => {
  const inf = createInformer<Obj>({
    name: 'things',
    source: src,
    backoff: createBackoff({ initialMs: 1, maxMs: 10 }),
    minWatchMs: 0,
    ...extra,
  });
  informers.push(inf);
  return inf;
};
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

describe('createInformer', () => {
  it('lists, reports synced, then applies watch events', async () => {
    const src = createFakeListWatch<Obj>();
    src.upsert(mk('a', 'one'));
    const inf = make(src);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.get('one', 'a')?.spec?.n).toBe(0);
    src.upsert(mk('a', 'one', 5));
    src.upsert(mk('b', 'two'));
    await until(() => inf.get('one', 'a')?.spec?.n === 5 && inf.get('two', 'b') !== undefined);
    src.remove('a/one');
    await until(() => inf.get('one', 'a') === undefined);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['two']);
  });

  it('signals ADDED, MODIFIED (with old object) and DELETED to change handlers, and stops after unsubscribe', async () => {
    const src = createFakeListWatch<Obj>();
    const inf = make(src);
    const events: ChangeEvent<Obj>[] = [];
    const off = inf.onChange((e) => events.push(e));
    inf.start();
    await inf.waitForSync();
    src.upsert(mk('a', 'x', 1));
    src.upsert(mk('a', 'x', 2));
    src.remove('a/x');
    await until(() => events.length === 3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events[1]?.oldObject?.spec?.n).toBe(1);
    off();
    src.upsert(mk('a', 'y'));
    await until(() => inf.get('y', 'a') !== undefined);
    expect(events).toHaveLength(3);
  });

  it('drops managedFields by default and keeps them with transform: null', async () => {
    const src = createFakeListWatch<Obj>();
    src.upsert({
      ...mk('a', 'm'),
      metadata: { name: 'm', namespace: 'a', managedFields: [{ manager: 'kubectl' }] },
    });
    const stripped = make(src);
    const raw = make(src, { transform: null });
    stripped.start();
    raw.start();
    await Promise.all([stripped.waitForSync(), raw.waitForSync()]);
    expect(stripped.get('m', 'a')?.metadata).not.toHaveProperty('managedFields');
    expect(raw.get('m', 'a')?.metadata?.managedFields).toEqual([{ manager: 'kubectl' }]);
  });

  it('caches an object as received when the transform throws, instead of failing the loop', async () => {
    const src = createFakeListWatch<Obj>();
    src.upsert(mk('a', 'bad'));
    src.upsert(mk('a', 'good'));
    const inf = make(src, {
      transform: (o) => {
        if (o.metadata?.name === 'bad') throw new Error('boom');
        return { ...o, spec: { n: 42 } };
      },
    });
    inf.start();
    await inf.waitForSync();
    expect(inf.get('bad', 'a')?.spec?.n).toBe(0);
    expect(inf.get('good', 'a')?.spec?.n).toBe(42);
    expect(inf.stats().restarts).toBe(0);
  });

  it('keeps the namespace index and custom indexes current', async () => {
    const src = createFakeListWatch<Obj>();
    src.upsert(mk('a', 'one', 0));
    src.upsert(mk('b', 'two', 1));
    const inf = make(src, { indexers: { secret: (o) => (o.spec?.secret ? [o.spec.secret] : []) } });
    inf.start();
    await inf.waitForSync();
    expect(inf.list('a').map((o) => o.metadata?.name)).toEqual(['one']);
    expect(inf.byIndex('secret', 's1').map((o) => o.metadata?.name)).toEqual(['two']);
    src.upsert(mk('b', 'two', 2));
    await until(() => inf.get('two', 'b')?.spec?.n === 2);
    expect(inf.byIndex('secret', 's1')).toEqual([]);
    expect(inf.byIndex('secret', 's2').map((o) => o.metadata?.name)).toEqual(['two']);
    src.remove('a/one');
    await until(() => inf.list('a').length === 0);
    expect(() => inf.byIndex('nope', 'x')).toThrow('unknown index');
  });

  it('re-watches without re-listing after a clean close', async () => {
    const src = createFakeListWatch<Obj>();
    const inf = make(src);
    inf.start();
    await inf.waitForSync();
    src.endWatches();
    src.upsert(mk('a', 'after-close'));
    await until(() => inf.get('after-close', 'a') !== undefined);
    expect(src.calls().lists).toBe(1);
    expect(inf.stats().relists).toBe(0);
  });

  it('re-lists on 410 and removes objects deleted while it was not watching', async () => {
    const src = createFakeListWatch<Obj>();
    src.upsert(mk('a', 'gone-later'));
    const inf = make(src);
    const deleted: string[] = [];
    inf.onChange((e) => e.type === 'DELETED' && deleted.push(e.object?.metadata?.name ?? ''));
    inf.start();
    await inf.waitForSync();
    src.failWatches(2, 503);
    src.breakWatches();
    // All synchronous, so they happen while the informer is between watches.
    src.remove('a/gone-later');
    src.upsert(mk('a', 'new'));
    src.compact();
    await until(() => inf.get('new', 'a') !== undefined);
    expect(inf.get('gone-later', 'a')).toBeUndefined();
    expect(deleted).toEqual(['gone-later']);
    expect(inf.stats().relists).toBe(1);
    expect(src.calls().lists).toBe(2);
  });

  it('keeps running through list 5xx and watch errors, counting restarts', async () => {
    const src = createFakeListWatch<Obj>();
    src.failLists(3, 500);
    const inf = make(src);
    inf.start();
    await inf.waitForSync();
    expect(inf.stats().restarts).toBe(3);
    src.failWatches(2, 500);
    src.breakWatches();
    src.upsert(mk('a', 'x'));
    await until(() => inf.get('x', 'a') !== undefined);
    expect(inf.stats().restarts).toBe(6);
  });

  it('never stops until stopped: survives 200 consecutive failures, then stop ends the loop', async () => {
    const src = createFakeListWatch<Obj>();
    src.failLists(200, 500);
    const inf = make(src, { backoff: createBackoff({ initialMs: 0, maxMs: 0 }) });
    inf.start();
    await inf.waitForSync();
    expect(inf.stats().restarts).toBe(200);
    await inf.stop();
    const calls = src.calls();
    src.upsert(mk('a', 'after-stop'));
    await new Promise((r) => setTimeout(r, 20));
    expect(src.calls()).toEqual(calls);
    expect(inf.get('after-stop', 'a')).toBeUndefined();
    expect(src.openWatches()).toBe(0);
  });

  it('rejects waitForSync when stopped before syncing', async () => {
    const src = createFakeListWatch<Obj>();
    src.failLists(1_000_000, 500);
    const inf = make(src, { backoff: createBackoff({ initialMs: 5, maxMs: 5 }) });
    inf.start();
    const wait = inf.waitForSync();
    await inf.stop();
    await expect(wait).rejects.toThrow('stopped before it synced');
  });

  it('emits RESYNC every resyncMs without re-listing', async () => {
    const clock = createFakeClock();
    const src = createFakeListWatch<Obj>();
    const inf = make(src, { clock, resyncMs: 1000 });
    const types: string[] = [];
    inf.onChange((e) => types.push(e.type));
    inf.start();
    await inf.waitForSync();
    await clock.advance(3500);
    expect(types.filter((t) => t === 'RESYNC')).toHaveLength(3);
    expect(src.calls().lists).toBe(1);
  });

  it('reports unhealthy when there is no activity for wedgeTimeoutMs, healthy again after an event', async () => {
    const clock = createFakeClock();
    const src = createFakeListWatch<Obj>();
    const inf = make(src, { clock, wedgeTimeoutMs: 60_000 });
    inf.start();
    await inf.waitForSync();
    expect(inf.health().ok).toBe(true);
    await clock.advance(60_001);
    expect(inf.health()).toMatchObject({ ok: false });
    src.upsert(mk('a', 'x'));
    await until(() => inf.get('x', 'a') !== undefined);
    expect(inf.health().ok).toBe(true);
  });

  it('is not ready until synced', async () => {
    const src = createFakeListWatch<Obj>();
    src.failLists(3, 500);
    const inf = make(src, { backoff: createBackoff({ initialMs: 20, maxMs: 20, jitter: 0 }) });
    inf.start();
    expect(inf.readiness().ok).toBe(false);
    await inf.waitForSync();
    expect(inf.readiness()).toEqual({ ok: true });
  });

  it('exports events, relists, restarts and last activity as Prometheus metrics shared across informers', async () => {
    const registry = new Registry();
    const src = createFakeListWatch<Obj>();
    src.failLists(1);
    const a = make(src, { registry });
    const b = make(src, { name: 'others', registry });
    a.start();
    b.start();
    await Promise.all([a.waitForSync(), b.waitForSync()]);
    src.upsert(mk('a', 'x'));
    await until(() => a.get('x', 'a') !== undefined && b.get('x', 'a') !== undefined);
    const text = await registry.metrics();
    expect(text).toMatch(/kube_edge_informer_events_total\{informer="things",type="ADDED"\} 1/);
    expect(text).toMatch(/kube_edge_informer_events_total\{informer="others",type="ADDED"\} 1/);
    expect(text).toMatch(/kube_edge_informer_restarts_total\{informer="(things|others)"\} 1/);
    expect(text).toMatch(/kube_edge_informer_last_activity_timestamp_seconds\{informer="things"\} \d+/);
  });

  it.each([1, 2, 3, 4, 5])(
    'cache equals the source after random changes interleaved with every fault (seed %p)',
    async (seed) => {
      const rnd = mulberry32(seed);
      const src = createFakeListWatch<Obj>();
      const inf = make(src);
      inf.start();
      await inf.waitForSync();
      const names = Array.from({ length: 12 }, (_, i) => `o${i}`);
      for (let step = 0; step < 300; step++) {
        const r = rnd();
        const name = names[Math.floor(rnd() * names.length)]!;
        const ns = rnd() < 0.5 ? 'a' : 'b';
        if (r < 0.45) src.upsert(mk(ns, name, step));
        else if (r < 0.7) src.remove(`${ns}/${name}`);
        else if (r < 0.75) src.endWatches();
        else if (r < 0.8) src.breakWatches();
        else if (r < 0.84) src.compact();
        else if (r < 0.88) src.expireWatches();
        else if (r < 0.92) {
          src.failLists(1 + Math.floor(rnd() * 3), 503);
          src.compact();
          src.breakWatches();
        } else if (r < 0.95) src.failWatches(1 + Math.floor(rnd() * 2), 500);
        if (rnd() < 0.3) await new Promise((res) => setTimeout(res, rnd() < 0.5 ? 0 : 3));
      }
      await until(() => cacheMatches(inf, src), 10_000);
      expect(inf.list().length).toBe(src.snapshot().size);
    },
  );
});
