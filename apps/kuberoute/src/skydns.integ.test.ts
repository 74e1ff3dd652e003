import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { httpRequest, startApiServer, startEtcd, type ApiServer, type EtcdProcess } from '@kube-edge/testkit';
import { Etcd3 } from 'etcd3';
import { run, type KuberouteApp } from './app.js';
import { kubeClientFor } from './clients.js';
import { HEALTHY_TEXT, UPDATED_TEXT } from './routes.js';
import { parseConfig } from './config.js';
import { appConfig, configText, eventually, obj, seedCluster } from '../test/cluster.js';
import { pod } from '../test/fixtures.js';

// Real etcd, testkit's API server, the app in-process: GET / and the keys under /skydns.
describe('kuberoute with SkyDNS on real etcd (v3)', () => {
  let api: ApiServer;
  let etcd: EtcdProcess;
  let reader: Etcd3;
  let app: KuberouteApp;
  const now = new Date(2026, 10, 21, 9, 5);

  const keys = async (): Promise<Record<string, unknown>> => {
    const all = await reader.getAll().prefix('/skydns/').strings();
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as unknown]));
  };
  const trigger = async (): Promise<{ status: number; body: string }> => {
    const res = await httpRequest({ url: `${app.url}/`, timeoutMs: 30_000 });
    return { status: res.status, body: res.body };
  };

  beforeAll(async () => {
    [api, etcd] = await Promise.all([startApiServer(), startEtcd()]);
    reader = new Etcd3({ hosts: etcd.clientUrl });
    const port = new URL(etcd.clientUrl).port;
    seedCluster(api, { failover: 'fo.example.com', quota: '50' });
    const config = parseConfig(
      configText(
        api.url,
        'skydns',
        `[skydns]\nhost = 127.0.0.1\nport = ${port}\nprotocol = http\n[heartbeat]\nname_template = heartbeat\n`,
      ),
    );
    app = await run(appConfig(config, { debug: true }), {
      logger: createNoopLogger(),
      kubeClient: kubeClientFor(config),
      metrics: createMetrics({ prefix: 'kuberoute' }),
      now: () => now,
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    reader?.close();
    await Promise.all([api?.close(), etcd?.stop()]);
  });

  it('GET / writes x1..xN with host and ttl 60 under the reversed name, plus the heartbeat', async () => {
    expect(await trigger()).toEqual({ status: 200, body: UPDATED_TEXT });
    expect(await keys()).toEqual({
      '/skydns/com/example/www/x1': { host: '10.0.0.1', ttl: 60 },
      '/skydns/com/example/www/x2': { host: '10.0.0.2', ttl: 60 },
      '/skydns/com/example/heartbeat/x1': { host: '2026-11-21-9-5.kuberoute.timestamp', ttl: 60 },
    });
  }, 60_000);

  it('GET /health answers as the original', async () => {
    const res = await httpRequest({ url: `${app.url}/health` });
    expect([res.status, res.body]).toEqual([200, HEALTHY_TEXT]);
  });

  it('removes the stale key when the service shrinks', async () => {
    api.store.patchMerge('v1', 'Service', 'default', 'web', {
      metadata: { labels: { kuberoute_quota: '30' } },
    });
    api.store.delete('v1', 'Pod', 'default', 'web-2');
    await eventually(async () => {
      await trigger();
      const k = await keys();
      return k['/skydns/com/example/www/x2'] === undefined ? k : undefined;
    });
    const k = await keys();
    expect(k['/skydns/com/example/www/x1']).toEqual({ host: '10.0.0.1', ttl: 60 });
    expect(Object.keys(k).filter((key) => key.startsWith('/skydns/com/example/www/'))).toEqual([
      '/skydns/com/example/www/x1',
    ]);
  }, 60_000);

  it('switches to a CNAME failover value without leaving A records behind when the quota fails', async () => {
    api.store.create(obj(pod('web-3', 'web', '10.0.0.3')));
    await eventually(async () => {
      await trigger();
      const k = await keys();
      return k['/skydns/com/example/www/x2'] !== undefined ? k : undefined;
    });
    // 2 of 3 nodes (66 %) is below 80 %: the failover name, alone.
    api.store.patchMerge('v1', 'Service', 'default', 'web', {
      metadata: { labels: { kuberoute_quota: '80' } },
    });
    api.store.delete('v1', 'Pod', 'default', 'web-3');
    await eventually(async () => {
      await trigger();
      const k = await keys();
      return k['/skydns/com/example/www/x2'] === undefined ? k : undefined;
    });
    const k = await keys();
    expect(
      Object.fromEntries(Object.entries(k).filter(([key]) => key.startsWith('/skydns/com/example/www/'))),
    ).toEqual({
      '/skydns/com/example/www/x1': { host: 'fo.example.com', ttl: 60 },
    });
  }, 60_000);

  it('leaves keys it does not compute alone', async () => {
    await reader.put('/skydns/com/example/other/x1').value('{"host":"10.9.9.9"}');
    await trigger();
    expect((await keys())['/skydns/com/example/other/x1']).toEqual({ host: '10.9.9.9' });
  }, 60_000);
});
