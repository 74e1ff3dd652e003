import { describe, expect, it } from '@jest/globals';
import { classMatches, hostProblem, selectEntries, type IngressLike } from './entries.js';

function ing(
  name: string,
  hosts: string[],
  annotations: Record<string, string> = { 'sky.uk/frontend-scheme': 'internal' },
  extra: { created?: string; className?: string; namespace?: string } = {},
): IngressLike {
  return {
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      uid: `uid-${name}`,
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      annotations,
    },
    spec: {
      ...(extra.className === undefined ? {} : { ingressClassName: extra.className }),
      rules: hosts.map((host) => ({ host })),
    },
  };
}

describe('hostProblem', () => {
  it.each([
    ['www.example.com', undefined],
    ['WWW.Example.COM', undefined],
    ['*.apps.example.com', undefined],
    ['www.example.com.', undefined],
    ['a-b.example.com', undefined],
    ['localhost', 'the host is not a fully qualified name'],
    ['', 'the host is empty'],
    ['bad_host.example.com', 'label "bad_host" is not a valid DNS label'],
    ['-x.example.com', 'label "-x" is not a valid DNS label'],
    ['a..example.com', 'label "" is not a valid DNS label'],
    ['x.*.example.com', 'label "*" is not a valid DNS label'],
    [`${'a'.repeat(64)}.example.com`, `label "${'a'.repeat(64)}" is not a valid DNS label`],
    [`${'a.'.repeat(127)}com`, 'the host is longer than 253 characters'],
  ])('%s -> %s', (host, problem) => {
    expect(hostProblem(host)).toBe(problem);
  });
});

describe('classMatches', () => {
  const filter = { ingressClass: 'edge', includeClassless: false };
  it.each([
    ['no filter takes everything', ing('a', [], {}), undefined, true],
    ['annotation equal', ing('a', [], { 'kubernetes.io/ingress.class': 'edge' }), filter, true],
    ['annotation other', ing('a', [], { 'kubernetes.io/ingress.class': 'other' }), filter, false],
    ['ingressClassName equal', ing('a', [], {}, { className: 'edge' }), filter, true],
    [
      'annotation wins over ingressClassName',
      ing('a', [], { 'kubernetes.io/ingress.class': 'other' }, { className: 'edge' }),
      filter,
      false,
    ],
    ['classless refused by default', ing('a', [], {}), filter, false],
    ['classless taken when asked', ing('a', [], {}), { ...filter, includeClassless: true }, true],
    [
      'empty class annotation is a class ("")',
      ing('a', [], { 'kubernetes.io/ingress.class': '' }),
      { ...filter, includeClassless: true },
      false,
    ],
  ] as const)('%s', (_name, ingress, f, expected) => {
    expect(classMatches(ingress, f)).toBe(expected);
  });
});

describe('selectEntries', () => {
  it('takes every ingress host with its scheme, names normalised', () => {
    const s = selectEntries(
      [
        ing('a', ['WWW.example.com', '*.apps.example.com']),
        ing('b', ['api.example.com'], { 'sky.uk/frontend-scheme': 'internet-facing' }),
      ],
      undefined,
    );
    expect(s.entries.map((e) => [e.name, e.scheme, e.ingress.name])).toEqual([
      ['www.example.com.', 'internal', 'a'],
      ['*.apps.example.com.', 'internal', 'a'],
      ['api.example.com.', 'internet-facing', 'b'],
    ]);
    expect(s.skipped).toEqual([]);
    expect(s.selectedIngresses).toBe(2);
  });

  it('reads the legacy scheme annotation when the new one is absent, and prefers the new one', () => {
    const s = selectEntries(
      [
        ing('legacy', ['a.example.com'], { 'sky.uk/frontend-elb-scheme': 'internet-facing' }),
        ing('both', ['b.example.com'], {
          'sky.uk/frontend-elb-scheme': 'internet-facing',
          'sky.uk/frontend-scheme': 'internal',
        }),
      ],
      undefined,
    );
    expect(s.entries.map((e) => [e.ingress.name, e.scheme])).toEqual([
      ['both', 'internal'],
      ['legacy', 'internet-facing'],
    ]);
  });

  it('skips missing, unknown schemes and invalid hosts with reasons, keeping the rest', () => {
    const s = selectEntries(
      [
        ing('none', ['a.example.com'], {}),
        ing('bad', ['b.example.com'], { 'sky.uk/frontend-scheme': 'public' }),
        ing('host', ['bad_host.example.com', 'ok.example.com']),
      ],
      undefined,
    );
    expect(s.entries.map((e) => e.name)).toEqual(['ok.example.com.']);
    expect(s.skipped.map((k) => [k.ingress.name, k.host, k.reason])).toEqual([
      ['bad', 'b.example.com', 'invalid-scheme'],
      ['host', 'bad_host.example.com', 'invalid-host'],
      ['none', 'a.example.com', 'missing-scheme'],
    ]);
  });

  it('gives a host to the oldest ingress; a later one asking another scheme is skipped, one asking the same is merged', () => {
    const s = selectEntries(
      [
        ing(
          'young',
          ['www.example.com'],
          { 'sky.uk/frontend-scheme': 'internet-facing' },
          { created: '2026-02-01T00:00:00Z' },
        ),
        ing('old', ['WWW.example.com'], undefined, { created: '2026-01-01T00:00:00Z' }),
        ing('same', ['www.example.com'], undefined, { created: '2026-03-01T00:00:00Z' }),
      ],
      undefined,
    );
    expect(s.entries.map((e) => [e.name, e.ingress.name])).toEqual([['www.example.com.', 'old']]);
    expect(s.skipped.map((k) => [k.ingress.name, k.reason])).toEqual([['young', 'conflicting-scheme']]);
  });

  it('ignores rules without a host and applies no feed-ingress validation (no http, no allow list)', () => {
    const i = ing('a', ['x.example.com'], { 'sky.uk/frontend-scheme': 'internal', 'sky.uk/allow': '' });
    i.spec?.rules?.push({});
    const s = selectEntries([i], undefined);
    expect(s.entries.map((e) => e.name)).toEqual(['x.example.com.']);
  });

  it('with a class filter, counts and takes only matching ingresses', () => {
    const s = selectEntries(
      [
        ing('a', ['a.example.com'], {
          'sky.uk/frontend-scheme': 'internal',
          'kubernetes.io/ingress.class': 'edge',
        }),
        ing('b', ['b.example.com']),
      ],
      { ingressClass: 'edge', includeClassless: false },
    );
    expect(s.entries.map((e) => e.name)).toEqual(['a.example.com.']);
    expect(s.selectedIngresses).toBe(1);
  });
});
