import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  createNginxProcess,
  createNginxUpdater,
  renderNginxConfig,
  type NginxUpdater,
  type Upstream,
} from '@kube-edge/nginx-render';
import { ConfigError, type Logger, type Metrics } from '@kube-edge/runtime';
import { createBackendsClient, type BackendsClient } from './backends-client.js';
import type { DispatcherRunConfig } from './config.js';
import {
  BACKENDS_PATH,
  DEFAULT_BACKENDS_PORT,
  LUA_REQUIRED_FILES,
  isPodUpstream,
  membershipOf,
  withLuaBalancer,
  type LuaModeOptions,
  type UpstreamMode,
} from './lua-mode.js';
import type { DispatcherModel } from './model/types.js';

/** The dispatcher's nginx step: nginx-render's updater plus the upstream mode. */
export interface DispatcherNginxStep extends NginxUpdater<DispatcherModel> {
  /** The mode it was created with. */
  readonly mode: UpstreamMode;
  /** Whether the live config uses the Lua balancer (false in reload mode and after a fallback). */
  luaLive(): boolean;
}

/**
 * Settles `--nginx-upstream-mode`: `lua` and `reload` as given; `auto` is `lua` when the Lua
 * modules are installed (`fileExists` of {@link LUA_REQUIRED_FILES}) and `nginx -t` accepts the
 * Lua config of `initialModel`, else `reload` (always with NGINX_ENABLE_HEALTH_CHECKS); with the
 * reason, for the start-up log line.
 */
export async function decideUpstreamMode(
  config: DispatcherRunConfig,
  initialModel: DispatcherModel,
  deps: { fileExists?: (path: string) => boolean; lua?: Omit<LuaModeOptions, 'backendsPort'> } = {},
): Promise<{ mode: UpstreamMode; reason: string }> {
  const choice = config.upstreamMode ?? 'reload';
  if (choice !== 'auto') return { mode: choice, reason: `--nginx-upstream-mode=${choice}` };
  if (config.enableHealthChecks)
    return {
      mode: 'reload',
      reason:
        'NGINX_ENABLE_HEALTH_CHECKS=true (nginx_upstream_check_module checks the servers of the config)',
    };
  const exists = deps.fileExists ?? existsSync;
  const missing = LUA_REQUIRED_FILES.filter((f) => !exists(f));
  if (missing.length > 0)
    return { mode: 'reload', reason: `the Lua modules are not installed (missing ${missing.join(', ')})` };
  const proc = createNginxProcess({
    workDir: config.nginxWorkDir,
    ...(config.nginxBinary !== undefined ? { binary: config.nginxBinary } : {}),
  });
  const lua = withLuaBalancer(initialModel.nginx, {
    ...deps.lua,
    backendsPort: config.backendsPort ?? DEFAULT_BACKENDS_PORT,
  });
  const result = await proc.test(renderNginxConfig(lua));
  if (!result.ok)
    return {
      mode: 'reload',
      reason: `nginx refused the Lua config: ${result.output.split('\n').find((l) => l.includes('emerg')) ?? result.output}`,
    };
  return { mode: 'lua', reason: 'the Lua modules are installed and nginx accepts them' };
}

/**
 * The upstream mode the dispatcher runs in, checked against the rest of the config: the
 * backends port in range and (in Lua mode) apart from PORT and SSL_PORT, no health checks in Lua
 * mode. Logs the mode, its reason and (Lua mode) the endpoint once; `reload` in mock mode.
 */
export async function chooseUpstreamMode(
  config: DispatcherRunConfig,
  initialModel: DispatcherModel,
  logger: Logger,
): Promise<UpstreamMode> {
  if (config.mock) return 'reload';
  const backendsPort = config.backendsPort ?? DEFAULT_BACKENDS_PORT;
  if (!Number.isInteger(backendsPort) || backendsPort <= 0 || backendsPort >= 65536)
    throw new ConfigError(`invalid --nginx-backends-port: ${backendsPort}`, { key: 'nginx-backends-port' });
  const { mode, reason } = await decideUpstreamMode(config, initialModel);
  if (
    mode === 'lua' &&
    (backendsPort === config.port || (config.ssl !== undefined && backendsPort === config.sslPort))
  )
    throw new ConfigError('--nginx-backends-port must differ from PORT and SSL_PORT', {
      key: 'nginx-backends-port',
    });
  if (mode === 'lua' && config.enableHealthChecks)
    throw new ConfigError(
      'NGINX_ENABLE_HEALTH_CHECKS needs --nginx-upstream-mode=reload (nginx_upstream_check_module checks the servers of the config)',
      { key: 'NGINX_ENABLE_HEALTH_CHECKS' },
    );
  logger.info('upstream mode', {
    mode,
    reason,
    ...(mode === 'lua' ? { endpoint: `http://127.0.0.1:${backendsPort}${BACKENDS_PATH}` } : {}),
  });
  return mode;
}

/** Seams of {@link createDispatcherNginxStep}. */
export interface DispatcherNginxStepDeps {
  logger: Logger;
  metrics: Metrics;
  initialModel: DispatcherModel;
  /** From {@link decideUpstreamMode}. */
  mode: UpstreamMode;
  onFatal?: (reason: string) => void;
  /** Default: the endpoint on 127.0.0.1:`config.backendsPort`, with `backendsToken`. */
  backends?: BackendsClient;
  /** The endpoint's token (tests); default 16 random bytes, hex. */
  backendsToken?: string;
  /** Lua file locations (tests); default the app's `lua/` and Debian's paths. */
  lua?: Omit<LuaModeOptions, 'backendsPort'>;
}

