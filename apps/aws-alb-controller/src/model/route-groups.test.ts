import { describe, expect, it } from '@jest/globals';
import { SSL_POLICIES } from '../cli.js';
import { parseIngresses, statusEntries, type IngressLike, type ParseOptions } from './ingresses.js';

const opts: ParseOptions = {
  classFilter: undefined,
  clusterLocalDomain: 'cluster.local',
  defaultType: 'application',
  defaultIpAddressType: 'ipv4',
  sslPolicies: SSL_POLICIES,
};

const rg = (name: string, hosts: string[], annotations: Record<string, string> = {}): IngressLike => ({
  metadata: { name, namespace: 'default', annotations },
  spec: { hosts },
});
const ing = (name: string, host: string): IngressLike => ({
  metadata: { name, namespace: 'default' },
  spec: { rules: [{ host }] },
});

describe('parseIngresses with RouteGroups', () => {
  it("reads a RouteGroup's spec.hosts with the same annotations, and keeps the kind", () => {
    const p = parseIngresses([ing('shop', 'shop.example.org')], opts, [
      rg('shop', ['B.example.org', 'a.example.org'], { 'zalando.org/aws-load-balancer-scheme': 'internal' }),
    ]);
    expect(p.ingresses.map((i) => [i.kind ?? 'Ingress', i.name, i.hosts, i.scheme])).toEqual([
      ['Ingress', 'shop', ['shop.example.org'], 'internet-facing'],
      ['RouteGroup', 'shop', ['a.example.org', 'b.example.org'], 'internal'],
    ]);
  });

  it('skips a RouteGroup with a bad annotation or host as a RouteGroup, and clears a cluster-local one', () => {
    const p = parseIngresses([], opts, [
      rg('bad-type', ['x.example.org'], { 'zalando.org/aws-load-balancer-type': 'gwlb' }),
      rg('bad-host', ['not a host']),
      rg('local', ['svc.cluster.local']),
    ]);
    expect(p.ingresses).toEqual([]);
    expect(p.skipped.map((s) => [s.kind, s.apiVersion, s.name, s.reason])).toEqual([
      ['RouteGroup', 'zalando.org/v1', 'bad-host', 'InvalidHost'],
      ['RouteGroup', 'zalando.org/v1', 'bad-type', 'InvalidLoadBalancerType'],
    ]);
    expect(p.clusterLocal.map((c) => [c.kind, c.name])).toEqual([['RouteGroup', 'local']]);
  });

  it('skips a RouteGroup whose spec.hosts is not a list of strings (a CRD without a schema), and takes the others', () => {
    const bad = (name: string, hosts: unknown): IngressLike =>
      ({ metadata: { name, namespace: 'default' }, spec: { hosts } }) as unknown as IngressLike;
    const p = parseIngresses([ing('shop', 'shop.example.org')], opts, [
      bad('number', 5),
      bad('map', { a: 'b' }),
      bad('string', 'x.example.org'),
      bad('items', ['x.example.org', 7]),
    ]);
    expect(p.ingresses.map((i) => i.name)).toEqual(['shop']);
    expect(p.skipped.map((s) => [s.kind, s.name, s.reason])).toEqual([
      ['RouteGroup', 'items', 'InvalidHost'],
      ['RouteGroup', 'map', 'InvalidHost'],
      ['RouteGroup', 'number', 'InvalidHost'],
      ['RouteGroup', 'string', 'InvalidHost'],
    ]);
  });

  it('filters RouteGroups by the ingress class annotation', () => {
    const p = parseIngresses([], { ...opts, classFilter: ['skipper'] }, [
      rg('mine', ['a.example.org'], { 'kubernetes.io/ingress.class': 'skipper' }),
      rg('other', ['b.example.org'], { 'kubernetes.io/ingress.class': 'nginx' }),
    ]);
    expect(p.ingresses.map((i) => i.name)).toEqual(['mine']);
  });

  it('reads the status entries of each kind from its own field', () => {
    const o: IngressLike = {
      status: { loadBalancer: { ingress: [{ hostname: 'i' }], routegroup: [{ hostname: 'r' }] } },
    };
    expect(statusEntries(o, undefined)).toEqual([{ hostname: 'i' }]);
    expect(statusEntries(o, 'RouteGroup')).toEqual([{ hostname: 'r' }]);
  });
});
