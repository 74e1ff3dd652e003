import { describe, expect, it } from '@jest/globals';
import type { NginxConfig, Server } from './model.js';
import { renderNginxConfig, sealServer } from './render.js';
import { parseNginxConfig, type NginxDirective } from './lexer.js';
import { NginxModelError, validateConfig, validateUpstreamHealthCheck } from './validate-config.js';
import { feedModel } from '../test/models.js';

function find(tree: readonly NginxDirective[], ...names: string[]): NginxDirective[] {
  const [first, ...rest] = names;
  const here = tree.filter((d) => d.name === first);
  if (rest.length === 0) return here;
  return here.flatMap((d) => find(d.block ?? [], ...rest));
}

const minimal = (server: Partial<Server> = {}, extra: Partial<NginxConfig> = {}): NginxConfig => ({
  upstreams: [{ id: 'up', servers: [{ address: '127.0.0.1', port: 9000 }] }],
  servers: [
    {
      listen: [{ port: 8080 }],
      serverNames: ['a.example.com'],
      locations: [{ match: 'prefix', path: '/', action: { kind: 'proxy', upstream: 'up' } }],
      ...server,
    },
  ],
  ...extra,
});

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('renderNginxConfig', () => {
  it('renders a wildcard server name as a regex matching exactly one label; exact names stay plain', () => {
    const text = renderNginxConfig(minimal({ serverNames: ['a.example.com', '*.wild.example'] }));
    expect(text).toContain('server_name a.example.com ~^[^.]+\\.wild\\.example$;');
    expect(find(parseNginxConfig(text), 'http', 'server', 'server_name')[0]?.args).toEqual([
      'a.example.com',
      '~^[^.]+\\.wild\\.example$',
    ]);
  });

  it('renders byte-identical text for the same model given in any order', () => {
    const model = feedModel({ servers: 50 });
    const expected = renderNginxConfig(model);
    for (const seed of [1, 2, 3]) {
      const shuffled: NginxConfig = {
        ...model,
        upstreams: shuffle(model.upstreams, seed),
        servers: shuffle(model.servers, seed).map((s) => ({
          ...s,
          locations: shuffle(s.locations, seed + 7),
        })),
      };
      expect(renderNginxConfig(shuffled)).toBe(expected);
    }
  });

  it('sorts upstreams by id and servers by name', () => {
    const text = renderNginxConfig(feedModel({ servers: 3 }));
    const tree = parseNginxConfig(text);
    const ids = find(tree, 'http', 'upstream').map((u) => u.args[0]!);
    expect(ids).toEqual([...ids].sort());
    const names = find(tree, 'http', 'server', 'server_name').map((d) => d.args[0]!);
    expect(names).toEqual(['host-0.example.com', 'host-1.example.com', 'host-2.example.com']);
  });

  it('keeps a header value with quotes, semicolons and braces as one argument', () => {
    const value = 'x"; } server { listen 1; #';
    const text = renderNginxConfig(minimal({ proxy: { setHeaders: [{ name: 'X-Test', value }] } }));
    const [d] = find(parseNginxConfig(text), 'http', 'server', 'proxy_set_header');
    expect(d!.args).toEqual(['X-Test', value]);
    expect(find(parseNginxConfig(text), 'http', 'server')).toHaveLength(1);
  });

  it('keeps a literal $ literal through the geo variable and declares it once', () => {
    const text = renderNginxConfig(
      minimal({
        proxy: {
          setHeaders: [
            { name: 'X-A', value: 'cost $5' },
            { name: 'X-B', value: '$host' },
          ],
        },
      }),
    );
    const tree = parseNginxConfig(text);
    const headers = find(tree, 'http', 'server', 'proxy_set_header').map((d) => d.args[1]);
    expect(headers).toEqual(['cost ${kube_edge_dollar}5', '${kube_edge_dollar}host']);
    const geo = find(tree, 'http', 'geo');
    expect(geo).toHaveLength(1);
    expect(geo[0]!.args).toEqual(['$kube_edge_dollar']);
    expect(geo[0]!.block).toEqual([expect.objectContaining({ name: 'default', args: ['$'] })]);
  });

  it('declares no geo variable when no literal holds a $', () => {
    expect(renderNginxConfig(minimal())).not.toContain('geo');
  });

  it('renders variables as $name, and as ${name} when a word character follows', () => {
    const text = renderNginxConfig(
      minimal({
        proxy: {
          setHeaders: [
            {
              name: 'X',
              value: [{ var: 'host' }, '_suffix', { var: 'remote_addr' }, '-', { var: 'remote_port' }],
            },
          ],
        },
      }),
    );
    expect(text).toContain('proxy_set_header X "${host}_suffix$remote_addr-$remote_port";');
  });

  it('escapes map keys that nginx would read as parameters or regexes', () => {
    const text = renderNginxConfig(
      minimal(
        {},
        {
          http: {
            maps: [
              {
                source: { var: 'http_x' },
                target: 'y',
                entries: [
                  { key: 'default', value: '1' },
                  { key: '~re', value: '2' },
                  { key: 'plain', value: '3' },
                ],
              },
            ],
          },
        },
      ),
    );
    const keys = find(parseNginxConfig(text), 'http', 'map')[0]!.block!.map((d) => d.name);
    expect(keys).toEqual(['\\default', '\\~re', 'plain']);
  });

  it('brackets IPv6 addresses in listen and upstream server lines', () => {
    const text = renderNginxConfig({
      upstreams: [{ id: 'up', servers: [{ address: 'fd00::1', port: 80 }, { address: 'fd00::2' }] }],
      servers: [
        {
          listen: [{ port: 80, address: '::1' }],
          serverNames: [],
          locations: [{ match: 'prefix', path: '/', action: { kind: 'proxy', upstream: 'up' } }],
        },
      ],
    });
    expect(text).toContain('server [fd00::1]:80;');
    expect(text).toContain('server [fd00::2];');
    expect(text).toContain('listen [::1]:80;');
  });

  it('renders an API key check comparing the header to the literal value', () => {
    const text = renderNginxConfig(
      minimal({
        locations: [
          {
            match: 'prefix',
            path: '/x',
            headerCheck: { header: 'X-Key', value: 'a") {' },
            action: { kind: 'return', status: 200 },
          },
        ],
      }),
    );
    const [ifd] = find(parseNginxConfig(text), 'http', 'server', 'location', 'if');
    expect(ifd!.args).toEqual(['($http_x_key', '!=', 'a") {', ')']);
    expect(ifd!.block).toEqual([expect.objectContaining({ name: 'return', args: ['403'] })]);
  });

  it('throws NginxModelError naming the field for an invalid value', () => {
    expect(() => renderNginxConfig(minimal({ serverNames: ['bad;name'] }))).toThrow(NginxModelError);
    expect(() => renderNginxConfig(minimal({ serverNames: ['bad;name'] }))).toThrow(
      'servers[0].serverNames[0]',
    );
  });

  it.each<[string, NginxConfig]>([
    [
      'a proxy to an unknown upstream',
      minimal({ locations: [{ match: 'prefix', path: '/', action: { kind: 'proxy', upstream: 'nope' } }] }),
    ],
    [
      'duplicate locations',
      minimal({
        locations: [
          { match: 'prefix', path: '/', action: { kind: 'return', status: 200 } },
          { match: 'prefix-no-regex', path: '/', action: { kind: 'return', status: 200 } },
        ],
      }),
    ],
    ['an upstream without servers', { ...minimal(), upstreams: [{ id: 'up', servers: [] }] }],
    [
      'duplicate upstream ids',
      {
        ...minimal(),
        upstreams: [
          { id: 'up', servers: [{ address: '127.0.0.1' }] },
          { id: 'up', servers: [{ address: '127.0.0.2' }] },
        ],
      },
    ],
    ['an ssl listen without TLS files', minimal({ listen: [{ port: 443, ssl: true }] })],
    [
      'two default servers on one port',
      {
        ...minimal(),
        servers: [
          minimal({ listen: [{ port: 80, defaultServer: true }] }).servers[0]!,
          minimal({ serverNames: ['b.example.com'], listen: [{ port: 80, defaultServer: true }] })
            .servers[0]!,
        ],
      },
    ],
    ['a host not in normalised form', minimal({ serverNames: ['A.example.com'] })],
    [
      'map keys that differ only in case',
      minimal(
        {},
        {
          http: {
            maps: [
              {
                source: { var: 'a' },
                target: 'b',
                entries: [
                  { key: 'X', value: '1' },
                  { key: 'x', value: '2' },
                ],
              },
            ],
          },
        },
      ),
    ],
  ])('rejects %s', (_name, model) => {
    expect(validateConfig(model).length).toBeGreaterThan(0);
    expect(() => renderNginxConfig(model)).toThrow(NginxModelError);
  });

  it('renders 10k servers in time linear in their number', () => {
    const small = feedModel({ servers: 1000 });
    const big = feedModel({ servers: 10000 });
    renderNginxConfig(small);
    const t0 = performance.now();
    renderNginxConfig(small);
    const t1 = performance.now();
    renderNginxConfig(big);
    const t2 = performance.now();
    // 10x the input; allow generous noise on a shared machine but catch quadratic behaviour (100x).
    expect((t2 - t1) / (t1 - t0)).toBeLessThan(30);
  });
});