/**
 * The dispatcher's nginx apply step: nginx-render's updater with the dispatcher's render, its
 * per-host TLS files (`<SSL_CERT_DIR>/<host>/…`, a host's files removed once a config without it
 * is live; `SSL_CERT`/`SSL_KEY` are never removed) and metric prefix `dispatcher_nginx_`.
 * `start` starts nginx with `initialModel` (the empty-cluster config), so nginx comes up and
 * answers its status path even while the API server is unreachable. A config nginx refuses makes
 * `update` throw `NginxConfigTestError` (terminal: the previous config keeps serving). `onFatal`
 * is called when nginx exits on its own.
 *
 * In Lua mode the config has no pods in it: `update` first pushes the membership to nginx's
 * endpoint (only when it differs from what nginx holds, which also re-seeds an nginx that lost
 * it), then applies the config, which reloads only when hosts, paths, TLS or settings changed.
 * Until that reload the pushed membership also keeps the upstreams the live config still routes
 * to; once the new config is live, they are dropped. A push that fails (nginx refused it, could
 * not store it, or did not answer) falls back to a reload with the members in the config, so
 * routing is never stale; the next pass tries Lua again.
 */
export function createDispatcherNginxStep(
  config: DispatcherRunConfig,
  deps: DispatcherNginxStepDeps,
): DispatcherNginxStep {
  const log = deps.logger.child({ component: 'nginx' });
  const token = deps.backendsToken ?? randomBytes(16).toString('hex');
  const luaOptions: LuaModeOptions = {
    ...deps.lua,
    backendsPort: config.backendsPort ?? DEFAULT_BACKENDS_PORT,
    token,
  };
  const backends = deps.backends ?? createBackendsClient({ port: luaOptions.backendsPort, token });
  const pushes = deps.metrics.counter(
    'nginx_membership_pushes_total',
    'Pod membership pushes to nginx (Lua mode) by result: ok, failed (then a reload with the members in the config).',
    ['result'],
  );
  const modeGauge = deps.metrics.gauge('upstream_mode', 'The upstream mode in use (1 for the mode label).', [
    'mode',
  ]);
  const mode = deps.mode;
  modeGauge.set({ mode }, 1);
  /** Whether render() gives the Lua config (false in reload mode and during a fallback). */
  let renderLua = mode === 'lua';
  let liveLua = false;
  /** The pod upstreams of the live config, with their members (kept in the push until the reload that drops them). */
  let liveUpstreams: readonly Upstream[] = [];

  const inner = createNginxUpdater<DispatcherModel>({
    render: (m) => ({
      config: renderNginxConfig(mode === 'lua' ? withLuaBalancer(m.nginx, luaOptions, renderLua) : m.nginx),
      tlsFiles: m.sslFiles,
    }),
    initialModel: deps.initialModel,
    workDir: config.nginxWorkDir,
    tlsDir: config.sslCertDir,
    tlsSubdirectories: true,
    ...(config.ssl !== undefined ? { keepFiles: [config.ssl.cert, config.ssl.key] } : {}),
    ...(config.nginxBinary !== undefined ? { binary: config.nginxBinary } : {}),
    logger: deps.logger,
    registry: deps.metrics.registry,
    metricPrefix: 'dispatcher_nginx_',
    stopTimeoutMs: config.nginxStopTimeoutMs ?? 10_000,
    // Lua mode runs passes soon after a change (membership needs no reload); reloads for host,
    // path, TLS or settings changes stay at most one per event window, as in reload mode.
    ...(mode === 'lua' ? { minReloadIntervalMs: config.eventWindowMs } : {}),
    summarize: (m) => ({ hosts: m.stats.hosts, upstreams: m.stats.upstreams, servers: m.stats.servers }),
    onUnexpectedExit: (exit) =>
      deps.onFatal?.(`nginx exited unexpectedly (code ${String(exit.code)}, signal ${String(exit.signal)})`),
  });

  /** Pushes a membership unless nginx already holds it. Throws on any failure. */
  const push = async (body: string, hash: string): Promise<boolean> => {
    if ((await backends.storedHash()) === hash) return false;
    await backends.push(body);
    pushes.inc({ result: 'ok' });
    return true;
  };

  return {
    ...inner,
    mode,
    luaLive: () => liveLua,
    async stop() {
      backends.close();
      await inner.stop();
    },
    async start() {
      await inner.start();
      liveLua = renderLua;
      liveUpstreams = deps.initialModel.nginx.upstreams.filter(isPodUpstream);
      if (liveLua) {
        // A new nginx holds no membership: seed it (the empty cluster's) before the first pass.
        const seed = membershipOf(deps.initialModel.nginx);
        try {
          await push(seed.body, seed.hash);
        } catch (err) {
          pushes.inc({ result: 'failed' });
          log.warn('membership push failed: falling back to a reload', { err });
          renderLua = false;
        }
      }
    },
    async update(model, signal) {
      if (mode !== 'lua') return inner.update(model, signal);
      const desired = membershipOf(model.nginx);
      // Before the config: the new members plus the upstreams the live config still routes to,
      // so neither the old config (until the reload) nor the new one meets an upstream without members.
      const before = liveLua ? membershipOf(model.nginx, liveUpstreams) : desired;
      renderLua = true;
      try {
        await push(before.body, before.hash);
      } catch (err) {
        pushes.inc({ result: 'failed' });
        log.warn('membership push failed: falling back to a reload', { err });
        renderLua = false;
      }
      await inner.update(model, signal);
      liveLua = renderLua;
      liveUpstreams = model.nginx.upstreams.filter(isPodUpstream);
      if (liveLua && before.hash !== desired.hash) {
        // The new config is live: drop the upstreams it no longer has. Harmless if this fails
        // (nothing routes to them any more); the next pass tries again.
        await push(desired.body, desired.hash).catch((err: unknown) =>
          log.warn('membership push after the reload failed', { err }),
        );
      }
    },
  };
}
