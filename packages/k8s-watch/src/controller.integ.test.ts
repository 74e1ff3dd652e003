import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, TerminalError, TransientError, createMetrics, type Logger } from '@kube-edge/runtime';
import { startApiServer, type ApiServer, type KubeObject } from '@kube-edge/testkit';
import {
  captureLogger,
  configMap,
  eventsAbout,
  gate,
  get,
  namespace,
  recordingStep,
  scrape,
  until,
  type ConfigMapObj,
} from '../test/controller-support.js';
import {
  runController,
  watch,
  type BuildResult,
  type ControllerHandle,
  type ControllerOptions,
  type Listers,
  type WatchSpec,
} from './controller.js';
import { createEventRecorder, type EventRecorder } from './event-recorder.js';
import { createKubeClient, type KubeClient } from './kube-client.js';
import { CONFIG_MAPS } from './resources.js';

type Informers = { configmaps: WatchSpec<ConfigMapObj> };
/** The model: `namespace/name=value-of-data.v` of every ConfigMap, sorted. */
interface Model {
  objects: string[];
}
type Handle = ControllerHandle<Informers, Model>;

const P = 'ctl';
const LEASE = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

function listModel(l: Listers<Informers>): Model {
  return {
    objects: l.configmaps
      .list()
      .map((c) => `${c.metadata.namespace}/${c.metadata.name}=${c.data?.['v'] ?? ''}`)
      .sort(),
  };
}

const has = (p: { model?: Model }, entry: string): boolean => p.model?.objects.includes(entry) ?? false;

