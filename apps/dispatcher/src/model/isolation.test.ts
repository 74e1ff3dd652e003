import { describe, expect, it } from '@jest/globals';
import { MAX_COMMENT_BYTES } from '@kube-edge/nginx-render';
import { config, ns, pod, secret } from '../../test/fixtures.js';
import { sslRefs, tlsData } from '../../test/tls.js';
import type { DispatcherConfig } from '../config.js';
import { buildModel, upstreamName, type ClusterState } from './build.js';
import { renderDispatcherConfig } from './render.js';
import type { NamespaceObject } from './types.js';

// One bad object never stops the rest: each finding below made the renderer throw for the whole
// config (or served something it must not) before the builder used nginx-render's validators.
const build = (state: Partial<ClusterState>, cfg: DispatcherConfig = config()) =>
  buildModel({ namespaces: [], pods: [], secrets: [], ...state }, cfg);
const good = { basePath: '/good', containerPort: '3000' };
const created = (n: NamespaceObject, at: string): NamespaceObject => ({
  ...n,
  metadata: { ...n.metadata, creationTimestamp: at },
});

describe('one bad object never stops the rest', () => {
  it('a valid basePath of ~1,100 characters renders (its upstream comment is cut) and other pods are served', () => {
    const long = `/${'a'.repeat(1100)}`;
    const m = build({
      namespaces: [ns('long', { 'long.test': {} }), ns('other', { 'other.test': {} })],
      pods: [pod('long', 'p', [{ basePath: long, containerPort: '3000' }]), pod('other', 'q', [good])],
    });
    const text = renderDispatcherConfig(m);
    expect(m.skipped).toEqual([]);
    expect(text).toContain(`location ${long} {`);
    expect(text).toContain(`upstream ${upstreamName('other.test', '/good')} {`);
    for (const line of text.split('\n').filter((l) => l.trim().startsWith('#')))
      expect(Buffer.byteLength(line.trim())).toBeLessThanOrEqual(MAX_COMMENT_BYTES + 2);
    expect(text).toMatch(/# Upstream for \/a{100,200}\.\.\. traffic on namespace long\n/);
  });

  it('an api-key of 3,000 bytes skips the Secret; its namespace is not served without the key; others are', () => {
    const m = build({
      namespaces: [ns('big', { 'big.test': {} }), ns('other', { 'other.test': {} })],
      pods: [pod('big', 'p', [{ basePath: '/secret', containerPort: '3000' }]), pod('other', 'q', [good])],
      secrets: [secret('big', { 'api-key': 'k'.repeat(3000) }), secret('other', { 'api-key': 'small' })],
    });
    expect(m.skipped).toEqual([
      expect.objectContaining({
        kind: 'Secret',
        namespace: 'big',
        name: 'routing',
        reason: 'InvalidApiKey',
        message: expect.stringContaining('nginx limits a parameter'),
      }),
    ]);
    const text = renderDispatcherConfig(m);
    // The host stays (owned by "big"), but no route of "big" is served: never without the key.
    expect(text).toContain('server_name big.test;');
    expect(text).not.toContain('location /secret');
    expect(m.nginx.upstreams.map((u) => u.id)).toEqual([upstreamName('other.test', '/good')]);
    expect(text).toContain(`"${Buffer.from('small').toString('base64')}"`);
  });

  it('an api-key just under the limit is kept', () => {
    const m = build({
      namespaces: [ns('big', { 'big.test': {} })],
      pods: [pod('big', 'p', [good])],
      secrets: [secret('big', { 'api-key': 'k'.repeat(2900) })],
    });
    expect(m.skipped).toEqual([]);
    expect(renderDispatcherConfig(m)).toContain(Buffer.from('k'.repeat(2900)).toString('base64'));
  });

  it('a pod IP nginx cannot use (an IPv6 zone id) skips that pod only', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [pod('web', 'bad', [good], { ip: 'fe80::1%eth0' }), pod('web', 'ok', [good], { ip: '10.0.0.7' })],
    });
    expect(m.skipped).toEqual([expect.objectContaining({ name: 'bad', reason: 'InvalidPodIP' })]);
    expect(m.nginx.upstreams[0]!.servers.map((s) => s.address)).toEqual(['10.0.0.7']);
    expect(() => renderDispatcherConfig(m)).not.toThrow();
  });

  it.each(['pod.local', '10.0.0.256'])(
    'a pod IP that is not an IP (%j; nginx would resolve a name at load and refuse the config) skips that pod only (found by the property test)',
    (ip) => {
      const m = build({
        namespaces: [ns('web', { 'a.test': {} })],
        pods: [pod('web', 'bad', [good], { ip }), pod('web', 'ok', [good], { ip: '10.0.0.7' })],
      });
      expect(m.skipped).toEqual([expect.objectContaining({ name: 'bad', reason: 'InvalidPodIP' })]);
      expect(m.nginx.upstreams[0]!.servers.map((s) => s.address)).toEqual(['10.0.0.7']);
      expect(renderDispatcherConfig(m)).not.toContain(`${ip}:`);
    },
  );

  it('a regex basePath with a targetPath skips that entry (nginx refuses a proxy URI there; found by the property test)', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [pod('web', 'p', [good, { basePath: '~^/re', containerPort: '3000', targetPath: '/t' }])],
    });
    expect(m.skipped).toEqual([
      expect.objectContaining({
        name: 'p',
        reason: 'InvalidPathEntry',
        message: expect.stringContaining('regex location'),
      }),
    ]);
    expect(m.nginx.upstreams.map((u) => u.id)).toEqual([upstreamName('a.test', '/good')]);
  });

  it('a numeric containerPort skips only that entry; the pod serves its other entries (original: none)', () => {
    const m = build({
      namespaces: [ns('web', { 'a.test': {} })],
      pods: [
        pod('web', 'p', [
          good,
          { basePath: '/bad', containerPort: 3000 },
          { basePath: '/also', containerPort: '3000' },
        ]),
      ],
    });
    expect(m.skipped).toEqual([
      expect.objectContaining({
        name: 'p',
        reason: 'InvalidPathEntry',
        message: expect.stringMatching(/^entry 1: containerPort/),
      }),
    ]);
    expect(m.nginx.upstreams.map((u) => u.id).sort()).toEqual(
      [upstreamName('a.test', '/good'), upstreamName('a.test', '/also')].sort(),
    );
  });
});

