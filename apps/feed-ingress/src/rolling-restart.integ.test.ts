import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { httpRequest, startEchoServer, type EchoServer } from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

const DRAIN_MS = 400;

// A rolling restart as the load balancer sees it: traffic flows until the node is detached;
// requests in flight at detach (some longer than the drain delay) must all complete, because
// nginx only quits (gracefully) after the drain delay.
describe('feed-ingress shutdown under load', () => {
  let h: Harness | undefined;
  let pod: EchoServer;

  beforeAll(async () => {
    pod = await startEchoServer({ host: '127.0.0.41', name: 'pod' });
    h = await startHarness({ command: ['static', `--drain-delay=${DRAIN_MS}ms`] });
    h.api.store.create(service('default', 'svc', '127.0.0.41', pod.port));
    h.api.store.create(
      ingress('default', 'roll', 'roll.test', [{ path: '/', service: 'svc', port: pod.port }]),
    );
    // Settled: any coalesced reload done, and ten answers in a row from the new config.
    await eventually(async () => {
      await h!.handle.nginx.process.flush();
      for (let i = 0; i < 10; i++) {
        const r = await h!.get('roll.test', '/');
        if (r.status !== 200) throw new Error(`status ${r.status}`);
      }
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await pod?.close();
  });

  it('loses no request: detach, then the drain delay, then a graceful nginx quit', async () => {
    const harness = h!;
    const detached = (): boolean => harness.handle.timeline().some((e) => e.name === 'frontend-detached');
    const results: { status: number; error?: string; delayMs: number }[] = [];
    const inFlight = new Set<Promise<void>>();
    const deadline = Date.now() + 20_000;
    let sent = 0;
    let shutdownPromise: Promise<number> | undefined;

    // Bounded load: at most 8 concurrent, at most 3000 requests, at most 20 s; new requests stop
    // once the frontend has detached (the load balancer no longer sends this node traffic).
    while (!detached() && sent < 3000 && Date.now() < deadline) {
      if (inFlight.size < 8) {
        // Every fourth request is slower than the drain delay, so some are still running when nginx gets SIGQUIT.
        const delayMs = sent % 4 === 0 ? DRAIN_MS + 300 : 20;
        sent++;
        const p = httpRequest({
          url: `http://127.0.0.1:${harness.httpPort}/?delayMs=${delayMs}`,
          host: 'roll.test',
          timeoutMs: 10_000,
        })
          .then(
            (r) =>
              void results.push({
                status: r.status,
                delayMs,
                ...(r.status !== 200
                  ? {
                      error: `${sent} ${r.body.slice(0, 80)} ${harness.handle
                        .timeline()
                        .map((e) => e.name)
                        .join(',')}`,
                    }
                  : {}),
              }),
          )
          .catch((err: unknown) => void results.push({ status: 0, error: String(err), delayMs }))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      } else {
        await Promise.race(inFlight);
      }
      if (shutdownPromise === undefined && sent >= 60) shutdownPromise = harness.shutdown.shutdown('SIGTERM');
    }
    expect(detached()).toBe(true);
    // While draining, readiness already fails so no new traffic is routed here.
    const readyDuringDrain = (await httpRequest({ url: `${harness.handle.url}/readyz` })).status;
    await Promise.all(inFlight);
    const code = await shutdownPromise!;

    const failed = results.filter((r) => r.status !== 200);
    expect(failed).toEqual([]);
    expect(results.length).toBe(sent);
    expect(results.filter((r) => r.delayMs > DRAIN_MS).length).toBeGreaterThan(0);
    expect(readyDuringDrain).toBe(503);
    expect(code).toBe(0);

    const at = (name: string): number => {
      const e = harness.handle.timeline().find((x) => x.name === name);
      if (e === undefined) throw new Error(`no ${name} in timeline`);
      return e.at;
    };
    // Start order: caches synced, nginx serving the first full config, then the frontend attached.
    expect(at('caches-synced')).toBeLessThanOrEqual(at('nginx-started'));
    expect(at('nginx-started')).toBeLessThanOrEqual(at('frontend-attached'));
    expect(at('frontend-detached')).toBeLessThanOrEqual(at('drain-started'));
    expect(at('drain-finished') - at('drain-started')).toBeGreaterThanOrEqual(DRAIN_MS - 5);
    expect(at('nginx-stopping')).toBeGreaterThanOrEqual(at('drain-finished'));
    expect(at('nginx-stopped')).toBeGreaterThanOrEqual(at('nginx-stopping'));
    // nginx is gone afterwards.
    await expect(
      httpRequest({ url: `http://127.0.0.1:${harness.httpPort}/`, host: 'roll.test', timeoutMs: 1000 }),
    ).rejects.toThrow();
  });
});
