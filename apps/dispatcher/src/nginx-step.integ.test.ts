import { createServer } from 'node:net';
import { afterEach, beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import {
  freePort,
  httpRequest,
  startEchoServer,
  tempDir,
  type EchoResponse,
  type EchoServer,
  type TempDir,
} from '@kube-edge/testkit';
import { createBackendsClient, type BackendsClient } from './backends-client.js';
import type { DispatcherRunConfig } from './config.js';
import { LUA_REQUIRED_FILES, membershipOf } from './lua-mode.js';
import { buildModel } from './model/build.js';
import type { DispatcherModel } from './model/types.js';
import { createDispatcherNginxStep, decideUpstreamMode, type DispatcherNginxStep } from './nginx-step.js';
import { config as makeConfig, ns, pod } from '../test/fixtures.js';

// The nginx step in Lua mode with real nginx: a push that fails falls back to a reload with the
// members in the config (never stale routing) and Lua comes back on the next pass; nginx that
// lost its membership is re-seeded by the next pass; a new nginx is seeded at start.
/** The endpoint token of the steps made here (the app picks a random one). */
const TOKEN = 'a'.repeat(32);

describe('dispatcher nginx step, Lua mode', () => {
  let work: TempDir;
  let echoes: EchoServer[];
  let httpPort: number;
  let podPort: number;
  let backendsPort: number;
  let step: DispatcherNginxStep | undefined;
  let runConfig: DispatcherRunConfig;

  const get = () => httpRequest({ url: `http://127.0.0.1:${httpPort}/svc`, host: 'app.test' });
  const names = async (n: number): Promise<string[]> => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) out.add((await get()).json<EchoResponse>().name);
    return [...out].sort();
  };
  const model = (ips: readonly string[]): DispatcherModel =>
    buildModel(
      {
        namespaces: [ns('app', { 'app.test': {} })],
        pods: ips.map((ip, i) =>
          pod('app', `p${i}`, [{ basePath: '/svc', containerPort: String(podPort) }], {
            ip,
            ports: [podPort],
          }),
        ),
        secrets: [],
      },
      runConfig,
    );
  const reloads = async (metrics: ReturnType<typeof createMetrics>): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('dispatcher_nginx_reloads_total')?.get();
    return m?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  };

  function makeStep(backends?: BackendsClient): {
    step: DispatcherNginxStep;
    metrics: ReturnType<typeof createMetrics>;
  } {
    const metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    step = createDispatcherNginxStep(runConfig, {
      logger: createNoopLogger(),
      metrics,
      initialModel: model([]),
      mode: 'lua',
      backendsToken: TOKEN,
      ...(backends !== undefined ? { backends } : {}),
    });
    return { step, metrics };
  }

  beforeAll(async () => {
    work = await tempDir('dispatcher-step');
    [httpPort, podPort, backendsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    echoes = await Promise.all([
      startEchoServer({ host: '127.0.0.2', port: podPort, name: 'p0' }),
      startEchoServer({ host: '127.0.0.3', port: podPort, name: 'p1' }),
    ]);
    runConfig = {
      ...makeConfig({ port: httpPort, 'ssl-cert-dir': `${work.path}/ssl` }),
      mock: false,
      eventWindowMs: 0,
      nginxWorkDir: `${work.path}/nginx`,
      http: { port: 0 },
      nginxStopTimeoutMs: 2000,
      upstreamMode: 'lua',
      backendsPort,
    };
  });
  afterEach(async () => {
    await step?.stop();
    step = undefined;
  });
  afterAll(async () => {
    await Promise.all(echoes.map((e) => e.close()));
    await work.remove();
  });

  it('falls back to a reload with the members in the config when a push fails, and returns to Lua on the next pass', async () => {
    const real = createBackendsClient({ port: backendsPort, token: TOKEN });
    let failing = false;
    const backends: BackendsClient = {
      push: (body) => (failing ? Promise.reject(new Error('refused')) : real.push(body)),
      storedHash: () => real.storedHash(),
      close: () => real.close(),
    };
    const { step: s, metrics } = makeStep(backends);
    await s.start();
    await s.update(model(['127.0.0.2']));
    expect(await names(4)).toEqual(['p0']);
    expect(s.luaLive()).toBe(true);

    failing = true;
    const before = await reloads(metrics);
    await s.update(model(['127.0.0.2', '127.0.0.3']));
    expect(s.luaLive()).toBe(false);
    expect(s.lastConfig()).toContain(`server 127.0.0.3:${podPort};`);
    expect(await reloads(metrics)).toBe(before + 1);
    expect(await names(6)).toEqual(['p0', 'p1']);

    failing = false;
    await s.update(model(['127.0.0.3']));
    expect(s.luaLive()).toBe(true);
    expect(s.lastConfig()).not.toContain('127.0.0.3');
    expect(await names(4)).toEqual(['p1']);
  });

  it('re-pushes a membership nginx lost (the next pass compares what nginx holds)', async () => {
    const { step: s, metrics } = makeStep();
    await s.start();
    const m = model(['127.0.0.2', '127.0.0.3']);
    await s.update(m);
    expect(await names(6)).toEqual(['p0', 'p1']);
    const client = createBackendsClient({ port: backendsPort, token: TOKEN });
    // Another writer (or a lost dict) leaves nginx with a different membership.
    await client.push('upstream nothing\n');
    expect((await get()).status).toBe(500);
    const before = await reloads(metrics);
    await s.update(m);
    expect(await client.storedHash()).toBe(membershipOf(m.nginx).hash);
    client.close();
    expect(await names(6)).toEqual(['p0', 'p1']);
    expect(await reloads(metrics)).toBe(before);
  });

  it('seeds a new nginx at start, before the first pass, and pushes before the reload that adds upstreams', async () => {
    const { step: s } = makeStep();
    await s.start();
    const client = createBackendsClient({ port: backendsPort, token: TOKEN });
    expect(await client.storedHash()).toBe(membershipOf(model([]).nginx).hash);
    client.close();
    await s.update(model(['127.0.0.2']));
    // The first request after update resolved is routed: the members were there before the config.
    expect((await get()).json<EchoResponse>().name).toBe('p0');
  });

  it.each(['lua', 'reload'] as const)(
    'keeps passive health in %s mode: a pod that fails is retried elsewhere and left out for fail_timeout',
    async (mode) => {
      // A "pod" that accepts and resets every connection: nginx counts a failure (proxy_next_upstream error).
      let connections = 0;
      const broken = createServer((sock) => {
        connections++;
        sock.destroy();
      });
      await new Promise<void>((resolve) => broken.listen(podPort, '127.0.0.5', resolve));
      try {
        const metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
        step = createDispatcherNginxStep(runConfig, {
          logger: createNoopLogger(),
          metrics,
          initialModel: model([]),
          mode,
        });
        await step.start();
        await step.update(model(['127.0.0.2', '127.0.0.5']));
        const answers: string[] = [];
        for (let i = 0; i < 10; i++) answers.push((await get()).json<EchoResponse>().name);
        // Every request is answered by the healthy pod; the broken one was tried once, then left out.
        expect(answers).toEqual(Array(10).fill('p0'));
        expect(connections).toBe(1);
      } finally {
        await new Promise((resolve) => broken.close(resolve));
      }
    },
  );

  it.each(['lua', 'reload'] as const)(
    'keeps passive health in %s mode for a failure nginx does not retry: a pod that resets a POST is left out for fail_timeout',
    async (mode) => {
      // A "pod" that resets the connection once the request reached it: the request was sent
      // and request buffering is off, so nginx answers 502 without trying another pod, and
      // counts the failure all the same (max_fails=1 fail_timeout=10s).
      let connections = 0;
      const broken = createServer((sock) => {
        connections++;
        sock.once('data', () => sock.resetAndDestroy());
      });
      await new Promise<void>((resolve) => broken.listen(podPort, '127.0.0.5', resolve));
      try {
        step = createDispatcherNginxStep(runConfig, {
          logger: createNoopLogger(),
          metrics: createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false }),
          initialModel: model([]),
          mode,
        });
        await step.start();
        await step.update(model(['127.0.0.2', '127.0.0.5']));
        const answers: string[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await httpRequest({
            url: `http://127.0.0.1:${httpPort}/svc`,
            host: 'app.test',
            method: 'POST',
            body: 'x'.repeat(100),
          });
          answers.push(r.status === 200 ? r.json<EchoResponse>().name : String(r.status));
        }
        // One request reached the broken pod and failed (not retried); the pod was then left out.
        expect(answers.filter((a) => a === '502')).toHaveLength(1);
        expect(answers.filter((a) => a === 'p0')).toHaveLength(9);
        expect(connections).toBe(1);
      } finally {
        await new Promise((resolve) => broken.close(resolve));
      }
    },
  );

  it('serves a push to the very next request after the members were read and cached', async () => {
    const { step: s } = makeStep();
    await s.start();
    for (const ips of [['127.0.0.2'], ['127.0.0.3'], ['127.0.0.2'], ['127.0.0.3']]) {
      await s.update(model(ips));
      // the first request after the push already goes to the new member; the next ones read the cache
      const expected = ips[0] === '127.0.0.2' ? 'p0' : 'p1';
      for (let i = 0; i < 3; i++) expect((await get()).json<EchoResponse>().name).toBe(expected);
    }
  });

  it('routes to an IPv6 pod in Lua mode', async () => {
    const v6 = await startEchoServer({ host: '::1', port: podPort, name: 'v6' });
    try {
      const { step: s } = makeStep();
      await s.start();
      await s.update(model(['::1']));
      expect(s.lastConfig()).not.toContain('::1');
      expect(await names(2)).toEqual(['v6']);
    } finally {
      await v6.close();
    }
  });

  it('takes every IPv6 form the controller accepts (IPv4-mapped, "::" for one group) without a fallback', async () => {
    const { step: s, metrics } = makeStep();
    await s.start();
    const before = await reloads(metrics);
    // The controller accepts what node's isIP does; the endpoint must too, or one such pod
    // sends every upstream back to reload mode.
    await s.update(model(['::ffff:127.0.0.2']));
    expect(s.luaLive()).toBe(true);
    expect(s.lastConfig()).not.toContain('127.0.0.2');
    expect(await names(2)).toEqual(['p0']);
    expect(await reloads(metrics)).toBe(before + 1);
    const client = createBackendsClient({ port: backendsPort, token: TOKEN });
    try {
      for (const ip of ['1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4'])
        await expect(client.push(`upstream x\nserver ${ip} 80 1\n`)).resolves.toBeUndefined();
      for (const ip of ['::ffff:1.2.3.256', '1:2:3:4:5:6:7:8:9', ':::1', '1::2::3', '1.2.3.4::', '::1.2.3'])
        await expect(client.push(`upstream x\nserver ${ip} 80 1\n`)).rejects.toThrow(/answered 400/);
    } finally {
      client.close();
    }
  });

  it('auto is reload when the Lua modules are missing, and lua when nginx accepts them', async () => {
    const auto = { ...runConfig, upstreamMode: 'auto' as const };
    const missing = await decideUpstreamMode(auto, model([]), { fileExists: () => false });
    expect(missing.mode).toBe('reload');
    expect(missing.reason).toContain(LUA_REQUIRED_FILES[0]);
    expect((await decideUpstreamMode(auto, model([]))).mode).toBe('lua');
    expect((await decideUpstreamMode({ ...runConfig, upstreamMode: 'reload' }, model([]))).mode).toBe(
      'reload',
    );
    // NGINX_ENABLE_HEALTH_CHECKS needs the servers in the config: auto picks reload rather
    // than a start-up error (only an explicit lua is refused at start).
    const checks = await decideUpstreamMode({ ...auto, enableHealthChecks: true }, model([]));
    expect(checks.mode).toBe('reload');
    expect(checks.reason).toContain('NGINX_ENABLE_HEALTH_CHECKS');
  });
});
