import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigRefusedError, TransientError, createMetrics } from '@kube-edge/runtime';
import { startApiServer, type ApiServer } from '@kube-edge/testkit';
import {
  captureLogger,
  configMap,
  eventsAbout,
  namespace,
  scrape,
  until,
  type ConfigMapObj,
} from '../test/controller-support.js';
import {
  runController,
  watch,
  type ControllerHandle,
  type ControllerStep,
  type WatchSpec,
} from './controller.js';
import { CONFIG_REFUSED_REASON } from './controller-isolate.js';
import { createKubeClient, type KubeClient } from './kube-client.js';
import { CONFIG_MAPS } from './resources.js';

type Informers = { configmaps: WatchSpec<ConfigMapObj> };
/** The model: `name=v` of every ConfigMap, sorted. */
type Model = string[];
type Handle = ControllerHandle<Informers, Model>;

const P = 'iso';

/**
 * A step that refuses (like nginx -t) every model holding a ConfigMap whose `v` is `bad`, and every
 * model at all while `global` is set (a broken flag). `check` and `update` agree; both are counted.
 */
function refusingStep(name = 'apply') {
  const state = {
    global: false,
    checks: 0,
    updates: 0,
    applied: [] as Model[],
    checkError: undefined as Error | undefined,
  };
  const verdict = (model: Model): void => {
    if (state.global) throw new ConfigRefusedError('[emerg] unknown directive "brokn" in /etc/x.conf:1');
    const bad = model.find((e) => e.endsWith('=bad'));
    if (bad !== undefined)
      throw new ConfigRefusedError(`[emerg] invalid value for ${bad.split('=')[0]}\nsecond line of output`);
  };
  const step: ControllerStep<Model> = {
    name,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    health: () => ({ ok: true }),
    readiness: () => ({ ok: true }),
    update: (model) => {
      state.updates++;
      verdict(model);
      state.applied.push(model);
      return Promise.resolve();
    },
    check: (model) => {
      state.checks++;
      if (state.checkError !== undefined) return Promise.reject(state.checkError);
      verdict(model);
      return Promise.resolve();
    },
  };
  return { step, state };
}

const names = (m: Model | undefined): string[] => (m ?? []).map((e) => e.split('=')[0]!);

