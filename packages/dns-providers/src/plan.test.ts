import { describe, expect, it } from '@jest/globals';
import { normalizeName, toRoute53Name, type Endpoint } from './endpoint.js';
import { createPredicateOwnership, createTargetOwnership, createTxtOwnership } from './ownership.js';
import { checkDeleteShare, plan } from './plan.js';

const LB_INT = 'internal-lb.eu-west-1.elb.amazonaws.com.';
const LB_EXT = 'external-lb.eu-west-1.elb.amazonaws.com.';
const alias = (name: string, target: string, zone = 'ZLB'): Endpoint => ({
  name,
  type: 'A',
  targets: [target],
  alias: { hostedZoneId: zone },
});
const cname = (name: string, target: string, ttl = 300): Endpoint => ({
  name,
  type: 'CNAME',
  targets: [target],
  ttl,
});
const ours = createTargetOwnership({ targets: [LB_INT, LB_EXT] });
const summary = (p: ReturnType<typeof plan>): Record<string, string[]> => ({
  create: p.changes.create.map((e) => `${e.type} ${normalizeName(e.name)} ${e.targets.join(',')}`),
  update: p.changes.update.map(
    (u) =>
      `${u.from.type} ${normalizeName(u.from.name)} ${u.from.targets.join(',')} => ${u.to.type} ${u.to.targets.join(',')}`,
  ),
  delete: p.changes.delete.map((e) => `${e.type} ${normalizeName(e.name)} ${e.targets.join(',')}`),
});

describe('normalizeName', () => {
  it.each([
    ['WWW.Example.COM', 'www.example.com.'],
    ['www.example.com.', 'www.example.com.'],
    ['\\052.apps.example.com.', '*.apps.example.com.'],
    ['*.Apps.example.com', '*.apps.example.com.'],
    [' a.example.com ', 'a.example.com.'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
    expect(normalizeName(expected)).toBe(expected);
  });

  it('writes names in Route53 listed form with octal escapes', () => {
    expect(toRoute53Name('*.Apps.example.com')).toBe('\\052.apps.example.com.');
  });
});

describe('plan with target ownership', () => {
  it('creates missing records, leaves equal ones, re-points changed ones and deletes owned leftovers', () => {
    const current = [
      alias('same.example.com.', LB_INT),
      alias('moved.example.com.', LB_INT),
      alias('gone.example.com.', LB_EXT),
    ];
    const desired = [
      alias('same.example.com', LB_INT),
      alias('moved.example.com', LB_EXT),
      alias('new.example.com', LB_INT),
    ];
    const p = plan(current, desired, ours);
    expect(summary(p)).toEqual({
      create: [`A new.example.com. ${LB_INT}`],
      update: [`A moved.example.com. ${LB_INT} => A ${LB_EXT}`],
      delete: [`A gone.example.com. ${LB_EXT}`],
    });
    expect(p).toMatchObject({ owned: 3, unchanged: 1, orphaned: 1, skipped: [] });
  });

  it('never deletes or overwrites records it does not own', () => {
    const current = [
      alias('theirs.example.com.', 'someone-elses-lb.elb.amazonaws.com.'),
      cname('cname.example.com.', 'elsewhere.example.net.'),
      { name: 'plain.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 },
      { name: 'txt.example.com.', type: 'TXT', targets: ['"hello"'], ttl: 60 },
      { ...alias('weighted.example.com.', LB_INT), setIdentifier: 'blue' },
    ];
    const desired = [
      alias('theirs.example.com', LB_INT),
      alias('cname.example.com', LB_INT),
      alias('plain.example.com', LB_EXT),
    ];
    const p = plan(current, desired, ours);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => [normalizeName(s.endpoint.name), s.reason])).toEqual([
      ['theirs.example.com.', 'an existing A record with this name is not owned by this controller'],
      ['cname.example.com.', 'conflicts with a CNAME record with this name not owned by this controller'],
      ['plain.example.com.', 'an existing A record with this name is not owned by this controller'],
    ]);
    expect(p.owned).toBe(0);
  });

  it('sees no change for upper-case and wildcard hosts as Route53 lists them', () => {
    const current = [
      alias('\\052.apps.example.com.', 'DualStack.Internal-LB.eu-west-1.elb.amazonaws.com.'),
      alias('www.example.com.', LB_INT),
    ];
    const desired = [
      alias('*.Apps.Example.com', 'internal-lb.eu-west-1.elb.amazonaws.com'),
      alias('WWW.EXAMPLE.COM', LB_INT.toUpperCase()),
    ];
    const p = plan(current, desired, ours);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.unchanged).toBe(2);
  });

  it('updates a CNAME whose TTL differs and replaces an owned CNAME by an alias', () => {
    const owner = createTargetOwnership({ targets: ['static-lb.example.net', LB_INT] });
    const current = [
      cname('ttl.example.com.', 'static-lb.example.net', 60),
      cname('switch.example.com.', 'static-lb.example.net'),
    ];
    const desired = [
      cname('ttl.example.com', 'static-lb.example.net', 300),
      alias('switch.example.com', LB_INT),
    ];
    expect(summary(plan(current, desired, owner))).toEqual({
      create: [],
      update: [
        'CNAME ttl.example.com. static-lb.example.net => CNAME static-lb.example.net',
        `CNAME switch.example.com. static-lb.example.net => A ${LB_INT}`,
      ],
      delete: [],
    });
  });

  it('skips invalid, duplicate, clashing and out-of-zone desired records with reasons', () => {
    const desired: Endpoint[] = [
      alias('a.example.com', LB_INT),
      alias('A.example.com.', LB_EXT),
      cname('a.example.com', 'x.example.net'),
      { name: 'empty.example.com', type: 'A', targets: [], alias: { hostedZoneId: 'ZLB' } },
      { name: 'mx.example.com', type: 'MX', targets: ['10 mail.example.com'], ttl: 60 },
      alias('other.org', LB_INT),
      alias('bad..example.com', LB_INT),
    ];
    const p = plan([], desired, ours, { domains: ['example.com'] });
    expect(summary(p).create).toEqual([`A a.example.com. ${LB_INT}`]);
    expect(p.skipped.map((s) => s.reason)).toEqual([
      'an earlier desired record has the same name and type',
      'a CNAME cannot share its name with another record',
      'no target',
      'record type MX is not managed',
      'name is not in a managed zone',
      'invalid DNS name',
    ]);
  });

  it.each([
    ['sync', { create: 1, update: 1, delete: 1 }],
    ['upsert-only', { create: 1, update: 1, delete: 0 }],
    ['create-only', { create: 1, update: 0, delete: 0 }],
  ] as const)('policy %s', (policy, counts) => {
    const current = [alias('moved.example.com.', LB_INT), alias('gone.example.com.', LB_INT)];
    const desired = [alias('moved.example.com', LB_EXT), alias('new.example.com', LB_INT)];
    const p = plan(current, desired, ours, { policy });
    expect({
      create: p.changes.create.length,
      update: p.changes.update.length,
      delete: p.changes.delete.length,
    }).toEqual(counts);
  });

  it('is pure: the same input gives the same plan and nothing is mutated', () => {
    const current = Object.freeze([Object.freeze(alias('gone.example.com.', LB_INT))]);
    const desired = Object.freeze([Object.freeze(alias('new.example.com', LB_INT))]);
    expect(plan(current, desired, ours)).toEqual(plan(current, desired, ours));
  });
});

