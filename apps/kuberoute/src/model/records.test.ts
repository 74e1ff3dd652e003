import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from '@jest/globals';
import { modelConfig, node, pod, routeLabels, service } from '../../test/fixtures.js';
import { computeRecords, decide, type ServiceRecord } from './records.js';

function record(addresses: string[], quota: number, failover?: string): ServiceRecord {
  return {
    service: { kind: 'Service', namespace: 'default', name: 's', uid: 'u' },
    name: 'www',
    domain: 'example.com',
    fqdn: 'www.example.com',
    addresses,
    failover,
    quota,
  };
}

const two = ['10.0.0.1', '10.0.0.2'];

describe('decide: the decision table', () => {
  it.each([
    // addresses, nodes, quota, failover → type, values, healthy, rule
    ['healthy, no failover: the addresses', two, 4, 50, undefined, 'A', two, true, 'addresses'],
    [
      'healthy with failover: still the addresses',
      two,
      2,
      100,
      'fo.example.com',
      'A',
      two,
      true,
      'addresses',
    ],
    ['no quota label (0), addresses: the addresses', two, 10, 0, undefined, 'A', two, true, 'addresses'],
    [
      'unhealthy, no failover: the remaining addresses',
      two,
      4,
      80,
      undefined,
      'A',
      two,
      false,
      'unhealthy-no-failover',
    ],
    [
      'unhealthy, no failover, no addresses: empty (delete)',
      [],
      4,
      80,
      undefined,
      'A',
      [],
      false,
      'unhealthy-no-failover',
    ],
    [
      'unhealthy with an IPv4 failover: A failover',
      two,
      4,
      80,
      '192.0.2.7',
      'A',
      ['192.0.2.7'],
      false,
      'failover',
    ],
    [
      'unhealthy with a name failover: CNAME failover',
      two,
      4,
      80,
      'fo.example.com',
      'CNAME',
      ['fo.example.com'],
      false,
      'failover',
    ],
    [
      'unhealthy with an IPv6 failover: AAAA (the original wrote A)',
      two,
      4,
      80,
      '2001:db8::1',
      'AAAA',
      ['2001:db8::1'],
      false,
      'failover',
    ],
    [
      'healthy (quota 0) but no addresses, failover: the failover',
      [],
      3,
      0,
      'fo.example.com',
      'CNAME',
      ['fo.example.com'],
      true,
      'failover',
    ],
    [
      'healthy (quota 0), no addresses, no failover: nothing (delete)',
      [],
      3,
      0,
      undefined,
      'A',
      [],
      true,
      'nothing',
    ],
  ])('%s', (_row, addresses, nodes, quota, failover, type, values, healthy, rule) => {
    const d = decide(record(addresses, quota, failover), nodes);
    expect({ type: d.type, values: d.values, healthy: d.healthy, rule: d.rule, ttl: d.ttl }).toEqual({
      type,
      values,
      healthy,
      rule,
      ttl: 60,
    });
  });
});

describe('decide: quota edges', () => {
  it.each([
    ['exactly at the quota is healthy (>=)', 2, 4, 50, true, 50],
    ['one node short is unhealthy', 1, 4, 50, false, 25],
    ['66.67 % fulfils 66', 2, 3, 66, true, 66.66666666666667],
    ['66.67 % does not fulfil 67 (no rounding up)', 2, 3, 67, false, 66.66666666666667],
    ['all nodes fulfil 100', 3, 3, 100, true, 100],
    ['a quota above 100 is never fulfilled', 3, 3, 101, false, 100],
    ['a negative quota is always fulfilled', 1, 3, -5, true, 33.333333333333336],
    ['every node counts, so 1 of 10 is 10 %', 1, 10, 11, false, 10],
  ])('%s', (_what, addrCount, nodes, quota, healthy, current) => {
    const d = decide(record(two.concat(['10.0.0.3']).slice(0, addrCount), quota), nodes);
    expect(d.healthy).toBe(healthy);
    expect(d.currentQuota).toBeCloseTo(current, 10);
  });

  it('refuses zero nodes instead of dividing by zero', () => {
    expect(() => decide(record(two, 50), 0)).toThrow(RangeError);
  });
});

