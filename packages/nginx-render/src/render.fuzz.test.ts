import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NginxConfig, Location, Server, Upstream, MapBlock } from './model.js';
import { renderNginxConfig } from './render.js';
import { parseNginxConfig, type NginxDirective } from './lexer.js';
import { validateConfig } from './validate-config.js';
import { DOLLAR_VARIABLE } from './quote.js';
import { makeTempDir, nginxTestText, writeSelfSigned } from '../test/helpers.js';
import { mulberry32 } from '@kube-edge/testkit';

// Seeded and reproducible: FUZZ_SEED=<n> replays a run; FUZZ_CASES raises the count.
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const NGINX_SAMPLE = Number(process.env.FUZZ_NGINX_SAMPLE ?? 300);
const BATCH = 100;

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);

const ADVERSARIAL = [
  '"',
  "'",
  ';',
  '{',
  '}',
  '#',
  '$',
  '\\',
  '\n',
  '\r',
  '\t',
  '\0',
  ' ',
  '(',
  ')',
  '[',
  ']',
  '*',
  '^',
  '~',
  '=',
  '!',
  '@',
  '%',
  '&',
  '+',
  ',',
  '/',
  ':',
  '<',
  '>',
  '?',
  '|',
  '`',
  '.',
  '-',
  '_',
  'é',
  '日',
  '\u2028',
  '\u0085',
  '\u007f',
  '💥',
];
const PLAIN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const RFC3986 = [...PLAIN, ..."-._~!$&'()*+,;=:@/".split('')];
const INJECTIONS = [
  '"; } server { listen 1; } #',
  'x; return 200 pwned;',
  '${host}',
  '$host',
  '\\"',
  '\\',
  '"',
  "'",
  'a\nreturn 200;',
  'a\0b',
  '}',
  '{',
  '# comment',
  '$',
  '$1',
  '${kube_edge_dollar}',
  ')',
  '") { return 200; } if ($a = "',
  'default',
  'include',
  '~.*',
];

function randomString(rng: Rng, alphabet: readonly string[], maxLen: number): string {
  const len = int(rng, maxLen + 1);
  let s = '';
  for (let i = 0; i < len; i++) s += pick(rng, alphabet);
  return s;
}

function mutate(rng: Rng, base: string): string {
  let s = base;
  const n = 1 + int(rng, 3);
  for (let i = 0; i < n; i++) {
    const at = int(rng, s.length + 1);
    const ins = rng() < 0.3 ? pick(rng, INJECTIONS) : pick(rng, ADVERSARIAL);
    s = s.slice(0, at) + ins + s.slice(at);
  }
  return s;
}

/** One user-controlled field: how to put a value into a model, and what the lexer must then see. */
interface Field {
  readonly name: string;
  /** A valid value whose encoding occurs nowhere else in the config. */
  readonly benign: string;
  /** Values that should often pass validation for this field. */
  readonly valid: (rng: Rng) => string;
  /** The text nginx's lexer must hand back for a value (literal `$` goes through the geo variable). */
  readonly encode: (v: string) => string;
  /** Build a one-case model; `i` makes names unique when cases are batched into one config. */
  readonly build: (v: string, i: number, env: Env) => NginxConfig;
  /** Whether an accepted value can be checked with `nginx -t` (e.g. needs no DNS). */
  readonly nginxCheckable?: (v: string) => boolean;
}

interface Env {
  readonly fileRoot: string;
}

const dollar = (v: string): string => v.replaceAll('$', () => `\${${DOLLAR_VARIABLE}}`);
const same = (v: string): string => v;

function base(
  i: number,
  patch: {
    server?: Partial<Server>;
    location?: Partial<Location>;
    upstream?: Partial<Upstream>;
    http?: NginxConfig['http'];
    maps?: MapBlock[];
  } = {},
): NginxConfig {
  const upstreamId = patch.upstream?.id ?? `fuzzup${i}`;
  const upstream: Upstream = {
    id: upstreamId,
    servers: [{ address: '127.0.0.1', port: 9 }],
    ...patch.upstream,
  };
  const location: Location = {
    match: 'prefix',
    path: `/loc${i}/`,
    action: { kind: 'proxy', upstream: upstreamId },
    ...patch.location,
  };
  const server: Server = {
    listen: [{ port: 20000 + i }],
    serverNames: [`s${i}.fuzz.test`],
    locations: [location],
    ...patch.server,
  };
  return {
    upstreams: [upstream],
    servers: [server],
    http: { ...patch.http, ...(patch.maps ? { maps: patch.maps } : {}) },
  };
}

