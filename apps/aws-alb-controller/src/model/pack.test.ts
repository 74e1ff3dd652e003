import { describe, expect, it } from '@jest/globals';
import { SSL_POLICIES } from '../cli.js';
import {
  certificatesExpired,
  isStackUpdatable,
  stackState,
  toManagedStack,
  type CertificateSummary,
  type ManagedStack,
} from '@kube-edge/aws-frontends';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { parseIngresses, type IngressLike, type ParseOptions } from './ingresses.js';
import { packLoadBalancers, type LoadBalancerPlan, type PackOptions } from './pack.js';

const IN_USE = '0001-01-01T00:00:00Z';
const NOW = Date.parse('2026-01-01T00:00:00Z');
const TTL = 30 * 60_000;

const arn = (n: string): string => `arn:aws:acm:eu-west-1:123456789012:certificate/${n}`;

/** Certificates by name: `*.a.org` → cert id, valid for a year around NOW. */
function certList(certs: Record<string, string>): CertificateSummary[] {
  return Object.entries(certs).map(([name, id]) => ({
    arn: arn(id),
    domainNames: [name],
    notBefore: new Date(NOW - 180 * 86_400_000),
    notAfter: new Date(NOW + 180 * 86_400_000),
    source: 'acm',
  }));
}

const parseOpts: ParseOptions = {
  classFilter: undefined,
  clusterLocalDomain: 'cluster.local',
  defaultType: 'application',
  defaultIpAddressType: 'ipv4',
  sslPolicies: SSL_POLICIES,
};
const packOpts: PackOptions = {
  certsPerLoadBalancer: 24,
  certTtlMs: TTL,
  defaultSecurityGroup: 'sg-1',
  defaultWafWebAclId: undefined,
  defaultSslPolicy: 'ELBSecurityPolicy-2016-08',
  now: new Date(NOW),
};

function ing(
  name: string,
  hosts: string[],
  annotations: Record<string, string> = {},
  ns = 'default',
): IngressLike {
  return {
    metadata: { name, namespace: ns, uid: `uid-${name}`, annotations },
    spec: { rules: hosts.map((host) => ({ host })) },
  };
}

function stack(
  name: string,
  certs: Record<string, string>,
  extra: Partial<Stack> = {},
  tags: Record<string, string> = {},
): ManagedStack {
  const s: Stack = {
    StackName: name,
    StackStatus: 'CREATE_COMPLETE',
    Tags: [
      { Key: 'kubernetes:application', Value: 'kube-ingress-aws-controller' },
      { Key: 'kubernetes.io/cluster/c1', Value: 'owned' },
      ...Object.entries(certs).map(([c, v]) => ({ Key: `ingress:certificate-arn/${arn(c)}`, Value: v })),
      ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    ],
    Parameters: [
      { ParameterKey: 'LoadBalancerSchemeParameter', ParameterValue: 'internet-facing' },
      { ParameterKey: 'LoadBalancerSecurityGroupParameter', ParameterValue: 'sg-1' },
    ],
    Outputs: [{ OutputKey: 'LoadBalancerDNSName', OutputValue: `${name}.elb.amazonaws.com` }],
    CreationTime: new Date(NOW - 86_400_000),
    ...extra,
  };
  return toManagedStack(s);
}

/**
 * The stack manager's decision, by certificates and owner only (templates are tested in
 * template.test.ts): create, delete (all expired, or ROLLBACK_COMPLETE), ready (same
 * certificates and owner), update (updatable) or wait.
 */
function actionOf(lb: LoadBalancerPlan, now: Date): string {
  const s = lb.stack;
  if (s === undefined) return 'create';
  if (certificatesExpired(lb.certificates, now) || stackState(s.status) === 'rollback-complete')
    return 'delete';
  const same =
    s.owner === lb.owner &&
    s.certificates.size === lb.certificates.size &&
    [...lb.certificates].every(([a, e]) => s.certificates.get(a)?.getTime() === e?.getTime());
  if (same) return 'ready';
  return isStackUpdatable(s.status) ? 'update' : 'wait';
}

