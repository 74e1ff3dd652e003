import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEtcd, type EtcdProcess } from '@kube-edge/testkit';
import { EtcdV2SkyDnsProvider } from './etcd-v2-skydns-provider.js';

// Legacy SkyDNS reads etcd's v2 keys API; etcd 3.4 serves it with --enable-v2.
describe('EtcdV2SkyDnsProvider on real etcd (v2 API)', () => {
  let etcd: EtcdProcess;
  let provider: EtcdV2SkyDnsProvider;

  const v2keys = async (): Promise<Record<string, unknown>> => {
    const res = await fetch(`${etcd.clientUrl}/v2/keys/skydns/com/example?recursive=true`);
    const out: Record<string, unknown> = {};
    const walk = (n: { key: string; value?: string; dir?: boolean; nodes?: unknown[] }): void => {
      if (n.dir === true) for (const c of n.nodes ?? []) walk(c as typeof n);
      else out[n.key] = JSON.parse(n.value ?? 'null');
    };
    if (res.ok) walk(((await res.json()) as { node: { key: string } }).node);
    return out;
  };

  beforeAll(async () => {
    etcd = await startEtcd({ args: ['--enable-v2=true'] });
    provider = new EtcdV2SkyDnsProvider({ url: etcd.clientUrl, prefix: '/skydns', domains: ['example.com'] });
  }, 60_000);

  afterAll(async () => {
    await etcd?.stop();
  });

  it('writes x1..xN, reads them back, shrinks, and replaces A values by a CNAME', async () => {
    const a = { name: 'www.example.com', type: 'A', targets: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], ttl: 60 };
    expect((await provider.applyChanges({ create: [a], update: [], delete: [] })).failed).toEqual([]);
    expect(await v2keys()).toEqual({
      '/skydns/com/example/www/x1': { host: '10.0.0.1', ttl: 60 },
      '/skydns/com/example/www/x2': { host: '10.0.0.2', ttl: 60 },
      '/skydns/com/example/www/x3': { host: '10.0.0.3', ttl: 60 },
    });
    const [listed] = await provider.records();
    expect(listed).toEqual({
      name: 'www.example.com.',
      type: 'A',
      targets: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
      ttl: 60,
      providerRecord: [
        '/skydns/com/example/www/x1',
        '/skydns/com/example/www/x2',
        '/skydns/com/example/www/x3',
      ],
    });

    const smaller = { ...a, targets: ['10.0.0.2'] };
    await provider.applyChanges({ create: [], update: [{ from: listed!, to: smaller }], delete: [] });
    expect(await v2keys()).toEqual({ '/skydns/com/example/www/x1': { host: '10.0.0.2', ttl: 60 } });

    const cname = { name: 'www.example.com', type: 'CNAME', targets: ['fo.example.com'], ttl: 60 };
    await provider.applyChanges({ create: [], update: [{ from: smaller, to: cname }], delete: [] });
    expect(await v2keys()).toEqual({ '/skydns/com/example/www/x1': { host: 'fo.example.com', ttl: 60 } });

    await provider.applyChanges({ create: [], update: [], delete: [cname] });
    expect(await v2keys()).toEqual({});
  }, 60_000);

  it('writes TXT records as text, omits a TTL of 0, and refuses what the v3 provider refuses', async () => {
    const txt = { name: 'txt.example.com', type: 'TXT', targets: ['"hello"'], ttl: 0 };
    const a = { name: 'txt.example.com', type: 'A', targets: ['10.0.0.1'] };
    const res = await provider.applyChanges({ create: [txt, a], update: [], delete: [] });
    expect(res.failed).toEqual([]);
    expect(await v2keys()).toEqual({
      '/skydns/com/example/txt/x1': { text: '"hello"' },
      '/skydns/com/example/txt/x2': { host: '10.0.0.1' },
    });
    const listed = (await provider.records()).map((e) => [e.type, e.targets, e.ttl]);
    expect(listed.sort()).toEqual([
      ['A', ['10.0.0.1'], undefined],
      ['TXT', ['"hello"'], undefined],
    ]);
    const refused = await provider.applyChanges({
      create: [
        a,
        { name: 'txt.example.com', type: 'CNAME', targets: ['x.example.com'] },
        { ...a, name: 'www.example.org' },
      ],
      update: [],
      delete: [],
    });
    expect(refused.failed.map((f) => [f.reason, f.retryable])).toEqual([
      ['txt.example.com.|A| already exists', false],
      ['a CNAME at txt.example.com. conflicts with other records', false],
      ['www.example.org. is not in a served domain', false],
    ]);
    await provider.applyChanges({ create: [], update: [], delete: [txt, a] });
    expect(await v2keys()).toEqual({});
  }, 60_000);
});
