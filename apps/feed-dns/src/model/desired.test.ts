import { describe, expect, it } from '@jest/globals';
import type { Endpoint } from '@kube-edge/dns-providers';
import { buildDesired, planPass, zoneOf, type AliasFrontend, type Frontends } from './desired.js';
import type { IngressLike } from './entries.js';

const INTERNAL = {
  kind: 'alias',
  name: 'int',
  dnsName: 'internal-int-1.eu-west-1.elb.amazonaws.com',
  hostedZoneId: 'Z32O12XQLNTSW2',
} satisfies AliasFrontend;
const EXTERNAL = {
  kind: 'alias',
  name: 'ext',
  dnsName: 'ext-2.eu-west-1.elb.amazonaws.com',
  hostedZoneId: 'Z32O12XQLNTSW2',
} satisfies AliasFrontend;
const ALIAS: Frontends = new Map<string, AliasFrontend>([
  ['internal', INTERNAL],
  ['internet-facing', EXTERNAL],
]);
const CNAMES: Frontends = new Map([['internal', { kind: 'cname', hostname: 'int.lb.example.net' }]]);

function ing(name: string, hosts: string[], scheme = 'internal'): IngressLike {
  return {
    metadata: {
      name,
      namespace: 'team',
      uid: `u-${name}`,
      annotations: { 'sky.uk/frontend-scheme': scheme },
    },
    spec: { rules: hosts.map((host) => ({ host })) },
  };
}

const alias = (name: string, dnsName: string, zone = 'Z32O12XQLNTSW2'): Endpoint => ({
  name,
  type: 'A',
  targets: [dnsName],
  alias: { hostedZoneId: zone, evaluateTargetHealth: false },
});

describe('zoneOf', () => {
  it.each([
    ['www.example.com', 'example.com.'],
    ['x.apps.example.com', 'apps.example.com.'],
    ['apps.example.com', 'apps.example.com.'],
    ['example.com', 'example.com.'],
    ['www.example.org', undefined],
    ['notexample.com', undefined],
  ])('%s -> %s', (name, zone) => {
    expect(zoneOf(name, ['example.com', 'apps.example.com.'])).toBe(zone);
  });
});

describe('buildDesired', () => {
  it("makes an A ALIAS per host to its scheme's load balancer with the load balancer's zone", () => {
    const d = buildDesired({
      ingresses: [ing('a', ['www.example.com']), ing('b', ['api.example.com'], 'internet-facing')],
      frontends: ALIAS,
      zoneDomains: ['example.com'],
      classFilter: undefined,
      cnameTtlSeconds: 300,
    });
    expect(d.endpoints).toEqual([
      alias('www.example.com.', INTERNAL.dnsName),
      alias('api.example.com.', EXTERNAL.dnsName),
    ]);
    expect(d.owners.get('api.example.com.')?.name).toBe('b');
  });

  it('makes CNAMEs with the TTL in static mode, and refuses one at a zone apex', () => {
    const d = buildDesired({
      ingresses: [ing('a', ['www.example.com', 'example.com'])],
      frontends: CNAMES,
      zoneDomains: ['example.com'],
      classFilter: undefined,
      cnameTtlSeconds: 60,
    });
    expect(d.endpoints).toEqual([
      { name: 'www.example.com.', type: 'CNAME', targets: ['int.lb.example.net'], ttl: 60 },
    ]);
    expect(d.skipped.map((s) => [s.host, s.reason])).toEqual([['example.com', 'cname-at-apex']]);
  });

  it('skips hosts outside every zone and schemes with no frontend', () => {
    const d = buildDesired({
      ingresses: [ing('a', ['www.example.org', 'x.example.com'], 'internet-facing')],
      frontends: CNAMES,
      zoneDomains: ['example.com'],
      classFilter: undefined,
      cnameTtlSeconds: 60,
    });
    expect(d.endpoints).toEqual([]);
    expect(d.skipped.map((s) => [s.host, s.reason])).toEqual([
      ['www.example.org', 'out-of-zone'],
      ['x.example.com', 'no-frontend'],
    ]);
  });
});

