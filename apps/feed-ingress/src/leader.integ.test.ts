import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApiServer, startEchoServer, type ApiServer, type EchoServer } from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

type IngressStatus = { status?: { loadBalancer?: { ingress?: { hostname?: string }[] } } };

// Two replicas on one API server: both serve traffic, only the Lease holder writes status.
// Each replica publishes a different hostname, so the status shows who wrote it.
describe('leader election', () => {
  let api: ApiServer;
  let pod: EchoServer;
  let a: Harness | undefined;
  let b: Harness | undefined;

  beforeAll(async () => {
    api = await startApiServer();
    pod = await startEchoServer({ host: '127.0.0.81', name: 'pod' });
    api.store.create(service('default', 'svc', '127.0.0.81', pod.port));
    api.store.create(
      ingress('default', 'web', 'leader.test', [{ path: '/', service: 'svc', port: pod.port }], {
        'sky.uk/frontend-scheme': 'internal',
      }),
    );
    a = await startHarness({
      api,
      command: ['static', '--internal-hostname=lb-a.test'],
      args: ['--pod-name=replica-a'],
    });
    b = await startHarness({
      api,
      command: ['static', '--internal-hostname=lb-b.test'],
      args: ['--pod-name=replica-b'],
    });
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await pod?.close();
    await api?.close();
  });

  const statusHost = (): string | undefined =>
    (api.store.get('networking.k8s.io/v1', 'Ingress', 'default', 'web') as IngressStatus).status?.loadBalancer
      ?.ingress?.[0]?.hostname;

  it('lets both replicas serve, only the leader write status, and the other take over when the leader stops', async () => {
    for (const h of [a!, b!]) {
      await eventually(async () => {
        const r = await h.get('leader.test', '/');
        if (r.status !== 200) throw new Error(`status ${r.status}`);
      });
    }
    await eventually(
      () =>
        a!.handle.isLeader() !== b!.handle.isLeader()
          ? Promise.resolve()
          : Promise.reject(new Error('no single leader')),
      15_000,
    );
    const [leader, follower] = a!.handle.isLeader() ? [a!, b!] : [b!, a!];
    const leaderHost = leader === a ? 'lb-a.test' : 'lb-b.test';
    const followerHost = leader === a ? 'lb-b.test' : 'lb-a.test';
    await eventually(() =>
      statusHost() === leaderHost ? Promise.resolve() : Promise.reject(new Error(`status ${statusHost()}`)),
    );

    // A change makes both replicas run a pass; the follower must not overwrite the status.
    api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'web', {
      metadata: { annotations: { 'sky.uk/strip-path': 'false' } },
    });
    await follower.handle.waitForModel((m) => m.servedIngresses.length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(statusHost()).toBe(leaderHost);

    // The leader stops (releasing the Lease): the follower takes over and publishes its address.
    await leader.stop();
    if (leader === a) a = undefined;
    else b = undefined;
    await eventually(
      () => (follower.handle.isLeader() ? Promise.resolve() : Promise.reject(new Error('not leader yet'))),
      15_000,
    );
    await eventually(
      () =>
        statusHost() === followerHost
          ? Promise.resolve()
          : Promise.reject(new Error(`status ${statusHost()}`)),
      10_000,
    );
    expect((await follower.get('leader.test', '/')).status).toBe(200);
  }, 60_000);
});
