import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEchoServer, type EchoResponse, type EchoServer } from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

// Requests through real nginx come from 127.0.0.1. feed let 127.0.0.1 pass every allow list, so
// any process on a node-network host bypassed sky.uk/allow; kube-edge does so only with
// --nginx-allow-localhost.
describe.each([
  { flag: [] as string[], localhost: 403 },
  { flag: ['--nginx-allow-localhost'], localhost: 200 },
])('sky.uk/allow and a request from 127.0.0.1, flags $flag', ({ flag, localhost }) => {
  let h: Harness;
  let pod: EchoServer;

  beforeAll(async () => {
    pod = await startEchoServer({ host: '127.0.0.41', name: 'pod-allow' });
    h = await startHarness({ command: ['static'], args: flag });
    h.api.store.create(service('default', 'svc', '127.0.0.41', pod.port));
    h.api.store.create(
      ingress('default', 'listed', 'listed.test', [{ path: '/', service: 'svc', port: pod.port }], {
        'sky.uk/allow': '127.0.0.0/8',
      }),
    );
    h.api.store.create(
      ingress('default', 'private', 'private.test', [{ path: '/', service: 'svc', port: pod.port }], {
        'sky.uk/allow': '10.0.0.0/8',
      }),
    );
    // Served (same pass): the listed host answers, so the other one is in the config too.
    await eventually(async () => {
      const r = await h.get('listed.test', '/');
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      return r;
    });
    await h.settle();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await pod?.close();
  });

  it(`answers ${localhost} for a host whose allow list does not hold 127.0.0.1`, async () => {
    const res = await h.get('private.test', '/x');
    expect(res.status).toBe(localhost);
    if (localhost === 200) expect(res.json<EchoResponse>()).toMatchObject({ name: 'pod-allow', path: '/x' });
  });

  it('serves 127.0.0.1 where the allow list holds it', async () => {
    expect((await h.get('listed.test', '/x')).json<EchoResponse>()).toMatchObject({ name: 'pod-allow' });
  });
});
