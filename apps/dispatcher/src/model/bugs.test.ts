import { describe, expect, it } from '@jest/globals';
import { parseNginxConfig, type NginxDirective } from '@kube-edge/nginx-render';
import { config, ns, pod, secret } from '../../test/fixtures.js';
import { buildModel, upstreamName, type ClusterState } from './build.js';
import { renderDispatcherConfig } from './render.js';
import type { DispatcherConfig } from '../config.js';
import type { SecretObject } from './types.js';

// Each test here fails on the original's behaviour (the README's "Differences" list); the
// original's result is named in the test.
const build = (state: Partial<ClusterState>, cfg: DispatcherConfig = config()) =>
  buildModel({ namespaces: [], pods: [], secrets: [], ...state }, cfg);
const good = { basePath: '/x', containerPort: '3000' };

function upstreamBlock(text: string, id: string): readonly NginxDirective[] {
  const find = (ds: readonly NginxDirective[]): NginxDirective | undefined => {
    for (const d of ds) {
      if (d.name === 'upstream' && d.args[0] === id) return d;
      const inner = d.block ? find(d.block) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  return find(parseNginxConfig(text))?.block ?? [];
}

describe('original bugs, fixed', () => {
  it('pods with the same name in two namespaces both route (original: keyed by name, one overwrote the other)', () => {
    const m = build({
      namespaces: [ns('one', { 'one.test': {} }), ns('two', { 'two.test': {} })],
      pods: [
        pod('one', 'web-0', [good], { ip: '10.0.0.1' }),
        pod('two', 'web-0', [good], { ip: '10.0.0.2' }),
      ],
    });
    expect(m.nginx.upstreams.map((u) => [u.id, u.servers.map((s) => s.address)])).toEqual(
      expect.arrayContaining([
        [upstreamName('one.test', '/x'), ['10.0.0.1']],
        [upstreamName('two.test', '/x'), ['10.0.0.2']],
      ]),
    );
  });

  it('other Secrets in the namespace never replace or evict the routing Secret (original: keyed by namespace)', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [pod('web', 'p', [good])],
      secrets: [
        secret('web', { 'api-key': 'ABC' }),
        secret('web', { token: 'xyz', 'api-key': 'other' }, 'default-token'),
      ],
    });
    expect(renderDispatcherConfig(m)).toContain('"QUJD"');
    expect(renderDispatcherConfig(m)).not.toContain(Buffer.from('other').toString('base64'));
  });

  it('the output does not depend on Secret field order (original: hash in Go map order)', () => {
    const data = { 'api-key': 'ABC', a: '1', b: '2', c: '3' };
    const reversed: SecretObject = {
      ...secret('web', data),
      data: Object.fromEntries(Object.entries(secret('web', data).data!).reverse()),
    };
    const state = { namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good])] };
    expect(renderDispatcherConfig(build({ ...state, secrets: [reversed] }))).toBe(
      renderDispatcherConfig(build({ ...state, secrets: [secret('web', data)] })),
    );
  });

  it('SSL options are validated for hostnames too (original: only for IP hosts, then a nil dereference)', () => {
    const m = build(
      {
        namespaces: [
          ns('web', { 'secure.test': { ssl: { certificate: {}, certificateKey: {} } }, 'plain.test': {} }),
        ],
        pods: [pod('web', 'p', [good])],
      },
      config({ 'ssl-cert': '/tls/d.crt', 'ssl-key': '/tls/d.key' }),
    );
    expect(m.skipped).toEqual([
      expect.objectContaining({ kind: 'Namespace', name: 'web', reason: 'InvalidSSLOptions' }),
    ]);
    expect(m.nginx.servers.map((s) => s.serverNames[0]).filter(Boolean)).toEqual(['plain.test']);
  });

  it('emits the health check once per upstream (original: once per server, rejected by nginx)', () => {
    const containers = [
      {
        name: 'app',
        ports: [{ containerPort: 3000 }],
        readinessProbe: {
          httpGet: { path: '/status', port: 3000 },
          periodSeconds: 10,
          successThreshold: 2,
          failureThreshold: 3,
          timeoutSeconds: 5,
        },
      },
    ];
    const text = renderDispatcherConfig(
      build(
        {
          namespaces: [ns('web', { 'a.test': {} })],
          pods: [
            pod('web', 'p1', [good], { ip: '10.0.0.1', containers }),
            pod('web', 'p2', [good], { ip: '10.0.0.2', containers }),
          ],
        },
        config({ 'nginx-enable-health-checks': true }),
      ),
    );
    const block = upstreamBlock(text, upstreamName('a.test', '/x'));
    expect(block.filter((d) => d.name === 'server')).toHaveLength(2);
    expect(block.filter((d) => d.name === 'check').map((d) => d.args)).toEqual([
      ['interval=10000', 'rise=2', 'fall=3', 'timeout=5000', 'port=3000', 'type=http'],
    ]);
    expect(block.filter((d) => d.name === 'check_http_send').map((d) => d.args)).toEqual([
      ['GET /status HTTP/1.0\r\n\r\n'],
    ]);
    expect(block.filter((d) => d.name === 'check_http_expect_alive').map((d) => d.args)).toEqual([
      ['http_2xx'],
    ]);
  });

  it('resolves a named probe port (original: port=0)', () => {
    const containers = [
      {
        name: 'app',
        ports: [{ containerPort: 3000, name: 'http' }],
        livenessProbe: { tcpSocket: { port: 'http' } },
      },
    ];
    const text = renderDispatcherConfig(
      build(
        { namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good], { containers })] },
        config({ 'nginx-enable-health-checks': true }),
      ),
    );
    expect(upstreamBlock(text, upstreamName('a.test', '/x')).find((d) => d.name === 'check')?.args).toEqual([
      'interval=10000',
      'rise=1',
      'fall=3',
      'timeout=1000',
      'port=3000',
      'type=tcp',
    ]);
  });

  it('emits no check for a probe port that cannot be resolved, and none when checks are off', () => {
    const containers = [
      {
        name: 'app',
        ports: [{ containerPort: 3000 }],
        readinessProbe: { httpGet: { path: '/s', port: 'nope' } },
        livenessProbe: { exec: { command: ['true'] } },
      },
    ];
    const state = {
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [pod('web', 'p', [good], { containers })],
    };
    expect(renderDispatcherConfig(build(state, config({ 'nginx-enable-health-checks': true })))).not.toMatch(
      /^\s*check /m,
    );
    const exec = [
      { name: 'app', ports: [{ containerPort: 3000 }], livenessProbe: { exec: { command: ['true'] } } },
    ];
    const withExec = renderDispatcherConfig(
      build(
        { ...state, pods: [pod('web', 'p', [good], { containers: exec })] },
        config({ 'nginx-enable-health-checks': true }),
      ),
    );
    expect(withExec).toMatch(/check interval=10000 rise=1 fall=3 timeout=1000 port=3000 type=tcp;/);
    expect(
      renderDispatcherConfig(build({ ...state, pods: [pod('web', 'p', [good], { containers: exec })] })),
    ).not.toMatch(/check /);
  });

  it('a probe change changes the output (original: not in the pod hash, no reload)', () => {
    const probe = (periodSeconds: number) => [
      {
        name: 'app',
        ports: [{ containerPort: 3000 }],
        readinessProbe: { tcpSocket: { port: 3000 }, periodSeconds },
      },
    ];
    const cfg = config({ 'nginx-enable-health-checks': true });
    const at = (p: number) =>
      renderDispatcherConfig(
        build(
          {
            namespaces: [ns('web', { 'a.test': {} })],
            pods: [pod('web', 'p', [good], { containers: probe(p) })],
          },
          cfg,
        ),
      );
    expect(at(10)).not.toBe(at(20));
  });

  it('the WebSocket headers reach the backend (original HEAD: Connection "" in every location dropped them)', () => {
    const text = renderDispatcherConfig(
      build({ namespaces: [ns('web', { 'a.test': {} })], pods: [pod('web', 'p', [good])] }),
    );
    expect(text).not.toContain('proxy_set_header Connection "";');
    expect(text).toMatch(
      /location \/x \{[^}]*proxy_set_header Upgrade \$http_upgrade;[^}]*proxy_set_header Connection \$p_connection;/,
    );
  });
});
