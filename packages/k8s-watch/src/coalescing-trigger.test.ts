/* eslint-disable @typescript-eslint/require-await -- fakes implement async contracts without awaiting */
import { describe, it, expect } from '@jest/globals';
import { createNoopLogger } from '@kube-edge/runtime';
import { createBackoff } from './backoff.js';
import { createSystemClock } from './clock.js';
import { createCoalescingTrigger } from './coalescing-trigger.js';
import { createFakeClock } from './fake-clock.js';

describe('createCoalescingTrigger (fake clock)', () => {
  it('runs once after the quiet window when signals stop', async () => {
    const clock = createFakeClock();
    const starts: number[] = [];
    const t = createCoalescingTrigger({
      run: async () => void starts.push(clock.now()),
      quietMs: 100,
      maxWaitMs: 1000,
      clock,
    });
    const t0 = clock.now();
    t.signal();
    await clock.advance(50);
    t.signal();
    await clock.advance(99);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(starts).toEqual([t0 + 150]);
    await clock.advance(1000);
    expect(starts).toHaveLength(1);
  });

  it('runs at maxWait after the first signal when signals never pause', async () => {
    const clock = createFakeClock();
    const starts: number[] = [];
    const t = createCoalescingTrigger({
      run: async () => void starts.push(clock.now()),
      quietMs: 100,
      maxWaitMs: 300,
      clock,
    });
    const t0 = clock.now();
    for (let i = 0; i < 35; i++) {
      t.signal();
      await clock.advance(10);
    }
    // Batches start at t0 (run at t0+300) and at t0+300 (run at t0+600 is due but signals stop at t0+350: quiet at t0+440).
    expect(starts[0]).toBe(t0 + 300);
    await clock.advance(200);
    expect(starts).toEqual([t0 + 300, t0 + 440]);
  });

  it('keeps minIntervalMs between run starts', async () => {
    const clock = createFakeClock();
    const starts: number[] = [];
    const t = createCoalescingTrigger({
      run: async () => void starts.push(clock.now()),
      quietMs: 10,
      maxWaitMs: 20,
      minIntervalMs: 500,
      clock,
    });
    t.signal();
    await clock.advance(20);
    t.signal();
    await clock.advance(1000);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBe(500);
  });

  it('never overlaps runs and re-runs once for signals that arrived during a run', async () => {
    const clock = createFakeClock();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const t = createCoalescingTrigger({
      run: async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((r) => clock.setTimeout(r, 200));
        running--;
      },
      quietMs: 10,
      maxWaitMs: 10,
      clock,
    });
    t.signal();
    await clock.advance(20);
    for (let i = 0; i < 5; i++) {
      t.signal();
      await clock.advance(20);
    }
    await clock.advance(1000);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries a failed run after the retry backoff', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const t = createCoalescingTrigger({
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      quietMs: 10,
      maxWaitMs: 10,
      clock,
      retryBackoff: createBackoff({ initialMs: 500, jitter: 0 }),
    });
    t.signal();
    await clock.advance(10);
    expect(calls).toBe(1);
    await clock.advance(499);
    expect(calls).toBe(1);
    await clock.advance(11);
    expect(calls).toBe(2);
    expect(t.stats().failures).toBe(1);
  });

  it('runs an immediate signal at once, skipping quiet, maxWait and minInterval', async () => {
    const clock = createFakeClock();
    const starts: number[] = [];
    const t = createCoalescingTrigger({
      run: async () => void starts.push(clock.now()),
      quietMs: 10_000,
      maxWaitMs: 20_000,
      minIntervalMs: 30_000,
      clock,
    });
    const t0 = clock.now();
    t.signal({ immediate: true });
    await clock.advance(0);
    expect(starts).toEqual([t0]);
    // An ordinary signal right after waits for quiet and the minimum interval…
    t.signal();
    await clock.advance(1000);
    expect(starts).toHaveLength(1);
    // …unless an immediate one joins it.
    t.signal({ immediate: true });
    await clock.advance(0);
    expect(starts).toEqual([t0, t0 + 1000]);
    // The flag does not outlive its run: the next plain signal waits again.
    t.signal();
    await clock.advance(10_000);
    expect(starts).toHaveLength(2);
    await clock.advance(21_000);
    expect(starts).toEqual([t0, t0 + 1000, t0 + 31_000]);
  });

  it('runs an immediate signal that arrives during a run right after it', async () => {
    const clock = createFakeClock();
    const starts: number[] = [];
    let release!: () => void;
    let first = true;
    const t = createCoalescingTrigger({
      run: async () => {
        starts.push(clock.now());
        if (first) {
          first = false;
          await new Promise<void>((r) => (release = r));
        }
      },
      quietMs: 10_000,
      clock,
    });
    const t0 = clock.now();
    t.signal({ immediate: true });
    await clock.advance(0);
    t.signal({ immediate: true });
    await clock.advance(500);
    expect(starts).toEqual([t0]);
    release();
    await clock.advance(0);
    expect(starts).toEqual([t0, t0 + 500]);
    await t.idle();
  });

  it('logs failed runs unless logFailures is false, and retries either way', async () => {
    for (const logFailures of [true, false]) {
      const clock = createFakeClock();
      const errors: string[] = [];
      const logger = { ...createNoopLogger(), error: (m: string) => void errors.push(m) };
      let runs = 0;
      const t = createCoalescingTrigger({
        run: async () => {
          runs += 1;
          if (runs === 1) throw new Error('boom');
        },
        quietMs: 10,
        retryBackoff: createBackoff({ initialMs: 100, jitter: 0 }),
        clock,
        logger,
        logFailures,
      });
      t.signal();
      await clock.advance(10);
      expect(runs).toBe(1);
      await clock.advance(110);
      expect(runs).toBe(2);
      expect(errors).toEqual(logFailures ? ['coalesced run failed, will retry'] : []);
      await t.stop();
    }
  });

  it('stop with drain runs a pending signal once; stop without drain drops it', async () => {
    const clock = createFakeClock();
    let a = 0;
    const ta = createCoalescingTrigger({ run: async () => void a++, quietMs: 100, clock });
    ta.signal();
    await ta.stop({ drain: true });
    expect(a).toBe(1);
    let b = 0;
    const tb = createCoalescingTrigger({ run: async () => void b++, quietMs: 100, clock });
    tb.signal();
    await tb.stop();
    await clock.advance(1000);
    tb.signal();
    await clock.advance(1000);
    expect(b).toBe(0);
  });
});

describe('createCoalescingTrigger (real time)', () => {
  it('turns 100 signals over 1 s into a bounded number of non-overlapping runs', async () => {
    const quietMs = 50;
    const maxWaitMs = 200;
    const minIntervalMs = 150;
    let running = 0;
    let overlap = false;
    const starts: number[] = [];
    const t = createCoalescingTrigger({
      run: async () => {
        if (running > 0) overlap = true;
        running++;
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 30));
        running--;
      },
      quietMs,
      maxWaitMs,
      minIntervalMs,
      clock: createSystemClock(),
    });
    const begin = Date.now();
    for (let i = 0; i < 100; i++) {
      t.signal();
      await new Promise((r) => setTimeout(r, 10));
    }
    const span = Date.now() - begin;
    await new Promise((r) => setTimeout(r, maxWaitMs + 100));
    await t.stop();
    // Each run start is ≥ minIntervalMs after the previous one, so at most floor(span/minInterval)+1
    // runs happen while signalling, plus one trailing run for the last batch.
    const bound = Math.floor(span / minIntervalMs) + 2;
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts.length).toBeLessThanOrEqual(bound);
    expect(t.stats().signals).toBe(100);
    expect(overlap).toBe(false);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(minIntervalMs - 5);
  });
});
