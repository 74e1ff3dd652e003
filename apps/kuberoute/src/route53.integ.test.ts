import {
  ChangeResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger, type Metrics } from '@kube-edge/runtime';
import {
  createFakeRoute53,
  httpRequest,
  startApiServer,
  type ApiServer,
  type FakeRoute53,
} from '@kube-edge/testkit';
import { run, type KuberouteApp } from './app.js';
import { kubeClientFor } from './clients.js';
import { UPDATED_TEXT } from './routes.js';
import { parseConfig } from './config.js';
import { appConfig, configText, eventually, obj, seedCluster } from '../test/cluster.js';
import { createFakeS3, type FakeS3 } from '@kube-edge/testkit';
import { routeLabels, service } from '../test/fixtures.js';

const S3_SECTIONS = `[replacements]
cluster_id = c1
[s3report]
bucket_name = reports
key = _TEMPLATE_START_cluster_id_TEMPLATE_END_/kuberoute.json
acl = public-read
[heartbeat]
name_template = heartbeat
[route53]
`;

const values = (r: ResourceRecordSet | undefined): string[] =>
  (r?.ResourceRecords ?? []).map((v) => v.Value ?? '').sort();

describe('kuberoute with Route53 (fake) and the S3 report (fake)', () => {
  let api: ApiServer;
  let r53: FakeRoute53;
  let s3: FakeS3;
  let app: KuberouteApp;
  let metrics: Metrics;
  let zoneId: string;
  const now = new Date(2026, 10, 21, 9, 5);

  const get = async (): Promise<{ status: number; body: string }> => {
    const res = await httpRequest({ url: `${app.url}/`, timeoutMs: 30_000 });
    return { status: res.status, body: res.body };
  };
  const report = (): unknown => JSON.parse(s3.object('reports', 'c1/kuberoute.json')?.body ?? 'null');

  beforeAll(async () => {
    api = await startApiServer();
    r53 = createFakeRoute53();
    zoneId = r53.createHostedZone({ name: 'example.com' }).id;
    r53.putRecord(zoneId, {
      Name: 'www.example.com.',
      Type: 'TXT',
      TTL: 300,
      ResourceRecords: [{ Value: '"keep me"' }],
    });
    s3 = createFakeS3();
    s3.createBucket('reports');
    seedCluster(api, { failover: 'fo.example.com', quota: '50' });
    metrics = createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false });
    const config = parseConfig(configText(api.url, 'route53', S3_SECTIONS));
    app = await run(appConfig(config, { events: true }), {
      logger: createNoopLogger(),
      kubeClient: kubeClientFor(config),
      metrics,
      now: () => now,
      route53Client: new Route53Client(r53.clientConfig()),
      s3Client: new S3Client(s3.clientConfig()),
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
  });

  it('GET / writes the A record and the heartbeat CNAME in the zone named by the domain, TTL 60', async () => {
    expect(await get()).toEqual({ status: 200, body: UPDATED_TEXT });
    const a = r53.record(zoneId, 'www.example.com', 'A');
    expect({ ttl: a?.TTL, values: values(a) }).toEqual({ ttl: 60, values: ['10.0.0.1', '10.0.0.2'] });
    const hb = r53.record(zoneId, 'heartbeat.example.com', 'CNAME');
    expect({ ttl: hb?.TTL, values: values(hb) }).toEqual({
      ttl: 60,
      values: ['2026-11-21-9-5.kuberoute.timestamp'],
    });
    expect(values(r53.record(zoneId, 'www.example.com', 'TXT'))).toEqual(['"keep me"']);
  }, 60_000);

  it('writes the state report in the original format with the ACL and content type', () => {
    const o = s3.object('reports', 'c1/kuberoute.json');
    expect(o?.acl).toBe('public-read');
    expect(o?.contentType).toBe('application/json');
    expect(o?.body).toBe(`{
    "apiserver_available": true,
    "nodes": {
        "node-a": {
            "ready": true,
            "schedulable": true
        },
        "node-b": {
            "ready": true,
            "schedulable": true
        },
        "node-c": {
            "ready": true,
            "schedulable": true
        }
    },
    "services": {
        "www.example.com": {
            "current_quota": 66,
            "endpoints": [
                "10.0.0.1",
                "10.0.0.2"
            ],
            "healthy": true,
            "quota": 50
        }
    }
}`);
  });

  it('makes no Route53 call when nothing changed', async () => {
    r53.resetCalls();
    expect((await get()).status).toBe(200);
    expect(r53.calls()).toEqual([]);
  }, 60_000);

  it('refuses a failover CNAME next to a record it does not own, and says so', async () => {
    api.store.patchMerge('v1', 'Service', 'default', 'web', {
      metadata: { labels: { kuberoute_quota: '80' } },
    });
    const res = await eventually(async () => {
      const r = await get();
      return r.status === 500 ? r : undefined;
    });
    expect(res.body).toMatch(/www\.example\.com.*TXT record with this name not owned/);
    expect(values(r53.record(zoneId, 'www.example.com', 'A'))).toEqual(['10.0.0.1', '10.0.0.2']);
  }, 60_000);

  it('replaces the A record by the failover CNAME in one batch when the quota fails', async () => {
    await new Route53Client(r53.clientConfig()).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'DELETE',
              ResourceRecordSet: {
                Name: 'www.example.com.',
                Type: 'TXT',
                TTL: 300,
                ResourceRecords: [{ Value: '"keep me"' }],
              },
            },
          ],
        },
      }),
    );
    await eventually(async () => {
      await get();
      return r53.record(zoneId, 'www.example.com', 'CNAME');
    });
    expect(r53.record(zoneId, 'www.example.com', 'A')).toBeUndefined();
    expect(values(r53.record(zoneId, 'www.example.com', 'CNAME'))).toEqual(['fo.example.com']);
    const batch = r53.changeBatches().at(-1);
    expect(batch?.changes.map((c) => `${c.action} ${c.type}`)).toEqual(['DELETE A', 'CREATE CNAME']);
  }, 60_000);

  it('deletes the record when there is neither an address nor a failover', async () => {
    api.store.patchMerge('v1', 'Service', 'default', 'web', {
      metadata: { labels: { kuberoute_quota: '0', kuberoute_failover: null } },
    });
    api.store.delete('v1', 'Pod', 'default', 'web-1');
    api.store.delete('v1', 'Pod', 'default', 'web-2');
    await eventually(async () => {
      await get();
      return r53.record(zoneId, 'www.example.com', 'CNAME') === undefined ? true : undefined;
    });
    expect(r53.record(zoneId, 'www.example.com', 'A')).toBeUndefined();
    expect(report()).toMatchObject({
      services: { 'www.example.com': { current_quota: 0, endpoints: [], healthy: true, quota: 0 } },
    });
  }, 60_000);

  it('skips a service without a selector with a Warning Event, reports a missing zone, and still updates the rest', async () => {
    api.store.create(obj(service('nosel', routeLabels('nosel', 'example.com'), { selector: null })));
    api.store.create(obj(service('elsewhere', routeLabels('www', 'nozone.org', { failover: '192.0.2.1' }))));
    const res = await eventually(async () => {
      const r = await get();
      return r.status === 500 && r.body.includes('nozone.org') ? r : undefined;
    });
    expect(res.body).toMatch(/^Record sets partly updated; errors:/);
    const events = await eventually(() => {
      const evs = api.store.list('v1', 'Event', 'default') as {
        reason?: string;
        involvedObject?: { name?: string };
      }[];
      const e = evs.filter((x) => x.reason === 'NoSelector');
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]?.involvedObject?.name).toBe('nosel');
    const metricsText = await metrics.registry.metrics();
    expect(metricsText).toMatch(/kuberoute_skipped_objects\{kind="Service",reason="NoSelector"\} 1/);
    expect(metricsText).toMatch(/kuberoute_skipped_objects_total\{kind="Service",reason="NoSelector"\} 1/);
    expect(metricsText).toMatch(/kuberoute_dns_errors_total \d+/);
  }, 60_000);

  it('on an API outage makes no DNS change and reports apiserver_available=false with the last known state', async () => {
    const before = JSON.stringify(r53.records(zoneId));
    const last = report() as { services: unknown; nodes: unknown };
    await api.stop();
    try {
      const res = await get();
      expect(res.status).toBe(503);
      expect(report()).toEqual({ apiserver_available: false, nodes: last.nodes, services: last.services });
      expect(JSON.stringify(r53.records(zoneId))).toBe(before);
    } finally {
      await api.restart();
    }
  }, 60_000);
});

describe('kuberoute starting while the API server is down', () => {
  it('reports apiserver_available=false with empty nodes and services instead of crashing', async () => {
    const api = await startApiServer();
    const s3 = createFakeS3();
    s3.createBucket('reports');
    const config = parseConfig(configText(api.url, 'fakedns', S3_SECTIONS.replace('[route53]\n', '')));
    await api.stop();
    const lines: string[] = [];
    const app = await run(appConfig(config), {
      logger: createNoopLogger(),
      kubeClient: kubeClientFor(config),
      metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
      s3Client: new S3Client(s3.clientConfig()),
      print: (l) => lines.push(l),
    });
    try {
      const res = await httpRequest({ url: `${app.url}/`, timeoutMs: 30_000 });
      expect(res.status).toBe(503);
      expect(JSON.parse(s3.object('reports', 'c1/kuberoute.json')?.body ?? 'null')).toEqual({
        apiserver_available: false,
        nodes: {},
        services: {},
      });
      expect(lines).toEqual([]);
    } finally {
      await app.stop();
      await api.close();
    }
  }, 60_000);
});