describe('proxy buffer rules', () => {
  it.each<[string, { bufferSize?: string; buffers?: { count: number; size: string } }, boolean]>([
    ['16k buffer with default buffers (nginx refuses)', { bufferSize: '16k' }, false],
    ['8k buffer with default buffers', { bufferSize: '8k' }, true],
    ['2 x 16k buffers (nginx refuses)', { buffers: { count: 2, size: '16k' } }, false],
    ['32k buffer with 8 x 32k', { bufferSize: '32k', buffers: { count: 8, size: '32k' } }, true],
    ['feed defaults 16k and 4 x 16k', { bufferSize: '16k', buffers: { count: 4, size: '16k' } }, true],
  ])('%s', (_name, proxy, valid) => {
    const model = minimal({
      locations: [{ match: 'prefix', path: '/', proxy, action: { kind: 'proxy', upstream: 'up' } }],
    });
    expect(validateConfig(model).length === 0).toBe(valid);
  });
});

describe('values nginx would refuse for reasons other than syntax', () => {
  it('rejects a proxy URI in a regex location (nginx: proxy_pass cannot have URI part)', () => {
    for (const match of ['regex', 'regex-case-insensitive'] as const) {
      const model = minimal({
        locations: [{ match, path: '^/a', action: { kind: 'proxy', upstream: 'up', uri: '/b' } }],
      });
      expect(validateConfig(model)).toEqual([
        expect.objectContaining({ path: 'servers[0].locations[0].action.uri' }),
      ]);
    }
    const prefix = minimal({
      locations: [{ match: 'prefix', path: '/a', action: { kind: 'proxy', upstream: 'up', uri: '/b' } }],
    });
    expect(validateConfig(prefix)).toEqual([]);
  });

  it('rejects a reference to a variable nginx does not define', () => {
    const model = minimal({ proxy: { setHeaders: [{ name: 'X', value: { var: 'default' } }] } });
    expect(validateConfig(model)).toEqual([
      expect.objectContaining({ reason: 'nginx has no variable $default' }),
    ]);
  });

  it('accepts built-in variables, variable families and map targets', () => {
    const model = minimal(
      {
        proxy: {
          setHeaders: [
            {
              name: 'X',
              value: [{ var: 'remote_addr' }, { var: 'http_x_a' }, { var: 'mine' }, { var: 'ARG_page' }],
            },
          ],
        },
      },
      { http: { maps: [{ source: { var: 'host' }, target: 'mine', entries: [] }] } },
    );
    expect(validateConfig(model)).toEqual([]);
  });

  it('rejects a value that would exceed nginx parameter buffer once quoted', () => {
    const model = minimal({ proxy: { setHeaders: [{ name: 'X', value: '$'.repeat(1000) }] } });
    expect(validateConfig(model)).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('too long once quoted') }),
    ]);
  });

  it('raises hash bucket sizes for long server names and map keys', () => {
    const name = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
    const text = renderNginxConfig(
      minimal(
        { serverNames: [name] },
        {
          http: {
            maps: [{ source: { var: 'host' }, target: 'm', entries: [{ key: 'k'.repeat(300), value: '1' }] }],
          },
        },
      ),
    );
    expect(text).toContain('server_names_hash_bucket_size 256;');
    expect(text).toContain('map_hash_bucket_size 512;');
  });

  it('gives access_log buffering an explicit format, as nginx requires', () => {
    const text = renderNginxConfig(
      minimal({ accessLog: { path: '/var/log/a.log', buffer: '32k', flush: '1m' } }),
    );
    expect(text).toContain('access_log /var/log/a.log combined buffer=32k flush=1m;');
  });
});

