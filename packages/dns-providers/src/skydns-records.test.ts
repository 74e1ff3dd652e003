import { describe, expect, it } from '@jest/globals';
import {
  parseSkyDnsKey,
  parseSkyDnsMessage,
  skyDnsChangeValues,
  skyDnsDirectory,
  skyDnsEndpoints,
  skyDnsMessage,
} from './skydns-records.js';

describe('the SkyDNS layout shared by the etcd v3 and v2 providers', () => {
  it.each([
    ['A', '10.0.0.1', 60, '{"host":"10.0.0.1","ttl":60}'],
    ['AAAA', 'fd00::1', undefined, '{"host":"fd00::1"}'],
    ['CNAME', 'target.example.com.', 30, '{"host":"target.example.com","ttl":30}'],
    ['TXT', '"v=spf1 -all"', 60, '{"text":"\\"v=spf1 -all\\"","ttl":60}'],
    ['A', '10.0.0.1', 0, '{"host":"10.0.0.1"}'],
    ['A', '10.0.0.1', -5, '{"host":"10.0.0.1"}'],
  ])('writes %s %s with ttl %p as %s', (type, value, ttl, stored) => {
    expect(skyDnsMessage(type, value, ttl)).toBe(stored);
  });

  it.each([
    ['{"host":"10.0.0.1","ttl":60}', { type: 'A', value: '10.0.0.1', ttl: 60 }],
    ['{"host":"fd00::1"}', { type: 'AAAA', value: 'fd00::1', ttl: undefined }],
    ['{"host":"t.example.com","ttl":0}', { type: 'CNAME', value: 't.example.com', ttl: undefined }],
    ['{"text":"hello","ttl":-1}', { type: 'TXT', value: 'hello', ttl: undefined }],
    ['{"host":""}', undefined],
    ['{"port":53}', undefined],
    ['not json', undefined],
  ])('reads %s', (raw, parsed) => {
    expect(parseSkyDnsMessage(raw)).toEqual(parsed);
  });

  it('maps names to directories and back, records in x1…xN order', () => {
    expect(skyDnsDirectory('/skydns', 'WWW.example.com')).toBe('/skydns/com/example/www');
    const keys = ['x10', 'x2', 'x1'].map((x, i) =>
      parseSkyDnsKey('/skydns', `/skydns/com/example/www/${x}`, `{"host":"10.0.0.${i + 1}"}`),
    );
    expect(skyDnsEndpoints(keys.flatMap((k) => (k === undefined ? [] : [k])))).toEqual([
      {
        name: 'www.example.com.',
        type: 'A',
        targets: ['10.0.0.3', '10.0.0.2', '10.0.0.1'],
        providerRecord: [
          '/skydns/com/example/www/x1',
          '/skydns/com/example/www/x2',
          '/skydns/com/example/www/x10',
        ],
      },
    ]);
    expect(parseSkyDnsKey('/skydns', '/skydns/x1', '{"host":"10.0.0.1"}')).toBeUndefined();
  });

  it('rewrites a name: other types kept first, the new values after; a CNAME next to others refused', () => {
    const entries = [
      parseSkyDnsKey('/skydns', '/skydns/com/example/www/x1', '{"text":"keep"}'),
      parseSkyDnsKey('/skydns', '/skydns/com/example/www/x2', '{"host":"10.0.0.1","ttl":60}'),
    ].flatMap((k) => (k === undefined ? [] : [k.entry]));
    const from = { name: 'www.example.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 };
    expect(
      skyDnsChangeValues(
        entries,
        { kind: 'update', from, to: { ...from, targets: ['10.0.0.2', '10.0.0.3'] } },
        ['example.com.'],
      ),
    ).toEqual({
      values: ['{"text":"keep"}', '{"host":"10.0.0.2","ttl":60}', '{"host":"10.0.0.3","ttl":60}'],
    });
    expect(
      skyDnsChangeValues(
        entries,
        { kind: 'update', from, to: { name: 'www.example.com', type: 'CNAME', targets: ['x.example.com'] } },
        ['example.com.'],
      ),
    ).toEqual({ reason: 'a CNAME at www.example.com. conflicts with other records' });
    expect(skyDnsChangeValues(entries, { kind: 'delete', endpoint: from }, ['example.com.'])).toEqual({
      values: ['{"text":"keep"}'],
    });
  });
});