describe('host ownership across namespaces', () => {
  it('the oldest namespace owns a host whatever the names; the newer one is skipped naming the owner', () => {
    const m = build({
      namespaces: [
        created(ns('alpha', { 'shared.test': {} }), '2026-02-01T00:00:00Z'),
        created(ns('zeta', { 'shared.test': {} }), '2026-01-01T00:00:00Z'),
      ],
      pods: [pod('alpha', 'a', [good], { ip: '10.0.0.1' }), pod('zeta', 'z', [good], { ip: '10.0.0.26' })],
    });
    expect(m.nginx.upstreams[0]!.servers.map((s) => s.address)).toEqual(['10.0.0.26']);
    expect(m.skipped).toEqual([
      expect.objectContaining({
        kind: 'Namespace',
        name: 'alpha',
        reason: 'HostOwnedByOther',
        message: expect.stringContaining('namespace "zeta"'),
      }),
    ]);
  });

  it("while the owner's TLS is unusable, the host is not handed to another namespace", () => {
    const cfg = config({ 'ssl-cert': '/tls/d.crt', 'ssl-key': '/tls/d.key' });
    const state = {
      namespaces: [
        created(ns('owner', { 'shared.test': { ssl: sslRefs(false) } }), '2026-01-01T00:00:00Z'),
        created(ns('thief', { 'shared.test': {} }), '2026-02-01T00:00:00Z'),
      ],
      pods: [pod('owner', 'o', [good], { ip: '10.0.0.1' }), pod('thief', 't', [good], { ip: '10.0.0.66' })],
    };
    // The owner's routing Secret is gone (e.g. being replaced).
    const m = build(state, cfg);
    expect(m.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['owner', 'MissingSSLSecret'],
      ['thief', 'HostOwnedByOther'],
    ]);
    const text = renderDispatcherConfig(m);
    expect(text).not.toContain('server_name shared.test;');
    expect(text).not.toContain('10.0.0.66');
    // Once the Secret is back, the owner serves it again.
    const back = build({ ...state, secrets: [secret('owner', tlsData)] }, cfg);
    expect(renderDispatcherConfig(back)).toContain('server_name shared.test;');
    expect(back.nginx.upstreams[0]!.servers.map((s) => s.address)).toEqual(['10.0.0.1']);
  });
});
