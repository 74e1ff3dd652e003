import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Location, NginxConfig, Server, Upstream } from '@kube-edge/nginx-render';
import { DEFAULT_LOCATION_UPSTREAM } from './model/build.js';

/** How pod membership reaches nginx: `lua` pushes it without a reload, `reload` renders it (the original's way). */
export type UpstreamMode = 'lua' | 'reload';

/** The `--nginx-upstream-mode` values: `auto` is `lua` when the Lua modules are installed. */
export type UpstreamModeChoice = 'auto' | UpstreamMode;

/** Debian's (bookworm) lua-nginx-module and its NDK dependency, loaded in the main context. */
export const LUA_NGINX_MODULES: readonly string[] = [
  '/usr/lib/nginx/modules/ndk_http_module.so',
  '/usr/lib/nginx/modules/ngx_http_lua_module.so',
];

/** Where Debian's lua-resty-core and lua-resty-lrucache install their modules. */
export const LUA_RESTY_DIR = '/usr/share/lua/5.1';

/** The files whose presence `auto` takes for "the Lua modules are installed". */
export const LUA_REQUIRED_FILES: readonly string[] = [
  ...LUA_NGINX_MODULES,
  `${LUA_RESTY_DIR}/resty/core.lua`,
  `${LUA_RESTY_DIR}/resty/lrucache.lua`,
];

/**
 * The app's Lua files (`lua/` beside `src/` and `dist/`, in the repository and in the image):
 * `dispatcher/store.lua` (the wire format and the shared dict), `dispatcher/balancer.lua`
 * (weighted round robin and passive health) and `backends.lua` (the endpoint).
 */
export const DISPATCHER_LUA_DIR: string = fileURLToPath(new URL('../lua', import.meta.url));

/** Default port of the membership endpoint on 127.0.0.1 (`--nginx-backends-port`). */
export const DEFAULT_BACKENDS_PORT = 10246;

/** The path of the membership endpoint (ingress-nginx's name for the same thing). */
export const BACKENDS_PATH = '/configuration/backends';

/** The shared dict holding the membership (the Lua files use this name). */
export const BACKENDS_DICT = 'dispatcher_backends';

/** Its size: kept constant, since nginx empties a shared dict whose size changes on reload. */
export const BACKENDS_DICT_SIZE = '32m';

/**
 * The header every call to the endpoint carries: a secret the controller picks at start (random,
 * never logged) and renders into the endpoint's location. The source check alone cannot tell the
 * controller from nginx itself: a route to a pod whose IP is loopback makes nginx proxy an
 * outside client's request to the endpoint from 127.0.0.1.
 */
export const BACKENDS_TOKEN_HEADER = 'X-Dispatcher-Token';

/** The largest body the endpoint takes (nginx's client_max_body_size; the Lua file checks it too). */
export const BACKENDS_MAX_BODY = '8m';

/** Where the Lua parts come from and where the endpoint listens. */
export interface LuaModeOptions {
  /** The endpoint's port on 127.0.0.1 (`--nginx-backends-port`). */
  readonly backendsPort: number;
  /** The value of {@link BACKENDS_TOKEN_HEADER} the endpoint requires (403 without it); no check when unset. */
  readonly token?: string;
  /** Default {@link DISPATCHER_LUA_DIR}. */
  readonly luaDir?: string;
  /** Default {@link LUA_NGINX_MODULES}. */
  readonly modules?: readonly string[];
  /** Default {@link LUA_RESTY_DIR}. */
  readonly restyDir?: string;
}

/** Whether an upstream's members are pushed in Lua mode (every pod upstream; not DEFAULT_LOCATION_RETURN's). */
export function isPodUpstream(u: Upstream): boolean {
  return u.id !== DEFAULT_LOCATION_UPSTREAM;
}

/**
 * The Lua mode of a rendered model: the modules loaded, the package path and shared dict, every
 * pod upstream reduced to nginx's placeholder server with the Lua balancer (so the config text
 * depends on hosts, paths, TLS and settings only, never on pods), and a server on 127.0.0.1
 * only for the membership endpoint (POST and GET from 127.0.0.1 with the token, body at most
 * {@link BACKENDS_MAX_BODY}; every other path 404). With `balance` false the upstreams keep their
 * members (the fallback after a failed push: the endpoint stays, so the next push can succeed). Pure.
 */
