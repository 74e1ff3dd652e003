import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from '@jest/globals';
import { createFakeRoute53, type FakeRoute53 } from './index.js';

const alias = (name: string, dnsName: string, zoneId = 'ZLB'): ResourceRecordSet => ({
  Name: name,
  Type: 'A',
  AliasTarget: { DNSName: dnsName, HostedZoneId: zoneId, EvaluateTargetHealth: false },
});
const cname = (name: string, value: string, ttl = 300): ResourceRecordSet => ({
  Name: name,
  Type: 'CNAME',
  TTL: ttl,
  ResourceRecords: [{ Value: value }],
});

function setup(options: Parameters<typeof createFakeRoute53>[0] = {}): {
  fake: FakeRoute53;
  client: Route53Client;
  zoneId: string;
} {
  const fake = createFakeRoute53(options);
  const zone = fake.createHostedZone({ name: 'example.com' });
  return { fake, client: new Route53Client(fake.clientConfig()), zoneId: zone.id };
}

async function change(client: Route53Client, zoneId: string, changes: Change[]): Promise<unknown> {
  return client
    .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }))
    .catch((err: unknown) => err);
}

describe('createFakeRoute53', () => {
  it('creates records through the real SDK client and lists them in canonical form', async () => {
    const { fake, client, zoneId } = setup();
    const out = await change(client, `/hostedzone/${zoneId}`, [
      { Action: 'CREATE', ResourceRecordSet: alias('WWW.Example.com', 'LB-1.eu-west-1.elb.amazonaws.com') },
      { Action: 'CREATE', ResourceRecordSet: cname('*.apps.example.com.', 'lb.example.net') },
    ]);
    expect(out).toMatchObject({ ChangeInfo: { Status: 'PENDING' } });
    expect(fake.record(zoneId, 'www.example.com', 'A')?.AliasTarget).toEqual({
      DNSName: 'lb-1.eu-west-1.elb.amazonaws.com.',
      HostedZoneId: 'ZLB',
      EvaluateTargetHealth: false,
    });
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(listed.ResourceRecordSets?.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'example.com. NS',
      'example.com. SOA',
      '\\052.apps.example.com. CNAME',
      'www.example.com. A',
    ]);
  });

  it('refuses a whole batch with every broken rule listed, applying none of it', async () => {
    const { fake, client, zoneId } = setup();
    fake.putRecord(zoneId, cname('taken.example.com', 'other.example.net'));
    const err = await change(client, zoneId, [
      { Action: 'CREATE', ResourceRecordSet: alias('fine.example.com', 'lb.') },
      { Action: 'CREATE', ResourceRecordSet: cname('taken.example.com', 'x.example.net') },
      { Action: 'DELETE', ResourceRecordSet: cname('missing.example.com', 'x.example.net') },
      { Action: 'DELETE', ResourceRecordSet: cname('taken.example.com', 'other.example.net', 60) },
      { Action: 'CREATE', ResourceRecordSet: cname('www.other.org', 'x.example.net') },
    ]);
    expect(err).toMatchObject({ name: 'InvalidChangeBatch', $metadata: { httpStatusCode: 400 } });
    const message = (err as Error).message;
    expect(message).toContain(
      "Tried to create resource record set [name='taken.example.com.', type='CNAME'] but it already exists",
    );
    expect(message).toContain(
      "Tried to delete resource record set [name='missing.example.com.', type='CNAME'] but it was not found",
    );
    expect(message).toContain(
      "[name='taken.example.com.', type='CNAME'] but the values provided do not match the current values",
    );
    expect(message).toContain('RRSet with DNS name www.other.org. is not permitted in zone example.com.');
    expect(fake.record(zoneId, 'fine.example.com', 'A')).toBeUndefined();
    expect(fake.changeBatches()).toEqual([
      expect.objectContaining({ status: 400, code: 'InvalidChangeBatch' }),
    ]);
  });

  it('deletes a record given exactly as listed and upserts over an existing one', async () => {
    const { fake, client, zoneId } = setup();
    fake.putRecord(zoneId, cname('a.example.com', 'one.example.net', 60));
    fake.putRecord(zoneId, alias('b.example.com', 'lb-old.'));
    await change(client, zoneId, [
      { Action: 'DELETE', ResourceRecordSet: cname('a.example.com.', 'one.example.net', 60) },
      { Action: 'UPSERT', ResourceRecordSet: alias('b.example.com', 'lb-new.') },
    ]);
    expect(fake.record(zoneId, 'a.example.com', 'CNAME')).toBeUndefined();
    expect(fake.record(zoneId, 'b.example.com', 'A')?.AliasTarget?.DNSName).toBe('lb-new.');
  });

  it('keeps a CNAME exclusive at its name but allows replacing it within one batch', async () => {
    const { fake, client, zoneId } = setup();
    fake.putRecord(zoneId, cname('x.example.com', 'lb.example.net'));
    const err = await change(client, zoneId, [
      { Action: 'CREATE', ResourceRecordSet: alias('x.example.com', 'lb.') },
    ]);
    expect((err as Error).message).toContain(
      'RRSet of type CNAME with DNS name x.example.com. is not permitted as it conflicts with other records',
    );
    const apex = await change(client, zoneId, [
      { Action: 'CREATE', ResourceRecordSet: cname('example.com', 'lb.example.net') },
    ]);
    expect((apex as Error).message).toContain('is not permitted at apex');
    await change(client, zoneId, [
      { Action: 'DELETE', ResourceRecordSet: cname('x.example.com', 'lb.example.net') },
      { Action: 'CREATE', ResourceRecordSet: alias('x.example.com', 'lb.') },
    ]);
    expect(
      fake
        .records(zoneId)
        .filter((r) => r.Name === 'x.example.com.')
        .map((r) => r.Type),
    ).toEqual(['A']);
  });

  it('counts an UPSERT twice against the 1,000 record limit', async () => {
    const { fake, client, zoneId } = setup();
    const upserts: Change[] = Array.from({ length: 501 }, (_, i) => ({
      Action: 'UPSERT',
      ResourceRecordSet: alias(`h${i}.example.com`, 'lb.'),
    }));
    expect(await change(client, zoneId, upserts)).toMatchObject({
      name: 'InvalidChangeBatch',
      message: '[Number of records limit of 1000 exceeded.]',
    });
    await change(client, zoneId, upserts.slice(0, 500));
    expect(fake.records(zoneId)).toHaveLength(502);
  });

  it('refuses a batch over 32,000 value characters', async () => {
    const { client, zoneId } = setup();
    const value = `"${'x'.repeat(250)}"`;
    const changes: Change[] = Array.from({ length: 130 }, (_, i) => ({
      Action: 'CREATE',
      ResourceRecordSet: {
        Name: `t${i}.example.com`,
        Type: 'TXT',
        TTL: 60,
        ResourceRecords: [{ Value: value }],
      },
    }));
    expect(await change(client, zoneId, changes)).toMatchObject({
      message: '[Number of characters limit of 32000 exceeded.]',
    });
  });

  it('pages record sets 300 at a time with NextRecordName and NextRecordType', async () => {
    const { fake, client, zoneId } = setup();
    for (let i = 0; i < 650; i++)
      fake.putRecord(zoneId, alias(`h${String(i).padStart(3, '0')}.example.com`, 'lb.'));
    const first = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 1000 }),
    );
    expect(first.ResourceRecordSets).toHaveLength(300);
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
      }),
    );
    expect(second.ResourceRecordSets?.[0]?.Name).toBe(first.NextRecordName);
    const third = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: second.NextRecordName,
        StartRecordType: second.NextRecordType,
      }),
    );
    expect(third.IsTruncated).toBe(false);
    expect(
      first.ResourceRecordSets!.length + second.ResourceRecordSets!.length + third.ResourceRecordSets!.length,
    ).toBe(652);
  });

  it('finds zones by id and by name, and answers NoSuchHostedZone for an unknown id', async () => {
    const { fake, client, zoneId } = setup();
    fake.createHostedZone({ name: 'example.com', privateZone: true });
    fake.createHostedZone({ name: 'apps.example.com' });
    const got = await client.send(new GetHostedZoneCommand({ Id: zoneId }));
    expect(got.HostedZone).toMatchObject({
      Id: `/hostedzone/${zoneId}`,
      Name: 'example.com.',
      Config: { PrivateZone: false },
    });
    const byName = await client.send(new ListHostedZonesByNameCommand({ DNSName: 'example.com' }));
    expect(byName.HostedZones?.map((z) => z.Name)).toEqual([
      'example.com.',
      'example.com.',
      'apps.example.com.',
    ]);
    const all = await client.send(new ListHostedZonesCommand({ MaxItems: 2 }));
    expect(all).toMatchObject({ IsTruncated: true, NextMarker: expect.any(String) });
    await expect(client.send(new GetHostedZoneCommand({ Id: 'ZNOPE' }))).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('throttles on demand, and the SDK retries Throttling until its attempts run out', async () => {
    const { fake, client, zoneId } = setup({ maxAttempts: 3 });
    fake.throttleNext(2, 'ListResourceRecordSets');
    const ok = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(ok.$metadata.attempts).toBe(3);
    fake.throttleNext(3);
    await expect(
      client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })),
    ).rejects.toMatchObject({ name: 'Throttling' });
    expect(fake.calls()).toEqual(Array(6).fill('ListResourceRecordSets'));
  });

  it('answers PriorRequestNotComplete to overlapping writes to one zone', async () => {
    const { client, zoneId } = setup({ changeLatencyMs: 30, maxAttempts: 1 });
    const results = await Promise.all([
      change(client, zoneId, [{ Action: 'CREATE', ResourceRecordSet: alias('a.example.com', 'lb.') }]),
      change(client, zoneId, [{ Action: 'CREATE', ResourceRecordSet: alias('b.example.com', 'lb.') }]),
    ]);
    expect(results.map((r) => (r instanceof Error ? r.name : 'ok')).sort()).toEqual([
      'PriorRequestNotComplete',
      'ok',
    ]);
  });

  it('refuses an alias to an undeclared load balancer once alias targets are declared', async () => {
    const { fake, client, zoneId } = setup();
    fake.addAliasTarget('lb-1.elb.amazonaws.com', 'Z32O12XQLNTSW2');
    expect(
      await change(client, zoneId, [
        {
          Action: 'CREATE',
          ResourceRecordSet: alias('a.example.com', 'lb-1.elb.amazonaws.com', 'Z32O12XQLNTSW2'),
        },
      ]),
    ).toMatchObject({
      ChangeInfo: expect.anything(),
    });
    const err = await change(client, zoneId, [
      { Action: 'CREATE', ResourceRecordSet: alias('b.example.com', 'lb-1.elb.amazonaws.com', 'ZWRONG') },
    ]);
    expect((err as Error).message).toContain('alias target name does not lie within the target zone');
  });

  it('answers an injected fault with its code and applies nothing', async () => {
    const { fake, client, zoneId } = setup({ maxAttempts: 1 });
    fake.failNext({ code: 'AccessDenied', status: 403, operation: 'ChangeResourceRecordSets' });
    const err = await change(client, zoneId, [
      { Action: 'CREATE', ResourceRecordSet: alias('a.example.com', 'lb.') },
    ]);
    expect(err).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(fake.record(zoneId, 'a.example.com', 'A')).toBeUndefined();
  });
});