describe('http-level TLS settings (http.tls)', () => {
  const ssl = { listen: [{ port: 8443, ssl: true }] };
  const shared = { protocols: ['TLSv1.2' as const], sessionCache: { name: 'SSL', size: '10m' } };

  it('renders them once in the http block; a server with an ssl listen serves the default certificate', () => {
    const model = minimal(ssl, {
      http: { tls: { certificate: '/tls/default.crt', certificateKey: '/tls/default.key', ...shared } },
    });
    expect(validateConfig(model)).toEqual([]);
    const tree = parseNginxConfig(renderNginxConfig(model));
    expect(find(tree, 'http', 'ssl_certificate').map((d) => d.args)).toEqual([['/tls/default.crt']]);
    expect(find(tree, 'http', 'ssl_protocols').map((d) => d.args)).toEqual([['TLSv1.2']]);
    expect(find(tree, 'http', 'ssl_session_cache').map((d) => d.args)).toEqual([['shared:SSL:10m']]);
    expect(find(tree, 'http', 'server', 'ssl_certificate')).toEqual([]);
    expect(find(tree, 'http', 'server', 'ssl_protocols')).toEqual([]);
  });

  it('a server keeps its own certificate over them', () => {
    const model = minimal(
      { ...ssl, tls: { certificate: '/tls/a.crt', certificateKey: '/tls/a.key' } },
      { http: { tls: shared } },
    );
    expect(validateConfig(model)).toEqual([]);
    const tree = parseNginxConfig(renderNginxConfig(model));
    expect(find(tree, 'http', 'server', 'ssl_certificate').map((d) => d.args)).toEqual([['/tls/a.crt']]);
    expect(find(tree, 'http', 'ssl_certificate')).toEqual([]);
  });

  it("lets an ssl server without a certificate serve its port's default server's (no SSL context of its own)", () => {
    const def: Server = {
      listen: [{ port: 8443, ssl: true, defaultServer: true }],
      serverNames: [],
      tls: { certificate: '/tls/default.crt', certificateKey: '/tls/default.key' },
      locations: [{ match: 'prefix', path: '/', action: { kind: 'return', status: 404 } }],
    };
    const model = minimal(ssl, { http: { tls: shared } });
    expect(validateConfig({ ...model, servers: [...model.servers, def] })).toEqual([]);
    // The default server of another port does not count; nor a default server without a certificate.
    expect(
      validateConfig({
        ...model,
        servers: [...model.servers, { ...def, listen: [{ port: 9443, ssl: true, defaultServer: true }] }],
      }).map((i) => i.path),
    ).toEqual(['servers[0].tls']);
    const { tls: _none, ...bare } = def;
    expect(validateConfig({ ...model, servers: [...model.servers, bare] }).map((i) => i.path)).toEqual([
      'servers[0].tls',
      'servers[1].tls',
    ]);
  });

  it('refuses an ssl listen when neither the server nor http.tls has a certificate, and a lone certificate', () => {
    expect(validateConfig(minimal(ssl, { http: { tls: shared } })).map((i) => i.path)).toEqual([
      'servers[0].tls',
    ]);
    expect(
      validateConfig(minimal({}, { http: { tls: { certificate: '/tls/default.crt' } } })).map(
        (i) => i.reason,
      ),
    ).toEqual(['certificate and certificateKey go together']);
    expect(
      validateConfig(minimal({}, { http: { tls: { ciphers: 'HIGH;', ...shared } } })).map((i) => i.path),
    ).toEqual(['http.tls.ciphers']);
  });
});