export function withLuaBalancer(
  model: NginxConfig,
  options: LuaModeOptions,
  /** false: keep the members in the upstreams (the fallback after a failed push; the endpoint stays). */
  balance = true,
): NginxConfig {
  const luaDir = options.luaDir ?? DISPATCHER_LUA_DIR;
  const endpoint: Location = {
    match: 'exact',
    path: BACKENDS_PATH,
    ...(options.token !== undefined
      ? { headerCheck: { header: BACKENDS_TOKEN_HEADER, value: options.token, status: 403 } }
      : {}),
    access: [
      { action: 'allow', source: '127.0.0.1' },
      { action: 'deny', source: 'all' },
    ],
    clientMaxBodySize: BACKENDS_MAX_BODY,
    // The whole body in memory: a larger one (about 450 pods past the 16k default) went to a temp
    // file that workers running as another user (nginx as root, workers as nobody) could not
    // open, so every push failed and each pass fell back to a reload.
    clientBodyBufferSize: BACKENDS_MAX_BODY,
    accessLog: 'off',
    action: { kind: 'lua_content', file: `${luaDir}/backends.lua` },
  };
  const server: Server = {
    comments: ['Pod membership endpoint of the dispatcher (Lua mode): 127.0.0.1 only'],
    listen: [{ address: '127.0.0.1', port: options.backendsPort }],
    serverNames: [],
    accessLog: 'off',
    locations: [endpoint, { match: 'prefix', path: '/', action: { kind: 'return', status: 404 } }],
  };
  return {
    ...model,
    main: {
      ...model.main,
      loadModules: [...(model.main?.loadModules ?? []), ...(options.modules ?? LUA_NGINX_MODULES)],
    },
    http: {
      ...model.http,
      lua: {
        packagePath: [`${luaDir}/?.lua`, `${options.restyDir ?? LUA_RESTY_DIR}/?.lua`],
        sharedDicts: [{ name: BACKENDS_DICT, size: BACKENDS_DICT_SIZE }],
        // the balancer's log(): counts the failure of a request's last try (passive health)
        logModule: 'dispatcher.balancer',
      },
    },
    upstreams: model.upstreams.map((u) =>
      balance && isPodUpstream(u)
        ? {
            id: u.id,
            ...(u.comment !== undefined ? { comment: u.comment } : {}),
            servers: [{ address: '0.0.0.1', comment: 'placeholder: the Lua balancer picks a pod' }],
            luaBalancer: { module: 'dispatcher.balancer' },
            ...(u.keepalive !== undefined ? { keepalive: u.keepalive } : {}),
          }
        : u,
    ),
    servers: [...model.servers, server],
  };
}

/** The membership of a model's pod upstreams in the endpoint's wire format, and its hash. */
export interface Membership {
  /** `upstream <id>` then `server <ip> <port> <weight>` lines, upstreams sorted by id. */
  readonly body: string;
  /** sha256 of the records (hex, 32 digits), sent as the `hash` record. */
  readonly hash: string;
  /** Upstream ids in the body. */
  readonly upstreams: readonly string[];
}

/**
 * The membership of every pod upstream of a (reload-mode) model: each server as its IP, port
 * (80 when the model leaves it out, as nginx does) and weight (1 when unset, as nginx does).
 * `extra` adds upstreams (with their members) that the model lacks, e.g. those a config still
 * live uses until the reload that drops them. Pure; the model's values are already validated.
 */
export function membershipOf(model: NginxConfig, extra: readonly Upstream[] = []): Membership {
  const ids = new Set<string>();
  const ups: Upstream[] = [];
  for (const u of [...model.upstreams, ...extra])
    if (isPodUpstream(u) && !ids.has(u.id)) {
      ids.add(u.id);
      ups.push(u);
    }
  ups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lines: string[] = [];
  for (const u of ups) {
    lines.push(`upstream ${u.id}`);
    for (const s of u.servers) lines.push(`server ${s.address} ${s.port ?? 80} ${s.weight ?? 1}`);
  }
  const records = lines.join('\n');
  const hash = createHash('sha256').update(records).digest('hex').slice(0, 32);
  return { body: `hash ${hash}\n${records}\n`, hash, upstreams: ups.map((u) => u.id) };
}

/**
 * The controller loop's pass timing for a mode and the event window (`eventWindowMs`). Reload
 * mode: the original's window (a batch applied one window after its first event, at most one
 * per window). Lua mode: a pass follows a change within 100 ms (pod membership needs no reload);
 * reloads stay at most one per window (the nginx step's rate limit).
 */
export function passTrigger(
  mode: UpstreamMode,
  windowMs: number,
): { quietMs: number; maxWaitMs: number; minIntervalMs: number } {
  return mode === 'lua'
    ? {
        quietMs: Math.min(windowMs, 100),
        maxWaitMs: Math.min(windowMs, 500),
        minIntervalMs: Math.min(windowMs, 200),
      }
    : { quietMs: windowMs, maxWaitMs: windowMs, minIntervalMs: windowMs };
}
