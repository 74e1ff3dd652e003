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
