import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, type Logger } from '@kube-edge/runtime';
import { httpRequest, startApiServer, type ApiServer } from '@kube-edge/testkit';
import { run, type KuberouteApp } from './app.js';
import { kubeClientFor } from './clients.js';
import { parseConfig } from './config.js';
import { appConfig, configText, eventually, obj, seedCluster } from '../test/cluster.js';
import { createFakeS3 } from '@kube-edge/testkit';
import { routeLabels, service } from '../test/fixtures.js';

function capturingLogger(lines: { level: string; message: string }[]): Logger {
  const log =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const logger: Logger = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: () => logger,
  };
  return logger;
}

// kuberoute on the shared loop: skip reporting, serialised passes, readiness without a pass.
describe('kuberoute on the controller loop (fakedns)', () => {
  let api: ApiServer;
  let app: KuberouteApp;
  const logs: { level: string; message: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  beforeAll(async () => {
    api = await startApiServer();
    seedCluster(api);
    const s3 = createFakeS3();
    s3.createBucket('reports');
    const fake = s3.clientConfig();
    const config = parseConfig(
      configText(api.url, 'fakedns', '[s3report]\nbucket_name = reports\nkey = kuberoute.json\n'),
    );
    app = await run(appConfig(config), {
      logger: capturingLogger(logs),
      kubeClient: kubeClientFor(config),
      metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
      print: () => undefined,
      // Every pass uploads the report: a slow upload widens the window in which passes would overlap.
      s3Client: new S3Client({
        ...fake,
        requestHandler: {
          handle: async (request: Parameters<typeof fake.requestHandler.handle>[0]) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await new Promise((r) => setTimeout(r, 20));
            inFlight -= 1;
            return fake.requestHandler.handle(request);
          },
        },
      }),
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
  });

  it('is ready once the caches synced, before any pass (the original only reconciles on GET /)', async () => {
    await app.ready;
    expect((await httpRequest({ url: `${app.url}/readyz` })).status).toBe(200);
    expect(app.lastPass()).toBeUndefined();
  });

  it('warns about a skipped service once while the problem lasts, and again when it comes back', async () => {
    const skippedLogs = (): number => logs.filter((l) => l.message === 'object skipped').length;
    api.store.create(obj(service('bad', routeLabels('bad', 'example.com', { quota: 'lots' }))));
    const seen = (pred: () => boolean): Promise<true> => eventually(() => (pred() ? true : undefined));
    await seen(() => app.listers.services.get('bad', 'default') !== undefined);
    await app.reconcile();
    await app.reconcile();
    expect(skippedLogs()).toBe(1);
    api.store.patchMerge('v1', 'Service', 'default', 'bad', {
      metadata: { labels: { kuberoute_quota: '10' } },
    });
    await seen(
      () => app.listers.services.get('bad', 'default')?.metadata?.labels?.['kuberoute_quota'] === '10',
    );
    await app.reconcile();
    api.store.patchMerge('v1', 'Service', 'default', 'bad', {
      metadata: { labels: { kuberoute_quota: 'x' } },
    });
    await seen(
      () => app.listers.services.get('bad', 'default')?.metadata?.labels?.['kuberoute_quota'] === 'x',
    );
    await app.reconcile();
    expect(skippedLogs()).toBe(2);
  }, 60_000);

  it('runs concurrent reconciles one after another', async () => {
    maxInFlight = 0;
    const results = await Promise.all([app.reconcile(), app.reconcile(), app.reconcile()]);
    expect(results.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated']);
    expect(maxInFlight).toBe(1);
  }, 60_000);
});
