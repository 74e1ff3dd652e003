import { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, createFakeClock, type FakeClock } from '@kube-edge/runtime';
import { createFakeRoute53, type FakeRoute53 } from '@kube-edge/testkit';
import { normalizeName, type ApplyResult, type Endpoint } from './endpoint.js';
import { createTargetOwnership, createTxtOwnership, type Ownership } from './ownership.js';
import { plan, type Plan } from './plan.js';
import { Route53Provider, type Route53ProviderOptions } from './route53-provider.js';

// Two load balancers, one per scheme, as feed-dns discovers them.
const LB = {
  internal: { dnsName: 'internal-edge-1234.eu-west-1.elb.amazonaws.com.', zoneId: 'Z32O12XQLNTSW2' },
  'internet-facing': { dnsName: 'edge-5678.eu-west-1.elb.amazonaws.com.', zoneId: 'Z32O12XQLNTSW2' },
} as const;
type Scheme = keyof typeof LB;
const ownership = createTargetOwnership({ targets: Object.values(LB).map((l) => l.dnsName) });
const host = (name: string, scheme: Scheme): Endpoint => ({
  name,
  type: 'A',
  targets: [LB[scheme].dnsName],
  alias: { hostedZoneId: LB[scheme].zoneId },
});

interface Setup {
  fake: FakeRoute53;
  zoneId: string;
  provider: Route53Provider;
  clock: FakeClock;
}

function setup(
  options: Partial<Route53ProviderOptions> & { fakeOptions?: Parameters<typeof createFakeRoute53>[0] } = {},
): Setup {
  const fake = createFakeRoute53({ maxAttempts: 3, ...options.fakeOptions });
  for (const lb of Object.values(LB)) fake.addAliasTarget(lb.dnsName, lb.zoneId);
  const zone = fake.createHostedZone({ name: 'example.com' });
  const clock = createFakeClock();
  const provider = new Route53Provider({
    client: new Route53Client(fake.clientConfig()),
    zones: [zone.id],
    clock,
    ...options,
  });
  return { fake, zoneId: zone.id, provider, clock };
}

async function reconcile(
  provider: Route53Provider,
  desired: Endpoint[],
  owner: Ownership = ownership,
): Promise<{ plan: Plan; result: ApplyResult }> {
  const current = await provider.records();
  const p = plan(current, desired, owner, { domains: (await provider.zones()).map((z) => z.name) });
  return { plan: p, result: await provider.applyChanges(p.changes) };
}

const aliasesIn = (fake: FakeRoute53, zoneId: string): Record<string, string> =>
  Object.fromEntries(
    fake
      .records(zoneId)
      .filter((r) => r.AliasTarget !== undefined)
      .map((r): [string, string] => [r.Name ?? '', r.AliasTarget?.DNSName ?? '']),
  );
const changeCalls = (fake: FakeRoute53): number =>
  fake.calls().filter((c) => c === 'ChangeResourceRecordSets').length;

