import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { captureLogger } from '@kube-edge/testkit';
import type { DispatcherRunConfig } from './config.js';
import { passTrigger } from './lua-mode.js';
import { buildModel } from './model/build.js';
import { chooseUpstreamMode } from './nginx-step.js';
import { config as makeConfig } from '../test/fixtures.js';

// The start-up choice of the upstream mode and the checks that depend on it. An explicit mode
// is taken as given (no nginx is run), so these need no nginx.
const base: DispatcherRunConfig = {
  ...makeConfig({ port: 8080 }),
  mock: false,
  eventWindowMs: 2000,
  nginxWorkDir: '/nonexistent/nginx',
  http: { port: 0 },
};
const empty = buildModel({ namespaces: [], pods: [], secrets: [] }, base);

describe('chooseUpstreamMode', () => {
  it('takes an explicit mode and logs it with the endpoint in Lua mode', async () => {
    const logger = captureLogger();
    expect(
      await chooseUpstreamMode({ ...base, upstreamMode: 'lua', backendsPort: 10300 }, empty, logger),
    ).toBe('lua');
    expect(await chooseUpstreamMode({ ...base, upstreamMode: 'reload' }, empty, logger)).toBe('reload');
    expect(logger.lines.map((l) => [l.message, l.meta['mode'], l.meta['endpoint']])).toEqual([
      ['upstream mode', 'lua', 'http://127.0.0.1:10300/configuration/backends'],
      ['upstream mode', 'reload', undefined],
    ]);
  });

  it('is reload in mock mode, with nothing logged or checked', async () => {
    const logger = captureLogger();
    expect(
      await chooseUpstreamMode({ ...base, mock: true, upstreamMode: 'lua', backendsPort: -1 }, empty, logger),
    ).toBe('reload');
    expect(logger.lines).toEqual([]);
  });

  it.each([
    ['a backends port out of range', { upstreamMode: 'reload', backendsPort: 70000 }, 'nginx-backends-port'],
    [
      'a backends port equal to PORT in Lua mode',
      { upstreamMode: 'lua', backendsPort: 8080 },
      'nginx-backends-port',
    ],
    [
      'health checks in Lua mode',
      { upstreamMode: 'lua', enableHealthChecks: true },
      'NGINX_ENABLE_HEALTH_CHECKS',
    ],
  ] as const)('refuses %s with a ConfigError naming it', async (_, over, key) => {
    const err = await chooseUpstreamMode({ ...base, ...over }, empty, captureLogger()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
  });

  it('allows the backends port equal to PORT in reload mode (the endpoint is not rendered)', async () => {
    expect(
      await chooseUpstreamMode(
        { ...base, upstreamMode: 'reload', backendsPort: 8080 },
        empty,
        captureLogger(),
      ),
    ).toBe('reload');
  });
});

describe('passTrigger', () => {
  it("keeps the original's window in reload mode and follows changes within 100 ms in Lua mode", () => {
    expect(passTrigger('reload', 2000)).toEqual({ quietMs: 2000, maxWaitMs: 2000, minIntervalMs: 2000 });
    expect(passTrigger('lua', 2000)).toEqual({ quietMs: 100, maxWaitMs: 500, minIntervalMs: 200 });
    expect(passTrigger('lua', 50)).toEqual({ quietMs: 50, maxWaitMs: 50, minIntervalMs: 50 });
  });
});
