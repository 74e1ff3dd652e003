import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { etcdCallCounts, startEtcd, type EtcdProcess } from '@kube-edge/testkit';
import { Etcd3 } from 'etcd3';
import type { Endpoint } from './endpoint.js';
import { EtcdSkyDnsProvider } from './etcd-skydns-provider.js';
import { createPredicateOwnership } from './ownership.js';
import { runDnsPass } from './dns-pass.js';
import { plan } from './plan.js';

let etcd: EtcdProcess;
let client: Etcd3;
let provider: EtcdSkyDnsProvider;

beforeAll(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: etcd.clientUrl, dialTimeout: 2000 });
});

afterAll(async () => {
  client?.close();
  await etcd?.stop();
});

beforeEach(async () => {
  await client.delete().all();
  provider = new EtcdSkyDnsProvider({ client, domains: ['example.com'] });
});

// kuberoute's records: the names it computes (one label below kr.example.com) are its own.
const ownership = createPredicateOwnership((e) => /^[a-z0-9-]+\.kr\.example\.com\.$/.test(e.name));
const a = (name: string, ips: string[]): Endpoint => ({ name, type: 'A', targets: ips, ttl: 60 });
const dump = async (): Promise<Record<string, unknown>> => {
  const all = await client.getAll().prefix('/skydns/').strings();
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as unknown]));
};
const reconcile = async (desired: Endpoint[]) => {
  const p = plan(await provider.records(), desired, ownership);
  return { plan: p, result: await provider.applyChanges(p.changes) };
};