describe('plan keeps what it cannot replace', () => {
  const kr = createPredicateOwnership(
    (e) => normalizeName(e.name) === 'svc.example.com.' && ['A', 'CNAME'].includes(e.type),
  );
  const a: Endpoint = { name: 'svc.example.com.', type: 'A', targets: ['10.0.0.1', '10.0.0.2'], ttl: 60 };

  it('does not delete the owned records of a name whose desired record is skipped', () => {
    // A failover CNAME cannot sit next to a foreign TXT record: it is skipped, and the name keeps
    // its A records instead of losing every record.
    const foreign: Endpoint = { name: 'svc.example.com.', type: 'TXT', targets: ['"x"'], ttl: 60 };
    const p = plan([a, foreign], [cname('svc.example.com', 'fallback.example.com', 60)], kr);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => s.reason)).toEqual([
      'conflicts with a TXT record with this name not owned by this controller',
    ]);
    expect(p.orphaned).toBe(0);
  });

  it('does not delete the owned records of a name whose desired record is invalid', () => {
    const p = plan([a], [{ name: 'svc.example.com', type: 'A', targets: [] }], kr);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => s.reason)).toEqual(['no target']);
  });

  it('still deletes an owned record of another type at a name that also has a written desired record', () => {
    const aaaa: Endpoint = { name: 'svc.example.com.', type: 'AAAA', targets: ['fd00::1'], ttl: 60 };
    const owner = createPredicateOwnership((e) => normalizeName(e.name) === 'svc.example.com.');
    const p = plan([a, aaaa], [a, { ...a, targets: ['10.0.0.9'] }], owner);
    expect(summary(p).delete).toEqual(['AAAA svc.example.com. fd00::1']);
    expect(p.skipped.map((s) => s.reason)).toEqual(['an earlier desired record has the same name and type']);
  });

  it('leaves the owned records of the names in `keep` as they are, counted unchanged', () => {
    const current = [alias('kept.example.com.', LB_INT), alias('gone.example.com.', LB_INT)];
    const p = plan(current, [], ours, { keep: ['Kept.Example.com'] });
    expect(summary(p)).toEqual({ create: [], update: [], delete: ['A gone.example.com. ' + LB_INT] });
    expect(p.unchanged).toBe(1);
    expect(p.orphaned).toBe(1);
  });
});

