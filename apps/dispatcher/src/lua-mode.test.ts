import { describe, expect, it } from '@jest/globals';
import { renderNginxConfig } from '@kube-edge/nginx-render';
import { BACKENDS_DICT, membershipOf, withLuaBalancer } from './lua-mode.js';
import { buildModel } from './model/build.js';
import type { PodObject } from './model/types.js';
import { config as makeConfig, ns, pod } from '../test/fixtures.js';

const cfg = makeConfig({ 'default-location-return': 'http://fallback.example:8080' });
const paths = (weight?: number) => [
  { basePath: '/a', containerPort: '3000', ...(weight !== undefined ? { weight } : {}) },
  { basePath: '/b', containerPort: '80' },
];
const lua = { backendsPort: 10246, luaDir: '/app/lua' };
const web = (name: string, ip: string, o: { weight?: number; ready?: boolean } = {}): PodObject =>
  pod('web', name, paths(o.weight), {
    ip,
    ports: [3000, 80],
    ...(o.ready === false ? { ready: false } : {}),
  });
const build = (pods: PodObject[]) =>
  buildModel({ namespaces: [ns('web', { 'web.test': {} })], pods, secrets: [] }, cfg);

describe('withLuaBalancer', () => {
  it.each([
    ['a pod added', [web('p1', '10.0.0.1')], [web('p1', '10.0.0.1'), web('p2', '10.0.0.2')]],
    ['a pod removed', [web('p1', '10.0.0.1'), web('p2', '10.0.0.2')], [web('p1', '10.0.0.1')]],
    ['a weight changed', [web('p1', '10.0.0.1')], [web('p1', '10.0.0.1', { weight: 5 })]],
    ['an IP changed', [web('p1', '10.0.0.1')], [web('p1', '10.0.0.9')]],
    [
      'a pod turning unready',
      [web('p1', '10.0.0.1'), web('p2', '10.0.0.2')],
      [web('p1', '10.0.0.1'), web('p2', '10.0.0.2', { ready: false })],
    ],
  ])('renders the same config text when only membership changes (%s)', (_what, before, after) => {
    const a = build(before).nginx;
    const b = build(after).nginx;
    // The reload mode's text changes, the Lua mode's does not; the membership does.
    expect(renderNginxConfig(b)).not.toBe(renderNginxConfig(a));
    expect(renderNginxConfig(withLuaBalancer(b, lua))).toBe(renderNginxConfig(withLuaBalancer(a, lua)));
    expect(membershipOf(b).hash).not.toBe(membershipOf(a).hash);
  });

  it('keeps the DEFAULT_LOCATION_RETURN upstream static, loads the modules and adds the 127.0.0.1 endpoint', () => {
    const text = renderNginxConfig(withLuaBalancer(build([web('p1', '10.0.0.1')]).nginx, lua));
    expect(text).toContain('server fallback.example:8080;');
    expect(text).not.toContain('10.0.0.1');
    expect(text).toContain('load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;');
    expect(text).toContain(`lua_shared_dict ${BACKENDS_DICT} 32m;`);
    expect(text).toContain('lua_package_path "/app/lua/?.lua;/usr/share/lua/5.1/?.lua;;";');
    expect(text).toContain('listen 127.0.0.1:10246;');
    expect(text).toMatch(/location = \/configuration\/backends \{\n\s+allow 127\.0\.0\.1;\n\s+deny all;/);
    expect(text).toContain('content_by_lua_file /app/lua/backends.lua;');
    expect(text.match(/balancer_by_lua_block/g)).toHaveLength(2);
    // the balancer's log() counts the failure of a request's last try
    expect(text).toMatch(/log_by_lua_block \{\n\s+require\("dispatcher\.balancer"\)\.log\(\);/);
    // With a token, a call without X-Dispatcher-Token: <token> gets 403 before the Lua file runs.
    const guarded = renderNginxConfig(
      withLuaBalancer(build([web('p1', '10.0.0.1')]).nginx, { ...lua, token: 'ab12' }),
    );
    expect(guarded).toMatch(
      /location = \/configuration\/backends \{\n\s+if \(\$http_x_dispatcher_token != "ab12"\) \{\n\s+return 403;/,
    );
    expect(text).not.toContain('http_x_dispatcher_token');
  });

  it('keeps the members in the config with balance=false (the fallback), endpoint included', () => {
    const text = renderNginxConfig(withLuaBalancer(build([web('p1', '10.0.0.1')]).nginx, lua, false));
    expect(text).toContain('server 10.0.0.1:3000;');
    expect(text).not.toContain('balancer_by_lua_block');
    expect(text).toContain('listen 127.0.0.1:10246;');
  });
});

describe('membershipOf', () => {
  it('lists every pod upstream with IP, port (80 when implied) and weight (1 when unset), not DEFAULT_LOCATION_RETURN', () => {
    const m = membershipOf(build([web('p2', '10.0.0.2', { weight: 3 }), web('p1', 'fd00::1')]).nginx);
    const lines = m.body.trim().split('\n');
    expect(lines[0]).toBe(`hash ${m.hash}`);
    expect(lines.filter((l) => l.startsWith('server')).sort()).toEqual([
      'server 10.0.0.2 3000 3',
      'server 10.0.0.2 80 1',
      'server fd00::1 3000 1',
      'server fd00::1 80 1',
    ]);
    expect(m.upstreams).toHaveLength(2);
    expect(m.upstreams).toEqual([...m.upstreams].sort());
    expect(m.body).not.toContain('fallback.example');
  });

  it('adds upstreams of the live config that the new model lacks, with their members', () => {
    const one = (path: string) =>
      build([pod('web', 'p1', [{ basePath: path, containerPort: '3000' }], { ip: '10.0.0.1' })]).nginx;
    expect(membershipOf(one('/new'), one('/old').upstreams).upstreams).toHaveLength(2);
    expect(membershipOf(one('/new')).upstreams).toHaveLength(1);
  });
});
