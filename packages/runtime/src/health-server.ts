import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createNoopLogger, type Logger } from './logger-types.js';
import type { ProbeResult } from './updater.js';
import { errorMessage } from './errors.js';

/** What a check may return: a boolean, or `{ ok, message }` (the same shape as `Updater` probes). */
export type CheckResult = ProbeResult;

/**
 * A health or readiness check. May be sync or async. A check that throws, rejects or does not
 * settle within the server's `checkTimeoutMs` counts as failing. Checks of one kind run
 * concurrently with each other, so they must not depend on each other's order.
 */
export type HealthCheck = () => boolean | CheckResult | Promise<boolean | CheckResult>;

/** One check's outcome in a {@link HealthReport}. */
export interface CheckReport {
  name: string;
  ok: boolean;
  message?: string;
  durationMs: number;
}

/** The JSON body of `/healthz` and `/readyz`. `ok` is true when every check is (or there are none). */
export interface HealthReport {
  ok: boolean;
  checks: CheckReport[];
}

/** An app route handler. A throw or rejection answers 500 if nothing was sent yet. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options for {@link createHealthServer}. */
export interface HealthServerOptions {
  /** Interface to bind. Default `0.0.0.0` (probes come from the kubelet, not loopback). */
  host?: string;
  /** Port to bind; `0` picks a free one (see the address `listen` resolves). */
  port: number;
  /** Served on `/metrics` with its content type. Without it `/metrics` is 404. */
  registry?: Registry;
  /** Default: a no-op logger. */
  logger?: Logger;
  /** How long one check may take before it counts as failing. Default 5000 ms. */
  checkTimeoutMs?: number;
  /** How long `close` waits for in-flight requests before cutting connections. Default 5000 ms. */
  closeTimeoutMs?: number;
}

/** Where a {@link HealthServer} listens. `url` uses loopback when bound to a wildcard address. */
export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

/** The HTTP server for probes, metrics and a few app routes. */
export interface HealthServer {
  /** Adds a liveness check (answered on `/healthz`). Throws if the name is taken. Not idempotent. */
  addLivenessCheck(name: string, check: HealthCheck): void;
  /** Adds a readiness check (answered on `/readyz`). Throws if the name is taken. Not idempotent. */
  addReadinessCheck(name: string, check: HealthCheck): void;
  /**
   * Adds an app route for an exact path (query ignored). Throws if the method and path are taken
   * or the path is one of the built-in ones. May be called before or after `listen`.
   */
  addRoute(method: string, path: string, handler: RouteHandler): void;
  /** Starts listening. Rejects if the port cannot be bound or it was already called. */
  listen(): Promise<ListenAddress>;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `closeTimeoutMs`, then
   * closes the rest. Idempotent (later calls return the same promise); resolves once closed.
   */
  close(): Promise<void>;
  /** Runs every readiness check concurrently, as `/readyz` does. Never rejects. */
  checkReadiness(): Promise<HealthReport>;
  /** Runs every liveness check concurrently, as `/healthz` does. Never rejects. */
  checkLiveness(): Promise<HealthReport>;
}

const BUILT_IN = new Set(['/healthz', '/readyz', '/metrics']);

async function runCheck(name: string, check: HealthCheck, timeoutMs: number): Promise<CheckReport> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
    });
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    const r: CheckResult = typeof result === 'boolean' ? { ok: result } : result;
    return {
      name,
      ok: r.ok === true,
      ...(r.message === undefined ? {} : { message: r.message }),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    return {
      name,
      ok: false,
      message: errorMessage(err),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates (does not start) the health server: `GET`/`HEAD` `/healthz` and `/readyz` answer 200
 * when every check of that kind passes and 503 otherwise, with a {@link HealthReport} as JSON;
 * `/metrics` serves the registry. Unknown paths get 404, a known path with another method 405.
 */
export function createHealthServer(options: HealthServerOptions): HealthServer {
  const logger = options.logger ?? createNoopLogger();
  const checkTimeoutMs = options.checkTimeoutMs ?? 5000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  const liveness = new Map<string, HealthCheck>();
  const readiness = new Map<string, HealthCheck>();
  const routes = new Map<string, Map<string, RouteHandler>>();
  let closing: Promise<void> | undefined;
  let listening = false;

  const report = async (checks: Map<string, HealthCheck>): Promise<HealthReport> => {
    const results = await Promise.all(
      [...checks].map(([name, check]) => runCheck(name, check, checkTimeoutMs)),
    );
    return { ok: results.every((r) => r.ok), checks: results };
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, head: boolean): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(head ? undefined : text);
  };

  const builtIn = async (path: string, head: boolean, res: ServerResponse): Promise<boolean> => {
    if (path === '/healthz' || path === '/readyz') {
      const r = await report(path === '/healthz' ? liveness : readiness);
      if (!r.ok)
        logger.debug('probe failed', { path, failing: r.checks.filter((c) => !c.ok).map((c) => c.name) });
      sendJson(res, r.ok ? 200 : 503, r, head);
      return true;
    }
    if (path === '/metrics' && options.registry !== undefined) {
      const text = await options.registry.metrics();
      res.writeHead(200, {
        'content-type': options.registry.contentType,
        'content-length': Buffer.byteLength(text),
      });
      res.end(head ? undefined : text);
      return true;
    }
    return false;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (BUILT_IN.has(path)) {
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (await builtIn(path, method === 'HEAD', res)) return;
    }
    const byMethod = routes.get(path);
    const handler = byMethod?.get(method) ?? (method === 'HEAD' ? byMethod?.get('GET') : undefined);
    if (handler !== undefined) {
      await handler(req, res);
      return;
    }
    if (byMethod !== undefined) {
      res.writeHead(405, { allow: [...byMethod.keys()].join(', ') }).end();
      return;
    }
    sendJson(res, 404, { error: 'not found' }, method === 'HEAD');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('http handler failed', { path: req.url, err });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' }, false);
      else res.destroy();
    });
  });

  const addCheck = (kind: Map<string, HealthCheck>, what: string, name: string, check: HealthCheck): void => {
    if (kind.has(name)) throw new TypeError(`${what} check ${JSON.stringify(name)} already added`);
    kind.set(name, check);
  };

  return {
    addLivenessCheck: (name, check) => addCheck(liveness, 'liveness', name, check),
    addReadinessCheck: (name, check) => addCheck(readiness, 'readiness', name, check),
    addRoute(method, path, handler) {
      const m = method.toUpperCase();
      if (BUILT_IN.has(path)) throw new TypeError(`${path} is a built-in route`);
      if (!path.startsWith('/')) throw new TypeError(`route path must start with /: ${JSON.stringify(path)}`);
      const byMethod = routes.get(path) ?? new Map<string, RouteHandler>();
      if (byMethod.has(m)) throw new TypeError(`route ${m} ${path} already added`);
      byMethod.set(m, handler);
      routes.set(path, byMethod);
    },
    listen() {
      if (listening) return Promise.reject(new Error('health server: listen already called'));
      listening = true;
      const host = options.host ?? '0.0.0.0';
      return new Promise<ListenAddress>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(options.port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const urlHost =
            address.address === '0.0.0.0'
              ? '127.0.0.1'
              : address.address === '::'
                ? '[::1]'
                : address.family === 'IPv6'
                  ? `[${address.address}]`
                  : address.address;
          const bound = {
            host: address.address,
            port: address.port,
            url: `http://${urlHost}:${address.port}`,
          };
          logger.info('health server listening', bound);
          resolve(bound);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const timer = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
    checkReadiness: () => report(readiness),
    checkLiveness: () => report(liveness),
  };
}