const hostLabel = (rng: Rng): string =>
  randomString(rng, [...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''), '-'], 10) || 'x';

const FIELDS: Field[] = [
  {
    name: 'server name',
    benign: 'benignhost.fuzz.test',
    valid: (rng) => `${rng() < 0.2 ? '*.' : ''}${hostLabel(rng)}.${hostLabel(rng)}`,
    // A wildcard covers one label, so it is rendered as a regex name.
    encode: (v) => (v.startsWith('*.') ? `~^[^.]+\\.${v.slice(2).replaceAll('.', '\\.')}$` : v),
    build: (v, i) => base(i, { server: { serverNames: [v] } }),
  },
  {
    name: 'prefix path',
    benign: '/benignpath/',
    valid: (rng) => `/${randomString(rng, RFC3986, 20)}`,
    encode: same,
    build: (v, i) => base(i, { location: { match: 'prefix', path: v } }),
  },
  {
    name: 'exact path',
    benign: '/benignexact',
    valid: (rng) => `/${randomString(rng, RFC3986, 20)}`,
    encode: same,
    build: (v, i) => base(i, { location: { match: 'exact', path: v } }),
  },
  {
    name: 'regex path',
    benign: '^/benignregex/',
    valid: (rng) =>
      `^/${randomString(rng, [...PLAIN, '.', '*', '+', '?', '|', '(', ')', '[a-z]', '\\d', '{2}', '$', ';', '/', '-', '#', '"', "'", ' '], 12)}`,
    encode: same,
    build: (v, i) => base(i, { location: { match: 'regex', path: v } }),
  },
  {
    name: 'proxy uri',
    benign: '/benigntarget',
    valid: (rng) =>
      `/${randomString(
        rng,
        RFC3986.filter((c) => c !== '$'),
        16,
      )}`,
    encode: same,
    build: (v, i) => base(i, { location: { action: { kind: 'proxy', upstream: `fuzzup${i}`, uri: v } } }),
  },
  {
    name: 'upstream id',
    benign: 'benignupstream',
    valid: (rng) => `ns.${hostLabel(rng)}.10.0.0.1.80`,
    encode: same,
    build: (v, i) => base(i, { upstream: { id: v }, location: { action: { kind: 'proxy', upstream: v } } }),
  },
  {
    name: 'upstream server address',
    benign: '10.99.99.99',
    valid: (rng) =>
      rng() < 0.5
        ? `10.${int(rng, 256)}.${int(rng, 256)}.${int(rng, 256)}`
        : rng() < 0.5
          ? `fd00::${int(rng, 65535).toString(16)}`
          : hostLabel(rng),
    encode: (v) => (isIP(v) === 6 ? `[${v}]` : v),
    build: (v, i) => base(i, { upstream: { servers: [{ address: v, port: 80 }] } }),
    nginxCheckable: (v) => isIP(v) !== 0,
  },
  {
    name: 'allow CIDR',
    benign: '10.98.0.0/16',
    valid: (rng) =>
      rng() < 0.5 ? `${int(rng, 256)}.${int(rng, 256)}.0.0/${int(rng, 40)}` : `fd00::/${int(rng, 140)}`,
    encode: same,
    build: (v, i) =>
      base(i, {
        location: {
          access: [
            { action: 'allow', source: v },
            { action: 'deny', source: 'all' },
          ],
        },
      }),
  },
  {
    name: 'real ip from',
    benign: '10.97.0.0/16',
    valid: (rng) => `${int(rng, 256)}.${int(rng, 256)}.${int(rng, 256)}.${int(rng, 256)}`,
    encode: same,
    build: (v, i) => base(i, { http: { realIp: { from: [v], header: 'X-Forwarded-For' } } }),
  },
  {
    name: 'duration',
    benign: '77s',
    valid: (rng) => `${int(rng, 100000)}${pick(rng, ['', 'ms', 's', 'm', 'h', 'd', 'w', 'M', 'y'])}`,
    encode: same,
    build: (v, i) => base(i, { location: { proxy: { readTimeout: v } } }),
  },
  {
    name: 'size',
    benign: '77k',
    valid: (rng) => `${int(rng, 100000)}${pick(rng, ['', 'k', 'K', 'm', 'M', 'g', 'G'])}`,
    encode: same,
    build: (v, i) => base(i, { location: { clientMaxBodySize: v } }),
  },
  {
    name: 'body buffer size',
    benign: '78k',
    valid: (rng) => `${int(rng, 100000)}${pick(rng, ['', 'k', 'K', 'm', 'M', 'g', 'G'])}`,
    encode: same,
    build: (v, i) => base(i, { location: { clientBodyBufferSize: v } }),
  },
  {
    name: 'header name',
    benign: 'X-Benign-Header',
    valid: (rng) => randomString(rng, [...PLAIN, ..."!#$%&'*+-.^_`|~".split('')], 16) || 'X',
    encode: same,
    build: (v, i) => base(i, { location: { proxy: { setHeaders: [{ name: v, value: 'v' }] } } }),
  },
  {
    name: 'header value',
    benign: 'benign header value',
    valid: (rng) => randomString(rng, [...PLAIN, ' ', '"', "'", ';', '{', '}', '#', '$', '\\', '\t'], 24),
    encode: dollar,
    build: (v, i) => base(i, { location: { proxy: { setHeaders: [{ name: 'X-Fuzz', value: v }] } } }),
  },
  {
    name: 'API key header name',
    benign: 'X-Benign-Key',
    valid: (rng) => randomString(rng, [...PLAIN, '-', '_'], 16) || 'k',
    encode: (v) => `($http_${v.toLowerCase().replaceAll('-', '_')}`,
    build: (v, i) => base(i, { location: { headerCheck: { header: v, value: 'k' } } }),
  },
  {
    name: 'API key value',
    benign: 'benignkeyvalue',
    valid: (rng) => randomString(rng, [...PLAIN, '+', '/', '=', ')', '(', '"', '$', '\\', ' '], 24),
    encode: dollar,
    build: (v, i) => base(i, { location: { headerCheck: { header: 'X-Key', value: v } } }),
  },
  {
    name: 'TLS certificate path',
    benign: '/benign/cert.crt',
    valid: (rng) =>
      `/${hostLabel(rng)}/${randomString(rng, [...PLAIN, '.', '_', '-', '@', '+', '=', ',', '~', '%', ':'], 12) || 'c'}.crt`,
    encode: same,
    build: (v, i, env) =>
      base(i, {
        server: {
          listen: [{ port: 20000 + i, ssl: true }],
          tls: { certificate: `${env.fileRoot}${v}`, certificateKey: `${env.fileRoot}${v}` },
        },
      }),
    nginxCheckable: (v) => /\/[^/]+$/.test(v) && !/\/\.{1,2}$/.test(v),
  },
  {
    name: 'server comment',
    benign: 'benign comment',
    valid: (rng) => randomString(rng, [...PLAIN, ' ', '"', ';', '{', '}', '#', '$', '\\', 'é', '日'], 30),
    encode: () => '',
    build: (v, i) => base(i, { server: { comments: [v] } }),
  },
  {
    name: 'upstream server comment',
    benign: 'benign pod comment',
    valid: (rng) => randomString(rng, [...PLAIN, ' ', '}', '{', ';', '#'], 30),
    encode: () => '',
    build: (v, i) => base(i, { upstream: { servers: [{ address: '127.0.0.1', port: 9, comment: v }] } }),
  },
  {
    name: 'redirect URL',
    benign: 'https://benign.example/redirect',
    valid: (rng) => `https://${hostLabel(rng)}.example/${randomString(rng, [...RFC3986, '?', '#'], 16)}`,
    encode: dollar,
    build: (v, i) => base(i, { location: { action: { kind: 'redirect', status: 302, url: v } } }),
  },
  {
    name: 'return body',
    benign: 'benign body',
    valid: (rng) => randomString(rng, [...PLAIN, ' ', '"', ';', '{', '}', '#', '$', '\\'], 24),
    encode: dollar,
    build: (v, i) => base(i, { location: { action: { kind: 'return', status: 200, body: v } } }),
  },
  {
    name: 'map key',
    benign: 'benignkey',
    valid: (rng) =>
      rng() < 0.3
        ? pick(rng, ['default', 'include', '~x', '\\y', 'hostnames', 'volatile'])
        : randomString(rng, [...PLAIN, ' ', '~', '\\', '"', ';', '$', '*', '.'], 16),
    encode: (v) =>
      v === 'default' || v === 'include' || v.startsWith('~') || v.startsWith('\\') ? `\\${v}` : v,
    build: (v, i) =>
      base(i, {
        maps: [{ source: { var: 'http_x_fuzz' }, target: `fuzzmap${i}`, entries: [{ key: v, value: '1' }] }],
      }),
  },
  {
    name: 'map value',
    benign: 'benign map value',
    valid: (rng) => randomString(rng, [...PLAIN, ' ', '"', ';', '{', '}', '#', '$', '\\'], 24),
    encode: dollar,
    build: (v, i) =>
      base(i, { maps: [{ source: { var: 'http_x_fuzz' }, target: `fuzzmap${i}`, default: v, entries: [] }] }),
  },
  {
    name: 'log header variable',
    benign: 'http_x_benign',
    valid: (rng) => `http_${randomString(rng, [...PLAIN, '_'], 12)}`,
    encode: (v) => `$${v}`,
    build: (v, i) => base(i, { http: { logFormats: [{ name: `fuzzfmt${i}`, format: ['h=', { var: v }] }] } }),
  },
  {
    name: 'access log path',
    benign: '/benign/access.log',
    valid: (rng) => `/${hostLabel(rng)}/${randomString(rng, [...PLAIN, '.', '_', '-'], 12) || 'a'}.log`,
    encode: same,
    build: (v, i, env) => base(i, { location: { accessLog: { path: `${env.fileRoot}${v}`, buffer: '4k' } } }),
    nginxCheckable: (v) => /\/[^/]+$/.test(v) && !/\/\.{1,2}$/.test(v),
  },
];

