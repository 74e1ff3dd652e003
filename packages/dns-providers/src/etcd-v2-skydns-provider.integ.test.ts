import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEtcd, tempDir, type EtcdProcess } from '@kube-edge/testkit';
import { EtcdV2SkyDnsProvider } from './etcd-v2.js';

// Legacy SkyDNS reads etcd's v2 keys API; etcd 3.4 serves it with --enable-v2.
describe('EtcdV2SkyDnsProvider on real etcd (v2 API)', () => {
  let etcd: EtcdProcess;
  let dir: { path: string; remove(): Promise<void> };
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
    dir = await tempDir('kuberoute-etcd-v2');
    const wrapper = join(dir.path, 'etcd');
    writeFileSync(wrapper, '#!/bin/sh\nexec /usr/bin/etcd --enable-v2=true "$@"\n');
    chmodSync(wrapper, 0o755);
    etcd = await startEtcd({ binary: wrapper });
    provider = new EtcdV2SkyDnsProvider({ url: etcd.clientUrl, prefix: '/skydns', domain: 'example.com' });
  }, 60_000);

  afterAll(async () => {
    await etcd?.stop();
    await dir?.remove();
  }, 30_000);

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
});
