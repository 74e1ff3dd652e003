import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, type Logger, type LogMeta } from '@kube-edge/runtime';
import { eventually, startApiServer, tempDir, type ApiServer, type TempDir } from '@kube-edge/testkit';
import { run, type DispatcherApp } from './app.js';
import { config } from '../test/fixtures.js';

const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
// The routing Secret's API key; nginx compares the header with its base64, which the config holds.
const API_KEY = 'mock-api-key-value';
const API_KEY_B64 = Buffer.from(API_KEY).toString('base64');

function memoryLogger(lines: { level: string; message: string; meta?: LogMeta }[]): Logger {
  const make = (): Logger => ({
    error: (message, meta) => void lines.push({ level: 'error', message, ...(meta ? { meta } : {}) }),
    warn: (message, meta) => void lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
    info: (message, meta) => void lines.push({ level: 'info', message, ...(meta ? { meta } : {}) }),
    debug: (message, meta) => void lines.push({ level: 'debug', message, ...(meta ? { meta } : {}) }),
    child: () => make(),
  });
  return make();
}

const until = (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<unknown> =>
  eventually(cond, { timeoutMs, intervalMs: 50, what });

// Mock mode (the original outside a cluster): the config is rendered and logged with its API keys
// redacted, nginx never runs, no file is written. Also: a broken watch ends in a full re-list, not an exit.
describe('mock mode', () => {
  let api: ApiServer;
  let app: DispatcherApp;
  let work: TempDir;
  const metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
  const lines: { level: string; message: string; meta?: LogMeta }[] = [];

  beforeAll(async () => {
    work = await tempDir('dispatcher-mock');
    api = await startApiServer();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'web',
        labels: ROUTABLE,
        annotations: { 'github.com/30x.dispatcher.hosts': '{"web.test": {}}' },
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'web' },
      data: { 'api-key': API_KEY_B64 },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-1',
        namespace: 'web',
        labels: ROUTABLE,
        annotations: { 'github.com/30x.dispatcher.paths': '[{"basePath": "/w", "containerPort": "3000"}]' },
      },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 3000 }] }] },
    });
    api.store.patchMerge('v1', 'Pod', 'web', 'web-1', {
      status: { phase: 'Running', podIP: '10.9.9.7', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    app = await run(
      {
        ...config(),
        mock: true,
        eventWindowMs: 100,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
      },
      { logger: memoryLogger(lines), kubeClient: createKubeClient({ kubeConfig }), metrics },
    );
    await app.ready;
  });

  afterAll(async () => {
    await app?.stop();
    await api?.close();
    await work?.remove();
  });

  it('logs the rendered config with the API keys redacted, its hash and size, and starts no nginx', async () => {
    expect(app.nginx).toBeUndefined();
    // The config itself checks the key...
    const text = app.lastConfig();
    expect(text).toContain(API_KEY_B64);
    const logged = lines.find((l) => l.message.startsWith('config (mock mode'));
    expect(logged?.level).toBe('info');
    // ...the logged one has the same shape with the key replaced.
    const shown = String(logged?.meta?.config);
    expect(shown).toContain('server_name web.test;');
    expect(shown).toContain('server 10.9.9.7:3000;');
    expect(shown).toContain('REDACTED');
    expect(shown).not.toContain(API_KEY_B64);
    expect(shown).toBe(text.split(API_KEY_B64).join('REDACTED'));
    expect(logged?.meta).toMatchObject({
      hash: createHash('sha256').update(text).digest('hex').slice(0, 12),
      bytes: Buffer.byteLength(text),
    });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(work.path)).toEqual([]);
  });

  it('reports a bad object once (warn, metric, Event), not on every pass', async () => {
    api.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'bad',
        namespace: 'web',
        labels: ROUTABLE,
        annotations: { 'github.com/30x.dispatcher.paths': '[{"basePath": "/b", "containerPort": 3000}]' },
      },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 3000 }] }] },
    });
    api.store.patchMerge('v1', 'Pod', 'web', 'bad', {
      status: { phase: 'Running', podIP: '10.9.9.8', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await until(
      () => lines.some((l) => l.message === 'object skipped' && l.meta?.name === 'bad'),
      'the skip report',
    );
    // More passes: unrelated changes in the namespace.
    for (let i = 0; i < 3; i++) {
      api.store.patchMerge('v1', 'Namespace', '', 'web', {
        metadata: {
          annotations: { 'github.com/30x.dispatcher.hosts': `{"web.test": {}, "w${i}.test": {}}` },
        },
      });
      await until(() => app.lastConfig().includes(`w${i}.test`), `pass ${i}`);
    }
    expect(lines.filter((l) => l.message === 'object skipped' && l.meta?.name === 'bad')).toHaveLength(1);
    const counter = await metrics.registry.getSingleMetric('dispatcher_skipped_objects_total')?.get();
    expect(counter?.values.find((v) => v.labels.reason === 'InvalidPathEntry')?.value).toBe(1);
    await until(
      () =>
        api.store
          .list('v1', 'Event', 'web')
          .some((e) => (e as { reason?: string }).reason === 'InvalidPathEntry'),
      'the Event',
    );
  });

  it('re-lists after the watch history is compacted and the watches end, and picks up the change', async () => {
    api.faults.compact({ closeWatches: true });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'web',
        labels: ROUTABLE,
        annotations: { 'github.com/30x.dispatcher.paths': '[{"basePath": "/p", "containerPort": "3000"}]' },
      },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 3000 }] }] },
    });
    api.store.patchMerge('v1', 'Pod', 'web', 'p', {
      status: { phase: 'Running', podIP: '10.9.9.9', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await until(() => app.lastConfig().includes('server 10.9.9.9:3000;'), 'the pod in the config');
    const relists = await metrics.registry.getSingleMetric('kube_edge_informer_relists_total')?.get();
    expect(relists?.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThanOrEqual(1);
  });

  // Runs last: every line the tests above caused.
  it('never logs the API key, raw or base64', () => {
    const all = JSON.stringify(lines);
    expect(lines.filter((l) => l.message.startsWith('config (mock mode')).length).toBeGreaterThanOrEqual(4);
    expect(all).not.toContain(API_KEY_B64);
    expect(all).not.toContain(API_KEY);
  });
});
