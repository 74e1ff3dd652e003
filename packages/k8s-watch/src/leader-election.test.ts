import { describe, it, expect } from '@jest/globals';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { KubeApiError, type KubeClient, type KubeRequest } from './kube-client.js';
import { createLeaderElector } from './leader-election.js';

type Mode = 'ok' | 'fail' | 'hang';

/**
 * A Lease-only API on a fake clock. `hang` models an API server that accepted the connection
 * but never answers: the request settles only when its signal aborts or, like the real
 * client's socket timeout, after `timeoutMs` on the clock.
 */
function fakeLeaseApi(clock: FakeClock): { client: KubeClient; setMode: (m: Mode) => void } {
  let mode: Mode = 'ok';
  let lease: Record<string, unknown> | undefined;
  let rv = 0;
  const client: KubeClient = {
    userAgent: 'test',
    request<T>(req: KubeRequest): Promise<T> {
      if (mode === 'fail') return Promise.reject(new KubeApiError('boom', 500));
      if (mode === 'hang') {
        return new Promise<T>((_, reject) => {
          const fail = (): void => reject(new Error('request aborted'));
          if (req.timeoutMs !== undefined) clock.setTimeout(fail, req.timeoutMs);
          req.signal?.addEventListener('abort', fail, { once: true });
        });
      }
      const method = req.method ?? 'GET';
      if (method === 'GET') {
        if (lease === undefined) return Promise.reject(new KubeApiError('not found', 404));
        return Promise.resolve(structuredClone(lease) as T);
      }
      const body = req.body as { metadata: Record<string, unknown> };
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return Promise.resolve(structuredClone(lease) as T);
    },
    watch: () => Promise.resolve(),
  };
  return { client, setMode: (m) => void (mode = m) };
}

describe('createLeaderElector renew deadline (fake clock)', () => {
  it('stops leading within the renew deadline even when a renewal request hangs', async () => {
    const clock = createFakeClock();
    const api = fakeLeaseApi(clock);
    let stoppedAt: number | undefined;
    const e = createLeaderElector({
      client: api.client,
      namespace: 'default',
      name: 'l',
      identity: 'a',
      clock,
      random: () => 0,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onStoppedLeading: () => void (stoppedAt = clock.now()),
    });
    e.start();
    await clock.advance(0);
    expect(e.isLeader()).toBe(true);
    const lastRenew = clock.now();
    // Renewals at +2 s, +4 s and +6 s fail fast; the one at +8 s never gets an answer.
    api.setMode('fail');
    await clock.advance(7_000);
    expect(e.isLeader()).toBe(true);
    api.setMode('hang');
    // Another replica may take the lease once it expires (lastRenew + 15 s); this one must have
    // given up at lastRenew + renewDeadline, not after the hanging request's own timeout.
    await clock.advance(3_000);
    expect(e.isLeader()).toBe(false);
    expect(stoppedAt).toBeDefined();
    expect(stoppedAt! - lastRenew).toBeLessThanOrEqual(10_000);
    api.setMode('ok');
    await e.stop({ release: false });
  });

  it('reports no leadership once the renew deadline has passed, before the loop notices', async () => {
    const clock = createFakeClock();
    const api = fakeLeaseApi(clock);
    const e = createLeaderElector({
      client: api.client,
      namespace: 'default',
      name: 'l',
      identity: 'a',
      clock,
      random: () => 0,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    e.start();
    await clock.advance(0);
    expect(e.isLeader()).toBe(true);
    api.setMode('hang');
    await clock.advance(9_999);
    expect(e.isLeader()).toBe(true);
    await clock.advance(1);
    expect(e.isLeader()).toBe(false);
    api.setMode('ok');
    await e.stop({ release: false });
  });

  it('is already leader when onStartedLeading runs, also in a later term', async () => {
    const clock = createFakeClock();
    const api = fakeLeaseApi(clock);
    const seen: boolean[] = [];
    const e: ReturnType<typeof createLeaderElector> = createLeaderElector({
      client: api.client,
      namespace: 'default',
      name: 'l',
      identity: 'a',
      clock,
      random: () => 0,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onStartedLeading: () => void seen.push(e.isLeader()),
    });
    e.start();
    await clock.advance(0);
    api.setMode('fail');
    await clock.advance(10_000);
    expect(e.isLeader()).toBe(false);
    api.setMode('ok');
    await clock.advance(2_000);
    expect(seen).toEqual([true, true]);
    await e.stop({ release: false });
  });
});