function generate(rng: Rng, field: Field): string {
  const r = rng();
  if (r < 0.25) return field.valid(rng);
  if (r < 0.5) return mutate(rng, field.valid(rng));
  if (r < 0.6) return mutate(rng, field.benign);
  if (r < 0.75) return randomString(rng, [...ADVERSARIAL, ...PLAIN.slice(0, 8)], 24);
  if (r < 0.85) return pick(rng, INJECTIONS);
  if (r < 0.92) {
    const unit = field.valid(rng) || 'a';
    return unit.repeat(Math.ceil((500 + int(rng, 9500)) / unit.length));
  }
  return randomString(rng, [...PLAIN, ...ADVERSARIAL], 200);
}

/** Replace every occurrence of `from` in names and arguments (and drop the geo block), for comparing trees. */
function substitute(tree: readonly NginxDirective[], from: string, to: string): NginxDirective[] {
  return tree.map((d) => ({
    name: d.name.replaceAll(from, () => to),
    args: d.args.map((a) => a.replaceAll(from, () => to)),
    ...(d.block ? { block: substitute(d.block, from, to) } : {}),
    line: 0,
  }));
}

/**
 * The tree as plain data, without what the renderer derives rather than the model states: the
 * `$kube_edge_dollar` geo block (present only when a literal `$` is) and hash bucket sizes
 * (raised for long names and keys).
 */