describe('Route53Provider against the Route53 fake', () => {
  it('creates one ALIAS per host pointing at the load balancer of its scheme', async () => {
    const { fake, zoneId, provider } = setup();
    const { result } = await reconcile(provider, [
      host('a.example.com', 'internal'),
      host('b.example.com', 'internet-facing'),
    ]);
    expect(result.failed).toEqual([]);
    expect(aliasesIn(fake, zoneId)).toEqual({
      'a.example.com.': LB.internal.dnsName,
      'b.example.com.': LB['internet-facing'].dnsName,
    });
    expect(fake.record(zoneId, 'a.example.com', 'A')?.AliasTarget).toEqual({
      DNSName: LB.internal.dnsName,
      HostedZoneId: LB.internal.zoneId,
      EvaluateTargetHealth: false,
    });
  });

  it('re-points a host whose scheme changed and deletes a host that is gone', async () => {
    const { fake, zoneId, provider } = setup();
    await reconcile(provider, [host('a.example.com', 'internal'), host('b.example.com', 'internal')]);
    const { result } = await reconcile(provider, [host('a.example.com', 'internet-facing')]);
    expect(result.applied.map((c) => c.kind).sort()).toEqual(['delete', 'update']);
    expect(aliasesIn(fake, zoneId)).toEqual({ 'a.example.com.': LB['internet-facing'].dnsName });
  });

  it('never touches records that point elsewhere or are of other types', async () => {
    const { fake, zoneId, provider } = setup();
    const foreign = [
      {
        Name: 'theirs.example.com.',
        Type: 'A' as const,
        AliasTarget: {
          DNSName: 'other-lb.eu-west-1.elb.amazonaws.com.',
          HostedZoneId: 'ZOTHER',
          EvaluateTargetHealth: true,
        },
      },
      {
        Name: 'mail.example.com.',
        Type: 'MX' as const,
        TTL: 300,
        ResourceRecords: [{ Value: '10 mx.example.net.' }],
      },
      { Name: 'plain.example.com.', Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
      {
        Name: 'txt.example.com.',
        Type: 'TXT' as const,
        TTL: 60,
        ResourceRecords: [{ Value: '"v=spf1 -all"' }],
      },
      {
        Name: 'cname.example.com.',
        Type: 'CNAME' as const,
        TTL: 60,
        ResourceRecords: [{ Value: 'somewhere.example.net' }],
      },
      {
        Name: 'weighted.example.com.',
        Type: 'A' as const,
        SetIdentifier: 'blue',
        Weight: 10,
        AliasTarget: {
          DNSName: LB.internal.dnsName,
          HostedZoneId: LB.internal.zoneId,
          EvaluateTargetHealth: false,
        },
      },
    ];
    for (const r of foreign) fake.putRecord(zoneId, r);
    const before = fake.records(zoneId);
    // Desired hosts collide with every foreign name; nothing desired for the rest (sync would delete owned ones).
    const { plan: p, result } = await reconcile(provider, [
      host('theirs.example.com', 'internal'),
      host('plain.example.com', 'internal'),
      host('cname.example.com', 'internal'),
    ]);
    expect(p.skipped).toHaveLength(3);
    expect(result).toEqual({ applied: [], failed: [] });
    expect(fake.records(zoneId)).toEqual(before);
    expect(changeCalls(fake)).toBe(0);
  });

  it('causes no churn for upper-case and wildcard hosts: the next pass makes no Route53 call', async () => {
    const { fake, zoneId, provider } = setup();
    const desired = [host('*.Apps.Example.COM', 'internal'), host('WWW.Example.com', 'internet-facing')];
    await reconcile(provider, desired);
    expect(Object.keys(aliasesIn(fake, zoneId)).sort()).toEqual([
      '\\052.apps.example.com.',
      'www.example.com.',
    ]);
    fake.resetCalls();
    const second = await reconcile(provider, desired);
    expect(second.plan.unchanged).toBe(2);
    expect(fake.calls()).toEqual([]);
    // Listed afresh (as after a resync), the names Route53 returns still match: only the list call.
    provider.invalidate();
    const third = await reconcile(provider, desired);
    expect(third.result.applied).toEqual([]);
    expect(fake.calls()).toEqual(['ListResourceRecordSets']);
  });

  it('writes each host to the zone with the longest matching domain', async () => {
    const { fake, zoneId } = setup();
    const apps = fake.createHostedZone({ name: 'apps.example.com' });
    const provider = new Route53Provider({
      client: new Route53Client(fake.clientConfig()),
      zones: ['example.com', apps.id],
    });
    const { result } = await reconcile(provider, [
      host('x.apps.example.com', 'internal'),
      host('www.example.com', 'internal'),
      host('apps.example.com', 'internet-facing'),
    ]);
    expect(result.failed).toEqual([]);
    expect(Object.keys(aliasesIn(fake, apps.id)).sort()).toEqual([
      'apps.example.com.',
      'x.apps.example.com.',
    ]);
    expect(Object.keys(aliasesIn(fake, zoneId))).toEqual(['www.example.com.']);
  });

  it('isolates a bad record: the rest of the batch still applies', async () => {
    const { fake, zoneId, provider } = setup();
    const bad: Endpoint = {
      name: 'bad.example.com',
      type: 'A',
      targets: [LB.internal.dnsName],
      alias: { hostedZoneId: 'ZWRONGZONE' },
    };
    const good = Array.from({ length: 20 }, (_, i) => host(`h${i}.example.com`, 'internal'));
    const { result } = await reconcile(provider, [...good.slice(0, 10), bad, ...good.slice(10)]);
    expect(result.applied).toHaveLength(20);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({
      retryable: false,
      change: { kind: 'create', endpoint: { name: 'bad.example.com.' } },
    });
    expect(result.failed[0]?.reason).toContain('alias target name does not lie within the target zone');
    expect(Object.keys(aliasesIn(fake, zoneId))).toHaveLength(20);
    expect(fake.record(zoneId, 'bad.example.com', 'A')).toBeUndefined();
    // Bisection: 1 + 2·⌈log2(21)⌉ requests at most.
    expect(changeCalls(fake)).toBeLessThanOrEqual(11);
  });

  it('writes 1,000 new hosts in at most 4 requests, and a second pass makes no Route53 call', async () => {
    const { fake, zoneId, provider } = setup();
    const desired = Array.from({ length: 1000 }, (_, i) =>
      host(`host-${i}.example.com`, i % 2 === 0 ? 'internal' : 'internet-facing'),
    );
    const { result } = await reconcile(provider, desired);
    expect(result.failed).toEqual([]);
    expect(changeCalls(fake)).toBeLessThanOrEqual(4);
    expect(fake.records(zoneId)).toHaveLength(1002);
    fake.resetCalls();
    const again = await reconcile(provider, desired);
    expect(again.plan.unchanged).toBe(1000);
    expect(fake.calls()).toEqual([]);
  });

  it('splits re-pointing 1,000 hosts (UPSERT counts twice) into requests within the limits', async () => {
    const { fake, provider } = setup();
    const names = Array.from({ length: 1000 }, (_, i) => `host-${i}.example.com`);
    await reconcile(
      provider,
      names.map((n) => host(n, 'internal')),
    );
    fake.resetCalls();
    const { result } = await reconcile(
      provider,
      names.map((n) => host(n, 'internet-facing')),
    );
    expect(result.applied).toHaveLength(1000);
    expect(fake.changeBatches().map((b) => [b.status, b.changes.length])).toEqual([
      [200, 500],
      [200, 500],
    ]);
  });

  it('lists a large zone 300 records a page', async () => {
    const { fake, zoneId, provider } = setup();
    for (let i = 0; i < 700; i++)
      fake.putRecord(zoneId, {
        Name: `h${i}.example.com`,
        Type: 'A',
        AliasTarget: {
          DNSName: LB.internal.dnsName,
          HostedZoneId: LB.internal.zoneId,
          EvaluateTargetHealth: false,
        },
      });
    const records = await provider.records();
    expect(records).toHaveLength(700);
    expect(fake.calls()).toEqual([
      'GetHostedZone',
      'ListResourceRecordSets',
      'ListResourceRecordSets',
      'ListResourceRecordSets',
    ]);
  });

  it('deletes a record built exactly as listed, whatever its TTL', async () => {
    const { fake, zoneId, provider } = setup();
    fake.putRecord(zoneId, {
      Name: 'old.example.com',
      Type: 'CNAME',
      TTL: 42,
      ResourceRecords: [{ Value: 'static-lb.example.net' }],
    });
    const owner = createTargetOwnership({ targets: ['static-lb.example.net'] });
    const { result } = await reconcile(provider, [], owner);
    expect(result.failed).toEqual([]);
    expect(fake.record(zoneId, 'old.example.com', 'CNAME')).toBeUndefined();
  });

  it('lets the SDK retry throttling and applies the change', async () => {
    const { fake, zoneId, provider } = setup();
    await provider.records();
    fake.throttleNext(2, 'ChangeResourceRecordSets');
    const { result } = await reconcile(provider, [host('a.example.com', 'internal')]);
    expect(result.failed).toEqual([]);
    expect(fake.record(zoneId, 'a.example.com', 'A')).toBeDefined();
    expect(fake.calls().filter((c) => c === 'ChangeResourceRecordSets')).toHaveLength(3);
  });

  it('reports throttling beyond the SDK retries as retryable and does not hammer the zone', async () => {
    const { fake, provider } = setup({ maxRecordsPerBatch: 10 });
    await provider.records();
    fake.throttleNext(3, 'ChangeResourceRecordSets');
    const { result } = await reconcile(
      provider,
      Array.from({ length: 25 }, (_, i) => host(`h${i}.example.com`, 'internal')),
    );
    expect(result.applied).toEqual([]);
    expect(result.failed).toHaveLength(25);
    expect(result.failed.every((f) => f.retryable)).toBe(true);
    expect(changeCalls(fake)).toBe(3);
  });

  it('serialises writes to a zone, so concurrent applies never meet PriorRequestNotComplete', async () => {
    const { fake, zoneId, provider } = setup({ fakeOptions: { changeLatencyMs: 20, maxAttempts: 1 } });
    await provider.records();
    const results = await Promise.all([
      provider.applyChanges({ create: [host('a.example.com', 'internal')], update: [], delete: [] }),
      provider.applyChanges({ create: [host('b.example.com', 'internal')], update: [], delete: [] }),
    ]);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(Object.keys(aliasesIn(fake, zoneId)).sort()).toEqual(['a.example.com.', 'b.example.com.']);
  });

  it('answers records() from its cache until the resync period has passed', async () => {
    const { fake, provider, clock } = setup({ resyncPeriodMs: 60_000 });
    await provider.records();
    await provider.records();
    await clock.advance(59_999);
    await provider.records();
    expect(fake.calls()).toEqual(['GetHostedZone', 'ListResourceRecordSets']);
    await clock.advance(1);
    await provider.records();
    expect(fake.calls()).toEqual(['GetHostedZone', 'ListResourceRecordSets', 'ListResourceRecordSets']);
  });

  it('re-lists after a refused change, so a record created behind its back is seen', async () => {
    const { fake, zoneId, provider } = setup();
    await provider.records();
    fake.putRecord(zoneId, {
      Name: 'a.example.com',
      Type: 'A',
      AliasTarget: {
        DNSName: LB.internal.dnsName,
        HostedZoneId: LB.internal.zoneId,
        EvaluateTargetHealth: false,
      },
    });
    const first = await reconcile(provider, [host('a.example.com', 'internet-facing')]);
    expect(first.result.failed[0]?.reason).toContain('already exists');
    const second = await reconcile(provider, [host('a.example.com', 'internet-facing')]);
    expect(second.result.failed).toEqual([]);
    expect(aliasesIn(fake, zoneId)).toEqual({ 'a.example.com.': LB['internet-facing'].dnsName });
  });

  it('reports a change outside every managed zone as failed without calling Route53 for it', async () => {
    const { fake, provider } = setup();
    const result = await provider.applyChanges({
      create: [host('www.other.org', 'internal')],
      update: [],
      delete: [],
    });
    expect(result.failed).toEqual([
      expect.objectContaining({ reason: 'no managed hosted zone for www.other.org.', retryable: false }),
    ]);
    expect(changeCalls(fake)).toBe(0);
  });

  it('resolves zones by domain and refuses a missing or ambiguous one with a ConfigError', async () => {
    const { fake } = setup();
    const client = new Route53Client(fake.clientConfig());
    await expect(new Route53Provider({ client, zones: ['Example.com.'] }).zones()).resolves.toEqual([
      expect.objectContaining({ name: 'example.com.' }),
    ]);
    await expect(new Route53Provider({ client, zones: ['nope.org'] }).zones()).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(new Route53Provider({ client, zones: ['ZDOESNOTEXIST'] }).zones()).rejects.toBeInstanceOf(
      ConfigError,
    );
    fake.createHostedZone({ name: 'example.com', privateZone: true });
    await expect(new Route53Provider({ client, zones: ['example.com'] }).zones()).rejects.toThrow(
      /2 Route53 hosted zones are named example.com/,
    );
    expect(() => new Route53Provider({ client, zones: [] })).toThrow(ConfigError);
  });

  it('keeps the names it lists normalised', async () => {
    const { fake, zoneId, provider } = setup();
    fake.putRecord(zoneId, {
      Name: '*.X.example.com',
      Type: 'CNAME',
      TTL: 60,
      ResourceRecords: [{ Value: 'a.example.net' }],
    });
    expect((await provider.records()).map((e) => e.name)).toEqual(['*.x.example.com.']);
    expect(normalizeName(fake.records(zoneId)[2]?.Name ?? '')).toBe('*.x.example.com.');
  });

  it('with TXT ownership writes each record and its owner record in one request, and removes both', async () => {
    const { fake, zoneId, provider } = setup();
    const owner = createTxtOwnership({ ownerId: 'cluster-a' });
    fake.putRecord(zoneId, {
      Name: 'other.example.com',
      Type: 'A',
      TTL: 60,
      ResourceRecords: [{ Value: '192.0.2.7' }],
    });
    const a: Endpoint = { name: 'svc.example.com', type: 'A', targets: ['192.0.2.1', '192.0.2.2'], ttl: 60 };
    await reconcile(provider, [a], owner);
    expect(fake.changeBatches().map((b) => b.changes.map((c) => `${c.action} ${c.type} ${c.name}`))).toEqual([
      ['CREATE A svc.example.com.', 'CREATE TXT a-svc.example.com.'],
    ]);
    expect(fake.record(zoneId, 'a-svc.example.com', 'TXT')?.ResourceRecords).toEqual([
      { Value: '"heritage=external-dns,external-dns/owner=cluster-a"' },
    ]);
    await reconcile(provider, [], owner);
    expect(fake.records(zoneId).map((r) => `${r.Type} ${r.Name}`)).toEqual([
      'NS example.com.',
      'SOA example.com.',
      'A other.example.com.',
    ]);
  });
});
