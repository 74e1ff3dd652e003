/* eslint-disable @typescript-eslint/require-await -- fakes implement async contracts without awaiting */
import { describe, it, expect } from '@jest/globals';
import { ConfigError, TerminalError } from '@kube-edge/runtime';
import { createFakeClock } from './fake-clock.js';
import { createKeyedQueue } from './keyed-queue.js';

const fast = { qps: 1e6, burst: 1e6 };

describe('createKeyedQueue', () => {
  it('processes each queued key once even if added many times', async () => {
    const clock = createFakeClock();
    const seen: string[] = [];
    const q = createKeyedQueue({ handler: async (k) => void seen.push(k), clock, rateLimit: fast });
    q.add('a');
    q.add('b');
    q.add('a');
    q.start();
    await q.drained();
    expect(seen).toEqual(['a', 'b']);
  });

  it('re-queues a key added while it is being processed, and never runs it concurrently', async () => {
    const clock = createFakeClock();
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    let release: () => void = () => undefined;
    const q = createKeyedQueue({
      handler: async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        if (calls === 1) await new Promise<void>((r) => (release = r));
        active--;
      },
      concurrency: 4,
      clock,
      rateLimit: fast,
    });
    q.start();
    q.add('k');
    await clock.advance(0);
    q.add('k');
    q.add('k');
    expect(q.len()).toBe(0);
    release();
    await q.drained();
    expect(calls).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('retries failures with per-key exponential backoff and forgets on success', async () => {
    const clock = createFakeClock();
    const times: number[] = [];
    const t0 = clock.now();
    const q = createKeyedQueue({
      handler: async () => {
        times.push(clock.now() - t0);
        if (times.length < 4) throw new Error('transient');
      },
      baseDelayMs: 100,
      maxDelayMs: 250,
      clock,
      rateLimit: fast,
    });
    q.start();
    q.add('x');
    await clock.advance(0);
    expect(q.failures('x')).toBe(1);
    await clock.advance(2000);
    expect(times).toEqual([0, 100, 300, 550]);
    expect(q.failures('x')).toBe(0);
    expect(q.stats().retries).toBe(3);
  });

  it('does not retry a TerminalError', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const q = createKeyedQueue({
      handler: async () => {
        calls++;
        throw new TerminalError('bad object');
      },
      baseDelayMs: 10,
      clock,
      rateLimit: fast,
    });
    q.start();
    q.add('x');
    await clock.advance(10_000);
    expect(calls).toBe(1);
    expect(q.stats().terminal).toBe(1);
    expect(q.failures('x')).toBe(0);
  });

  it('applies the global rate limit across keys', async () => {
    const clock = createFakeClock();
    const t0 = clock.now();
    const times: number[] = [];
    const q = createKeyedQueue({
      handler: async () => void times.push(clock.now() - t0),
      rateLimit: { qps: 10, burst: 2 },
      concurrency: 5,
      clock,
    });
    q.start();
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await clock.advance(1000);
    expect(times).toEqual([0, 0, 100, 200, 300]);
  });

  it('stop with drain finishes queued work; stop without drain aborts the running handler and drops the rest', async () => {
    const clock = createFakeClock();
    const done: string[] = [];
    const q1 = createKeyedQueue({ handler: async (k) => void done.push(k), clock, rateLimit: fast });
    ['a', 'b', 'c'].forEach((k) => q1.add(k));
    await q1.stop({ drain: true });
    expect(done).toEqual(['a', 'b', 'c']);
    q1.add('late');
    await clock.advance(100);
    expect(done).toEqual(['a', 'b', 'c']);

    let aborted = false;
    const seen: string[] = [];
    const q2 = createKeyedQueue({
      handler: (k, signal) => {
        seen.push(k);
        return new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        );
      },
      clock,
      rateLimit: fast,
    });
    q2.start();
    ['a', 'b'].forEach((k) => q2.add(k));
    await clock.advance(0);
    await q2.stop();
    expect(aborted).toBe(true);
    expect(seen).toEqual(['a']);
  });

  it('refuses a rate limit that could never refill, instead of polling for a token every millisecond', () => {
    const handler = async (): Promise<void> => undefined;
    for (const rateLimit of [
      { qps: 0, burst: 10 },
      { qps: -1, burst: 10 },
      { qps: Number.NaN, burst: 10 },
      { qps: 10, burst: 0 },
    ]) {
      expect(() => createKeyedQueue({ handler, rateLimit })).toThrow(ConfigError);
    }
    expect(() => createKeyedQueue({ handler, concurrency: 0 })).toThrow(ConfigError);
  });
});
