import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { eventually, ingress, startApp, startEnv, type Env } from '../test/harness.js';
import type { FeedDnsApp } from './app.js';

let env: Env;
const apps: FeedDnsApp[] = [];

beforeEach(async () => {
  env = await startEnv();
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  await env.close();
});

const lease = (identity: string) => ({
  leaderElection: {
    namespace: 'default',
    name: 'feed-dns',
    identity,
    leaseDurationMs: 1500,
    renewDeadlineMs: 1000,
    retryPeriodMs: 100,
  },
});

async function route53Requests(app: FeedDnsApp): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric('feed_dns_route53_requests_total')?.get();
  return (metric?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('leader election', () => {
  it('lets only the Lease holder write; the other replica takes over when the leader stops', async () => {
    env.api.store.create(ingress('web', ['www.example.com']));
    const a = await startApp(env, lease('replica-a'));
    apps.push(a);
    await eventually(() => expect(a.isLeader()).toBe(true));
    const b = await startApp(env, lease('replica-b'));
    apps.push(b);
    await eventually(() => expect(env.r53.record(env.zone.id, 'www.example.com', 'A')).toBeDefined());

    const stored = env.api.store.get('coordination.k8s.io/v1', 'Lease', 'default', 'feed-dns') as {
      spec?: { holderIdentity?: string };
    };
    expect(stored.spec?.holderIdentity).toBe('replica-a');
    await b.ready;
    await b.reconcileNow();
    expect(b.isLeader()).toBe(false);
    expect(b.lastSummary()?.outcome).toBe('standby');
    expect(await route53Requests(b)).toBe(0);
    expect(await route53Requests(a)).toBeGreaterThan(0);

    // The leader stops and releases the Lease; the standby takes it and reconciles.
    await a.stop();
    await eventually(() => expect(b.isLeader()).toBe(true), 5000);
    env.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'web');
    await eventually(() => expect(env.r53.record(env.zone.id, 'www.example.com', 'A')).toBeUndefined());
    expect(await route53Requests(b)).toBeGreaterThan(0);
  });
});
