import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { httpRequest, startApiServer, type ApiServer } from '@kube-edge/testkit';
import {
  runController,
  watch,
  type ControllerHandle,
  type ControllerStep,
  type WatchSpec,
} from './controller.js';
import { createKubeClient } from './kube-client.js';
import { CONFIG_MAPS } from './resources.js';

interface Cm {
  metadata: { name: string; namespace: string };
}
type Informers = { configmaps: WatchSpec<Cm> };

describe('runController with passOnSync: false', () => {
  let server: ApiServer;
  let handle: ControllerHandle<Informers, string[]> | undefined;
  const applied: string[][] = [];

  beforeAll(async () => {
    server = await startApiServer();
    server.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'default' },
    });
  });
  afterAll(async () => {
    await handle?.stop();
    await server?.close();
  });

  it('is ready once the caches synced, runs no pass until asked, then runs one on reconcileNow', async () => {
    const step: ControllerStep<string[]> = {
      name: 'record',
      start: () => Promise.resolve(),
      update: (model) => {
        applied.push(model);
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
      health: () => ({ ok: true }),
      readiness: () => ({ ok: true }),
    };
    handle = await runController<Informers, string[]>(
      {
        name: 'on-demand',
        informers: { configmaps: watch<Cm>(CONFIG_MAPS, { namespaces: ['default'] }) },
        build: (l) => ({ model: l.configmaps.list().map((c) => c.metadata.name), skipped: [] }),
        steps: [step],
        http: { host: '127.0.0.1', port: 0 },
        triggerOnChange: false,
        passOnSync: false,
      },
      {
        logger: createNoopLogger(),
        kubeClient: createKubeClient({ kubeConfig: server.makeKubeConfig() }),
        metrics: createMetrics({ prefix: 'ondemand', collectDefaultMetrics: false }),
      },
    );
    await handle.ready;
    expect((await httpRequest({ url: `${handle.url}/readyz` })).status).toBe(200);
    // A change with triggerOnChange false and no pass on sync: still nothing applied once idle.
    server.store.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', namespace: 'default' },
    });
    await handle.idle();
    expect(handle.lastPass()).toBeUndefined();
    expect(applied).toEqual([]);
    const pass = await handle.reconcileNow();
    expect(pass.seq).toBe(1);
    expect(pass.result).toBe('success');
    expect(applied).toHaveLength(1);
    expect(applied[0]).toContain('a');
  });
});