describe('upstream health checks (nginx_upstream_check_module)', () => {
  const check = {
    type: 'http' as const,
    intervalMs: 10000,
    timeoutMs: 5000,
    rise: 2,
    fall: 3,
    port: 3000,
    path: '/status',
    comment: 'health check',
  };
  const withCheck = (healthCheck: NonNullable<NginxConfig['upstreams'][number]['healthCheck']>) =>
    minimal({}, { upstreams: [{ id: 'up', servers: [{ address: '127.0.0.1', port: 9000 }], healthCheck }] });

  it('renders the check directives last in the upstream block, with the request line nginx unescapes to CR LF', () => {
    const text = renderNginxConfig(withCheck(check));
    expect(text).toContain(
      [
        '    upstream up {',
        '        server 127.0.0.1:9000;',
        '        # health check',
        '        check interval=10000 rise=2 fall=3 timeout=5000 port=3000 type=http;',
        '        check_http_send "GET /status HTTP/1.0\\r\\n\\r\\n";',
        '        check_http_expect_alive http_2xx;',
        '    }',
      ].join('\n'),
    );
    const send = find(parseNginxConfig(text), 'http', 'upstream', 'check_http_send')[0];
    expect(send?.args).toEqual(['GET /status HTTP/1.0\r\n\r\n']);
  });

  it('renders a tcp check without a request, and without port= when none is given', () => {
    const text = renderNginxConfig(
      withCheck({ type: 'tcp', intervalMs: 1000, timeoutMs: 1000, rise: 1, fall: 1 }),
    );
    expect(text).toContain('        check interval=1000 rise=1 fall=1 timeout=1000 type=tcp;\n    }');
    expect(text).not.toContain('check_http');
  });

  it.each([
    [{ ...check, path: '/a"; return 200; #' }, 'upstreams[0].healthCheck.path'],
    [{ ...check, path: '/a b' }, 'upstreams[0].healthCheck.path'],
    [{ ...check, path: '/a\\r\\n' }, 'upstreams[0].healthCheck.path'],
    [{ ...check, path: '/$host' }, 'upstreams[0].healthCheck.path'],
    [{ ...check, path: undefined }, 'upstreams[0].healthCheck.path'],
    [{ ...check, intervalMs: 0 }, 'upstreams[0].healthCheck.intervalMs'],
    [{ ...check, timeoutMs: 1.5 }, 'upstreams[0].healthCheck.timeoutMs'],
    [{ ...check, rise: -1 }, 'upstreams[0].healthCheck.rise'],
    [{ ...check, fall: 2 ** 31 }, 'upstreams[0].healthCheck.fall'],
    [{ ...check, port: 70000 }, 'upstreams[0].healthCheck.port'],
    [{ ...check, expectAlive: [] }, 'upstreams[0].healthCheck.expectAlive'],
    [{ ...check, type: 'tcp' as const }, 'upstreams[0].healthCheck'],
  ])('rejects an invalid check (%j) at %s', (bad, path) => {
    const { path: p, ...rest } = bad;
    const model = withCheck(p === undefined ? rest : { ...rest, path: p });
    expect(validateConfig(model).map((i) => i.path)).toContain(path);
    expect(() => renderNginxConfig(model)).toThrow(NginxModelError);
    expect(validateUpstreamHealthCheck(p === undefined ? rest : { ...rest, path: p }).length).toBeGreaterThan(
      0,
    );
  });

  it('accepts a valid check on its own', () => {
    expect(validateUpstreamHealthCheck(check)).toEqual([]);
  });
});

