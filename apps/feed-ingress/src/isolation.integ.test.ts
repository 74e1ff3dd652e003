import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  httpRequest,
  makeTestCertificate,
  startApiServer,
  startEchoServer,
  type ApiServer,
  type EchoResponse,
  type EchoServer,
} from '@kube-edge/testkit';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

/**
 * A self-signed certificate with a 512-bit RSA key: it parses and matches its key (so the model
 * builder accepts the Secret), but OpenSSL's security level makes nginx refuse to load it
 * ("ee key too small"): only `nginx -t` finds it.
 */
async function weakCertificate(): Promise<{ cert: string; key: string }> {
  const { cert, key } = await makeTestCertificate({ commonName: 'weak.test', rsaBits: 512 });
  return { cert, key };
}

interface EventLike {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; namespace: string; name: string };
}

// One tenant's bad object never stops the rest, live: testkit's API server, real nginx, echo
// backends. The controller is restarted with the bad object present, as after a crash or rollout.
describe('feed-ingress isolates bad objects (API server, real nginx)', () => {
  let api: ApiServer;
  let backend: EchoServer;
  let other: EchoServer;
  let site: EchoServer;
  let h: Harness | undefined;
  const N = 6;
  const goodHosts = Array.from({ length: N }, (_, i) => `good-${i}.test`);

  beforeAll(async () => {
    api = await startApiServer();
    backend = await startEchoServer({ host: '127.0.0.41', name: 'good' });
    other = await startEchoServer({ host: '127.0.0.42', name: 'team-b' });
    site = await startEchoServer({ host: '127.0.0.43', name: 'site' });
    api.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
    api.store.create(service('default', 'web', '127.0.0.41', backend.port));
    api.store.create(service('team-b', 'web', '127.0.0.42', other.port));
    goodHosts.forEach((host, i) =>
      api.store.create(
        ingress('default', `good-${i}`, host, [{ path: '/', service: 'web', port: backend.port }]),
      ),
    );
    // Accepted by net.isIP, refused by nginx in `allow`: before kube-edge validated it with the
    // renderer's own rules, it made every render fail.
    api.store.create(
      ingress('default', 'poisoned', 'poisoned.test', [{ path: '/', service: 'web', port: backend.port }], {
        'sky.uk/allow': 'fe80::1%eth0',
        'sky.uk/backend-timeout-seconds': '2147483647',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await api?.close();
    await backend?.close();
    await other?.close();
    await site?.close();
  });

  const served = async (host: string): Promise<EchoResponse> => {
    const res = await h!.get(host, '/x');
    if (res.status !== 200) throw new Error(`${host}: status ${res.status}`);
    return res.json<EchoResponse>();
  };
  const allGoodServed = async (): Promise<void> => {
    for (const host of goodHosts) expect((await eventually(() => served(host))).name).toBe('good');
  };
  const firstEvent = (ns: string, name: string): Promise<EventLike> => {
    const found = eventsOf(ns, name)[0];
    return found === undefined ? Promise.reject(new Error('no event yet')) : Promise.resolve(found);
  };
  const eventsOf = (ns: string, name: string): EventLike[] =>
    (api.store.list('v1', 'Event', ns) as unknown as EventLike[]).filter(
      (e) => e.involvedObject.name === name,
    );

  it('serves every good Ingress and records a Warning Event on the poisoned one', async () => {
    h = await startHarness({ command: ['static'], api });
    await allGoodServed();
    expect((await h.get('poisoned.test', '/x')).status).toBe(404);
    const event = await eventually(() => firstEvent('default', 'poisoned'));
    expect(event).toMatchObject({ type: 'Warning', reason: 'Skipped', involvedObject: { kind: 'Ingress' } });
    expect(event.message).toContain('fe80::1%eth0');
    expect(event.message).toContain('zone id');
    const metrics = await httpRequest({ url: `${h.handle.url}/metrics` });
    expect(metrics.body).toMatch(/feed_ingress_skipped_objects\{kind="Ingress",reason="Skipped"\} 1/);
    expect(metrics.body).not.toMatch(/feed_ingress_reconcile_total\{result="terminal_error"\} [1-9]/);
  });

  it('isolates an Ingress that only nginx -t refuses (bisection): Event quoting nginx, the others served', async () => {
    const weak = await weakCertificate();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'weak-tls', namespace: 'default' },
      data: {
        'tls.crt': Buffer.from(weak.cert).toString('base64'),
        'tls.key': Buffer.from(weak.key).toString('base64'),
      },
    });
    api.store.create(
      ingress(
        'default',
        'weak',
        'weak.test',
        [{ path: '/', service: 'web', port: backend.port }],
        {},
        {
          tls: [{ hosts: ['weak.test'], secretName: 'weak-tls' }],
        },
      ),
    );
    // A change after the weak one: it must be applied although its pass contained the offender.
    api.store.create(
      ingress('default', 'late', 'late.test', [{ path: '/', service: 'web', port: backend.port }]),
    );
    expect((await eventually(() => served('late.test'))).name).toBe('good');
    const event = await eventually(() => firstEvent('default', 'weak'));
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'ConfigRefused',
      involvedObject: { kind: 'Ingress' },
    });
    expect(event.message).toContain('ee key too small');
    await allGoodServed();
    expect((await h!.get('weak.test', '/x')).status).toBe(404);
    const metrics = await httpRequest({ url: `${h!.handle.url}/metrics` });
    expect(metrics.body).toMatch(/feed_ingress_objects_isolated_total\{kind="Ingress"\} 1/);
  });

  it('after a restart with both poisoned Ingresses present, the good ones are served again', async () => {
    await h!.stop();
    h = undefined;
    h = await startHarness({ command: ['static'], api });
    await allGoodServed();
    expect((await served('late.test')).name).toBe('good');
    expect(h.handle.lastPass()?.result).toBe('success');
    const metrics = await httpRequest({ url: `${h.handle.url}/metrics` });
    expect(metrics.body).toMatch(/feed_ingress_objects_isolated_total\{kind="Ingress"\} 1/);
  });

  it("another namespace cannot take a host over while its owner's Service is missing: it answers 503", async () => {
    api.store.create(
      ingress('default', 'site', 'site.test', [{ path: '/', service: 'site', port: site.port }]),
    );
    api.store.create(service('default', 'site', '127.0.0.43', site.port));
    expect((await eventually(() => served('site.test'))).name).toBe('site');
    api.store.create(
      ingress('team-b', 'site', 'site.test', [{ path: '/', service: 'web', port: other.port }]),
    );
    const refusal = await eventually(() => firstEvent('team-b', 'site'));
    expect(refusal).toMatchObject({ type: 'Warning', reason: 'HostOwnedByOther' });
    expect(refusal.message).toContain('default/site');

    api.store.delete('v1', 'Service', 'default', 'site');
    await eventually(async () => {
      const r = await h!.get('site.test', '/x');
      if (r.status !== 503) throw new Error(`status ${r.status}`);
    });
    await h!.settle();
    for (let i = 0; i < 5; i++) expect((await h!.get('site.test', '/x')).status).toBe(503);
    expect((await served('good-0.test')).name).toBe('good');
  });
});
