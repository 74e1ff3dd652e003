import { Agent, request, type Dispatcher } from 'undici';
import {
  ConfigError,
  createNoopLogger,
  createSystemClock,
  sleep,
  type Clock,
  type Logger,
} from '@kube-edge/runtime';
import { GorbApiError } from './errors.js';
import type { GorbBackendInfo, GorbBackendOptions, GorbServiceInfo, GorbServiceOptions } from './types.js';

/** Options of {@link createGorbClient}. */
export interface GorbClientOptions {
  /** gorb base URL, e.g. `http://127.0.0.1:4672` (a path prefix is kept). */
  endpoint: string;
  /** Timeout of one attempt (connect, headers, body), in ms. Default 2000 (feed's). */
  timeoutMs?: number;
  /** Attempts per call, first included, for connection errors and 5xx. Default 3 (feed's pester client). */
  maxAttempts?: number;
  /** Wait before the first retry, doubled on each later one. Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Cap of the wait between retries. Default 2000 ms. */
  retryMaxDelayMs?: number;
  /** Times the waits between retries (runtime's `Clock`). Default: the system clock. */
  clock?: Clock;
  /** Default: a no-op logger. Retries are logged at debug. */
  logger?: Logger;
  /** Default: an undici Agent owned (and closed) by the client. A given dispatcher is not closed. */
  dispatcher?: Dispatcher;
}

/** The result of {@link GorbClient.status}. */
export interface GorbStatus {
  /** True when `GET /service` answered 200. */
  ok: boolean;
  statusCode?: number;
  /** Why it is not ok. */
  message?: string;
}

/**
 * A typed client for kobolog/gorb's REST API (services and backends under `/service`). Every call
 * is non-blocking, safe to call concurrently, and retried with exponential backoff on connection
 * errors and 5xx up to `maxAttempts`; 4xx are not retried. A call throws {@link GorbApiError} for
 * any status other than 200, except the `get*` calls, which resolve `undefined` on 404. Note that a
 * retried `PUT` whose first attempt reached gorb can come back as 409.
 */
export interface GorbClient {
  readonly endpoint: string;
  /** `GET /service`: the virtual service IDs. */
  listServices(): Promise<string[]>;
  /** `GET /service/{vsID}`; `undefined` when gorb has no such service. */
  getService(vsId: string): Promise<GorbServiceInfo | undefined>;
  /** `PUT /service/{vsID}`. Not idempotent: 409 when it exists. */
  createService(vsId: string, options: GorbServiceOptions): Promise<void>;
  /**
   * `PATCH /service/{vsID}`: only the sky-uk/gorb fork routes it; kobolog gorb answers 405,
   * which is thrown as a {@link GorbApiError}.
   */
  updateService(vsId: string, options: Partial<GorbServiceOptions>): Promise<void>;
  /** `DELETE /service/{vsID}`, with all its backends. 404 (thrown) when unknown. */
  deleteService(vsId: string): Promise<void>;
  /** `GET /service/{vsID}/{rsID}`; `undefined` on 404. */
  getBackend(vsId: string, rsId: string): Promise<GorbBackendInfo | undefined>;
  /** `PUT /service/{vsID}/{rsID}`. 409 when the backend ID exists in any service; 404 when the service does not. */
  createBackend(vsId: string, rsId: string, options: GorbBackendOptions): Promise<void>;
  /**
   * `PATCH /service/{vsID}/{rsID}`: gorb uses only `weight` (a missing weight means 0).
   * Idempotent. 404 (thrown) when the backend is unknown.
   */
  updateBackend(vsId: string, rsId: string, options: Partial<GorbBackendOptions>): Promise<void>;
  /** `DELETE /service/{vsID}/{rsID}`. 404 (thrown) when unknown. */
  deleteBackend(vsId: string, rsId: string): Promise<void>;
  /** One `GET /service` attempt, no retries, for health probes. Never throws. */
  status(): Promise<GorbStatus>;
  /** Closes the owned connection pool. Idempotent; later calls fail. */
  close(): Promise<void>;
}

interface Call {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Return undefined on 404 instead of throwing. */
  allow404?: boolean;
  attempts?: number;
}

function positiveInt(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`gorb client option ${key} must be a positive integer`, {
      code: 'INVALID_VALUE',
      key,
    });
  }
  return value;
}

/**
 * Creates a {@link GorbClient}. Synchronous; opens no connection until the first call. Throws
 * {@link ConfigError} when `endpoint` is not an http(s) URL or a number option is invalid.
 */