describe('planPass', () => {
  const base = {
    frontends: ALIAS,
    zoneDomains: ['example.com'],
    classFilter: undefined,
    cnameTtlSeconds: 300,
    maxDeleteShare: 0.5,
  };

  it('creates missing records, re-points a changed scheme, deletes records of gone hosts', () => {
    const current = [
      alias('moved.example.com.', INTERNAL.dnsName),
      alias('gone.example.com.', INTERNAL.dnsName),
      alias('same.example.com.', INTERNAL.dnsName),
      alias('keep1.example.com.', INTERNAL.dnsName),
    ];
    const p = planPass({
      ...base,
      current,
      ingresses: [
        ing('a', ['new.example.com', 'same.example.com', 'keep1.example.com']),
        ing('b', ['moved.example.com'], 'internet-facing'),
      ],
    });
    expect(p.plan.changes.create.map((e) => e.name)).toEqual(['new.example.com.']);
    expect(p.plan.changes.update.map((u) => [u.from.name, u.to.targets[0]])).toEqual([
      ['moved.example.com.', EXTERNAL.dnsName],
    ]);
    expect(p.plan.changes.delete.map((e) => e.name)).toEqual(['gone.example.com.']);
    expect(p.refused).toBeUndefined();
  });

  it('never touches records that are not ours, and reports a host colliding with one', () => {
    const current: Endpoint[] = [
      alias('other.example.com.', 'someone-else.elb.amazonaws.com'),
      { name: 'plain.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 },
      { name: 'mail.example.com.', type: 'MX', targets: ['10 mx.example.com'], ttl: 60 },
      { name: 'txt.example.com.', type: 'TXT', targets: ['"x"'], ttl: 60 },
      { name: 'cn.example.com.', type: 'CNAME', targets: [INTERNAL.dnsName], ttl: 60 },
    ];
    const p = planPass({ ...base, current, ingresses: [ing('a', ['other.example.com'])] });
    expect(p.plan.changes).toEqual({ create: [], update: [], delete: [] });
    expect(p.planSkipped.map((s) => [s.ingress.name, s.host, s.reason])).toEqual([
      ['a', 'other.example.com', 'record-not-owned'],
    ]);
  });

  it("sees no change for upper-case and wildcard hosts listed in Route53's form", () => {
    const current = [
      alias('\\052.apps.example.com.', `${INTERNAL.dnsName.toUpperCase()}.`),
      alias('www.example.com.', INTERNAL.dnsName),
    ];
    const p = planPass({
      ...base,
      current,
      ingresses: [ing('a', ['*.Apps.example.com', 'WWW.EXAMPLE.COM'])],
    });
    expect(p.plan.changes).toEqual({ create: [], update: [], delete: [] });
    expect(p.plan.unchanged).toBe(2);
  });

  it('keeps the record of a host an ingress still names when its scheme is missing, unknown or has no frontend', () => {
    const current = ['a', 'b', 'c', 'd'].map((h) => alias(`${h}.example.com.`, INTERNAL.dnsName));
    const onlyInternal: Frontends = new Map([['internal', INTERNAL]]);
    const p = planPass({
      ...base,
      frontends: onlyInternal,
      current,
      ingresses: [
        ing('x', ['a.example.com'], ''),
        ing('y', ['b.example.com'], 'public'),
        ing('z', ['c.example.com'], 'internet-facing'),
      ],
    });
    expect(p.plan.changes.delete.map((e) => e.name)).toEqual(['d.example.com.']);
    expect(p.plan.changes.update).toEqual([]);
    expect(p.refused).toBeUndefined();
  });

  it('refuses a plan deleting more than the share while ingresses exist, and allows it when none exist', () => {
    const current = ['a', 'b', 'c', 'd'].map((h) => alias(`${h}.example.com.`, INTERNAL.dnsName));
    const someLeft = planPass({
      ...base,
      current,
      ingresses: [ing('x', ['a.example.com']), ing('y', ['z.example.com'])],
    });
    expect(someLeft.plan.orphaned).toBe(3);
    expect(someLeft.refused).toMatch(/delete 3 of 4/);
    const half = planPass({ ...base, current, ingresses: [ing('x', ['a.example.com', 'b.example.com'])] });
    expect(half.refused).toBeUndefined();
    const none = planPass({ ...base, current, ingresses: [] });
    expect(none.plan.changes.delete).toHaveLength(4);
    expect(none.refused).toBeUndefined();
    const off = planPass({
      ...base,
      maxDeleteShare: 1,
      current,
      ingresses: [ing('y', ['q.example.com'], '')],
    });
    expect(off.refused).toBeUndefined();
  });

  it('in static mode owns only CNAMEs to our hostnames and re-writes one whose TTL differs', () => {
    const current: Endpoint[] = [
      { name: 'www.example.com.', type: 'CNAME', targets: ['int.lb.example.net.'], ttl: 300 },
      { name: 'foreign.example.com.', type: 'CNAME', targets: ['elsewhere.example.net.'], ttl: 300 },
    ];
    const p = planPass({
      ...base,
      frontends: CNAMES,
      cnameTtlSeconds: 60,
      current,
      ingresses: [ing('a', ['www.example.com'])],
    });
    expect(p.plan.changes.update.map((u) => [u.to.name, u.to.ttl])).toEqual([['www.example.com.', 60]]);
    expect(p.plan.changes.delete).toEqual([]);
  });
});
