import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { startApiServer } from '@kube-edge/testkit';
import type { ApiServer, KubeObject } from '@kube-edge/testkit';
import { createEventRecorder } from './event-recorder.js';
import {
  createIngressStatusUpdater,
  createIngressStatusWriter,
  sameLoadBalancerIngress,
} from './ingress-status-writer.js';
import type { LoadBalancerIngress } from './ingress-status-writer.js';
import { createKubeClient } from './kube-client.js';
import type { KubeClient } from './kube-client.js';

interface IngressObj extends KubeObject {
  spec: { rules: { host: string }[] };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}
interface EventObj extends KubeObject {
  involvedObject: { kind?: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
}

const ING = 'networking.k8s.io/v1';
const ingress = (name: string): IngressObj => ({
  apiVersion: ING,
  kind: 'Ingress',
  metadata: { name, namespace: 'default' },
  spec: { rules: [{ host: `${name}.example.com` }] },
});

describe('writers against the testkit API server', () => {
  let server: ApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await startApiServer();
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('IngressStatusWriter', () => {
    it('writes status.loadBalancer.ingress and leaves the spec alone', async () => {
      server.store.create(ingress('web'));
      const w = createIngressStatusWriter({ client });
      await expect(
        w.write('default', 'web', [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }]),
      ).resolves.toBe('updated');
      const stored = server.store.get<IngressObj>(ING, 'Ingress', 'default', 'web');
      expect(
        sameLoadBalancerIngress(stored?.status?.loadBalancer?.ingress, [
          { hostname: 'lb.example.com' },
          { ip: '10.0.0.2' },
        ]),
      ).toBe(true);
      expect(stored?.status?.loadBalancer?.ingress).toHaveLength(2);
      expect(stored?.spec.rules[0]?.host).toBe('web.example.com');
    });

    it('does not write when the addresses are the same in another order', async () => {
      server.store.create(ingress('same'));
      const w = createIngressStatusWriter({ client });
      await w.write('default', 'same', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]);
      const rv = server.store.get<IngressObj>(ING, 'Ingress', 'default', 'same')?.metadata.resourceVersion;
      server.clearRequests();
      await expect(w.write('default', 'same', [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }])).resolves.toBe(
        'unchanged',
      );
      expect(server.requests().filter((r) => r.method === 'PUT')).toHaveLength(0);
      expect(server.store.get<IngressObj>(ING, 'Ingress', 'default', 'same')?.metadata.resourceVersion).toBe(
        rv,
      );
    });

    it('retries on 409 Conflict and then writes', async () => {
      server.store.create(ingress('conflict'));
      const w = createIngressStatusWriter({ client });
      server.faults.failNext(2, 409, { method: 'PUT', pathIncludes: '/ingresses/conflict/status' });
      await expect(w.write('default', 'conflict', [{ ip: '10.0.0.9' }])).resolves.toBe('updated');
      expect(
        server.store.get<IngressObj>(ING, 'Ingress', 'default', 'conflict')?.status?.loadBalancer?.ingress,
      ).toEqual([{ ip: '10.0.0.9' }]);
      const puts = server
        .requests()
        .filter((r) => r.method === 'PUT' && r.path.endsWith('/ingresses/conflict/status'));
      expect(puts.map((p) => p.status)).toEqual([409, 409, 200]);
    });

    it('wins against a real concurrent update by re-reading', async () => {
      server.store.create(ingress('racy'));
      const w = createIngressStatusWriter({ client });
      // Bump the resourceVersion between the writer's GET and PUT.
      server.faults.setLatency(50);
      const p = w.write('default', 'racy', [{ ip: '10.1.1.1' }]);
      await new Promise((r) => setTimeout(r, 70));
      server.store.patchMerge(ING, 'Ingress', 'default', 'racy', {
        metadata: { labels: { touched: 'yes' } },
      });
      await expect(p).resolves.toBe('updated');
      server.faults.setLatency(0);
      const stored = server.store.get<IngressObj>(ING, 'Ingress', 'default', 'racy');
      expect(stored?.status?.loadBalancer?.ingress).toEqual([{ ip: '10.1.1.1' }]);
      expect(stored?.metadata.labels).toEqual({ touched: 'yes' });
      const puts = server
        .requests()
        .filter((r) => r.method === 'PUT' && r.path.endsWith('/ingresses/racy/status'));
      expect(puts.map((r) => r.status)).toEqual([409, 200]);
    });

    it('gives up after maxConflictRetries and reports not-found for a missing Ingress', async () => {
      server.store.create(ingress('stuck'));
      const w = createIngressStatusWriter({ client, maxConflictRetries: 1 });
      server.faults.failNext(5, 409, { method: 'PUT', pathIncludes: '/ingresses/stuck/status' });
      await expect(w.write('default', 'stuck', [{ ip: '10.0.0.3' }])).rejects.toMatchObject({
        statusCode: 409,
      });
      server.faults.reset();
      await expect(w.write('default', 'missing', [{ ip: '10.0.0.3' }])).resolves.toBe('not-found');
    });
  });

  describe('IngressStatusUpdater', () => {
    it('writes every owned Ingress, sends no request when the cached objects already match, and skips when not leader', async () => {
      const a = server.store.create(ingress('upd-a'));
      const b = server.store.create(ingress('upd-b'));
      let leader = false;
      const u = createIngressStatusUpdater({
        writer: createIngressStatusWriter({ client }),
        isLeader: () => leader,
      });
      await u.start();
      await u.update({ ingresses: [a, b], addresses: [{ ip: '10.2.0.1' }] });
      expect(
        server.store.get<IngressObj>(ING, 'Ingress', 'default', 'upd-a')?.status?.loadBalancer?.ingress,
      ).toBeUndefined();
      leader = true;
      await u.update({ ingresses: [a, b], addresses: [{ ip: '10.2.0.1' }] });
      const fresh = ['upd-a', 'upd-b'].map((n) =>
        server.store.get<IngressObj>(ING, 'Ingress', 'default', n)!,
      );
      expect(fresh.map((o) => o.status?.loadBalancer?.ingress)).toEqual([
        [{ ip: '10.2.0.1' }],
        [{ ip: '10.2.0.1' }],
      ]);
      server.clearRequests();
      await u.update({ ingresses: fresh, addresses: [{ ip: '10.2.0.1' }] });
      expect(server.requests()).toHaveLength(0);
      expect(await u.health()).toEqual({ ok: true });
    });

    it('tries every Ingress, then rejects and reports unhealthy when one write fails', async () => {
      const a = server.store.create(ingress('fail-a'));
      const b = server.store.create(ingress('fail-b'));
      const u = createIngressStatusUpdater({ writer: createIngressStatusWriter({ client }) });
      server.faults.failNext(1, 500, { method: 'PUT', pathIncludes: '/ingresses/fail-a/status' });
      await expect(u.update({ ingresses: [a, b], addresses: [{ ip: '10.3.0.1' }] })).rejects.toMatchObject({
        statusCode: 500,
      });
      expect(
        server.store.get<IngressObj>(ING, 'Ingress', 'default', 'fail-b')?.status?.loadBalancer?.ingress,
      ).toEqual([{ ip: '10.3.0.1' }]);
      expect((await u.health()).ok).toBe(false);
      await u.update({ ingresses: [a, b], addresses: [{ ip: '10.3.0.1' }] });
      expect((await u.health()).ok).toBe(true);
    });
  });

  describe('EventRecorder', () => {
    const events = (): EventObj[] => server.store.list<EventObj>('v1', 'Event', 'default');

    it('creates a core/v1 Event about the involved object and increments count for repeats', async () => {
      const ing = server.store.create(ingress('bad-host'));
      const rec = createEventRecorder({ client, component: 'feed-ingress', host: 'node-1' });
      rec.record(ing, 'Warning', 'InvalidHost', 'host "x y" is not a DNS name');
      rec.record(ing, 'Warning', 'InvalidHost', 'host "x y" is not a DNS name');
      rec.record(ing, 'Warning', 'InvalidHost', 'host "x y" is not a DNS name');
      rec.record(ing, 'Normal', 'Synced', 'configuration applied');
      await rec.flush();
      const mine = events().filter((e) => e.involvedObject.name === 'bad-host');
      expect(mine).toHaveLength(2);
      const warn = mine.find((e) => e.reason === 'InvalidHost')!;
      expect(warn).toMatchObject({
        type: 'Warning',
        count: 3,
        message: 'host "x y" is not a DNS name',
        involvedObject: {
          apiVersion: ING,
          kind: 'Ingress',
          name: 'bad-host',
          namespace: 'default',
          uid: ing.metadata.uid,
        },
        source: { component: 'feed-ingress', host: 'node-1' },
      });
      expect(Date.parse(warn.lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(warn.firstTimestamp));
      expect(mine.find((e) => e.reason === 'Synced')?.count).toBe(1);
      expect(rec.stats()).toMatchObject({ created: 2, updated: 2, dropped: 0, failed: 0 });
    });

    it('drops events beyond the per-object rate limit', async () => {
      const ing = server.store.create(ingress('noisy'));
      const rec = createEventRecorder({ client, component: 'c', burst: 3, qps: 0 });
      for (let i = 0; i < 10; i++) rec.record(ing, 'Warning', 'Flap', `attempt ${i}`);
      await rec.flush();
      expect(events().filter((e) => e.involvedObject.name === 'noisy')).toHaveLength(3);
      expect(rec.stats().dropped).toBe(7);
    });

    it('creates a fresh Event when the one it was counting on was deleted', async () => {
      const ing = server.store.create(ingress('expired'));
      const rec = createEventRecorder({ client, component: 'c' });
      rec.record(ing, 'Normal', 'Synced', 'ok');
      await rec.flush();
      const first = events().find((e) => e.involvedObject.name === 'expired')!;
      server.store.delete('v1', 'Event', 'default', first.metadata.name ?? '');
      rec.record(ing, 'Normal', 'Synced', 'ok');
      await rec.flush();
      const now = events().filter((e) => e.involvedObject.name === 'expired');
      expect(now).toHaveLength(1);
      expect(now[0]?.count).toBe(1);
      expect(now[0]?.metadata.name).not.toBe(first.metadata.name);
    });

    it('never throws from record when the server fails, and counts the failure', async () => {
      const rec = createEventRecorder({ client, component: 'c' });
      server.faults.failNext(1, 500, { method: 'POST', pathIncludes: '/events' });
      expect(() =>
        rec.record(
          { kind: 'Node', name: 'n1', apiVersion: 'v1' },
          'Warning',
          'Detached',
          'node left the load balancer',
        ),
      ).not.toThrow();
      await rec.flush();
      expect(rec.stats().failed).toBe(1);
      rec.record(
        { kind: 'Node', name: 'n1', apiVersion: 'v1' },
        'Warning',
        'Detached',
        'node left the load balancer',
      );
      await rec.flush();
      // Cluster-scoped objects get their Events in the default namespace.
      expect(
        events().filter((e) => e.involvedObject.name === 'n1' && e.involvedObject.kind === 'Node'),
      ).toHaveLength(1);
    });
  });
});
