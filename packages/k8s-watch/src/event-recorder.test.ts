import { describe, it, expect } from '@jest/globals';
import { createEventRecorder } from './event-recorder.js';
import { createFakeClock } from './fake-clock.js';
import type { KubeClient, KubeRequest } from './kube-client.js';

/** An API that answers nothing until released, and counts what reached it. */
function stalledApi(): { client: KubeClient; sent: () => number; release: () => void } {
  let sent = 0;
  const waiting: (() => void)[] = [];
  let released = false;
  const client: KubeClient = {
    userAgent: 'test',
    request<T>(_req: KubeRequest): Promise<T> {
      sent += 1;
      if (released) return Promise.resolve({} as T);
      return new Promise<T>((resolve) => waiting.push(() => resolve({} as T)));
    },
    watch: () => Promise.resolve(),
  };
  return {
    client,
    sent: () => sent,
    release: () => {
      released = true;
      for (const w of waiting.splice(0)) w();
    },
  };
}

describe('createEventRecorder', () => {
  it('drops (and counts) events beyond maxPending while the API is stalled, instead of queueing without bound', async () => {
    const api = stalledApi();
    const rec = createEventRecorder({
      client: api.client,
      component: 'c',
      clock: createFakeClock(),
      maxPending: 100,
    });
    for (let i = 0; i < 5000; i++)
      rec.record({ kind: 'Pod', namespace: 'ns', name: `p${i}` }, 'Warning', 'Skipped', 'bad');
    expect(rec.stats().dropped).toBe(4900);
    api.release();
    await rec.flush();
    expect(rec.stats().created).toBe(100);
    expect(api.sent()).toBe(100);
    // Once the queue has drained, events are accepted again.
    rec.record({ kind: 'Pod', namespace: 'ns', name: 'later' }, 'Warning', 'Skipped', 'bad');
    await rec.flush();
    expect(rec.stats().created).toBe(101);
  });
});