const DERIVED = new Set(['map_hash_bucket_size', 'server_names_hash_bucket_size']);
function shape(tree: readonly NginxDirective[]): NginxDirective[] {
  return tree
    .filter((d) => !(d.name === 'geo' && d.args[0] === `$${DOLLAR_VARIABLE}`) && !DERIVED.has(d.name))
    .map((d) => ({ name: d.name, args: d.args, ...(d.block ? { block: shape(d.block) } : {}), line: 0 }));
}

const FILE_ROOT = '/fuzz-root';

interface Accepted {
  field: Field;
  value: string;
}

describe(`fuzzing every user-controlled field (seed ${SEED}, ${CASES} cases)`, () => {
  const accepted: Accepted[] = [];
  const rejectedByField = new Map<string, number>();
  const acceptedByField = new Map<string, number>();
  const failures: string[] = [];

  it('either rejects each value, or renders exactly the directives the model asked for', () => {
    const rng = mulberry32(SEED);
    const expected = new Map<string, NginxDirective[]>();
    for (const f of FIELDS) {
      const benign = f.build(f.benign, 0, { fileRoot: FILE_ROOT });
      expect(validateConfig(benign)).toEqual([]);
      expected.set(f.name, shape(parseNginxConfig(renderNginxConfig(benign))));
    }
    for (let n = 0; n < CASES; n++) {
      const field = FIELDS[n % FIELDS.length]!;
      const value = generate(rng, field);
      const model = field.build(value, 0, { fileRoot: FILE_ROOT });
      if (validateConfig(model).length > 0) {
        rejectedByField.set(field.name, (rejectedByField.get(field.name) ?? 0) + 1);
        expect(() => renderNginxConfig(model)).toThrow();
        continue;
      }
      acceptedByField.set(field.name, (acceptedByField.get(field.name) ?? 0) + 1);
      const text = renderNginxConfig(model);
      let tree: NginxDirective[];
      try {
        tree = parseNginxConfig(text);
      } catch (err) {
        failures.push(`${field.name} ${JSON.stringify(value.slice(0, 80))}: ${String(err)}`);
        continue;
      }
      const want = substitute(expected.get(field.name)!, field.encode(field.benign), field.encode(value));
      const got = shape(tree);
      if (JSON.stringify(got) !== JSON.stringify(want))
        failures.push(`${field.name} ${JSON.stringify(value.slice(0, 80))}: directives differ`);
      const geo = tree.some((d) => d.name === 'http' && d.block?.some((x) => x.name === 'geo'));
      const usesDollar = field.encode === dollar && value.includes('$');
      if (geo !== usesDollar)
        failures.push(`${field.name} ${JSON.stringify(value.slice(0, 80))}: geo variable mismatch`);
      accepted.push({ field, value });
    }
    if (process.env.FUZZ_REPORT === '1') {
      console.log(
        JSON.stringify({
          seed: SEED,
          cases: CASES,
          accepted: accepted.length,
          acceptedByField: Object.fromEntries(acceptedByField),
        }),
      );
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // The generator must exercise both outcomes for every field, or the test proves little.
    for (const f of FIELDS) {
      expect([f.name, (acceptedByField.get(f.name) ?? 0) > 5]).toEqual([f.name, true]);
      expect([f.name, (rejectedByField.get(f.name) ?? 0) > 5]).toEqual([f.name, true]);
    }
    expect(accepted.length + [...rejectedByField.values()].reduce((a, b) => a + b, 0)).toBe(CASES);
  });

  describe('a sample of accepted cases with real nginx -t', () => {
    const tls = makeTempDir('fuzz-tls');
    const work = makeTempDir('fuzz-work');
    const cert = join(tls.path, 'c.crt');
    const key = join(tls.path, 'c.key');
    beforeAll(() => writeSelfSigned(cert, key));
    afterAll(() => {
      tls.remove();
      work.remove();
    });

    it('passes nginx -t for every sampled accepted value, batched into a few configs', async () => {
      const env: Env = { fileRoot: join(tls.path, 'files') };
      // Spread the sample over fields: at most an equal share each, in generation order.
      const perField = Math.ceil(NGINX_SAMPLE / FIELDS.length);
      const counts = new Map<string, number>();
      const sample = accepted.filter((a) => {
        if (a.field.nginxCheckable && !a.field.nginxCheckable(a.value)) return false;
        const c = counts.get(a.field.name) ?? 0;
        if (c >= perField) return false;
        counts.set(a.field.name, c + 1);
        return true;
      });
      expect(sample.length).toBeGreaterThan(NGINX_SAMPLE / 2);
      const batches: NginxConfig[] = [];
      let current: NginxConfig = { upstreams: [], servers: [], http: {} };
      let inBatch = 0;
      let index = 1;
      for (const a of sample) {
        const m = a.field.build(a.value, index++, env);
        const merged: NginxConfig = {
          upstreams: [...current.upstreams, ...m.upstreams],
          servers: [...current.servers, ...m.servers],
          http: {
            maps: [...(current.http?.maps ?? []), ...(m.http?.maps ?? [])],
            logFormats: [...(current.http?.logFormats ?? []), ...(m.http?.logFormats ?? [])],
            ...(m.http?.realIp || current.http?.realIp
              ? {
                  realIp: {
                    header: 'X-Forwarded-For',
                    from: [...(current.http?.realIp?.from ?? []), ...(m.http?.realIp?.from ?? [])],
                  },
                }
              : {}),
          },
        };
        // Two cases may collide (same upstream id); nginx would rightly refuse that, so skip it.
        if (validateConfig(merged).length > 0) continue;
        if (a.field.name === 'TLS certificate path' || a.field.name === 'access log path') {
          const file = `${env.fileRoot}${a.value}`;
          try {
            mkdirSync(dirname(file), { recursive: true });
            // One file holding both the certificate and its key serves as ssl_certificate and ssl_certificate_key.
            if (a.field.name === 'TLS certificate path')
              writeFileSync(file, `${readFileSync(cert, 'utf8')}${readFileSync(key, 'utf8')}`);
          } catch {
            // The path is a directory, or another case made one of its parents a file: not a renderer matter.
            continue;
          }
        }
        current = merged;
        if (++inBatch === BATCH) {
          batches.push(current);
          current = { upstreams: [], servers: [], http: {} };
          inBatch = 0;
        }
      }
      if (inBatch > 0) batches.push(current);
      if (process.env.FUZZ_REPORT === '1')
        console.log(
          JSON.stringify({
            nginxChecked: batches.reduce((n, b) => n + b.servers.length, 0),
            configs: batches.length,
          }),
        );
      for (const b of batches) {
        const result = await nginxTestText(renderNginxConfig(b), tls.path, work.path);
        expect(result.output).toContain('test is successful');
      }
    }, 120_000);
  });
});