describe('runController against the testkit API server', () => {
  let server: ApiServer;
  let client: KubeClient;
  let nsSeq = 0;
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startApiServer();
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterEach(async () => {
    server.faults.reset();
    await Promise.all(running.splice(0).map((h) => h.stop()));
  });
  afterAll(async () => {
    await server?.close();
  });

  const freshNs = (): string => namespace(server, `ctl-${nsSeq++}`);

  async function start(
    ns: string | string[],
    options: Partial<ControllerOptions<Informers, Model>> = {},
    deps: { logger?: Logger; events?: EventRecorder } = {},
  ): Promise<Handle> {
    const handle = await runController<Informers, Model>(
      {
        name: 'test-ctl',
        informers: { configmaps: watch<ConfigMapObj>(CONFIG_MAPS, { namespaces: [ns].flat() }) },
        build: (l): BuildResult<Model> => ({ model: listModel(l), skipped: [] }),
        steps: [],
        http: { host: '127.0.0.1', port: 0 },
        trigger: { quietMs: 10, maxWaitMs: 50 },
        retryBackoff: { initialMs: 20, maxMs: 100 },
        ...options,
      },
      {
        logger: deps.logger ?? captureLogger(),
        kubeClient: client,
        metrics: createMetrics({ prefix: P, collectDefaultMetrics: false }),
        ...(deps.events === undefined ? {} : { events: deps.events }),
      },
    );
    running.push(handle);
    return handle;
  }

  describe('error contract', () => {
    // A step that fails once with the error `fail()` makes, on the first pass that sees `trigger`.
    async function failOnce(ns: string, fail: () => Promise<never> | never) {
      let armed = true;
      const step = recordingStep<Model>('apply', [], {
        update: async (m) => {
          if (armed && m.objects.includes(`${ns}/trigger=`)) {
            armed = false;
            await fail();
          }
        },
      });
      const h = await start(ns, { steps: [step] });
      await h.ready;
      const before = h.lastPass()!.seq;
      server.store.create(configMap(ns, 'trigger'));
      const failed = await h.waitForPass((p) => p.seq > before && p.result !== 'success');
      return { h, step, failed };
    }

    // The step reads this Secret; faults on its path make real KubeApiErrors.
    const secretPath = (ns: string): string => `/api/v1/namespaces/${ns}/secrets/step-target`;
    const readSecret = (ns: string) => async (): Promise<never> => {
      await client.request({ path: secretPath(ns) });
      throw new Error('the fault was not injected');
    };
    const withSecret = (ns: string): string => {
      server.store.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'step-target', namespace: ns },
      });
      return ns;
    };

    it.each<[string, (ns: string) => () => Promise<never> | never]>([
      ['TerminalError', () => () => Promise.reject(new TerminalError('refused'))],
      ['ConfigError', () => () => Promise.reject(new ConfigError('bad setting', { key: '--x' }))],
      [
        'KubeApiError 403',
        (ns) => {
          server.faults.failNext(1, 403, { pathIncludes: secretPath(withSecret(ns)) });
          return readSecret(ns);
        },
      ],
      [
        'KubeApiError 422',
        (ns) => {
          server.faults.failNext(1, 422, { pathIncludes: secretPath(withSecret(ns)) });
          return readSecret(ns);
        },
      ],
    ])('does not retry a pass that failed with %s, and runs again on the next change', async (_, make) => {
      const ns = freshNs();
      const { h, step, failed } = await failOnce(ns, make(ns));
      expect(failed.result).toBe('terminal_error');
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'terminal_error' })).toBe(1);
      // A retry would come after 20-100 ms of backoff plus 10 ms quiet; none comes.
      await expect(h.waitForPass((p) => p.seq > failed.seq, 500)).rejects.toThrow(
        /no matching reconcile pass/,
      );
      const updatesBefore = step.updates.length;

      server.store.create(configMap(ns, 'later'));
      const next = await h.waitForPass((p) => p.seq > failed.seq);
      expect(next.seq).toBe(failed.seq + 1);
      expect(next.result).toBe('success');
      expect(has(next, `${ns}/later=`)).toBe(true);
      expect(step.updates.length).toBe(updatesBefore + 1);
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'terminal_error' })).toBe(1);
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'error' })).toBe(0);
    });

    it('does not retry a build that throws a TerminalError', async () => {
      const ns = freshNs();
      let builds = 0;
      const h = await start(ns, {
        build: (l) => {
          builds += 1;
          const model = listModel(l);
          if (model.objects.includes(`${ns}/poison=`)) throw new TerminalError('cannot build');
          return { model, skipped: [] };
        },
      });
      await h.ready;
      const before = h.lastPass()!.seq;
      server.store.create(configMap(ns, 'poison'));
      const failed = await h.waitForPass((p) => p.seq > before);
      expect(failed).toMatchObject({ result: 'terminal_error' });
      expect(failed.model).toBeUndefined();
      const n = builds;
      await expect(h.waitForPass((p) => p.seq > failed.seq, 500)).rejects.toThrow();
      expect(builds).toBe(n);
      server.store.delete('v1', 'ConfigMap', ns, 'poison');
      await expect(h.waitForPass((p) => p.seq > failed.seq)).resolves.toMatchObject({ result: 'success' });
    });

    it.each<[string, (ns: string) => () => Promise<never> | never]>([
      ['TransientError', () => () => Promise.reject(new TransientError('try later'))],
      ['a plain Error', () => () => Promise.reject(new Error('socket hang up'))],
      ...[409, 429, 503].map((status): [string, (ns: string) => () => Promise<never>] => [
        `KubeApiError ${status}`,
        (ns) => {
          server.faults.failNext(1, status, { pathIncludes: secretPath(withSecret(ns)) });
          return readSecret(ns);
        },
      ]),
      [
        'a dropped connection (no response)',
        (ns) => {
          server.faults.dropNext(1, { pathIncludes: secretPath(withSecret(ns)) });
          return readSecret(ns);
        },
      ],
    ])('retries a pass that failed with %s, with backoff, until it succeeds', async (_, make) => {
      const ns = freshNs();
      const { h, failed } = await failOnce(ns, make(ns));
      expect(failed.result).toBe('error');
      // No change follows: only the retry can run the next pass.
      const retried = await h.waitForPass((p) => p.seq > failed.seq);
      expect(retried.seq).toBe(failed.seq + 1);
      expect(retried.result).toBe('success');
      expect(has(retried, `${ns}/trigger=`)).toBe(true);
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'error' })).toBe(1);
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'terminal_error' })).toBe(0);
      expect(await scrape(h.url, `${P}_last_reconcile_success_timestamp_seconds`)).toBeGreaterThan(0);
    });

    it('backs off between retries of a pass that keeps failing', async () => {
      const ns = freshNs();
      let failures = 3;
      const starts: number[] = [];
      const step = recordingStep<Model>('apply', [], {
        update: (m) => {
          if (!m.objects.includes(`${ns}/trigger=`)) return;
          starts.push(performance.now());
          if (failures-- > 0) throw new TransientError('not yet');
        },
      });
      const h = await start(ns, {
        steps: [step],
        trigger: { quietMs: 1, maxWaitMs: 1 },
        retryBackoff: { initialMs: 40, maxMs: 1000, factor: 2, jitter: 0 },
      });
      await h.ready;
      server.store.create(configMap(ns, 'trigger'));
      await h.waitForPass((p) => p.result === 'success' && has(p, `${ns}/trigger=`));
      expect(starts).toHaveLength(4);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      // 40, 80, 160 ms (timers never fire early).
      expect(gaps[0]).toBeGreaterThanOrEqual(39);
      expect(gaps[1]).toBeGreaterThanOrEqual(79);
      expect(gaps[2]).toBeGreaterThanOrEqual(159);
      expect(await scrape(h.url, `${P}_reconcile_total`, { result: 'error' })).toBe(3);
    });
  });

  describe('skip reporting', () => {
    it('reports a skip once while it lasts, forgets it when cleared and reports it again when it returns', async () => {
      const ns = freshNs();
      const logger = captureLogger();
      const h = await start(
        ns,
        {
          build: (l) => ({
            model: listModel(l),
            skipped: l.configmaps
              .list()
              .filter((c) => c.data?.['v'] === 'bad')
              .map((c) => ({
                kind: 'ConfigMap',
                namespace: c.metadata.namespace!,
                name: c.metadata.name!,
                reason: 'BadValue',
                message: 'v must not be bad',
              })),
          }),
        },
        { logger },
      );
      await h.ready;
      const warnings = (): number =>
        logger.lines.filter((l) => l.message === 'object skipped' && l.meta['name'] === 'x').length;
      const counter = (): Promise<number | undefined> =>
        scrape(h.url, `${P}_skipped_objects_total`, { kind: 'ConfigMap', reason: 'BadValue' });
      const gauge = (): Promise<number | undefined> =>
        scrape(h.url, `${P}_skipped_objects`, { kind: 'ConfigMap', reason: 'BadValue' });
      const warningEvents = () =>
        eventsAbout(server, ns, 'x').filter((e) => e.reason === 'BadValue' && e.type === 'Warning');
      const passWith = (entry: string) => h.waitForPass((p) => has(p, entry));

      server.store.create(configMap(ns, 'x', { v: 'bad' }));
      expect((await passWith(`${ns}/x=bad`)).skipped).toHaveLength(1);
      await h.events.flush();
      expect(warnings()).toBe(1);
      expect(await counter()).toBe(1);
      expect(await gauge()).toBe(1);
      expect(warningEvents()).toHaveLength(1);
      expect(warningEvents()[0]).toMatchObject({ count: 1, message: 'test-ctl: v must not be bad' });

      // Still skipped in the next pass: not reported again.
      server.store.create(configMap(ns, 'y'));
      await passWith(`${ns}/y=`);
      await h.events.flush();
      expect(warnings()).toBe(1);
      expect(await counter()).toBe(1);
      expect(await gauge()).toBe(1);
      expect(warningEvents()[0]?.count).toBe(1);

      // Cleared: the gauge follows, nothing is reported.
      server.store.patchMerge('v1', 'ConfigMap', ns, 'x', { data: { v: 'good' } });
      expect((await passWith(`${ns}/x=good`)).skipped).toHaveLength(0);
      expect(await gauge()).toBe(0);
      expect(await counter()).toBe(1);

      // Back again: reported anew.
      server.store.patchMerge('v1', 'ConfigMap', ns, 'x', { data: { v: 'bad' } });
      await passWith(`${ns}/x=bad`);
      await h.events.flush();
      expect(warnings()).toBe(2);
      expect(await counter()).toBe(2);
      expect(await gauge()).toBe(1);
      const ev = warningEvents();
      expect(ev.reduce((n, e) => n + e.count, 0)).toBe(2);
    });
  });

  describe('leader election', () => {
    it('runs leader-only steps on the leader only, every-replica steps on both, and hands over on stop', async () => {
      const ns = freshNs();
      const lease = { namespace: ns, name: 'test-ctl', ...LEASE };
      const make = async (identity: string) => {
        const journal: string[] = [];
        const serve = recordingStep<Model>('serve', journal);
        const write = recordingStep<Model>('write', journal, {
          leaderOnly: true,
          onStartedLeading: () => undefined,
        });
        const h = await start(ns, { steps: [serve, write], leaderElection: { ...lease, identity } });
        return { identity, h, serve, write, journal };
      };
      const a = await make('a');
      await until(() => a.h.isLeader(), 'a leads');
      await a.h.waitForPass((p) => p.leader);
      const b = await make('b');
      await b.h.ready;
      expect(b.h.isLeader()).toBe(false);
      expect(await scrape(a.h.url, `${P}_leader`)).toBe(1);
      expect(await scrape(b.h.url, `${P}_leader`)).toBe(0);

      server.store.create(configMap(ns, 'one'));
      await a.h.waitForPass((p) => has(p, `${ns}/one=`) && p.result === 'success');
      await b.h.waitForPass((p) => has(p, `${ns}/one=`) && p.result === 'success');
      expect(a.write.updates.some((m) => m.objects.includes(`${ns}/one=`))).toBe(true);
      expect(a.serve.updates.some((m) => m.objects.includes(`${ns}/one=`))).toBe(true);
      expect(b.serve.updates.some((m) => m.objects.includes(`${ns}/one=`))).toBe(true);
      expect(b.write.updates).toEqual([]);
      expect(b.journal).not.toContain('write:onStartedLeading');

      // The leader stops and releases the Lease: the follower takes over at once.
      const leaseHolder = (): string | undefined =>
        server.store.get<KubeObject & { spec: { holderIdentity?: string } }>(
          'coordination.k8s.io/v1',
          'Lease',
          ns,
          'test-ctl',
        )?.spec.holderIdentity;
      expect(leaseHolder()).toBe('a');
      await a.h.stop();
      await until(() => b.h.isLeader(), 'b leads');
      expect(b.journal).toContain('write:onStartedLeading');
      // Taking the lead runs a pass (no change needed) in which the leader-only step runs.
      const led = await b.h.waitForPass((p) => p.leader && p.result === 'success');
      expect(b.write.updates.length).toBeGreaterThan(0);
      expect(b.journal.indexOf('write:onStartedLeading')).toBeLessThan(b.journal.indexOf('write:update'));
      expect(led.model?.objects).toContain(`${ns}/one=`);
      expect(leaseHolder()).toBe('b');
      expect(await scrape(b.h.url, `${P}_leader`)).toBe(1);

      server.store.create(configMap(ns, 'two'));
      await b.h.waitForPass((p) => has(p, `${ns}/two=`) && p.result === 'success');
      expect(b.write.updates.at(-1)?.objects).toContain(`${ns}/two=`);
    });
  });

  describe('leader election without RBAC for the Lease', () => {
    it('answers /readyz 503 naming the Lease and the missing RBAC while the Lease is forbidden, and recovers', async () => {
      const ns = freshNs();
      const lines = captureLogger();
      // Every Lease request is refused as RBAC would refuse it (far more than the test needs).
      server.faults.failNext(10_000, 403, { pathIncludes: `/namespaces/${ns}/leases` });
      const h = await start(
        ns,
        { leaderElection: { namespace: ns, name: 'test-ctl', identity: 'a', ...LEASE } },
        { logger: lines },
      );
      await until(async () => (await get(h.url, '/readyz')).body.includes('leader-election'), 'forbidden');
      const r = await get(h.url, '/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toMatch(
        new RegExp(`Lease ${ns}/test-ctl \\(HTTP 403\\): RBAC must allow get, create and update`),
      );
      expect(h.isLeader()).toBe(false);
      // Said once at error, not a warning per attempt.
      await until(
        () => lines.lines.filter((l) => l.message.startsWith('cannot read the Lease')).length === 1,
        'one error line',
      );
      server.faults.reset();
      await until(() => h.isLeader(), 'leads once allowed');
      await until(async () => (await get(h.url, '/readyz')).status === 200, 'ready');
      expect(lines.lines.filter((l) => l.level === 'error' && l.message.startsWith('cannot')).length).toBe(1);
    });
  });

  describe('readiness', () => {
    it('answers /readyz 503 before the caches sync and before the first pass, 200 after', async () => {
      const ns = freshNs();
      const entered = gate();
      const release = gate();
      const step = recordingStep<Model>('apply', [], {
        update: async () => {
          entered.open();
          await release.promise;
        },
      });
      server.faults.failNext(1000, 500, { pathIncludes: `/namespaces/${ns}/configmaps` });
      const h = await start(ns, { steps: [step] });
      let readyResolved = false;
      void h.ready.then(() => (readyResolved = true));

      await until(
        () =>
          server.requests().some((r) => r.path === `/api/v1/namespaces/${ns}/configmaps` && r.status === 500),
        'a failed list',
      );
      const unsynced = await get(h.url, '/readyz');
      expect(unsynced.status).toBe(503);
      // It names the informer and why it has not synced (a Forbidden list would say so here).
      expect(unsynced.body).toMatch(
        /informer configmaps\S* has not synced yet \(last list failed: [^)]*injected fault\)/,
      );
      expect((await get(h.url, '/healthz')).status).toBe(200);

      server.faults.reset();
      await entered.promise;
      const inPass = await get(h.url, '/readyz');
      expect(inPass.status).toBe(503);
      expect(inPass.body).toMatch(/no reconcile pass yet/);
      expect(readyResolved).toBe(false);

      release.open();
      await h.ready;
      const after = await get(h.url, '/readyz');
      expect(after.status).toBe(200);
    });

    it('keeps /readyz 503 while a step is not ready', async () => {
      const ns = freshNs();
      let stepReady = false;
      const step = recordingStep<Model>('nginx', [], {
        readiness: () => (stepReady ? { ok: true } : { ok: false, message: 'no config served yet' }),
      });
      const h = await start(ns, { steps: [step] });
      await h.ready;
      const r = await get(h.url, '/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/nginx: no config served yet/);
      stepReady = true;
      expect((await get(h.url, '/readyz')).status).toBe(200);
    });

    it('rejects ready when stopped before the first pass', async () => {
      const ns = freshNs();
      server.faults.failNext(1000, 500, { pathIncludes: `/namespaces/${ns}/configmaps` });
      const h = await start(ns);
      const stopped = h.stop();
      await expect(h.ready).rejects.toThrow(/stopped before the first pass/);
      await stopped;
    });
  });

  describe('stop', () => {
    it('lets the running pass finish, then releases the Lease, stops steps in reverse, then informers, then the server', async () => {
      const ns = freshNs();
      const journal: string[] = [];
      const entered = gate();
      const release = gate();
      let block = false;
      const leaseHolder = (): string | undefined =>
        server.store.get<KubeObject & { spec: { holderIdentity?: string } }>(
          'coordination.k8s.io/v1',
          'Lease',
          ns,
          'stop-test',
        )?.spec.holderIdentity;
      let url = '';
      const first = recordingStep<Model>('first', journal);
      const second = recordingStep<Model>('second', journal, {
        update: async () => {
          if (!block) return;
          entered.open();
          await release.promise;
          journal.push('second:update-finished');
          journal.push(leaseHolder() === 'me' ? 'lease:held' : 'lease:released');
        },
      });
      const journalStop = (step: typeof first) => async (): Promise<void> => {
        journal.push(`${step.name}:stop`);
        journal.push(leaseHolder() === 'me' ? 'lease:held' : 'lease:released');
        journal.push(server.openWatches() > 0 ? 'informers:running' : 'informers:stopped');
        return Promise.resolve();
      };
      first.stop = journalStop(first);
      second.stop = journalStop(second);
      const realEvents = createEventRecorder({ client, component: 'test-ctl' });
      const events: EventRecorder = {
        record: (...args) => realEvents.record(...args),
        stats: () => realEvents.stats(),
        flush: async () => {
          await until(() => server.openWatches() === 0, 'informer watches closed');
          journal.push('informers:stopped');
          journal.push((await get(url, '/healthz')).status === 200 ? 'server:up' : 'server:down');
          await realEvents.flush();
        },
      };
      const h = await start(
        ns,
        {
          steps: [first, second],
          leaderElection: { namespace: ns, name: 'stop-test', identity: 'me', ...LEASE },
        },
        { events },
      );
      url = h.url;
      await h.ready;
      await until(() => leaseHolder() === 'me', 'the Lease is held');
      await h.waitForPass((p) => p.leader);
      await h.idle();
      block = true;
      journal.length = 0;
      server.store.create(configMap(ns, 'change'));
      await entered.promise;

      const stopping = h.stop();
      // The pass still runs: this replica must not hand over while its leader-only steps write.
      await until(async () => (await get(url, '/readyz')).status === 503, 'the stop began');
      expect(leaseHolder()).toBe('me');
      release.open();
      await stopping;
      await expect(get(url, '/healthz')).rejects.toThrow();
      journal.push('server:closed');

      expect(journal).toEqual([
        'first:update',
        'second:update',
        'second:update-finished',
        'lease:held',
        'second:stop',
        'lease:released',
        'informers:running',
        'first:stop',
        'lease:released',
        'informers:running',
        'informers:stopped',
        'server:up',
        'server:closed',
      ]);
      await expect(h.stop()).resolves.toBeUndefined();
    });
  });

  describe('stop signal', () => {
    it('aborts the signal a running update got, so a step waiting on something slow lets the stop proceed', async () => {
      const ns = freshNs();
      const journal: string[] = [];
      let seen: AbortSignal | undefined;
      const entered = gate();
      const slow = recordingStep<Model>('slow', journal);
      slow.update = (_model, signal) => {
        seen = signal;
        entered.open();
        // Waits "for a deferred reload" until the stop aborts it.
        return new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
      };
      const h = await start(ns, { steps: [slow] });
      await entered.promise;
      expect(seen?.aborted).toBe(false);
      running.splice(running.indexOf(h), 1);
      await h.stop();
      expect(seen?.aborted).toBe(true);
      expect(journal).toEqual(['slow:start', 'slow:stop']);
    });
  });

  describe('stop failures', () => {
    it('runs every stage when a step fails to stop, then rejects naming it', async () => {
      const ns = freshNs();
      const journal: string[] = [];
      const first = recordingStep<Model>('first', journal);
      const broken = recordingStep<Model>('broken', journal);
      broken.stop = () => {
        journal.push('broken:stop');
        return Promise.reject(new Error('drain timed out'));
      };
      const handle = await start(ns, { steps: [first, broken] });
      await handle.ready;
      running.splice(running.indexOf(handle), 1);
      const err = await handle.stop().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AggregateError);
      expect((err as AggregateError).message).toMatch(/stop failed in step broken/);
      // The stage after the failed one still ran, and so did the server's.
      expect(journal.filter((j) => j.endsWith(':stop'))).toEqual(['broken:stop', 'first:stop']);
      await expect(get(handle.url, '/healthz')).rejects.toThrow();
      // Idempotent: the same outcome again.
      await expect(handle.stop()).rejects.toBeInstanceOf(AggregateError);
    });
  });

  describe('start', () => {
    it('stops the steps already started and closes the server when a step cannot start', async () => {
      const ns = freshNs();
      const journal: string[] = [];
      const first = recordingStep<Model>('first', journal);
      const second = recordingStep<Model>('second', journal);
      const broken = recordingStep<Model>('broken', journal);
      broken.start = () => Promise.reject(new ConfigError('no nginx binary'));
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      await expect(
        start(ns, { steps: [first, second, broken], http: { host: '127.0.0.1', port } }),
      ).rejects.toThrow(/no nginx binary/);
      expect(journal).toEqual(['first:start', 'second:start', 'second:stop', 'first:stop']);
      await expect(get(`http://127.0.0.1:${port}`, '/healthz')).rejects.toThrow();
    });

    it('rejects reconcileNow before the caches synced', async () => {
      const ns = freshNs();
      server.faults.failNext(1000, 500, { pathIncludes: `/namespaces/${ns}/configmaps` });
      const h = await start(ns);
      await expect(h.reconcileNow()).rejects.toThrow(/not synced/);
    });
  });

  describe('triggers', () => {
    it('reconcileNow runs a pass that starts after the call, without the quiet delay', async () => {
      const ns = freshNs();
      const entered = gate();
      const release = gate();
      let block = false;
      const step = recordingStep<Model>('apply', [], {
        update: async () => {
          if (!block) return;
          block = false;
          entered.open();
          await release.promise;
        },
      });
      const h = await start(ns, { steps: [step], trigger: { quietMs: 60_000, maxWaitMs: 60_000 } });
      await h.ready;
      const first = h.lastPass()!;

      // A change alone waits 60 s; reconcileNow does not.
      server.store.create(configMap(ns, 'a'));
      await until(() => h.listers.configmaps.get('a', ns) !== undefined, 'the cache has a');
      const now = await h.reconcileNow();
      expect(now.seq).toBe(first.seq + 1);
      expect(has(now, `${ns}/a=`)).toBe(true);

      // While a pass runs, reconcileNow waits for a pass that starts after the call.
      block = true;
      const running = h.reconcileNow();
      await entered.promise;
      const next = h.reconcileNow();
      server.store.create(configMap(ns, 'b'));
      await until(() => h.listers.configmaps.get('b', ns) !== undefined, 'the cache has b');
      release.open();
      const r1 = await running;
      const r2 = await next;
      expect(has(r1, `${ns}/b=`)).toBe(false);
      expect(r2.seq).toBeGreaterThan(r1.seq);
      expect(has(r2, `${ns}/b=`)).toBe(true);
    });

    it('rejects a reconcileNow that is still waiting when stop is called', async () => {
      const ns = freshNs();
      const entered = gate();
      const release = gate();
      let block = false;
      const step = recordingStep<Model>('apply', [], {
        update: async () => {
          if (!block) return;
          block = false;
          entered.open();
          await release.promise;
        },
      });
      const h = await start(ns, { steps: [step], trigger: { quietMs: 60_000, maxWaitMs: 60_000 } });
      await h.ready;
      block = true;
      const runningPass = h.reconcileNow();
      await entered.promise;
      const waiting = h.reconcileNow();
      const waitingForever = h.waitForPass(() => false, 60_000);
      const stopping = h.stop();
      release.open();
      await expect(runningPass).resolves.toMatchObject({ result: 'success' });
      await expect(waiting).rejects.toThrow(/stopped before a matching reconcile pass/);
      await expect(waitingForever).rejects.toThrow(/stopped before a matching reconcile pass/);
      await stopping;
      await expect(h.reconcileNow()).rejects.toThrow(/stopping/);
    });

    it('runs a pass every intervalMs without changes', async () => {
      const ns = freshNs();
      const h = await start(ns, { triggerOnChange: false, intervalMs: 50 });
      await h.ready;
      const first = h.lastPass()!.seq;
      await expect(h.waitForPass((p) => p.seq >= first + 2)).resolves.toMatchObject({ result: 'success' });
    });

    it('with triggerOnChange false, a change runs no pass (but onChange sees it)', async () => {
      const ns = freshNs();
      const seen = gate();
      const h = await start(ns, {
        triggerOnChange: false,
        onChange: (informer, e) => {
          if (informer === 'configmaps' && (e.object as ConfigMapObj | undefined)?.metadata.name === 'quiet')
            seen.open();
        },
      });
      await h.ready;
      const first = h.lastPass()!.seq;
      server.store.create(configMap(ns, 'quiet'));
      await seen.promise;
      await expect(h.waitForPass((p) => p.seq > first, 500)).rejects.toThrow();
      const now = await h.reconcileNow();
      expect(now.seq).toBe(first + 1);
      expect(has(now, `${ns}/quiet=`)).toBe(true);
    });
  });

  describe('namespaces', () => {
    it('watches the listed namespaces through one lister and nothing else', async () => {
      const [a, b, c] = [freshNs(), freshNs(), freshNs()];
      server.store.create(configMap(a, 'in-a'));
      server.store.create(configMap(b, 'in-b'));
      server.store.create(configMap(c, 'in-c'));
      const h = await start([a, b]);
      await h.ready;
      expect(h.lastPass()?.model?.objects).toEqual([`${a}/in-a=`, `${b}/in-b=`]);
      expect(h.listers.configmaps.get('in-b', b)?.metadata.name).toBe('in-b');
      expect(h.listers.configmaps.list(a).map((o) => o.metadata.name)).toEqual(['in-a']);
      expect(h.listers.configmaps.hasSynced()).toBe(true);

      server.store.create(configMap(c, 'more-c'));
      server.store.create(configMap(b, 'more-b'));
      const p = await h.waitForPass((x) => has(x, `${b}/more-b=`));
      expect(p.model?.objects).toEqual([`${a}/in-a=`, `${b}/in-b=`, `${b}/more-b=`]);
      expect(h.listers.configmaps.get('more-c', c)).toBeUndefined();
    });
  });

  describe('transform', () => {
    it("caches what the spec's transform returns, for the list and for watch events", async () => {
      const ns = freshNs();
      server.store.create(configMap(ns, 'listed', { v: 'kept', big: 'x'.repeat(1000) }));
      const keepV = (c: ConfigMapObj): ConfigMapObj => ({
        ...c,
        data: c.data?.['v'] === undefined ? {} : { v: c.data['v'] },
      });
      const h = await start(ns, {
        informers: { configmaps: watch<ConfigMapObj>(CONFIG_MAPS, { namespaces: [ns], transform: keepV }) },
      });
      await h.ready;
      expect(h.listers.configmaps.get('listed', ns)?.data).toEqual({ v: 'kept' });
      server.store.create(configMap(ns, 'watched', { v: 'new', big: 'y'.repeat(1000) }));
      await h.waitForPass((x) => has(x, `${ns}/watched=new`));
      expect(h.listers.configmaps.get('watched', ns)?.data).toEqual({ v: 'new' });
    });
  });
});
