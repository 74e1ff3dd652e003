import { describe, expect, it } from '@jest/globals';
import type { Location, NginxConfig, Upstream } from './model.js';
import {
  MAX_UPSTREAM_MAX_CONNS,
  validateConfig,
  validateLocation,
  validateUpstream,
} from './validate-config.js';
import { MAX_DURATION_SECONDS } from './validate.js';

const upstream = (maxConns: number): Upstream => ({
  id: 'u',
  servers: [{ address: '10.0.0.1', port: 80, maxConns }],
});
const location = (o: Partial<Location> = {}): Location => ({
  match: 'prefix',
  path: '/',
  action: { kind: 'proxy', upstream: 'u' },
  ...o,
});
const whole = (u: Upstream, l: Location): NginxConfig => ({
  upstreams: [u],
  servers: [{ listen: [{ port: 80 }], serverNames: ['a.example.com'], locations: [l] }],
});

// A builder that checks each fragment with these gets the verdict validateConfig gives later.
describe('fragment validators agree with validateConfig', () => {
  it('validateUpstream refuses max_conns above MAX_UPSTREAM_MAX_CONNS, as the whole-config check does', () => {
    expect(validateUpstream(upstream(MAX_UPSTREAM_MAX_CONNS))).toEqual([]);
    const bad = upstream(MAX_UPSTREAM_MAX_CONNS + 1);
    expect(validateUpstream(bad)).toEqual([
      { path: 'upstream.servers[0].maxConns', reason: expect.stringContaining('max_conns') },
    ]);
    expect(validateConfig(whole(bad, location()))).toHaveLength(1);
  });

  it('validateLocation refuses a timeout above MAX_DURATION_SECONDS and an IPv6 zone id in allow', () => {
    const ok = location({ proxy: { readTimeout: `${MAX_DURATION_SECONDS}s` } });
    expect(validateLocation(ok)).toEqual([]);
    const late = location({ proxy: { readTimeout: `${MAX_DURATION_SECONDS + 1}s` } });
    expect(validateLocation(late).map((i) => i.path)).toEqual(['location.proxy.readTimeout']);
    const zone = location({ access: [{ action: 'allow', source: 'fe80::1%eth0' }] });
    expect(validateLocation(zone).map((i) => i.path)).toEqual(['location.access[0].source']);
    expect(validateConfig(whole(upstream(1), zone))).toHaveLength(1);
  });

  it('validateLocation applies the proxy buffer rule with the inherited settings', () => {
    const l = location({ proxy: { buffers: { count: 4, size: '16k' } } });
    expect(validateLocation(l)).toEqual([]);
    // 2 x 64k is not below 3 x 16k once the server sets proxy_buffer_size 64k.
    expect(validateLocation(l, [undefined, { bufferSize: '64k' }]).map((i) => i.path)).toEqual([
      'location.proxy',
    ]);
  });
});

// One validation: what validateLocation / validateUpstream passed is frozen and not re-checked by
// validateConfig (nor the renderer), apart from what needs the whole config.
describe('validated fragments are trusted, frozen, and still checked against the whole config', () => {
  it('freezes a valid location and upstream deeply, so they cannot change after the check', () => {
    const u = upstream(10);
    const l = location({ access: [{ action: 'allow', source: '10.0.0.0/8' }], proxy: { readTimeout: '5s' } });
    expect(validateUpstream(u)).toEqual([]);
    expect(validateLocation(l)).toEqual([]);
    for (const o of [u, u.servers, u.servers[0], l, l.access, l.access?.[0], l.proxy, l.action])
      expect(Object.isFrozen(o)).toBe(true);
    expect(() => {
      (l.access as unknown as { source: string }[])[0]!.source = 'not an ip';
    }).toThrow(TypeError);
    expect(validateConfig(whole(u, l))).toEqual([]);
  });

  it('leaves an invalid fragment unfrozen and checks it again in the whole config', () => {
    const bad = location({ proxy: { readTimeout: 'soon' } });
    expect(validateLocation(bad)).toHaveLength(1);
    expect(Object.isFrozen(bad)).toBe(false);
    expect(validateConfig(whole(upstream(1), bad)).map((i) => i.path)).toEqual([
      'servers[0].locations[0].proxy.readTimeout',
    ]);
  });

  it('still requires the upstream of a validated location to exist', () => {
    const l = location({ action: { kind: 'proxy', upstream: 'elsewhere' } });
    expect(validateLocation(l)).toEqual([]);
    expect(validateConfig(whole(upstream(1), l))).toEqual([
      { path: 'servers[0].locations[0].action.upstream', reason: 'no upstream with this id' },
    ]);
  });

  it('checks a fragment frozen before validation each time and freezes what is inside it', () => {
    // Frozen shallowly by its owner: it cannot carry the mark, so validateConfig checks it again,
    // and its nested objects are frozen so a marked object holding it cannot change.
    const access = [{ action: 'allow' as const, source: '10.0.0.0/8' }];
    const l = Object.freeze(location({ access }));
    expect(validateLocation(l)).toEqual([]);
    expect(Object.isFrozen(access)).toBe(true);
    expect(Object.isFrozen(access[0])).toBe(true);
    const late = Object.freeze(location({ proxy: { readTimeout: 'soon' } }));
    expect(validateLocation(late)).toHaveLength(1);
    expect(validateConfig(whole(upstream(1), late)).map((i) => i.path)).toEqual([
      'servers[0].locations[0].proxy.readTimeout',
    ]);
  });

  it('re-checks a validated location under other inherited buffers', () => {
    // Valid under http-level `proxy_buffers 4 16k`; with nginx's default 8 4k, 2 x 16k is not below 7 x 4k.
    const l = location({ proxy: { bufferSize: '16k' } });
    expect(validateLocation(l, [{ buffers: { count: 4, size: '16k' } }])).toEqual([]);
    expect(validateConfig(whole(upstream(1), l)).map((i) => i.path)).toEqual([
      'servers[0].locations[0].proxy',
    ]);
    expect(
      validateConfig({ ...whole(upstream(1), l), http: { proxy: { buffers: { count: 4, size: '16k' } } } }),
    ).toEqual([]);
  });
});