export function createGorbClient(options: GorbClientOptions): GorbClient {
  let base: URL;
  try {
    base = new URL(options.endpoint);
  } catch (err) {
    throw new ConfigError(`invalid gorb endpoint ${JSON.stringify(options.endpoint)}`, {
      code: 'INVALID_VALUE',
      key: 'gorb-endpoint',
      cause: err,
    });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ConfigError(`gorb endpoint must be an http(s) URL, got ${JSON.stringify(options.endpoint)}`, {
      code: 'INVALID_VALUE',
      key: 'gorb-endpoint',
    });
  }
  const prefix = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const timeoutMs = positiveInt(options.timeoutMs ?? 2000, 'timeoutMs');
  const maxAttempts = positiveInt(options.maxAttempts ?? 3, 'maxAttempts');
  const baseDelay = options.retryBaseDelayMs ?? 200;
  const maxDelay = options.retryMaxDelayMs ?? 2000;
  const clock = options.clock ?? createSystemClock();
  const logger = options.logger ?? createNoopLogger();
  const owned =
    options.dispatcher === undefined
      ? new Agent({ connectTimeout: timeoutMs, keepAliveTimeout: 4000 })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? owned!;

  const enc = encodeURIComponent;
  const svcPath = (vsId: string): string => `/service/${enc(vsId)}`;
  const backendPath = (vsId: string, rsId: string): string => `/service/${enc(vsId)}/${enc(rsId)}`;

  // One attempt: resolves the status and text, rejects only when no answer arrived.
  const attempt = async (c: Call): Promise<{ status: number; text: string }> => {
    const init: Parameters<typeof request>[1] = {
      method: c.method,
      dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    };
    if (c.body !== undefined) {
      init.body = JSON.stringify(c.body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await request(`${prefix}${c.path}`, init);
    const text = await res.body.text();
    return { status: res.statusCode, text };
  };

  const send = async (c: Call): Promise<string | undefined> => {
    const attempts = c.attempts ?? maxAttempts;
    for (let n = 1; ; n += 1) {
      let error: GorbApiError;
      try {
        const { status, text } = await attempt(c);
        if (status === 200) return text;
        if (status === 404 && c.allow404 === true) return undefined;
        const init: ConstructorParameters<typeof GorbApiError>[0] = {
          method: c.method,
          path: c.path,
          statusCode: status,
        };
        const message = gorbErrorMessage(text);
        if (message !== undefined) init.gorbMessage = message;
        error = new GorbApiError(init);
      } catch (err) {
        error = new GorbApiError({ method: c.method, path: c.path, cause: err });
      }
      if (!error.retryable || n >= attempts) throw error;
      const wait = Math.min(maxDelay, baseDelay * 2 ** (n - 1));
      logger.debug('gorb request failed, retrying', {
        method: c.method,
        path: c.path,
        statusCode: error.statusCode,
        attempt: n,
        waitMs: wait,
      });
      await sleep(clock, wait);
    }
  };

  const json = async <T>(c: Call): Promise<T | undefined> => {
    const text = await send(c);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new GorbApiError({
        method: c.method,
        path: c.path,
        statusCode: 200,
        gorbMessage: 'response is not JSON',
        cause: err,
      });
    }
  };

  let closed: Promise<void> | undefined;

  return {
    endpoint: prefix,
    async listServices() {
      return (await json<string[]>({ method: 'GET', path: '/service' })) ?? [];
    },
    getService: (vsId) => json<GorbServiceInfo>({ method: 'GET', path: svcPath(vsId), allow404: true }),
    async createService(vsId, body) {
      await send({ method: 'PUT', path: svcPath(vsId), body });
    },
    async updateService(vsId, body) {
      await send({ method: 'PATCH', path: svcPath(vsId), body });
    },
    async deleteService(vsId) {
      await send({ method: 'DELETE', path: svcPath(vsId) });
    },
    getBackend: (vsId, rsId) =>
      json<GorbBackendInfo>({ method: 'GET', path: backendPath(vsId, rsId), allow404: true }),
    async createBackend(vsId, rsId, body) {
      await send({ method: 'PUT', path: backendPath(vsId, rsId), body });
    },
    async updateBackend(vsId, rsId, body) {
      await send({ method: 'PATCH', path: backendPath(vsId, rsId), body });
    },
    async deleteBackend(vsId, rsId) {
      await send({ method: 'DELETE', path: backendPath(vsId, rsId) });
    },
    async status() {
      try {
        await send({ method: 'GET', path: '/service', attempts: 1 });
        return { ok: true, statusCode: 200 };
      } catch (err) {
        const e = err as GorbApiError;
        const r: GorbStatus = { ok: false, message: e.message };
        if (e.statusCode !== undefined) r.statusCode = e.statusCode;
        return r;
      }
    },
    close() {
      closed ??= owned === undefined ? Promise.resolve() : owned.close();
      return closed;
    },
  };
}

function gorbErrorMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'string'
    )
      return parsed.error;
  } catch {
    // Not gorb's JSON error shape (e.g. gorilla/mux's plain-text 404): keep the status only.
  }
  return undefined;
}