describe('plan with TXT ownership', () => {
  const txt = createTxtOwnership({ ownerId: 'cluster-a' });
  const owner = (name: string, id: string): Endpoint => ({
    name,
    type: 'TXT',
    targets: [`"heritage=external-dns,external-dns/owner=${id}"`],
    ttl: 300,
  });

  it('owns records whose TXT owner record names this owner, and creates and deletes them together', () => {
    const current = [
      { name: 'ours.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 },
      owner('a-ours.example.com.', 'cluster-a'),
      { name: 'theirs.example.com.', type: 'A', targets: ['10.0.0.2'], ttl: 60 },
      owner('a-theirs.example.com.', 'cluster-b'),
    ];
    const desired: Endpoint[] = [
      { name: 'new.example.com', type: 'A', targets: ['10.0.0.3'], ttl: 60 },
      { name: 'theirs.example.com', type: 'A', targets: ['10.0.0.9'], ttl: 60 },
    ];
    const p = plan(current, desired, txt);
    expect(summary(p)).toEqual({
      create: [
        'A new.example.com. 10.0.0.3',
        'TXT a-new.example.com. "heritage=external-dns,external-dns/owner=cluster-a"',
      ],
      update: [],
      delete: [
        'A ours.example.com. 10.0.0.1',
        'TXT a-ours.example.com. "heritage=external-dns,external-dns/owner=cluster-a"',
      ],
    });
    expect(p.changes.create[1]?.group).toBe('new.example.com.');
    expect(p.changes.delete[1]?.group).toBe('ours.example.com.');
    expect(p.skipped).toHaveLength(1);
  });
});

describe('plan counts TXT ownership records in its conflict check', () => {
  const txt = createTxtOwnership({ ownerId: 'cluster-a' });
  const theirs: Endpoint = {
    name: 'a-theirs.example.com.',
    type: 'TXT',
    targets: ['"heritage=external-dns,external-dns/owner=cluster-b"'],
    ttl: 300,
  };

  it('skips a desired TXT record at the name of an ownership record instead of writing over it', () => {
    const p = plan(
      [theirs],
      [{ name: 'a-theirs.example.com', type: 'TXT', targets: ['"mine"'], ttl: 60 }],
      txt,
    );
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => s.reason)).toEqual(['conflicts with an ownership TXT record with this name']);
  });

  it('skips a desired CNAME at the name of an ownership record', () => {
    const p = plan([theirs], [cname('a-theirs.example.com', 'lb.example.com', 60)], txt);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => s.reason)).toEqual(['conflicts with an ownership TXT record with this name']);
  });

  it('skips a desired record whose owner TXT record would go next to a CNAME', () => {
    const foreign: Endpoint = {
      name: 'a-www.example.com.',
      type: 'CNAME',
      targets: ['x.example.com.'],
      ttl: 60,
    };
    const p = plan([foreign], [{ name: 'www.example.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 }], txt);
    expect(summary(p)).toEqual({ create: [], update: [], delete: [] });
    expect(p.skipped.map((s) => s.reason)).toEqual([
      'its owner record a-www.example.com. would sit next to a CNAME record with that name',
    ]);
  });

  it('still creates a desired A record at a name that holds only an ownership TXT record', () => {
    const p = plan(
      [theirs],
      [{ name: 'a-theirs.example.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 }],
      txt,
    );
    expect(summary(p).create).toEqual([
      'A a-theirs.example.com. 10.0.0.1',
      'TXT a-a-theirs.example.com. "heritage=external-dns,external-dns/owner=cluster-a"',
    ]);
    expect(p.skipped).toEqual([]);
  });
});

describe('createPredicateOwnership', () => {
  it('owns what the predicate says, never routing-policy records', () => {
    const owner = createPredicateOwnership((e) => normalizeName(e.name).endsWith('.kr.example.com.'));
    const a: Endpoint = { name: 'svc.kr.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 };
    const weighted: Endpoint = { ...a, setIdentifier: 'x' };
    const other: Endpoint = { name: 'svc.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 };
    expect([...owner.owned([a, weighted, other])]).toEqual([a]);
  });
});

describe('checkDeleteShare', () => {
  const current = Array.from({ length: 10 }, (_, i) => alias(`h${i}.example.com.`, LB_INT));
  it.each([
    [10, 0.5, undefined],
    [5, 0.5, undefined],
    [4, 0.5, 'the plan would delete 6 of 10 owned records (60%, more than 50%)'],
    [0, 0.99, 'the plan would delete 10 of 10 owned records (100%, more than 99%)'],
    [0, 1, undefined],
  ])('keeping %i of 10 hosts with a %f limit gives %j', (kept, share, reason) => {
    const p = plan(current, current.slice(0, kept), ours);
    expect(checkDeleteShare(p, share)).toBe(reason);
  });

  it('does not count a type change as a deletion', () => {
    const owner = createTargetOwnership({ targets: [LB_INT, 'static.example.net'] });
    const p = plan([cname('x.example.com.', 'static.example.net')], [alias('x.example.com', LB_INT)], owner);
    expect(p.orphaned).toBe(0);
    expect(checkDeleteShare(p, 0)).toBeUndefined();
  });
});
