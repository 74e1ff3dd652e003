import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEchoServer, type EchoResponse, type EchoServer } from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

// A Kubernetes wildcard host covers exactly one label; nginx's own `*.` matches any depth.
describe('a wildcard Ingress host through real nginx', () => {
  let h: Harness;
  let pod: EchoServer;

  beforeAll(async () => {
    pod = await startEchoServer({ host: '127.0.0.51', name: 'pod-wild' });
    h = await startHarness({ command: ['static'] });
    h.api.store.create(service('default', 'svc', '127.0.0.51', pod.port));
    h.api.store.create(
      ingress('default', 'wild', '*.wild.example', [{ path: '/', service: 'svc', port: pod.port }]),
    );
    await eventually(async () => {
      const r = await h.get('a.wild.example', '/');
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      return r;
    });
    await h.settle();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await pod?.close();
  });

  it('serves a host one label below it', async () => {
    expect((await h.get('b.wild.example', '/x')).json<EchoResponse>()).toMatchObject({
      name: 'pod-wild',
      host: 'b.wild.example',
    });
  });

  it('does not serve deeper hosts or the bare domain (the default server answers 404)', async () => {
    expect((await h.get('b.c.wild.example', '/x')).status).toBe(404);
    expect((await h.get('wild.example', '/x')).status).toBe(404);
  });
});
