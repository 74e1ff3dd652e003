import { describe, expect, it } from '@jest/globals';
import { desiredByDomain, heartbeatTimestamp } from './desired.js';
import { decide, type ServiceRecord } from './records.js';

function rec(name: string, domain: string, addresses: string[], failover?: string, quota = 0): ServiceRecord {
  return {
    service: { kind: 'Service', namespace: 'default', name, uid: undefined },
    name,
    domain,
    fqdn: `${name}.${domain}`,
    addresses,
    failover,
    quota,
  };
}

const now = new Date(2026, 0, 5, 7, 3); // local time: 2026-1-5 07:03

describe('heartbeatTimestamp', () => {
  it('is Y-M-D-h-m in local time without zero padding', () => {
    expect(heartbeatTimestamp(now)).toBe('2026-1-5-7-3');
    expect(heartbeatTimestamp(new Date(2026, 10, 21, 23, 59))).toBe('2026-11-21-23-59');
  });
});

describe('desiredByDomain', () => {
  it('groups records per domain, owns every computed name and leaves deletes out of desired', () => {
    const decisions = [
      decide(rec('a', 'one.com', ['10.0.0.1']), 2),
      decide(rec('b', 'two.com', [], undefined, 0), 2), // nothing: delete
      decide(rec('c', 'one.com', [], 'fo.one.com'), 2),
    ];
    const out = desiredByDomain(decisions, { replacements: {}, now });
    expect(out.map((d) => d.domain)).toEqual(['one.com', 'two.com']);
    expect(out[0]?.desired).toEqual([
      { name: 'a.one.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 },
      { name: 'c.one.com', type: 'CNAME', targets: ['fo.one.com'], ttl: 60 },
    ]);
    expect([...(out[0]?.owned ?? [])]).toEqual(['a.one.com.', 'c.one.com.']);
    expect(out[1]?.desired).toEqual([]);
    expect([...(out[1]?.owned ?? [])]).toEqual(['b.two.com.']);
  });

  it('adds one heartbeat CNAME per domain with records, rendered with the replacements and the timestamp', () => {
    const decisions = [
      decide(rec('a', 'one.com', ['10.0.0.1']), 1),
      decide(rec('b', 'one.com', ['10.0.0.1']), 1),
    ];
    const out = desiredByDomain(decisions, {
      heartbeat: {
        nameTemplate: 'hb-_TEMPLATE_START_c_TEMPLATE_END_',
        timestampTemplate: '_TEMPLATE_START_timestamp_TEMPLATE_END_.kuberoute.timestamp',
      },
      replacements: { c: 'x1' },
      now,
    });
    expect(out[0]?.desired.filter((e) => e.type === 'CNAME')).toEqual([
      { name: 'hb-x1.one.com', type: 'CNAME', targets: ['2026-1-5-7-3.kuberoute.timestamp'], ttl: 60 },
    ]);
    expect(out[0]?.owned.has('hb-x1.one.com.')).toBe(true);
  });

  it('reports a heartbeat template error per domain instead of failing the pass', () => {
    const out = desiredByDomain([decide(rec('a', 'one.com', ['10.0.0.1']), 1)], {
      heartbeat: { nameTemplate: '_TEMPLATE_START_nope_TEMPLATE_END_', timestampTemplate: 'x' },
      replacements: {},
      now,
    });
    expect(out[0]?.heartbeatError).toMatch(/name_template: no replacement named nope/);
    expect(out[0]?.desired).toHaveLength(1);
  });
});
