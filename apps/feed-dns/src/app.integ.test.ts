import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FRONTEND_TAG } from '@kube-edge/aws-frontends';
import { httpRequest } from '@kube-edge/testkit';
import {
  captureLogger,
  eventually,
  ingress,
  nextPass,
  startApp,
  startEnv,
  type Env,
} from '../test/harness.js';
import type { FeedDnsApp } from './app.js';

let env: Env;
let apps: FeedDnsApp[] = [];

beforeEach(async () => {
  env = await startEnv();
  apps = [];
});

afterEach(async () => {
  for (const app of apps) await app.stop();
  await env.close();
});

async function start(
  ...args: Parameters<typeof startApp> extends [unknown, ...infer R] ? R : never
): Promise<FeedDnsApp> {
  const app = await startApp(env, ...args);
  apps.push(app);
  return app;
}

const aliasOf = (name: string): string | undefined =>
  env.r53.record(env.zone.id, name, 'A')?.AliasTarget?.DNSName;
const changeCalls = (): number => env.r53.calls().filter((c) => c === 'ChangeResourceRecordSets').length;

describe('feed-dns against the API server and the Route53/ELB fakes', () => {
  it('writes an ALIAS per scheme, re-points on a scheme change (new and legacy annotation), deletes when the ingress goes', async () => {
    env.api.store.create(ingress('web', ['www.example.com']));
    env.api.store.create(
      ingress('api', ['api.example.com'], { 'sky.uk/frontend-scheme': 'internet-facing' }),
    );
    const app = await start();

    await eventually(() => {
      expect(aliasOf('www.example.com')).toBe(`${env.internal.dnsName}.`);
      expect(aliasOf('api.example.com')).toBe(`${env.external.dnsName}.`);
    });
    const www = env.r53.record(env.zone.id, 'www.example.com', 'A');
    expect(www?.AliasTarget).toEqual({
      DNSName: `${env.internal.dnsName}.`,
      HostedZoneId: env.internal.zoneId,
      EvaluateTargetHealth: false,
    });

    env.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'web', {
      metadata: { annotations: { 'sky.uk/frontend-scheme': 'internet-facing' } },
    });
    await eventually(() => expect(aliasOf('www.example.com')).toBe(`${env.external.dnsName}.`));

    // The legacy name alone (the new one removed) re-points it back.
    env.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'web', {
      metadata: { annotations: { 'sky.uk/frontend-scheme': null, 'sky.uk/frontend-elb-scheme': 'internal' } },
    });
    await eventually(() => expect(aliasOf('www.example.com')).toBe(`${env.internal.dnsName}.`));

    env.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'api');
    await eventually(() => expect(env.r53.record(env.zone.id, 'api.example.com', 'A')).toBeUndefined());
    expect(aliasOf('www.example.com')).toBe(`${env.internal.dnsName}.`);
    expect(app.lastSummary()?.outcome).toBe('applied');
  });

  it('never touches records that are not ours, and reports an ingress host that collides with one', async () => {
    const foreign = [
      {
        Name: 'other.example.com.',
        Type: 'A' as const,
        AliasTarget: {
          DNSName: 'someone-else.eu-west-1.elb.amazonaws.com.',
          HostedZoneId: 'Z32O12XQLNTSW2',
          EvaluateTargetHealth: false,
        },
      },
      { Name: 'plain.example.com.', Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '10.1.2.3' }] },
      {
        Name: 'mx.example.com.',
        Type: 'MX' as const,
        TTL: 60,
        ResourceRecords: [{ Value: '10 mail.example.net' }],
      },
      { Name: 'txt.example.com.', Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: '"hello"' }] },
      {
        Name: 'cname.example.com.',
        Type: 'CNAME' as const,
        TTL: 60,
        ResourceRecords: [{ Value: `${env.internal.dnsName}` }],
      },
    ];
    for (const r of foreign) env.r53.putRecord(env.zone.id, r);
    const before = env.r53.records(env.zone.id).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');
    env.api.store.create(ingress('steal', ['other.example.com', 'plain.example.com', 'mine.example.com']));
    const app = await start();

    await eventually(() => expect(aliasOf('mine.example.com')).toBe(`${env.internal.dnsName}.`));
    await app.reconcileNow();
    const after = env.r53
      .records(env.zone.id)
      .filter((r) => r.Type !== 'SOA' && r.Type !== 'NS' && r.Name !== 'mine.example.com.');
    expect(after).toEqual(before);
    expect(env.r53.changeBatches().flatMap((b) => b.changes.map((c) => c.name))).toEqual([
      'mine.example.com.',
    ]);

    // The colliding hosts are reported on the ingress as Events.
    await eventually(() => {
      const events = env.api.store.list('v1', 'Event', 'default') as {
        reason?: string;
        message?: string;
        involvedObject?: { name?: string };
      }[];
      const mine = events.filter((e) => e.involvedObject?.name === 'steal' && e.reason === 'RecordNotOwned');
      expect(mine.map((e) => e.message).sort()).toEqual([
        expect.stringContaining('other.example.com'),
        expect.stringContaining('plain.example.com'),
      ]);
    });
  });

  // Upper-case hosts and a trailing dot never reach a cluster (the API server refuses such an
  // Ingress host: 422); their no-change case is covered by the model's tests (desired.test.ts).
  it("makes no Route53 call on a second pass for wildcard hosts (Route53's \\052 form), and no change even after re-listing", async () => {
    env.api.store.create(ingress('mixed', ['www.example.com', '*.apps.example.com', 'api.example.com']));
    const app = await start();
    await eventually(() => {
      expect(env.r53.record(env.zone.id, '\\052.apps.example.com', 'A')).toBeDefined();
      expect(aliasOf('www.example.com')).toBeDefined();
      expect(aliasOf('api.example.com')).toBeDefined();
    });
    await app.idle();
    env.r53.resetCalls();

    const prev = app.lastPass();
    env.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'mixed', {
      metadata: { labels: { touched: 'yes' } },
    });
    const p = await nextPass(app, prev);
    expect(p.outcome).toBe('unchanged');
    expect(env.r53.calls()).toEqual([]);

    // With the zone listed again (as at a resync), still no change is written.
    const p2 = await startApp(env, { resyncPeriodMs: 0 });
    apps.push(p2);
    await eventually(() => expect(p2.lastSummary()?.outcome).toBe('unchanged'));
    await p2.reconcileNow();
    expect(env.r53.calls()).toContain('ListResourceRecordSets');
    expect(changeCalls()).toBe(0);
  });

  it('manages several zones, each host in the zone with the longest matching domain', async () => {
    const apps2 = env.r53.createHostedZone({ name: 'apps.example.com' });
    env.api.store.create(ingress('multi', ['www.example.com', 'x.apps.example.com', 'www.example.org']));
    await start({ zones: [env.zone.id, 'apps.example.com'] });
    await eventually(() => {
      expect(env.r53.record(apps2.id, 'x.apps.example.com', 'A')?.AliasTarget?.DNSName).toBe(
        `${env.internal.dnsName}.`,
      );
      expect(aliasOf('www.example.com')).toBe(`${env.internal.dnsName}.`);
    });
    expect(env.r53.record(env.zone.id, 'x.apps.example.com', 'A')).toBeUndefined();
    await eventually(() => {
      const events = env.api.store.list('v1', 'Event', 'default') as { reason?: string; message?: string }[];
      expect(
        events.some((e) => e.reason === 'OutOfZone' && e.message?.includes('www.example.org') === true),
      ).toBe(true);
    });
  });

  it('isolates a bad host (skipped with an Event) and a change Route53 refuses, applying the rest', async () => {
    env.api.store.create(ingress('good', ['good.example.com']));
    // A host the API server accepts (a lowercase RFC 1123 subdomain: it does not limit a label's
    // length) but DNS cannot carry (a 64-character label).
    const badHost = `${'a'.repeat(64)}.example.com`;
    env.api.store.create(ingress('bad', [badHost, 'fine.example.com']));
    const logger = captureLogger();
    const app = await start({}, logger);
    await eventually(() => {
      expect(aliasOf('good.example.com')).toBeDefined();
      expect(aliasOf('fine.example.com')).toBeDefined();
    });
    await eventually(() => {
      const events = env.api.store.list('v1', 'Event', 'default') as {
        reason?: string;
        involvedObject?: { name?: string };
        type?: string;
      }[];
      expect(
        events.filter(
          (e) => e.involvedObject?.name === 'bad' && e.reason === 'InvalidHost' && e.type === 'Warning',
        ),
      ).toHaveLength(1);
    });
    // Reported once, not on every pass.
    await app.reconcileNow();
    await app.reconcileNow();
    expect(
      logger.lines.filter((l) => l.message === 'object skipped' && l.meta.host === badHost),
    ).toHaveLength(1);

    // Someone writes a record behind feed-dns's back (its cached listing does not know): the
    // CREATE for that name is refused, the other new hosts still land.
    env.r53.putRecord(env.zone.id, {
      Name: 'taken.example.com.',
      Type: 'A',
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.9' }],
    });
    env.api.store.create(ingress('batch', ['taken.example.com', 'n1.example.com', 'n2.example.com']));
    await eventually(() => {
      expect(aliasOf('n1.example.com')).toBeDefined();
      expect(aliasOf('n2.example.com')).toBeDefined();
    });
    expect(env.r53.record(env.zone.id, 'taken.example.com', 'A')?.ResourceRecords).toEqual([
      { Value: '10.0.0.9' },
    ]);
    expect(env.r53.changeBatches().some((b) => b.status === 400)).toBe(true);
  });

  it('refuses a plan that would delete most managed records while ingresses exist, then deletes once none exist', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `h${i}`);
    for (const n of names) env.api.store.create(ingress(n, [`${n}.example.com`]));
    const logger = captureLogger();
    const app = await start({}, logger);
    await eventually(() => expect(names.every((n) => aliasOf(`${n}.example.com`) !== undefined)).toBe(true));
    await app.idle();
    env.r53.resetCalls();

    // 9 of 10 ingresses go at once (a bad deploy, a namespace deleted by mistake): 90 % of the
    // records would go while ingresses still exist.
    for (const n of names.slice(1)) env.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', n);
    await eventually(() => expect(app.lastSummary()?.outcome).toBe('refused'));
    await app.idle();
    expect(changeCalls()).toBe(0);
    expect(names.every((n) => aliasOf(`${n}.example.com`) !== undefined)).toBe(true);
    expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('mass-deletion guard'))).toBe(
      true,
    );
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toMatch(/^feed_dns_mass_deletion_refused_total \d+$/m);
    expect(Number(/^feed_dns_mass_deletion_refused_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      1,
    );
    // A refused plan is a terminal error for the loop (not retried until the next change), and
    // readiness is unaffected.
    expect(app.lastPass()?.result).toBe('terminal_error');
    expect(metrics).toMatch(/^feed_dns_reconcile_total\{result="terminal_error"\} [1-9]\d*$/m);
    expect((await httpRequest({ url: `${app.url}/readyz` })).status).toBe(200);

    // No ingress at all: a genuinely empty cluster, so the records go.
    env.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'h0');
    await eventually(() => expect(names.some((n) => aliasOf(`${n}.example.com`) !== undefined)).toBe(false));
  });

  it('writes 1,000 new hosts in at most 4 ChangeResourceRecordSets calls, then a pass with nothing changed makes no Route53 call', async () => {
    for (let i = 0; i < 1000; i++)
      env.api.store.create(
        ingress(`ing-${i}`, [`host-${i}.example.com`], {
          'sky.uk/frontend-scheme': i % 2 === 0 ? 'internal' : 'internet-facing',
        }),
      );
    const app = await start();
    await eventually(
      () => expect(env.r53.records(env.zone.id).filter((r) => r.Type === 'A')).toHaveLength(1000),
      20_000,
    );
    await app.idle();
    expect(changeCalls()).toBeGreaterThanOrEqual(1);
    expect(changeCalls()).toBeLessThanOrEqual(4);
    expect(aliasOf('host-1.example.com')).toBe(`${env.external.dnsName}.`);

    env.r53.resetCalls();
    const prev = app.lastPass();
    env.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'ing-7', {
      metadata: { labels: { x: 'y' } },
    });
    const p = await nextPass(app, prev);
    expect(p.outcome).toBe('unchanged');
    expect(env.r53.calls()).toEqual([]);
  }, 60_000);

  it('writes CNAMEs with the TTL in static mode and rewrites them when the TTL changes', async () => {
    env.api.store.create(
      ingress('s', ['www.example.com', 'ext.example.com'], { 'sky.uk/frontend-scheme': 'internal' }),
    );
    env.api.store.create(ingress('e', ['pub.example.com'], { 'sky.uk/frontend-scheme': 'internet-facing' }));
    const first = await start({
      frontends: { kind: 'static', internal: 'int-lb.example.net', external: undefined },
      cnameTtlSeconds: 60,
    });
    await eventually(() =>
      expect(env.r53.record(env.zone.id, 'www.example.com', 'CNAME')).toEqual({
        Name: 'www.example.com.',
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: 'int-lb.example.net' }],
      }),
    );
    expect(env.r53.record(env.zone.id, 'pub.example.com', 'CNAME')).toBeUndefined();
    await first.stop();
    await start({
      frontends: { kind: 'static', internal: 'int-lb.example.net', external: undefined },
      cnameTtlSeconds: 120,
    });
    await eventually(() => expect(env.r53.record(env.zone.id, 'www.example.com', 'CNAME')?.TTL).toBe(120));
  });

  it('finds NLBs by tag and ALBs by name', async () => {
    const nlb = env.aws.elbv2.createLoadBalancer({
      name: 'edge-nlb',
      type: 'network',
      scheme: 'internal',
      tags: { [FRONTEND_TAG]: 'blue' },
    });
    const alb = env.aws.elbv2.createLoadBalancer({
      name: 'edge-alb',
      type: 'application',
      scheme: 'internet-facing',
    });
    env.r53.addAliasTarget(nlb.dnsName, nlb.canonicalHostedZoneId);
    env.r53.addAliasTarget(alb.dnsName, alb.canonicalHostedZoneId);
    env.api.store.create(ingress('n', ['nlb.example.com']));
    env.api.store.create(ingress('a', ['alb.example.com'], { 'sky.uk/frontend-scheme': 'internet-facing' }));
    const byTag = await start({ frontends: { kind: 'nlb-tags', frontendTagValue: 'blue' } });
    await eventually(() => expect(aliasOf('nlb.example.com')).toBe(`${nlb.dnsName.toLowerCase()}.`));
    expect(env.r53.record(env.zone.id, 'nlb.example.com', 'A')?.AliasTarget?.HostedZoneId).toBe(
      nlb.canonicalHostedZoneId,
    );
    expect(aliasOf('alb.example.com')).toBeUndefined(); // no tagged internet-facing ELBv2
    await byTag.stop();
    await start({ frontends: { kind: 'alb-names', names: ['edge-alb'] } });
    await eventually(() => expect(aliasOf('alb.example.com')).toBe(`${alb.dnsName.toLowerCase()}.`));
  });

  it('with a class filter, publishes only that class (annotation or ingressClassName)', async () => {
    env.api.store.create(
      ingress('a', ['a.example.com'], {
        'sky.uk/frontend-scheme': 'internal',
        'kubernetes.io/ingress.class': 'edge',
      }),
    );
    env.api.store.create(
      ingress('b', ['b.example.com'], {
        'sky.uk/frontend-scheme': 'internal',
        'kubernetes.io/ingress.class': 'other',
      }),
    );
    const c = ingress('c', ['c.example.com']);
    env.api.store.create({ ...c, spec: { ...(c.spec as object), ingressClassName: 'edge' } });
    const app = await start({ classFilter: { ingressClass: 'edge', includeClassless: false } });
    await eventually(() => expect(aliasOf('c.example.com')).toBeDefined());
    await app.reconcileNow();
    expect(aliasOf('a.example.com')).toBeDefined();
    expect(aliasOf('b.example.com')).toBeUndefined();
  });

  it("serves feed's probe paths and the metrics under feed's names", async () => {
    env.api.store.create(ingress('web', ['www.example.com']));
    const app = await start({ metricLabels: { cluster: 'c1' } });
    await eventually(async () => {
      expect((await httpRequest({ url: `${app.url}/readyz` })).status).toBe(200);
    });
    for (const path of ['/healthz', '/health', '/readiness', '/alive'])
      expect((await httpRequest({ url: `${app.url}${path}` })).status).toBe(200);
    const text = (await httpRequest({ url: `${app.url}/metrics` })).body;
    for (const name of [
      'feed_dns_route53_records',
      'feed_dns_route53_updates',
      'feed_dns_route53_failures',
      'feed_dns_skipped_ingress_entries',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    expect(text).toMatch(/^feed_dns_route53_records\{cluster="c1"\} 1$/m);
    expect(text).toMatch(/^feed_dns_route53_updates\{cluster="c1"\} 1$/m);
  });

  it('is not ready and writes nothing while Route53 refuses access, then recovers', async () => {
    env.api.store.create(ingress('web', ['www.example.com']));
    env.r53.failNext({ operation: 'ListResourceRecordSets', code: 'AccessDenied', status: 403, count: 1 });
    const app = await start();
    await eventually(() => expect(app.lastSummary()?.outcome).toBe('failed'));
    expect((await httpRequest({ url: `${app.url}/readyz` })).status).toBe(503);
    // The trigger retries after its backoff (1 s).
    await eventually(() => expect(aliasOf('www.example.com')).toBeDefined());
    await eventually(async () => expect((await httpRequest({ url: `${app.url}/readyz` })).status).toBe(200));
    expect(await app.metrics.registry.getSingleMetricAsString('feed_dns_route53_failures')).toMatch(
      /feed_dns_route53_failures [1-9]/,
    );
  });
});