describe('EtcdSkyDnsProvider against a real etcd', () => {
  it('writes x1…xN keys in the CoreDNS layout with the TTL, and converges', async () => {
    const { result } = await reconcile([a('svc.kr.example.com', ['10.0.0.1', '10.0.0.2'])]);
    expect(result.failed).toEqual([]);
    expect(await dump()).toEqual({
      '/skydns/com/example/kr/svc/x1': { host: '10.0.0.1', ttl: 60 },
      '/skydns/com/example/kr/svc/x2': { host: '10.0.0.2', ttl: 60 },
    });
    expect((await reconcile([a('svc.kr.example.com', ['10.0.0.2', '10.0.0.1'])])).plan.changes).toEqual({
      create: [],
      update: [],
      delete: [],
    });
  });

  it('lists the targets of x1…x12 in record order, not etcd byte order (x1, x10, x11, x2, …)', async () => {
    const ips = Array.from({ length: 12 }, (_, i) => `10.0.1.${i + 1}`);
    await reconcile([a('web.kr.example.com', ips)]);
    const [listed] = await provider.records();
    expect(listed?.targets).toEqual(ips);
    // And a second pass over the listed records plans nothing.
    const again = await reconcile([a('web.kr.example.com', ips)]);
    expect(again.result.applied).toEqual([]);
  });

  it('deletes stale keys when the address list shrinks', async () => {
    await reconcile([a('svc.kr.example.com', ['10.0.0.1', '10.0.0.2', '10.0.0.3'])]);
    await reconcile([a('svc.kr.example.com', ['10.0.0.1', '10.0.0.3'])]);
    expect(await dump()).toEqual({
      '/skydns/com/example/kr/svc/x1': { host: '10.0.0.1', ttl: 60 },
      '/skydns/com/example/kr/svc/x2': { host: '10.0.0.3', ttl: 60 },
    });
  });

  it('switches to a failover CNAME without leaving A records behind', async () => {
    await reconcile([a('svc.kr.example.com', ['10.0.0.1', '10.0.0.2'])]);
    const { result } = await reconcile([
      { name: 'svc.kr.example.com', type: 'CNAME', targets: ['failover.example.net'], ttl: 60 },
    ]);
    expect(result.failed).toEqual([]);
    expect(await dump()).toEqual({
      '/skydns/com/example/kr/svc/x1': { host: 'failover.example.net', ttl: 60 },
    });
    expect(await provider.records()).toEqual([
      expect.objectContaining({
        name: 'svc.kr.example.com.',
        type: 'CNAME',
        targets: ['failover.example.net'],
      }),
    ]);
  });

  it('deletes a record that is no longer desired and leaves records it does not own', async () => {
    await client.put('/skydns/com/example/other/x1').value(JSON.stringify({ host: '192.0.2.1' }));
    await client.put('/skydns/com/example/kr/svc/deeper/x1').value(JSON.stringify({ host: '192.0.2.2' }));
    await reconcile([a('svc.kr.example.com', ['10.0.0.1'])]);
    const { result } = await reconcile([]);
    expect(result.failed).toEqual([]);
    expect(result.applied.map((c) => c.kind)).toEqual(['delete']);
    // The deeper name shares the svc directory but is another record: deleting svc leaves it.
    expect(await dump()).toEqual({
      '/skydns/com/example/other/x1': { host: '192.0.2.1' },
      '/skydns/com/example/kr/svc/deeper/x1': { host: '192.0.2.2' },
    });
  });

  it('fails only the offending change', async () => {
    await client.put('/skydns/com/example/kr/taken/x1').value(JSON.stringify({ host: '192.0.2.1' }));
    const result = await provider.applyChanges({
      create: [
        a('taken.kr.example.com', ['10.0.0.9']),
        a('new.kr.example.com', ['10.0.0.1']),
        a('x.other.org', ['10.0.0.1']),
      ],
      update: [],
      delete: [a('missing.kr.example.com', ['10.0.0.1'])],
    });
    expect(result.applied).toHaveLength(1);
    expect(result.failed.map((f) => f.reason)).toEqual([
      'missing.kr.example.com.|A| does not exist',
      'taken.kr.example.com.|A| already exists',
      'x.other.org. is not in a served domain',
    ]);
    expect((await dump())['/skydns/com/example/kr/taken/x1']).toEqual({ host: '192.0.2.1' });
  });

  describe('etcd requests per pass (its own counters)', () => {
    const names = (n: number, ip = '10.0.0.1'): Endpoint[] =>
      Array.from({ length: n }, (_, i) => a(`h${i}.kr.example.com`, [ip]));
    const counted = async (fn: () => Promise<unknown>): Promise<Record<string, number>> => {
      const before = await etcdCallCounts(etcd);
      await fn();
      const after = await etcdCallCounts(etcd);
      return Object.fromEntries(
        ['Range', 'Txn', 'Put', 'DeleteRange', 'keysPut', 'keysDeleted'].map((k) => [
          k,
          (after[k] ?? 0) - (before[k] ?? 0),
        ]),
      );
    };
    const pass = (desired: Endpoint[], p = provider) => runDnsPass({ provider: p, desired, ownership });

    it('writes 300 new names in one range and 3 transactions (128 keys each), then a steady pass reads once and writes nothing', async () => {
      expect(await counted(() => pass(names(300)))).toEqual({
        Range: 1,
        Txn: 3,
        Put: 0,
        DeleteRange: 0,
        keysPut: 300,
        keysDeleted: 0,
      });
      expect(Object.keys(await dump())).toHaveLength(300);
      expect(await counted(() => pass(names(300)))).toMatchObject({ Range: 1, Txn: 0, keysPut: 0 });
    });

    it('costs one range and one transaction per single change: add, retarget, remove', async () => {
      await pass(names(50));
      const add = await counted(() => pass([...names(50), a('new.kr.example.com', ['10.0.0.2'])]));
      const retarget = await counted(() =>
        pass([...names(49), a('h49.kr.example.com', ['10.0.0.3']), a('new.kr.example.com', ['10.0.0.2'])]),
      );
      const remove = await counted(() => pass([...names(49), a('h49.kr.example.com', ['10.0.0.3'])]));
      for (const c of [add, retarget, remove]) expect([c.Range, c.Txn]).toEqual([1, 1]);
      expect([add.keysPut, retarget.keysPut, remove.keysDeleted]).toEqual([1, 1, 1]);
      expect((await dump())['/skydns/com/example/kr/h49/x1']).toEqual({ host: '10.0.0.3', ttl: 60 });
      expect((await dump())['/skydns/com/example/kr/new/x1']).toBeUndefined();
    });

    it('without batching, reads and commits once per change (the old cost)', async () => {
      const single = new EtcdSkyDnsProvider({ client, domains: ['example.com'], batch: false });
      expect(await counted(() => pass(names(20), single))).toMatchObject({ Range: 21, Txn: 20, keysPut: 20 });
    });

    it('redoes a packed transaction change by change when another writer got there first', async () => {
      const current = await provider.records();
      await client.put('/skydns/com/example/kr/h1/x1').value(JSON.stringify({ host: '192.0.2.1' }));
      const result = await provider.applyChanges(plan(current, names(3), ownership).changes);
      expect(result.applied.map((c) => (c.kind === 'create' ? c.endpoint.name : ''))).toEqual([
        'h0.kr.example.com.',
        'h2.kr.example.com.',
      ]);
      expect(result.failed).toEqual([
        expect.objectContaining({ reason: 'h1.kr.example.com.|A| already exists', retryable: false }),
      ]);
      expect((await dump())['/skydns/com/example/kr/h1/x1']).toEqual({ host: '192.0.2.1' });
    });
  });

  it('reports a change as retryable when etcd is unreachable', async () => {
    const deadClient = new Etcd3({ hosts: 'http://127.0.0.1:1', dialTimeout: 200 });
    try {
      const dead = new EtcdSkyDnsProvider({ client: deadClient, domains: ['example.com'] });
      const result = await dead.applyChanges({
        create: [a('svc.kr.example.com', ['10.0.0.1'])],
        update: [],
        delete: [],
      });
      expect(result.failed).toEqual([expect.objectContaining({ retryable: true })]);
      await expect(dead.records()).rejects.toThrow('cannot read SkyDNS records of example.com. from etcd');
    } finally {
      deadClient.close();
    }
  });
});
