import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@kube-edge/testkit';
import { eventually, startHarness, type Harness } from '../test/harness.js';

// --pushgateway pushes the registry with job feed-ingress and grouping instance=<pod name>;
// --pushgateway-label pairs are labels on every metric, as in feed.
describe('pushgateway', () => {
  let gateway: Server;
  const pushes: { method: string; url: string; body: string }[] = [];
  let h: Harness | undefined;

  beforeAll(async () => {
    const port = await freePort();
    gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        pushes.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((r) => gateway.listen(port, '127.0.0.1', r));
    h = await startHarness({
      command: ['static'],
      args: [
        `--pushgateway=http://127.0.0.1:${port}`,
        '--pushgateway-interval=100ms',
        '--pushgateway-label=cluster=blue',
        '--pod-name=pod-7',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await new Promise((r) => gateway.close(r));
  });

  it('pushes every interval with the job, the instance grouping and the const labels', async () => {
    // The first pushes may predate the first pass; wait for one that carries it, and for a second
    // push (the first pass can land before the first interval ends, so one push may carry it).
    const updated = /feed_ingress_reconcile_total\{result="success",cluster="blue"\} [1-9]/;
    const push = await eventually(() => {
      const p = pushes.find((x) => updated.test(x.body));
      return p !== undefined && pushes.length >= 2
        ? Promise.resolve(p)
        : Promise.reject(new Error(`no push with an update among ${pushes.length}`));
    });
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    expect(push.method).toBe('POST');
    expect(push.url).toBe('/metrics/job/feed-ingress/instance/pod-7');
  });
});