describe('computeRecords', () => {
  const nodes = [
    node('a', '10.0.0.1'),
    node('b', '10.0.0.2'),
    node('c', '10.0.0.3', { unschedulable: true }),
  ];

  it('publishes the unique host IPs of alive pods of a labelled NodePort service, sorted', () => {
    const svc = service(
      'web',
      routeLabels('www', 'Example.com', { failover: 'fo.example.com', quota: '80' }),
    );
    const pods = [
      pod('web-3', 'web', '10.0.0.2'),
      pod('web-1', 'web', '10.0.0.1'),
      pod('web-2', 'web', '10.0.0.1'), // same node: counted once
      pod('other', 'other', '10.0.0.2'),
    ];
    const { records, skipped } = computeRecords([svc], pods, nodes, modelConfig());
    expect(skipped).toEqual([]);
    expect(records).toEqual([
      {
        service: { kind: 'Service', namespace: 'default', name: 'web', uid: 'uid-web' },
        name: 'www',
        domain: 'example.com',
        fqdn: 'www.example.com',
        addresses: ['10.0.0.1', '10.0.0.2'],
        failover: 'fo.example.com',
        quota: 80,
      },
    ]);
  });

  it('ignores services that are not NodePort, lack a label, or are outside the namespaces', () => {
    const services = [
      service('lb', routeLabels('a', 'example.com'), { type: 'LoadBalancer' }),
      service('cip', routeLabels('b', 'example.com'), { type: 'ClusterIP' }),
      service('nodomain', { kuberoute_name: 'c' }),
      service('noname', { kuberoute_domain: 'example.com' }),
      service('elsewhere', routeLabels('d', 'example.com'), { namespace: 'other' }),
    ];
    expect(computeRecords(services, [], nodes, modelConfig())).toEqual({ records: [], skipped: [] });
  });

  it('uses the label names from the config', () => {
    const svc = service('web', { d: 'example.com', n: 'www' });
    const { records } = computeRecords(
      [svc],
      [],
      nodes,
      modelConfig({ labels: { domain: 'd', name: 'n', failover: 'f', quota: 'q' } }),
    );
    expect(records.map((r) => r.fqdn)).toEqual(['www.example.com']);
  });

  it('matches pods by selector subset in the service namespace only', () => {
    const svc = service('web', routeLabels('www', 'example.com'), {
      namespace: 'a',
      selector: { app: 'web' },
    });
    const both = { ...pod('p1', 'web', '10.0.0.1', { namespace: 'a' }) };
    both.metadata = { ...both.metadata, labels: { app: 'web', tier: 'front' } };
    const pods = [both, pod('p2', 'web', '10.0.0.2', { namespace: 'b' })];
    const { records } = computeRecords([svc], pods, nodes, modelConfig({ namespaces: ['a', 'b'] }));
    expect(records[0]?.addresses).toEqual(['10.0.0.1']);
  });

  it('matches a selector of several labels only on pods with all of them, whichever label comes first', () => {
    const labelled = (name: string, ip: string, labels: Record<string, string>) => {
      const p = pod(name, 'x', ip);
      p.metadata = { ...p.metadata, labels };
      return p;
    };
    const pods = [
      labelled('both', '10.0.0.1', { app: 'web', tier: 'front' }),
      labelled('app-only', '10.0.0.2', { app: 'web' }),
      labelled('tier-only', '10.0.0.2', { tier: 'front' }),
      labelled('other-tier', '10.0.0.2', { app: 'web', tier: 'back' }),
    ];
    for (const selector of [
      { app: 'web', tier: 'front' },
      { tier: 'front', app: 'web' },
    ]) {
      const svc = service('web', routeLabels('www', 'example.com'), { selector });
      expect(computeRecords([svc], pods, nodes, modelConfig()).records[0]?.addresses).toEqual(['10.0.0.1']);
    }
  });

  it('counts only Running, Ready pods on schedulable nodes, by InternalIP (never ExternalIP)', () => {
    const svc = service('web', routeLabels('www', 'example.com'));
    const pods = [
      pod('pending', 'web', '10.0.0.1', { phase: 'Pending' }),
      pod('unready', 'web', '10.0.0.1', { ready: false }),
      pod('cordoned', 'web', '10.0.0.3'),
      pod('external', 'web', '203.0.113.2'),
      pod('ok', 'web', '10.0.0.2'),
    ];
    const { records, skipped } = computeRecords([svc], pods, nodes, modelConfig());
    expect(records[0]?.addresses).toEqual(['10.0.0.2']);
    expect(skipped).toEqual([
      expect.objectContaining({
        object: expect.objectContaining({ kind: 'Pod', name: 'external' }),
        reason: 'NodeNotFound',
      }),
    ]);
  });

  it('renders templates in the domain and name labels but not in the failover', () => {
    const svc = service(
      'song',
      routeLabels('_TEMPLATE_START_slogan_TEMPLATE_END_', 'planet.music', {
        failover: 'fo._TEMPLATE_START_slogan_TEMPLATE_END_',
      }),
    );
    const { records, skipped } = computeRecords(
      [svc],
      [],
      nodes,
      modelConfig({ replacements: { slogan: 'get-schwifty' } }),
    );
    expect(records[0]?.fqdn).toBe('get-schwifty.planet.music');
    // The failover is used verbatim (lower-cased), as the original did.
    expect(skipped).toEqual([]);
    expect(records[0]?.failover).toBe('fo._template_start_slogan_template_end_');
  });

  const skipCases: { what: string; svc: V1Service; reason: string; replacements?: Record<string, string> }[] =
    [
      {
        what: 'no selector',
        svc: service('s', routeLabels('www', 'example.com'), { selector: null }),
        reason: 'NoSelector',
      },
      {
        what: 'an empty selector',
        svc: service('s', routeLabels('www', 'example.com'), { selector: {} }),
        reason: 'NoSelector',
      },
      {
        what: 'a non-integer quota',
        svc: service('s', routeLabels('www', 'example.com', { quota: '80%' })),
        reason: 'InvalidQuota',
      },
      {
        what: 'a missing template key',
        svc: service('s', routeLabels('_TEMPLATE_START_x_TEMPLATE_END_', 'example.com')),
        reason: 'TemplateError',
      },
      {
        what: 'a format spec',
        svc: service('s', routeLabels('www', '_TEMPLATE_START_x:>5_TEMPLATE_END_')),
        reason: 'TemplateError',
      },
      {
        what: 'an invalid rendered name',
        svc: service('s', routeLabels('_TEMPLATE_START_x_TEMPLATE_END_', 'example.com')),
        reason: 'InvalidName',
        replacements: { x: 'a b' },
      },
      {
        what: 'an invalid failover',
        svc: service('s', routeLabels('www', 'example.com', { failover: 'not_ok!' })),
        reason: 'InvalidFailover',
      },
    ];
  it.each(skipCases)('skips a service with $what instead of crashing', ({ svc, reason, replacements }) => {
    const { records, skipped } = computeRecords(
      [svc],
      [],
      nodes,
      modelConfig({ replacements: replacements ?? {} }),
    );
    expect(records).toEqual([]);
    expect(skipped).toEqual([
      {
        object: expect.objectContaining({ kind: 'Service', name: 's' }),
        reason,
        message: expect.any(String),
      },
    ]);
  });

  it('accepts Python int() quotas: sign, blanks and underscores', () => {
    const svc = service('s', routeLabels('www', 'example.com', { quota: '+0_80' }));
    expect(computeRecords([svc], [], nodes, modelConfig()).records[0]?.quota).toBe(80);
  });

  it('keeps the first of two services with the same name in (namespace, name) order and skips the other', () => {
    const services = [
      service('zz', routeLabels('www', 'example.com'), { namespace: 'a' }),
      service('b', routeLabels('WWW', 'example.com'), { namespace: 'b' }),
      service('aa', routeLabels('www', 'example.com.'), { namespace: 'a' }),
    ];
    const { records, skipped } = computeRecords(services, [], nodes, modelConfig({ namespaces: ['a', 'b'] }));
    expect(records.map((r) => `${r.service.namespace}/${r.service.name}`)).toEqual(['a/aa']);
    expect(skipped.map((s) => `${s.object.namespace}/${s.object.name}:${s.reason}`)).toEqual([
      'a/zz:DuplicateName',
      'b/b:DuplicateName',
    ]);
  });
});