describe('feed-dns options', () => {
  it('with --dry-run plans and logs every change but writes nothing', async () => {
    env.api.store.create(ingress('web', ['www.example.com', 'api.example.com']));
    const logger = captureLogger();
    const app = await start({ dryRun: true }, logger);
    await eventually(() => expect(app.lastSummary()?.outcome).toBe('applied'));
    expect(changeCalls()).toBe(0);
    expect(aliasOf('www.example.com')).toBeUndefined();
    expect(logger.lines.filter((l) => l.message === 'dns change (dry run)').map((l) => l.meta.name)).toEqual([
      'www.example.com.',
      'api.example.com.',
    ]);
  });

  it('looks the load balancers up again at each resync, picking up one tagged later', async () => {
    env.api.store.create(
      ingress('pub', ['pub.example.com'], { 'sky.uk/frontend-scheme': 'internet-facing' }),
    );
    env.aws.elb.deleteLoadBalancer('edge-ext');
    const app = await start({ resyncPeriodMs: 300 });
    await eventually(() => expect(app.lastSummary()?.skipped).toBe(1));
    expect(aliasOf('pub.example.com')).toBeUndefined();
    const lb = env.aws.elb.createLoadBalancer({
      name: 'edge-ext-2',
      scheme: 'internet-facing',
      tags: { [FRONTEND_TAG]: 'blue' },
    });
    env.r53.addAliasTarget(lb.dnsName, lb.canonicalHostedZoneNameId);
    await eventually(() => expect(aliasOf('pub.example.com')).toBe(`${lb.dnsName}.`));
  });

  it('pushes its metrics to the pushgateway with job feed-dns and the instance', async () => {
    const { createServer } = await import('node:http');
    const pushes: { method: string; url: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        pushes.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      await start({
        pushgateway: { url: `http://127.0.0.1:${port}`, intervalMs: 100 },
        metricLabels: { cluster: 'c1' },
      });
      await eventually(() => expect(pushes.length).toBeGreaterThan(0));
      expect(pushes[0]).toMatchObject({ method: 'POST', url: '/metrics/job/feed-dns/instance/test-host' });
      expect(pushes[0]?.body).toContain('feed_dns_route53_updates{cluster="c1"}');
    } finally {
      for (const app of apps.splice(0)) await app.stop();
      await new Promise((r) => server.close(r));
    }
  });
});