/** A compact view of a pack: one line per load balancer. */
function view(
  ingresses: IngressLike[],
  stacks: ManagedStack[],
  certs: Record<string, string>,
  o: Partial<PackOptions> = {},
) {
  const parsed = parseIngresses(ingresses, parseOpts);
  const r = packLoadBalancers(parsed.ingresses, stacks, certList(certs), { ...packOpts, ...o });
  return {
    lbs: r.loadBalancers.map((lb) => ({
      stack: lb.stack?.name ?? '(new)',
      action: actionOf(lb, o.now ?? packOpts.now),
      scheme: lb.scheme,
      type: lb.type,
      owner: lb.owner ?? '',
      ingresses: lb.ingresses.map((i) => i.name),
      certs: [...lb.certificates].map(
        ([a, e]) => `${a.split('/').pop() ?? ''}=${e === null ? 'in-use' : e.toISOString()}`,
      ),
    })),
    skipped: [...parsed.skipped, ...r.skipped].map((s) => `${s.name}:${s.reason}`),
    clusterLocal: parsed.clusterLocal.map((c) => c.name),
  };
}

const CERTS = { '*.a.org': 'a', '*.b.org': 'b', 'c.org': 'c', '*.d.org': 'd' };

describe('packLoadBalancers', () => {
  it('puts ingresses of one scheme on one new load balancer, with the union of their certificates', () => {
    const v = view([ing('x', ['www.a.org']), ing('y', ['api.b.org', 'c.org'])], [], CERTS);
    expect(v.lbs).toEqual([
      {
        stack: '(new)',
        action: 'create',
        scheme: 'internet-facing',
        type: 'application',
        owner: '',
        ingresses: ['x', 'y'],
        certs: ['a=in-use', 'b=in-use', 'c=in-use'],
      },
    ]);
  });

  it.each([
    ['scheme', { 'zalando.org/aws-load-balancer-scheme': 'internal' }],
    ['type', { 'zalando.org/aws-load-balancer-type': 'nlb' }],
    ['ip address type', { 'alb.ingress.kubernetes.io/ip-address-type': 'dualstack' }],
    ['http2', { 'zalando.org/aws-load-balancer-http2': 'false' }],
    ['security group', { 'zalando.org/aws-load-balancer-security-group': 'sg-2' }],
    ['ssl policy', { 'zalando.org/aws-load-balancer-ssl-policy': 'ELBSecurityPolicy-TLS-1-2-2017-01' }],
    [
      'WAF',
      {
        'zalando.org/aws-waf-web-acl-id':
          'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/w/01234567-89ab-cdef-0123-456789abcdef',
      },
    ],
  ])('splits by %s', (_what, annotations) => {
    const v = view([ing('x', ['www.a.org']), ing('y', ['www.b.org'], annotations)], [], CERTS);
    expect(v.lbs.map((l) => l.ingresses)).toEqual([['x'], ['y']]);
  });

  it('gives a dedicated ingress its own load balancer, owned, which takes nobody else', () => {
    const v = view(
      [ing('a1', ['x.a.org'], { 'zalando.org/aws-load-balancer-shared': 'false' }), ing('b1', ['x.a.org'])],
      [],
      CERTS,
    );
    expect(v.lbs.map((l) => [l.owner, l.ingresses])).toEqual([
      ['default/a1', ['a1']],
      ['', ['b1']],
    ]);
  });

  it('keeps a dedicated ingress on the stack it owns, and no shared ingress joins it', () => {
    const owned = stack('s-owned', { a: IN_USE }, {}, { 'ingress:owner': 'default/a1' });
    const v = view(
      [ing('a1', ['x.a.org'], { 'zalando.org/aws-load-balancer-shared': 'false' }), ing('b1', ['y.a.org'])],
      [owned],
      CERTS,
    );
    expect(v.lbs.map((l) => [l.stack, l.action, l.owner, l.ingresses])).toEqual([
      ['s-owned', 'ready', 'default/a1', ['a1']],
      ['(new)', 'create', '', ['b1']],
    ]);
  });

  it('fills load balancers first-fit up to the certificate limit, then opens another', () => {
    const certs = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`h${i}.org`, `c${i}`]));
    const ingresses = Array.from({ length: 5 }, (_, i) => ing(`i${i}`, [`h${i}.org`]));
    const v = view(ingresses, [], certs, { certsPerLoadBalancer: 2 });
    expect(v.lbs.map((l) => l.ingresses)).toEqual([['i0', 'i1'], ['i2', 'i3'], ['i4']]);
  });

  it('takes one certificate per load balancer with SNI off, sharing a load balancer for the same certificate', () => {
    const v = view([ing('x', ['w.a.org']), ing('y', ['v.a.org']), ing('z', ['w.b.org'])], [], CERTS, {
      certsPerLoadBalancer: 1,
    });
    expect(v.lbs.map((l) => l.ingresses)).toEqual([['x', 'y'], ['z']]);
  });

  it('fills existing stacks first, most certificates first, and keeps them in sync', () => {
    const small = stack(
      's-small',
      { b: IN_USE },
      { Parameters: [{ ParameterKey: 'LoadBalancerSchemeParameter', ParameterValue: 'internal' }] },
    );
    const big = stack('s-big', { a: IN_USE, c: IN_USE });
    const internal = { 'zalando.org/aws-load-balancer-scheme': 'internal' };
    const v = view(
      [ing('x', ['w.a.org']), ing('y', ['w.b.org'], internal), ing('z', ['c.org'])],
      [small, big],
      CERTS,
    );
    expect(v.lbs.map((l) => [l.stack, l.action, l.ingresses])).toEqual([
      ['s-big', 'ready', ['x', 'z']],
      ['s-small', 'ready', ['y']],
    ]);
  });

  it('consolidates: an ingress moves to the fuller stack that has room, its old stack keeps the certificate until the TTL', () => {
    const small = stack('s-small', { b: IN_USE });
    const big = stack('s-big', { a: IN_USE, c: IN_USE });
    const v = view([ing('x', ['w.a.org']), ing('y', ['w.b.org']), ing('z', ['c.org'])], [small, big], CERTS);
    expect(v.lbs.map((l) => [l.stack, l.action, l.ingresses, l.certs])).toEqual([
      ['s-big', 'update', ['x', 'y', 'z'], ['a=in-use', 'b=in-use', 'c=in-use']],
      ['s-small', 'update', [], [`b=${new Date(NOW + TTL).toISOString()}`]],
    ]);
  });

  it('gives a certificate no ingress uses an expiry of now + TTL (an update), keeps it until then, then drops it', () => {
    const s = stack('s1', { a: IN_USE, b: IN_USE });
    const first = view([ing('x', ['w.a.org'])], [s], CERTS);
    expect(first.lbs[0]).toMatchObject({
      action: 'update',
      certs: ['a=in-use', `b=${new Date(NOW + TTL).toISOString()}`],
    });
    const tagged = stack('s1', { a: IN_USE, b: new Date(NOW + TTL).toISOString().replace('.000', '') });
    expect(view([ing('x', ['w.a.org'])], [tagged], CERTS).lbs[0]).toMatchObject({ action: 'ready' });
    const later = view([ing('x', ['w.a.org'])], [tagged], CERTS, { now: new Date(NOW + TTL + 1) });
    expect(later.lbs[0]).toMatchObject({ action: 'update', certs: ['a=in-use'] });
  });

  it('deletes a stack once its last certificate expired and no ingress is left on it', () => {
    const s = stack('s1', { a: new Date(NOW - 1000).toISOString() });
    expect(view([], [s], CERTS).lbs).toMatchObject([{ stack: 's1', action: 'delete', certs: [] }]);
    const pending = stack('s1', { a: new Date(NOW + 1000).toISOString() });
    expect(view([], [pending], CERTS).lbs).toMatchObject([{ stack: 's1', action: 'ready' }]);
  });

  it('drops a certificate that is gone from ACM/IAM from its stack at once', () => {
    const s = stack('s1', { a: IN_USE, gone: IN_USE });
    expect(view([ing('x', ['w.a.org'])], [s], CERTS).lbs[0]).toMatchObject({
      action: 'update',
      certs: ['a=in-use'],
    });
  });

  it('places nothing on a ROLLBACK_COMPLETE or deleting stack (the stack manager deletes the former), and waits on a busy one', () => {
    for (const StackStatus of ['ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS'] as const) {
      const closed = stack('s1', { a: IN_USE }, { StackStatus });
      expect(view([ing('x', ['w.a.org'])], [closed], CERTS).lbs.map((l) => [l.stack, l.action])).toEqual([
        ['(new)', 'create'],
      ]);
    }
    const busy = stack('s1', { a: IN_USE }, { StackStatus: 'UPDATE_IN_PROGRESS' });
    expect(view([ing('x', ['w.a.org']), ing('y', ['w.b.org'])], [busy], CERTS).lbs[0]).toMatchObject({
      action: 'wait',
    });
  });

  it('uses a pinned certificate only when the cache has it (and only for that ingress)', () => {
    const v = view(
      [
        ing('p', ['w.a.org'], { 'zalando.org/aws-load-balancer-ssl-cert': arn('c') }),
        ing('q', ['w.b.org']),
        ing('r', ['w.a.org'], { 'zalando.org/aws-load-balancer-ssl-cert': arn('nope') }),
      ],
      [],
      CERTS,
    );
    expect(v.lbs[0]?.certs).toEqual(['b=in-use', 'c=in-use']);
    expect(v.skipped).toEqual(['r:CertificateNotFound']);
  });

  it('skips an ingress no certificate matches, and bad annotations, with reasons', () => {
    const v = view(
      [
        ing('none', ['w.nomatch.org']),
        ing('sg', ['w.a.org'], { 'zalando.org/aws-load-balancer-security-group': 'bad' }),
        ing('nlbsg', ['w.a.org'], {
          'zalando.org/aws-load-balancer-type': 'nlb',
          'zalando.org/aws-load-balancer-security-group': 'sg-2',
        }),
        ing('pol', ['w.a.org'], { 'zalando.org/aws-load-balancer-ssl-policy': 'nope' }),
        ing('ok', ['w.a.org']),
      ],
      [],
      CERTS,
    );
    expect(v.skipped.sort()).toEqual([
      'nlbsg:IncompatibleAnnotations',
      'none:NoCertificate',
      'pol:InvalidSslPolicy',
      'sg:InvalidSecurityGroup',
    ]);
    expect(v.lbs.map((l) => l.ingresses)).toEqual([['ok']]);
  });

  it('gives cluster-local ingresses no load balancer', () => {
    const v = view(
      [ing('l', ['svc.ns.svc.cluster.local']), ing('x', ['w.a.org', 'x.cluster.local'])],
      [],
      CERTS,
    );
    expect(v.clusterLocal).toEqual(['l']);
    expect(v.lbs.map((l) => l.ingresses)).toEqual([['x']]);
  });

  it('picks an ALB for internal ingresses and for security group or WAF annotations, else the default type', () => {
    const opts = { ...parseOpts, defaultType: 'network' as const };
    const p = parseIngresses(
      [
        ing('a', ['w.a.org']),
        ing('b', ['w.a.org'], { 'zalando.org/aws-load-balancer-scheme': 'internal' }),
        ing('c', ['w.a.org'], { 'zalando.org/aws-load-balancer-security-group': 'sg-2' }),
        ing('d', ['w.a.org'], { 'zalando.org/aws-load-balancer-type': 'alb' }),
      ],
      opts,
    );
    expect(p.ingresses.map((i) => [i.name, i.type])).toEqual([
      ['a', 'network'],
      ['b', 'application'],
      ['c', 'application'],
      ['d', 'application'],
    ]);
  });
});

describe('parseIngresses class filter', () => {
  const list = [
    { ...ing('a', ['w.a.org']), spec: { ingressClassName: 'x', rules: [{ host: 'w.a.org' }] } },
    ing('b', ['w.a.org'], { 'kubernetes.io/ingress.class': 'y' }),
    ing('c', ['w.a.org']),
    {
      ...ing('d', ['w.a.org'], { 'kubernetes.io/ingress.class': 'y' }),
      spec: { ingressClassName: 'x', rules: [{ host: 'w.a.org' }] },
    },
  ];
  it.each([
    [undefined, ['a', 'b', 'c', 'd']],
    [['x'], ['a', 'd']],
    [['y'], ['b']],
    [
      ['x', ''],
      ['a', 'c', 'd'],
    ],
  ])(
    'filter %j takes %j (spec.ingressClassName wins; an empty entry takes classless ingresses)',
    (filter, names) => {
      const p = parseIngresses(list, { ...parseOpts, classFilter: filter });
      expect(p.ingresses.map((i) => i.name)).toEqual(names);
    },
  );
});
