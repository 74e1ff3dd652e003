import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { nginxTest } from '@kube-edge/testkit';
import type { NginxConfig } from './model.js';
import { renderNginxConfig } from './render.js';
import { validateConfig } from './validate-config.js';

const MODULES = [
  '/usr/lib/nginx/modules/ndk_http_module.so',
  '/usr/lib/nginx/modules/ngx_http_lua_module.so',
];

function luaModel(dir: string, over: Partial<NginxConfig> = {}): NginxConfig {
  return {
    main: { loadModules: MODULES },
    http: {
      tempPathRoot: dir,
      lua: {
        packagePath: [`${dir}/?.lua`, '/usr/share/lua/5.1/?.lua'],
        sharedDicts: [{ name: 'members', size: '1m' }],
        logModule: 'my.balancer',
      },
    },
    upstreams: [
      {
        id: 'upstream1',
        servers: [{ address: '0.0.0.1' }],
        luaBalancer: { module: 'my.balancer' },
        keepalive: 8,
      },
    ],
    servers: [
      {
        listen: [{ port: 18080, address: '127.0.0.1' }],
        serverNames: ['a.test'],
        locations: [
          { match: 'prefix', path: '/', action: { kind: 'proxy', upstream: 'upstream1' } },
          { match: 'exact', path: '/members', action: { kind: 'lua_content', file: `${dir}/endpoint.lua` } },
        ],
      },
    ],
    ...over,
  };
}

describe('lua-nginx-module settings', () => {
  it('renders the package path, shared dicts, the balancer before keepalive and a Lua content location', () => {
    const text = renderNginxConfig(luaModel('/srv/lua'));
    expect(text).toContain('lua_package_path "/srv/lua/?.lua;/usr/share/lua/5.1/?.lua;;";');
    expect(text).toContain('lua_shared_dict members 1m;');
    expect(text).toMatch(
      /server 0\.0\.0\.1;\n\s+balancer_by_lua_block \{\n\s+return require\("my\.balancer"\)\.balance\("upstream1"\);\n\s+\}\n\s+keepalive 8;/,
    );
    expect(text).toContain('content_by_lua_file /srv/lua/endpoint.lua;');
    expect(text).toMatch(/\n {4}log_by_lua_block \{\n {8}require\("my\.balancer"\)\.log\(\);\n {4}\}\n/);
    expect(text).toContain('load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;');
  });

  it.each([
    ['a module name that is not dot-separated identifiers', { luaBalancer: { module: 'x").y("' } }],
    ['a module name with a space', { luaBalancer: { module: 'a b' } }],
  ])('refuses %s', (_what, upstream) => {
    const model = luaModel('/srv/lua');
    const bad = { ...model, upstreams: [{ ...model.upstreams[0]!, ...upstream }] };
    expect(validateConfig(bad).map((i) => i.path)).toContain('upstreams[0].luaBalancer.module');
  });

  it.each([
    ['a relative package path', { packagePath: ['lua/?.lua'] }, 'http.lua.packagePath[0]'],
    ['a package path with ;', { packagePath: ['/a/?.lua;/b/?.lua'] }, 'http.lua.packagePath[0]'],
    ['a package path without ?', { packagePath: ['/a/x.lua'] }, 'http.lua.packagePath[0]'],
    ['a log module that is Lua source', { logModule: 'x").log() os.exit("' }, 'http.lua.logModule'],
    ['a log module with a space', { logModule: 'a b' }, 'http.lua.logModule'],
    [
      'a dict name that is not an identifier',
      { sharedDicts: [{ name: 'a b', size: '1m' }] },
      'http.lua.sharedDicts[0].name',
    ],
    [
      'a dict size that is not a size',
      { sharedDicts: [{ name: 'd', size: '1m;' }] },
      'http.lua.sharedDicts[0].size',
    ],
    [
      'the same dict twice',
      {
        sharedDicts: [
          { name: 'd', size: '1m' },
          { name: 'd', size: '1m' },
        ],
      },
      'http.lua.sharedDicts[1].name',
    ],
  ])('refuses %s', (_what, lua, path) => {
    const model = luaModel('/srv/lua');
    expect(validateConfig({ ...model, http: { ...model.http, lua } }).map((i) => i.path)).toContain(path);
  });

  it('refuses a Lua content file that is not a clean absolute path', () => {
    const model = luaModel('/srv/lua');
    const server = model.servers[0]!;
    const bad: NginxConfig = {
      ...model,
      servers: [
        {
          ...server,
          locations: [
            server.locations[0]!,
            { match: 'exact', path: '/m', action: { kind: 'lua_content', file: '/a;b' } },
          ],
        },
      ],
    };
    expect(validateConfig(bad).map((i) => i.path)).toContain('servers[0].locations[1].action.file');
  });

  // Only where Debian's lua-nginx-module is installed (scripts/bootstrap.sh installs it).
  const withLua = MODULES.every((m) => existsSync(m)) ? it : it.skip;
  withLua('is accepted by nginx -t with the Debian modules loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-lua-'));
    try {
      writeFileSync(join(dir, 'endpoint.lua'), 'ngx.say("ok")\n');
      const result = await nginxTest(renderNginxConfig(luaModel(dir)));
      expect(result.output).not.toContain('emerg');
      expect(result.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
