import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  TerminalError,
  TransientError,
  createMetrics,
  createFakeClock,
  createUpdaterChain,
  type Updater,
} from '@kube-edge/runtime';
import { startGorbServer, type GorbServer } from '@kube-edge/testkit';
import { createGorbClient, type GorbClient } from './gorb-client.js';
import { GorbFrontend, type GorbFrontendOptions } from './gorb-frontend.js';
import type { VipManager } from './loopback-vip-manager.js';

const IP = '10.0.0.5';
const HTTP_ID = `node-http-proxy-${IP}`;
const HTTPS_ID = `node-https-proxy-${IP}`;
const SERVICES = {
  'http-proxy': { port: 80, host: '10.0.0.100' },
  'https-proxy': { port: 443, host: '10.0.0.100' },
};

describe('GorbFrontend against the gorb test server', () => {
  let server: GorbServer;
  let client: GorbClient;
  let timeline: string[];
  const drainClock = createFakeClock(0, { autoAdvance: true });
  let onSleep: () => void;
  let frontend: GorbFrontend;

  const vipManager: VipManager = {
    ensure: () => {
      timeline.push('vip ensure');
      return Promise.resolve();
    },
    remove: () => {
      timeline.push('vip remove');
      return Promise.resolve();
    },
  };

  const make = (extra: Partial<GorbFrontendOptions> = {}): GorbFrontend =>
    new GorbFrontend({
      client,
      instanceIp: IP,
      vipManager,
      clock: {
        now: drainClock.now,
        setTimeout: (fn, ms) => {
          timeline.push(`sleep ${ms}`);
          onSleep();
          return drainClock.setTimeout(fn, ms);
        },
      },
      ...extra,
    });

  const backends = (): Record<string, number | undefined> => {
    const out: Record<string, number | undefined> = {};
    for (const svc of Object.values(server.state().services)) {
      for (const b of Object.values(svc.backends)) out[`${svc.id}/${b.id}`] = b.weight;
    }
    return out;
  };

  beforeEach(async () => {
    server = await startGorbServer({ services: SERVICES });
    // No sleeping between retries, so failure paths stay fast.
    client = createGorbClient({ endpoint: server.url, clock: createFakeClock(0, { autoAdvance: true }) });
    timeline = [];
    onSleep = () => undefined;
    frontend = make();
  });
  afterEach(async () => {
    await frontend.stop().catch(() => undefined);
    await client.close();
    await server.stop();
  });

  it('registers nothing at start', async () => {
    await frontend.start();
    expect(server.requests()).toEqual([]);
    expect(backends()).toEqual({});
    expect(await frontend.readiness()).toMatchObject({ ok: false });
  });

  it('registers node-<service>-<ip> in every service on the first update, with the JSON feed sends', async () => {
    await frontend.start();
    await frontend.update({});
    expect(backends()).toEqual({ [`http-proxy/${HTTP_ID}`]: 1000, [`https-proxy/${HTTPS_ID}`]: 1000 });
    expect(server.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /service/http-proxy/${HTTP_ID} 404`,
      `PUT /service/http-proxy/${HTTP_ID} 200`,
      `GET /service/https-proxy/${HTTPS_ID} 404`,
      `PUT /service/https-proxy/${HTTPS_ID} 200`,
    ]);
    expect(server.requests()[1]?.body).toEqual({
      host: IP,
      port: 80,
      method: 'dr',
      weight: 1000,
      pulse: { type: 'http', args: { method: 'GET', path: '/', expect: '404' }, interval: '1s' },
    });
    expect(server.state().services['https-proxy']?.backends[HTTPS_ID]?.options).toMatchObject({
      port: 443,
      method: 'dr',
    });
    expect(timeline).toEqual(['vip ensure']);
    expect(await frontend.readiness()).toEqual({ ok: true });
  });

  it('does not re-register on later updates, but ensures the VIPs every time', async () => {
    await frontend.start();
    await frontend.update({});
    server.clearRequests();
    await frontend.update({});
    expect(server.requests().map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(timeline).toEqual(['vip ensure', 'vip ensure']);
  });

  it('uses the weight, method and health check type given', async () => {
    frontend = make({
      backendWeight: 250,
      backendMethod: 'tunnel',
      healthCheckType: 'tcp',
      healthCheckInterval: '5s',
      services: [{ name: 'http-proxy', port: 8080 }],
    });
    await frontend.start();
    await frontend.update({});
    expect(server.state().services['http-proxy']?.backends[HTTP_ID]?.options).toMatchObject({
      port: 8080,
      weight: 250,
      method: 'tunnel',
      pulse: { type: 'tcp', interval: '5s', args: { method: '', path: '', expect: '' } },
    });
    expect(server.state().services['https-proxy']?.backends).toEqual({});
  });

  it('on stop drains to weight 0, waits the drain delay, removes the VIPs, then deletes the backends', async () => {
    frontend = make({ drainDelayMs: 45_000 });
    await frontend.start();
    await frontend.update({});
    server.clearRequests();
    let atSleep: Record<string, number | undefined> = {};
    let readyDuringDrain: unknown;
    onSleep = () => {
      atSleep = backends();
      void frontend.readiness().then((r) => (readyDuringDrain = r));
    };
    await frontend.stop();
    expect(atSleep).toEqual({ [`http-proxy/${HTTP_ID}`]: 0, [`https-proxy/${HTTPS_ID}`]: 0 });
    expect(readyDuringDrain).toMatchObject({ ok: false });
    expect(timeline).toEqual(['vip ensure', 'sleep 45000', 'vip remove']);
    expect(server.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /service/http-proxy/${HTTP_ID}`,
      `PATCH /service/https-proxy/${HTTPS_ID}`,
      `DELETE /service/http-proxy/${HTTP_ID}`,
      `DELETE /service/https-proxy/${HTTPS_ID}`,
    ]);
    // The PATCH carries the same JSON with weight 0, as feed sends it.
    expect(server.requests()[0]?.body).toMatchObject({
      host: IP,
      port: 80,
      weight: 0,
      pulse: { args: { expect: '404' } },
    });
    expect(backends()).toEqual({});
    expect(Object.keys(server.state().services)).toEqual(['http-proxy', 'https-proxy']);
    expect(await frontend.readiness()).toMatchObject({ ok: false });
  });

  it('still deletes a backend whose drain weight gorb recovery overwrote during the drain delay', async () => {
    await frontend.start();
    await frontend.update({});
    server.reportPulse(HTTP_ID, 'up');
    server.reportPulse(HTTP_ID, 'down'); // gorb stashes 1000 and sets 0, before our drain PATCH
    let weightAfterRecovery: number | undefined;
    onSleep = () => {
      server.reportPulse(HTTP_ID, 'up'); // recovery: int(1000 × 2/3) overwrites the drain weight
      weightAfterRecovery = backends()[`http-proxy/${HTTP_ID}`];
    };
    await frontend.stop();
    expect(weightAfterRecovery).toBe(666);
    expect(backends()).toEqual({});
  });

  it('restores the weight of a backend left at 0 by a predecessor killed mid-drain', async () => {
    await frontend.start();
    await frontend.update({});
    // The old pod drained (PATCH weight 0) and was killed before its DELETE.
    await client.updateBackend('http-proxy', HTTP_ID, { weight: 0 });
    expect(backends()[`http-proxy/${HTTP_ID}`]).toBe(0);
    const successor = make();
    await successor.start();
    await successor.update({});
    expect(backends()).toEqual({ [`http-proxy/${HTTP_ID}`]: 1000, [`https-proxy/${HTTPS_ID}`]: 1000 });
    await successor.stop();
  });

  it('leaves the weight of a backend gorb saw Down to gorb, which restores it on recovery', async () => {
    await frontend.start();
    await frontend.update({});
    server.reportPulse(HTTP_ID, 'down'); // gorb stashes 1000 and sets 0
    server.clearRequests();
    const successor = make();
    await successor.start();
    await successor.update({});
    expect(backends()[`http-proxy/${HTTP_ID}`]).toBe(0);
    expect(server.requests().filter((r) => r.method === 'PATCH')).toEqual([]);
    await successor.stop();
  });

  it('stop is idempotent and stop before any update touches nothing', async () => {
    await frontend.start();
    await frontend.stop();
    await frontend.stop();
    expect(server.requests()).toEqual([]);
    expect(timeline).toEqual([]);
    await expect(frontend.update({})).rejects.toBeInstanceOf(TerminalError);
  });

  it('re-registers on the next update after gorb restarts empty and its services are re-created', async () => {
    await frontend.start();
    await frontend.update({});
    await server.restart();
    expect(backends()).toEqual({});
    // gorb is back but without virtual services: registration cannot succeed yet.
    const err = await frontend.update({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain('HTTP 404: unable to locate specified object');
    expect(await frontend.health()).toEqual({ ok: true });
    // The operator (or a gorb store) re-creates the services; the next update re-registers.
    for (const [id, opts] of Object.entries(SERVICES)) await client.createService(id, opts);
    await frontend.update({});
    expect(backends()).toEqual({ [`http-proxy/${HTTP_ID}`]: 1000, [`https-proxy/${HTTPS_ID}`]: 1000 });
  });

  it('re-registers after a restart that kept the services but lost the backends', async () => {
    await frontend.start();
    await frontend.update({});
    await server.restart({ keepState: true });
    for (const id of [HTTP_ID, HTTPS_ID]) await client.deleteBackend('x', id);
    await frontend.update({});
    expect(backends()).toEqual({ [`http-proxy/${HTTP_ID}`]: 1000, [`https-proxy/${HTTPS_ID}`]: 1000 });
  });

  it('logs a failed existence check and registers anyway', async () => {
    await frontend.start();
    server.failNext(3, 500); // every attempt of the first GET
    await frontend.update({});
    expect(backends()).toEqual({ [`http-proxy/${HTTP_ID}`]: 1000, [`https-proxy/${HTTPS_ID}`]: 1000 });
  });

  it('is unhealthy and fails updates while gorb is down, and skips the drain delay when nothing drained', async () => {
    await frontend.start();
    await frontend.update({});
    await server.stop();
    expect(await frontend.health()).toMatchObject({ ok: false });
    expect(await frontend.readiness()).toMatchObject({ ok: false });
    await expect(frontend.update({})).rejects.toMatchObject({ code: 'GORB_REGISTRATION_FAILED' });
    await expect(frontend.stop()).rejects.toMatchObject({ code: 'GORB_DETACH_FAILED' });
    expect(timeline.some((t) => t.startsWith('sleep'))).toBe(false);
    expect(timeline).toContain('vip remove');
  });

  it('registers nothing while the loopback VIPs cannot be put in place', async () => {
    let vipFails = true;
    frontend = make({
      vipManager: {
        ensure: () =>
          vipFails ? Promise.reject(new TransientError('ip addr add failed')) : Promise.resolve(),
        remove: () => Promise.resolve(),
      },
    });
    await frontend.start();
    const err = await frontend.update({}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GORB_VIP_FAILED' });
    expect((err as Error).cause).toMatchObject({ message: 'ip addr add failed' });
    expect(server.requests()).toEqual([]);
    expect(await frontend.readiness()).toMatchObject({ ok: false });
    vipFails = false;
    await frontend.update({});
    expect(Object.keys(backends())).toHaveLength(2);
  });

  it('keeps the attached gauge: 0 before, 1 once registered, 0 after stop', async () => {
    const metrics = createMetrics({ prefix: 'feed_ingress', collectDefaultMetrics: false });
    frontend = make({ metrics });
    const value = async (): Promise<string> =>
      (await metrics.registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('feed_ingress_gorb_frontends_attached')) ?? '';
    await frontend.start();
    expect(await value()).toBe('feed_ingress_gorb_frontends_attached 0');
    await frontend.update({});
    expect(await value()).toBe('feed_ingress_gorb_frontends_attached 1');
    await frontend.stop();
    expect(await value()).toBe('feed_ingress_gorb_frontends_attached 0');
  });

  it('attaches after nginx in an updater chain and detaches before nginx stops', async () => {
    const order: string[] = [];
    const nginx: Updater<unknown> = {
      name: 'nginx',
      start: () => Promise.resolve(),
      update: () => {
        order.push(`nginx update (gorb backends: ${Object.keys(backends()).length})`);
        return Promise.resolve();
      },
      stop: () => {
        order.push(`nginx stop (gorb backends: ${Object.keys(backends()).length})`);
        return Promise.resolve();
      },
      health: () => ({ ok: true }),
      readiness: () => ({ ok: true }),
    };
    const chain = createUpdaterChain('feed-ingress', [nginx, frontend]);
    await chain.start();
    await chain.update({});
    await chain.stop();
    expect(order).toEqual(['nginx update (gorb backends: 0)', 'nginx stop (gorb backends: 0)']);
    expect(timeline).toEqual(['vip ensure', 'sleep 60000', 'vip remove']);
  });
});

describe('GorbFrontend options', () => {
  it.each([
    [{ instanceIp: 'node-1' }, 'gorb-ingress-instance-ip'],
    [{ services: [] }, 'gorb-services-definition'],
    [{ services: [{ name: 'a', port: 0 }] }, 'gorb-services-definition'],
    [{ backendWeight: 0 }, 'gorb-backend-weight'],
    [{ healthCheckInterval: '1m30s' }, 'gorb-backend-healthcheck-interval'],
    [{ vips: ['127.0.0.1; rm -rf /'] }, 'gorb-vip-loadbalancer'],
    [{ endpoint: 'gorb:4672' }, 'gorb-endpoint'],
    [{ drainDelayMs: -1 }, 'drain-delay'],
  ] as [GorbFrontendOptions, string][])('refuses %j naming --%s', (options, key) => {
    let err: unknown;
    try {
      new GorbFrontend(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
  });

  it('defaults to feed backend IDs for 127.0.0.1', () => {
    expect(new GorbFrontend({ manageLoopback: false }).backendIds).toEqual([
      'node-http-proxy-127.0.0.1',
      'node-https-proxy-127.0.0.1',
    ]);
  });
});
