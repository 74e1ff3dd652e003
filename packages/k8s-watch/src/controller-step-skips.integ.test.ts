import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TerminalError, createMetrics, type LogMeta, type Logger } from '@kube-edge/runtime';
import { startApiServer, type ApiServer } from '@kube-edge/testkit';
import { runController, watch, type ControllerStep, type WatchSpec } from './controller.js';
import { createKubeClient } from './kube-client.js';
import { CONFIG_MAPS } from './resources.js';
import type { SkippedObject } from './skip-reporter.js';

interface ConfigMap {
  metadata: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

function captureLogger(lines: { message: string; meta: LogMeta }[]): Logger {
  const at = (message: string, meta: LogMeta = {}): void => void lines.push({ message, meta });
  const logger: Logger = { error: at, warn: at, info: at, debug: at, child: () => logger };
  return logger;
}

describe('runController: skips found by a step', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("reports a step's skips with the build's, once while they last, also from a pass the step failed", async () => {
    const ns = 'step-skips';
    server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const lines: { message: string; meta: LogMeta }[] = [];
    const metrics = createMetrics({ prefix: 'stepskips', collectDefaultMetrics: false });
    let found: SkippedObject[] = [];
    // Skips every ConfigMap whose `v` is `taken` (as a DNS step skips a name held by someone else);
    // fails the pass for good when one has `v` = `refuse`, after finding its skips.
    const step: ControllerStep<ConfigMap[]> = {
      name: 'claim',
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      health: () => ({ ok: true }),
      readiness: () => ({ ok: true }),
      update: (model) => {
        found = model
          .filter((c) => c.data?.['v'] === 'taken')
          .map((c) => ({
            kind: 'ConfigMap',
            namespace: ns,
            name: c.metadata.name ?? '',
            reason: 'Taken',
            message: 'someone else holds it',
          }));
        if (model.some((c) => c.data?.['v'] === 'refuse'))
          return Promise.reject(new TerminalError('refused'));
        return Promise.resolve();
      },
      skipped: () => found,
    };
    // The spec is typed `unknown` (the loop's informer map is keyed by WatchSpec<unknown>).
    const h = await runController<{ cms: WatchSpec<unknown> }, ConfigMap[]>(
      {
        name: 'step-skips',
        informers: { cms: watch<unknown>(CONFIG_MAPS, { namespaces: [ns] }) },
        build: (l) => ({ model: l.cms.list() as ConfigMap[], skipped: [] }),
        steps: [step],
        http: { host: '127.0.0.1', port: 0 },
        trigger: { quietMs: 10, maxWaitMs: 50 },
      },
      {
        logger: captureLogger(lines),
        kubeClient: createKubeClient({ kubeConfig: server.makeKubeConfig() }),
        metrics,
      },
    );
    try {
      await h.ready;
      const reported = (): number =>
        lines.filter((l) => l.message === 'object skipped' && l.meta['name'] === 'x').length;
      const counter = async (): Promise<number | undefined> =>
        (await metrics.registry.getSingleMetric('stepskips_skipped_objects_total')?.get())?.values.find(
          (v) => v.labels['reason'] === 'Taken',
        )?.value;

      server.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: ns },
        data: { v: 'taken' },
      });
      const first = await h.waitForPass((p) => p.model?.some((c) => c.metadata.name === 'x') ?? false);
      expect(first.result).toBe('success');
      expect(first.skipped).toEqual([expect.objectContaining({ name: 'x', reason: 'Taken' })]);
      expect(reported()).toBe(1);
      expect(await counter()).toBe(1);
      await h.events.flush();
      const events = (
        server.store.list('v1', 'Event', ns) as { reason?: string; involvedObject?: { name?: string } }[]
      ).filter((e) => e.reason === 'Taken' && e.involvedObject?.name === 'x');
      expect(events).toHaveLength(1);

      // The step fails for good in the next pass, after finding the same skip: still one problem,
      // not forgotten (so not reported again) and part of the failed pass.
      server.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'y', namespace: ns },
        data: { v: 'refuse' },
      });
      const failed = await h.waitForPass((p) => p.model?.some((c) => c.metadata.name === 'y') ?? false);
      expect(failed.result).toBe('terminal_error');
      expect(failed.skipped).toEqual([expect.objectContaining({ name: 'x', reason: 'Taken' })]);
      expect(reported()).toBe(1);
      expect(await counter()).toBe(1);
    } finally {
      await h.stop();
    }
  });

  it("keeps the problems of a step that an earlier step's failure kept from running (not forgotten, not reported again)", async () => {
    const ns = 'step-skips-later';
    server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const lines: { message: string; meta: LogMeta }[] = [];
    const metrics = createMetrics({ prefix: 'laterskips', collectDefaultMetrics: false });
    const base = {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      health: () => ({ ok: true }),
      readiness: () => ({ ok: true }),
    };
    // The first step fails (retryably) while any ConfigMap says `v` = `fail`; the second finds skips.
    const gate: ControllerStep<ConfigMap[]> = {
      ...base,
      name: 'gate',
      update: (model) =>
        model.some((c) => c.data?.['v'] === 'fail')
          ? Promise.reject(new TerminalError('gate refused'))
          : Promise.resolve(),
    };
    let found: SkippedObject[] = [];
    const claim: ControllerStep<ConfigMap[]> = {
      ...base,
      name: 'claim',
      update: (model) => {
        found = model
          .filter((c) => c.data?.['v'] === 'taken')
          .map((c) => ({
            kind: 'ConfigMap',
            namespace: ns,
            name: c.metadata.name ?? '',
            reason: 'Taken',
            message: 'held',
          }));
        return Promise.resolve();
      },
      skipped: () => found,
    };
    const h = await runController<{ cms: WatchSpec<unknown> }, ConfigMap[]>(
      {
        name: 'later-skips',
        informers: { cms: watch<unknown>(CONFIG_MAPS, { namespaces: [ns] }) },
        build: (l) => ({ model: l.cms.list() as ConfigMap[], skipped: [] }),
        steps: [gate, claim],
        http: { host: '127.0.0.1', port: 0 },
        trigger: { quietMs: 10, maxWaitMs: 50 },
      },
      {
        logger: captureLogger(lines),
        kubeClient: createKubeClient({ kubeConfig: server.makeKubeConfig() }),
        metrics,
      },
    );
    try {
      await h.ready;
      const reported = (): number =>
        lines.filter((l) => l.message === 'object skipped' && l.meta['name'] === 'x').length;
      server.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: ns },
        data: { v: 'taken' },
      });
      await h.waitForPass(
        (p) => p.result === 'success' && (p.model?.some((c) => c.metadata.name === 'x') ?? false),
      );
      expect(reported()).toBe(1);
      server.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'f', namespace: ns },
        data: { v: 'fail' },
      });
      const failed = await h.waitForPass((p) => p.model?.some((c) => c.metadata.name === 'f') ?? false);
      expect(failed.result).toBe('terminal_error');
      expect(failed.skipped).toEqual([expect.objectContaining({ name: 'x', reason: 'Taken' })]);
      server.store.delete('v1', 'ConfigMap', ns, 'f');
      await h.waitForPass(
        (p) => p.result === 'success' && !(p.model?.some((c) => c.metadata.name === 'f') ?? true),
      );
      // Still the same one problem: never forgotten, so never reported a second time.
      expect(reported()).toBe(1);
    } finally {
      await h.stop();
    }
  });
});