describe('runController with isolate: a refused config is bisected by source object', () => {
  let server: ApiServer;
  let client: KubeClient;
  let nsSeq = 0;
  const running: Handle[] = [];

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

  /** A namespace with `n` ConfigMaps `cm-000`…; those in `bad` have `v: bad`. */
  function cluster(n: number, bad: number[]): string {
    const ns = namespace(server, `iso-${nsSeq++}`);
    for (let i = 0; i < n; i++)
      server.store.create(
        configMap(ns, `cm-${String(i).padStart(3, '0')}`, { v: bad.includes(i) ? 'bad' : 'ok' }),
      );
    return ns;
  }

  async function start(ns: string, steps: ControllerStep<Model>[], maxChecks?: number) {
    const logger = captureLogger();
    const metrics = createMetrics({ prefix: P, collectDefaultMetrics: false });
    const h = await runController<Informers, Model>(
      {
        name: 'iso-ctl',
        informers: { configmaps: watch<ConfigMapObj>(CONFIG_MAPS, { namespaces: [ns] }) },
        build: (l) => ({
          model: l.configmaps
            .list()
            .map((c) => `${c.metadata.name}=${c.data?.['v'] ?? ''}`)
            .sort(),
          skipped: [],
        }),
        steps,
        http: { host: '127.0.0.1', port: 0 },
        trigger: { quietMs: 10, maxWaitMs: 50 },
        retryBackoff: { initialMs: 20, maxMs: 100 },
        isolate: { informers: ['configmaps'], ...(maxChecks === undefined ? {} : { maxChecks }) },
      },
      { logger, kubeClient: client, metrics },
    );
    running.push(h);
    return { h, logger };
  }

  const isolatedTotal = (h: Handle): Promise<number | undefined> =>
    scrape(h.url, `${P}_objects_isolated_total`, { kind: 'ConfigMap' });

  it('finds one offender among 100 in at most 2·log2(100)+2 checks, skips it with an Event quoting the error, applies the rest', async () => {
    const ns = cluster(100, [37]);
    const { step, state } = refusingStep();
    const { h } = await start(ns, [step]);
    await h.ready;
    const pass = h.lastPass()!;
    expect(pass.result).toBe('success');
    expect(names(pass.model)).toHaveLength(99);
    expect(names(pass.model)).not.toContain('cm-037');
    expect(names(state.applied.at(-1))).toEqual(names(pass.model));
    expect(state.checks).toBeLessThanOrEqual(Math.ceil(2 * Math.log2(100) + 2));
    expect(pass.skipped).toEqual([
      expect.objectContaining({
        kind: 'ConfigMap',
        namespace: ns,
        name: 'cm-037',
        reason: CONFIG_REFUSED_REASON,
      }),
    ]);
    // The message quotes the first line of the step's error, not the rest of its output.
    expect(pass.skipped[0]!.message).toContain('[emerg] invalid value for cm-037');
    expect(pass.skipped[0]!.message).not.toContain('second line');
    expect(await isolatedTotal(h)).toBe(1);
    expect(
      await scrape(h.url, `${P}_skipped_objects_total`, { kind: 'ConfigMap', reason: 'ConfigRefused' }),
    ).toBe(1);
    await h.events.flush();
    const events = eventsAbout(server, ns, 'cm-037');
    expect(events).toEqual([
      expect.objectContaining({
        reason: 'ConfigRefused',
        type: 'Warning',
        message: expect.stringContaining('[emerg] invalid value for cm-037') as unknown,
      }),
    ]);
    expect(eventsAbout(server, ns, 'cm-036')).toEqual([]);
  });

  it('finds several offenders and applies everything else', async () => {
    const bad = [0, 13, 50, 51, 99];
    const ns = cluster(100, bad);
    const { step, state } = refusingStep();
    const { h } = await start(ns, [step]);
    await h.ready;
    const pass = h.lastPass()!;
    expect(pass.result).toBe('success');
    expect(names(pass.model)).toHaveLength(95);
    expect(pass.skipped.map((s) => s.name).sort()).toEqual([
      'cm-000',
      'cm-013',
      'cm-050',
      'cm-051',
      'cm-099',
    ]);
    // k·(⌈log2 n⌉ + 1) + 2: the bound the search promises.
    expect(state.checks).toBeLessThanOrEqual(bad.length * (Math.ceil(Math.log2(100)) + 1) + 2);
    expect(await isolatedTotal(h)).toBe(5);
  });

  it('does not bisect a refusal that stays with every isolatable object left out: the pass is a terminal error', async () => {
    const ns = cluster(20, []);
    const { step, state } = refusingStep();
    state.global = true;
    const { h, logger } = await start(ns, [step]);
    await h.ready;
    const pass = h.lastPass()!;
    expect(pass.result).toBe('terminal_error');
    expect(pass.error).toBeInstanceOf(ConfigRefusedError);
    expect(state.checks).toBe(1);
    expect(pass.skipped).toEqual([]);
    expect(await isolatedTotal(h)).toBe(0);
    expect(logger.lines.some((l) => l.message.includes('not bisected'))).toBe(true);
  });

  it('remembers offenders by uid and resourceVersion: later passes leave them out without a search, a changed one is tested again', async () => {
    const ns = cluster(30, [7]);
    const { step, state } = refusingStep();
    const { h } = await start(ns, [step]);
    await h.ready;
    expect(h.lastPass()!.skipped.map((s) => s.name)).toEqual(['cm-007']);
    const checksAfterFirst = state.checks;
    const updatesAfterFirst = state.updates;
    await h.events.flush();
    expect(eventsAbout(server, ns, 'cm-007')).toHaveLength(1);

    // Another object arrives: one update, no search, the offender still out and reported once.
    server.store.create(configMap(ns, 'cm-new', { v: 'ok' }));
    const second = await h.waitForPass((p) => names(p.model).includes('cm-new'));
    expect(second.result).toBe('success');
    expect(names(second.model)).not.toContain('cm-007');
    expect(second.skipped.map((s) => s.name)).toEqual(['cm-007']);
    expect(state.checks).toBe(checksAfterFirst);
    expect(state.updates).toBe(updatesAfterFirst + 1);
    await h.events.flush();
    expect(eventsAbout(server, ns, 'cm-007')).toHaveLength(1);
    expect(await isolatedTotal(h)).toBe(1);

    // Fixed: it is included again and served; its skip is gone.
    server.store.update(configMap(ns, 'cm-007', { v: 'ok' }));
    const fixed = await h.waitForPass((p) => names(p.model).includes('cm-007'));
    expect(fixed.result).toBe('success');
    expect(fixed.skipped).toEqual([]);

    // Broken again: found again and counted again.
    server.store.update(configMap(ns, 'cm-007', { v: 'bad' }));
    const again = await h.waitForPass((p) => p.seq > fixed.seq && !names(p.model).includes('cm-007'));
    expect(again.result).toBe('success');
    expect(again.skipped.map((s) => s.name)).toEqual(['cm-007']);
    expect(await isolatedTotal(h)).toBe(2);
  });

  it('updates every step again with the model without the offenders when a later step refused', async () => {
    const ns = cluster(10, [4]);
    const first = refusingStep('first');
    // The first step accepts anything; the second refuses.
    first.step.update = (model) => {
      first.state.applied.push(model);
      return Promise.resolve();
    };
    delete (first.step as { check?: unknown }).check;
    const second = refusingStep('second');
    const { h } = await start(ns, [first.step, second.step]);
    await h.ready;
    expect(h.lastPass()!.result).toBe('success');
    expect(names(first.state.applied.at(-1))).not.toContain('cm-004');
    expect(names(first.state.applied.at(-1))).toHaveLength(9);
    expect(names(second.state.applied.at(-1))).toEqual(names(first.state.applied.at(-1)));
    expect(h.lastPass()!.skipped[0]!.message).toContain('second refused the config');
  });

  it('stops at the check cap, keeps what it found, and goes on in the next (retried) pass', async () => {
    const ns = cluster(64, [3, 20, 40, 60]);
    const { step, state } = refusingStep();
    const { h, logger } = await start(ns, [step], 10);
    const done = await h.waitForPass((p) => p.result === 'success');
    expect(done.skipped.map((s) => s.name).sort()).toEqual(['cm-003', 'cm-020', 'cm-040', 'cm-060']);
    expect(names(done.model)).toHaveLength(60);
    expect(done.seq).toBeGreaterThan(1);
    expect(logger.lines.some((l) => l.message.includes('check cap'))).toBe(true);
    expect(state.checks).toBeLessThanOrEqual(10 * done.seq);
    expect(await isolatedTotal(h)).toBe(4);
  });

  it('ends the pass with the error of a check that cannot tell (retried, nothing isolated)', async () => {
    const ns = cluster(10, [2]);
    const { step, state } = refusingStep();
    state.checkError = new TransientError('nginx -t did not finish');
    const { h } = await start(ns, [step]);
    const failed = await h.waitForPass((p) => p.result === 'error');
    expect(failed.error).toBe(state.checkError);
    expect(failed.skipped).toEqual([]);
    state.checkError = undefined;
    const ok = await h.waitForPass((p) => p.result === 'success');
    expect(ok.skipped.map((s) => s.name)).toEqual(['cm-002']);
    await until(async () => (await isolatedTotal(h)) === 1, 'isolated counter');
  });
});