describe('sealServer', () => {
  it('renders a sealed server as the same server unsealed, and freezes it deeply', () => {
    const model = feedModel({ servers: 3 });
    const plain = renderNginxConfig(model);
    const sealed = { ...model, servers: model.servers.map((s) => sealServer(structuredClone(s))) };
    expect(renderNginxConfig(sealed)).toBe(plain);
    const first = sealed.servers[0]!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.locations[0])).toBe(true);
    expect(Object.isFrozen(first.listen)).toBe(true);
  });

  it('freezes what is inside an object that was frozen only shallowly', () => {
    const model = feedModel({ servers: 1 });
    const server = structuredClone(model.servers[0]!);
    const locations = Object.freeze([...server.locations]);
    sealServer({ ...server, locations });
    expect(Object.isFrozen(locations[0])).toBe(true);
  });

  it('leaves a non-extensible server as it is and renders it each time', () => {
    const model = feedModel({ servers: 2 });
    const plain = renderNginxConfig(model);
    const sealed = Object.seal(structuredClone(model.servers[0]!));
    expect(sealServer(sealed)).toBe(sealed);
    expect(Object.isFrozen(sealed)).toBe(false);
    const servers = [sealed, ...model.servers.slice(1)];
    expect(renderNginxConfig({ ...model, servers })).toBe(plain);
    // Not sealed, so a change is rendered: the text was not kept.
    (sealed as { clientMaxBodySize?: string }).clientMaxBodySize = '7m';
    expect(renderNginxConfig({ ...model, servers })).toContain('client_max_body_size 7m;');
  });

  it('still validates a sealed server with the rest of the config', () => {
    const bad = sealServer({ listen: [{ port: 8080 }], serverNames: ['bad host'], locations: [] });
    expect(() => renderNginxConfig(minimal({}, { servers: [bad] }))).toThrow(NginxModelError);
  });
});
