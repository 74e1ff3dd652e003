import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { startApiServer } from '@kube-edge/testkit';
import type { ApiServer, KubeObject } from '@kube-edge/testkit';
import { createKubeClient } from './kube-client.js';
import type { KubeClient } from './kube-client.js';
import { createLeaderElector, microTime } from './leader-election.js';
import type { LeaderElector, LeaderElectorOptions } from './leader-election.js';

const LEASE_MS = 1000;
const RENEW_MS = 600;
const RETRY_MS = 100;
const JITTER = 0.2;
// Request round trips and timer slop on a busy 2-core machine.
const SLACK_MS = 150;

async function until(cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe('leader election on a Lease', () => {
  let server: ApiServer;
  let client: KubeClient;
  let leaseName = 0;
  const electors: LeaderElector[] = [];
  const make = (identity: string, name: string, extra: Partial<LeaderElectorOptions> = {}): LeaderElector => {
    const e = createLeaderElector({
      client,
      namespace: 'default',
      name,
      identity,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_MS,
      retryPeriodMs: RETRY_MS,
      jitter: JITTER,
      ...extra,
    });
    electors.push(e);
    return e;
  };

  beforeAll(async () => {
    server = await startApiServer();
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterEach(async () => {
    server.faults.reset();
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lets exactly one of two electors lead, and records it in the Lease', async () => {
    const name = `lease-${leaseName++}`;
    const a = make('a', name);
    const b = make('b', name);
    a.start();
    b.start();
    await until(() => a.isLeader() || b.isLeader(), 3000);
    let both = false;
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      if (a.isLeader() && b.isLeader()) both = true;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(both).toBe(false);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const leader = a.isLeader() ? 'a' : 'b';
    const lease = server.store.get<
      KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number } }
    >('coordination.k8s.io/v1', 'Lease', 'default', name);
    expect(lease?.spec.holderIdentity).toBe(leader);
    expect(lease?.spec.leaseDurationSeconds).toBe(1);
    expect(a.leader()).toBe(leader);
    expect(b.leader()).toBe(leader);
  });

  it('hands over within lease duration + retry period when the leader stops renewing', async () => {
    const name = `lease-${leaseName++}`;
    const a = make('a', name);
    a.start();
    await until(() => a.isLeader(), 3000);
    const b = make('b', name);
    b.start();
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    expect(b.isLeader()).toBe(false);
    // A crash: no release, no more renewals.
    await a.stop({ release: false });
    const took = await until(() => b.isLeader(), 5000);
    expect(took).toBeLessThanOrEqual(LEASE_MS + RETRY_MS * (1 + JITTER) + SLACK_MS);
    expect(took).toBeGreaterThanOrEqual(LEASE_MS - 2 * RETRY_MS * (1 + JITTER));
  });

  it('takes a released lease at once', async () => {
    const name = `lease-${leaseName++}`;
    const a = make('a', name);
    a.start();
    await until(() => a.isLeader(), 3000);
    const b = make('b', name);
    b.start();
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    await a.stop();
    const holder = server.store.get<KubeObject & { spec: { holderIdentity?: string } }>(
      'coordination.k8s.io/v1',
      'Lease',
      'default',
      name,
    );
    expect(['', 'b']).toContain(holder?.spec.holderIdentity ?? '');
    const took = await until(() => b.isLeader(), 3000);
    expect(took).toBeLessThanOrEqual(RETRY_MS * (1 + JITTER) + SLACK_MS);
  });

  it('stops leading when renewals fail past the renew deadline, and aborts the leading signal', async () => {
    const name = `lease-${leaseName++}`;
    let started = 0;
    let stopped = 0;
    let signal: AbortSignal | undefined;
    const a = make('a', name, {
      onStartedLeading: (s) => {
        started++;
        signal = s;
      },
      onStoppedLeading: () => void stopped++,
    });
    a.start();
    await until(() => a.isLeader(), 3000);
    expect(started).toBe(1);
    server.faults.failNext(1000, 500, { pathIncludes: `/leases/${name}` });
    const failingSince = Date.now();
    await until(() => !a.isLeader(), 5000);
    const lostAfter = Date.now() - failingSince;
    expect(lostAfter).toBeLessThanOrEqual(RENEW_MS + RETRY_MS + SLACK_MS);
    expect(lostAfter).toBeLessThan(LEASE_MS);
    // isLeader() turns false at the deadline itself; the callback follows from the loop.
    await until(() => stopped > 0, SLACK_MS);
    expect(stopped).toBe(1);
    expect(signal?.aborted).toBe(true);
    server.faults.reset();
    // It campaigns again and, being alone, leads again.
    await until(() => a.isLeader(), 3000);
    expect(started).toBe(2);
  });

  it('calls onStoppedLeading once when stopped while leading', async () => {
    const name = `lease-${leaseName++}`;
    let stopped = 0;
    const a = make('a', name, { onStoppedLeading: () => void stopped++ });
    a.start();
    await until(() => a.isLeader(), 3000);
    await a.stop();
    await a.stop();
    expect(stopped).toBe(1);
    expect(a.isLeader()).toBe(false);
  });

  it('rejects inconsistent timings with a ConfigError', () => {
    expect(() =>
      createLeaderElector({
        client,
        namespace: 'default',
        name: 'x',
        identity: 'a',
        leaseDurationMs: 1000,
        renewDeadlineMs: 1000,
      }),
    ).toThrow(ConfigError);
    expect(() =>
      createLeaderElector({
        client,
        namespace: 'default',
        name: 'x',
        identity: 'a',
        renewDeadlineMs: 1000,
        retryPeriodMs: 1000,
      }),
    ).toThrow(ConfigError);
  });

  it('formats MicroTime with microseconds', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
