import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  GORB_ERRORS,
  GorbFailure,
  decodeObject,
  familyOf,
  parseBackendOptions,
  parsePatchWeight,
  parseServiceOptions,
  type GorbServerBackendOptions,
  type GorbServerServiceOptions,
} from './gorb-options.js';
import { parseGorbInterval } from './interval.js';
import { probeBackend, type GorbPulseStatus } from './pulse-probe.js';
import { errorMessage } from '@kube-edge/runtime';

/** gorb's backend status codes as they appear in `GET /service/{vsID}/{rsID}` metrics. */
const STATUS_CODE: Readonly<Record<GorbPulseStatus, number>> = { up: 0, down: 1 };
const HISTORY = 100;

/** Options of {@link startGorbServer}. Every field is optional. */
export interface GorbServerOptions {
  /** Port to listen on (127.0.0.1). Default: a free port chosen by the kernel. */
  port?: number;
  /** The address a service created without `host` gets (gorb's `-i` interface address). Default `127.0.0.1`. */
  defaultHost?: string;
  /**
   * `manual` (default): pulses run only when the test calls `pulse()` or `reportPulse()`, so
   * weights change deterministically. `auto`: every backend is checked for real on its own
   * interval, the first check after a random delay in [0, interval), as gorb does.
   */
  pulses?: 'manual' | 'auto';
  /** Timeout of one pulse check. Default 5000 ms (gorb's). */
  pulseTimeoutMs?: number;
  /** Virtual services to create at start, validated as `PUT /service/{vsID}` would. */
  services?: Readonly<Record<string, Readonly<Partial<GorbServerServiceOptions>>>>;
}

/** One backend as the test server holds it. */
export interface GorbServerBackendState {
  id: string;
  /** The stored options; `options.weight` is the current IPVS weight. */
  options: GorbServerBackendOptions;
  /** Same as `options.weight`. */
  weight: number;
  /** The weight stashed when a pulse saw the backend Down, until recovery restores it. */
  stashedWeight: number | undefined;
  status: GorbPulseStatus;
  /** Fraction of Up among the last 100 checks; 1 before any check. */
  health: number;
  /** Number of pulse results applied so far. */
  checks: number;
}

/** One virtual service as the test server holds it. */
export interface GorbServerServiceState {
  id: string;
  options: GorbServerServiceOptions;
  /** Mean backend health; 1 with no backends. */
  health: number;
  /** Keyed by backend ID, in creation order. */
  backends: Record<string, GorbServerBackendState>;
}

/** A snapshot of the test server's table. */
export interface GorbServerState {
  /** Keyed by virtual service ID, in creation order. */
  services: Record<string, GorbServerServiceState>;
}

/** One request the test server received, in arrival order. */
export interface GorbServerRequest {
  method: string;
  /** Path and query as sent (still percent-encoded). */
  path: string;
  /** The body parsed as JSON; the raw text when it is not JSON; `undefined` when empty. */
  body: unknown;
  /** The status the server answered with. */
  status: number;
}

/** A running gorb-compatible test server. */
export interface GorbServer {
  /** `http://127.0.0.1:<port>`; stays the same across `restart`. */
  readonly url: string;
  readonly port: number;
  /** A deep copy of the current table. Synchronous; never throws. */
  state(): GorbServerState;
  /** Every request received since start (or the last `clearRequests`), restarts included. */
  requests(): GorbServerRequest[];
  clearRequests(): void;
  /**
   * Stops listening (dropping open connections, as a crashed daemon would) and listens again on
   * the same port. Without `keepState` (the default) the table is emptied, like gorb restarted
   * without a store. Resolves once listening again. Not safe concurrently with `stop`.
   */
  restart(options?: { keepState?: boolean }): Promise<void>;
  /**
   * The next `count` requests, whatever their route, get `status` with a gorb error body (500
   * carries gorb's IPVS error), or with `'reset'` have their connection destroyed without an
   * answer. Calls add up. Synchronous.
   */
  failNext(count: number, status: number | 'reset'): void;
  /**
   * Runs one real pulse check of the named backend (default: every backend) and applies the
   * result as gorb does (weight 0 and stash on Down, `int(stash × health)` on Up). Resolves when
   * applied; never rejects.
   */
  pulse(backendId?: string): Promise<void>;
  /** Applies a pulse result without checking anything. Throws if the backend does not exist. */
  reportPulse(backendId: string, status: GorbPulseStatus): void;
  /** Stops listening and every pulse timer. Idempotent. */
  stop(): Promise<void>;
}

interface Backend {
  id: string;
  options: GorbServerBackendOptions;
  stash: number | undefined;
  history: GorbPulseStatus[];
  status: GorbPulseStatus;
  upSince: number | undefined;
  checks: number;
  timer: NodeJS.Timeout | undefined;
}

interface Service {
  id: string;
  options: GorbServerServiceOptions;
  backends: string[];
}

const clone = <T>(v: T): T => structuredClone(v);

function healthOf(b: Backend): number {
  if (b.history.length === 0) return 1;
  return b.history.filter((s) => s === 'up').length / b.history.length;
}

/**
 * Starts an HTTP server on 127.0.0.1 that speaks gorb's REST API (kobolog/gorb; the testkit
 * README lists what it reproduces): its routes (unrouted methods get 405, unknown paths 404 as
 * gorilla/mux answers), status codes and `{"error": ...}` bodies, tab-indented JSON, defaults
 * (scheduler `wrr`, method `nat`, weight 100, pulse `tcp`/`1m`), the interval grammar, global
 * backend IDs with the unchecked vsID on backend GET/PATCH/DELETE, and the pulse weight logic
 * with integer truncation. It drives no IPVS table. Resolves once listening.
 */
export async function startGorbServer(options: GorbServerOptions = {}): Promise<GorbServer> {
  const defaultHost = options.defaultHost ?? '127.0.0.1';
  const pulseTimeoutMs = options.pulseTimeoutMs ?? 5000;
  const autoPulses = options.pulses === 'auto';
  const services = new Map<string, Service>();
  const backends = new Map<string, Backend>();
  const log: GorbServerRequest[] = [];
  const failures: (number | 'reset')[] = [];
  let stopped = false;

  const applyPulse = (b: Backend, status: GorbPulseStatus): void => {
    b.checks += 1;
    b.history.push(status);
    if (b.history.length > HISTORY) b.history.shift();
    b.status = status;
    if (status === 'down') {
      b.upSince = undefined;
      if (b.stash === undefined) {
        b.stash = b.options.weight;
        b.options.weight = 0;
      }
      return;
    }
    b.upSince ??= Date.now();
    if (b.stash !== undefined) {
      // gorb converts to an int32: small weights truncate to 0 (kobolog/gorb#47).
      const weight = Math.trunc(b.stash * healthOf(b));
      b.options.weight = weight;
      if (weight === b.stash) b.stash = undefined;
    }
  };

  const runPulse = async (b: Backend): Promise<void> => {
    const status = await probeBackend(b.options, pulseTimeoutMs);
    if (backends.get(b.id) === b) applyPulse(b, status);
  };

  const schedule = (b: Backend): void => {
    if (!autoPulses || stopped) return;
    const interval = parseGorbInterval(b.options.pulse.interval) ?? 60_000;
    const tick = (wait: number): void => {
      b.timer = setTimeout(() => {
        void runPulse(b).finally(() => {
          if (backends.get(b.id) === b && b.timer !== undefined) tick(interval);
        });
      }, wait);
      b.timer.unref();
    };
    tick(Math.floor(Math.random() * interval));
  };

  const unschedule = (b: Backend): void => {
    if (b.timer !== undefined) clearTimeout(b.timer);
    b.timer = undefined;
  };

  const removeBackend = (id: string): void => {
    const b = backends.get(id);
    if (b === undefined) return;
    unschedule(b);
    backends.delete(id);
    const svc = services.get(b.options.vsid);
    if (svc !== undefined) svc.backends = svc.backends.filter((x) => x !== id);
  };

  const serviceHealth = (svc: Service): number => {
    if (svc.backends.length === 0) return 1;
    let sum = 0;
    for (const id of svc.backends) {
      const b = backends.get(id);
      sum += b === undefined ? 1 : healthOf(b);
    }
    return sum / svc.backends.length;
  };

  const notFound = (): GorbFailure =>
    new GorbFailure(GORB_ERRORS.notFound.status, GORB_ERRORS.notFound.message);
  const exists = (): GorbFailure => new GorbFailure(GORB_ERRORS.exists.status, GORB_ERRORS.exists.message);

  const createService = async (vsId: string, body: Record<string, unknown>): Promise<void> => {
    if (services.has(vsId)) throw exists();
    const opts = await parseServiceOptions(body, defaultHost);
    if (services.has(vsId)) throw exists();
    services.set(vsId, { id: vsId, options: opts, backends: [] });
  };

  const createBackend = async (vsId: string, rsId: string, body: Record<string, unknown>): Promise<void> => {
    if (backends.has(rsId)) throw exists();
    if (!services.has(vsId)) throw notFound();
    const opts = await parseBackendOptions(body, vsId);
    const svc = services.get(vsId);
    if (svc === undefined) throw notFound();
    if (backends.has(rsId)) throw exists();
    if (familyOf(opts.host) !== familyOf(svc.options.host))
      throw new GorbFailure(400, 'incompatible address families');
    const b: Backend = {
      id: rsId,
      options: opts,
      stash: undefined,
      history: [],
      status: 'up',
      upSince: Date.now(),
      checks: 0,
      timer: undefined,
    };
    backends.set(rsId, b);
    svc.backends.push(rsId);
    schedule(b);
  };

  type Result = { status: number; json?: unknown; text?: string; contentType?: string };

  const route = async (method: string, segments: string[], raw: string): Promise<Result> => {
    const ok: Result = { status: 200 };
    const allowed = (methods: string[]): Result | undefined =>
      methods.includes(method) ? undefined : { status: 405 };
    if (segments.length === 1 && segments[0] === 'metrics') {
      return (
        allowed(['GET']) ?? { status: 200, text: metricsText(), contentType: 'text/plain; version=0.0.4' }
      );
    }
    if (segments[0] !== 'service' || segments.length > 3 || segments.slice(1).some((s) => s === '')) {
      return { status: 404, text: '404 page not found\n', contentType: 'text/plain; charset=utf-8' };
    }
    const [, vsId, rsId] = segments;
    if (vsId === undefined) {
      return allowed(['GET']) ?? { status: 200, json: [...services.keys()] };
    }
    if (rsId === undefined) {
      const bad = allowed(['GET', 'PUT', 'DELETE']);
      if (bad) return bad;
      if (method === 'PUT') {
        await createService(vsId, decodeObject(raw, 'core.ServiceOptions'));
        return ok;
      }
      const svc = services.get(vsId);
      if (svc === undefined) throw notFound();
      if (method === 'DELETE') {
        for (const id of [...svc.backends]) removeBackend(id);
        services.delete(vsId);
        return ok;
      }
      return {
        status: 200,
        json: { options: svc.options, health: serviceHealth(svc), backends: [...svc.backends] },
      };
    }
    const bad = allowed(['GET', 'PUT', 'PATCH', 'DELETE']);
    if (bad) return bad;
    if (method === 'PUT') {
      await createBackend(vsId, rsId, decodeObject(raw, 'core.BackendOptions'));
      return ok;
    }
    // gorb looks backends up by rsID alone: the vsID in the path is not checked.
    const b = backends.get(rsId);
    if (method === 'PATCH') {
      const weight = parsePatchWeight(decodeObject(raw, 'core.BackendOptions'));
      if (b === undefined) throw notFound();
      b.options.weight = weight;
      return ok;
    }
    if (b === undefined) throw notFound();
    if (method === 'DELETE') {
      removeBackend(rsId);
      return ok;
    }
    const uptimeMs = b.status === 'up' && b.upSince !== undefined ? Date.now() - b.upSince : 0;
    return {
      status: 200,
      json: {
        options: b.options,
        // time.Duration marshals as integer nanoseconds.
        metrics: { status: STATUS_CODE[b.status], health: healthOf(b), uptime: Math.round(uptimeMs * 1e6) },
      },
    };
  };

  const metricsText = (): string => {
    const lines: string[] = [];
    const esc = (v: string | number): string =>
      String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const gauge = (name: string, help: string, rows: [Record<string, string | number>, number][]): void => {
      lines.push(`# HELP gorb_${name} ${help}`, `# TYPE gorb_${name} gauge`);
      for (const [labels, value] of rows) {
        const l = Object.entries(labels)
          .map(([k, v]) => `${k}="${esc(v)}"`)
          .join(',');
        lines.push(`gorb_${name}{${l}} ${value}`);
      }
    };
    const svcRows = [...services.values()];
    const svcLabels = (s: Service): Record<string, string | number> => ({
      name: s.id,
      host: s.options.host,
      port: s.options.port,
      protocol: s.options.protocol,
    });
    gauge(
      'service_health',
      'Health of the virtual service.',
      svcRows.map((s) => [svcLabels(s), serviceHealth(s)]),
    );
    gauge(
      'service_backends',
      'Number of backends of the virtual service.',
      svcRows.map((s) => [svcLabels(s), s.backends.length]),
    );
    const bRows = [...backends.values()];
    const bLabels = (b: Backend): Record<string, string | number> => ({
      service_name: b.options.vsid,
      name: b.id,
      host: b.options.host,
      port: b.options.port,
    });
    const now = Date.now();
    gauge(
      'service_backend_uptime_seconds',
      'Uptime of the backend.',
      bRows.map((b) => [
        bLabels(b),
        b.status === 'up' && b.upSince !== undefined ? (now - b.upSince) / 1000 : 0,
      ]),
    );
    gauge(
      'service_backend_health',
      'Health of the backend.',
      bRows.map((b) => [bLabels(b), healthOf(b)]),
    );
    gauge(
      'service_backend_status',
      'Status of the backend (0 up, 1 down, 2 removed).',
      bRows.map((b) => [bLabels(b), STATUS_CODE[b.status]]),
    );
    gauge(
      'service_backend_weight',
      'IPVS weight of the backend.',
      bRows.map((b) => [bLabels(b), b.options.weight]),
    );
    return `${lines.join('\n')}\n`;
  };

  const send = (res: ServerResponse, r: Result): void => {
    if (r.json !== undefined) {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(r.json, null, '\t')}\n`);
    } else if (r.text !== undefined) {
      res.writeHead(r.status, { 'content-type': r.contentType ?? 'text/plain' });
      res.end(r.text);
    } else {
      res.writeHead(r.status, { 'content-length': '0' });
      res.end();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const rawPath = req.url ?? '/';
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
      }
    }
    const entry: GorbServerRequest = { method, path: rawPath, body, status: 0 };
    log.push(entry);
    const injected = failures.shift();
    if (injected === 'reset') {
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    let result: Result;
    if (injected !== undefined) {
      const message =
        injected === GORB_ERRORS.ipvs.status ? GORB_ERRORS.ipvs.message : `injected failure ${injected}`;
      result = { status: injected, json: { error: message } };
    } else {
      try {
        const pathname = rawPath.split('?')[0] ?? '/';
        const segments = pathname
          .split('/')
          .slice(1)
          .map((s) => decodeURIComponent(s));
        result = await route(method, segments, raw);
      } catch (err) {
        result =
          err instanceof GorbFailure
            ? { status: err.status, json: { error: err.message } }
            : { status: 400, json: { error: errorMessage(err) } };
      }
    }
    entry.status = result.status;
    send(res, result);
  };

  let server: Server | undefined;
  let port = options.port ?? 0;

  const listen = async (): Promise<void> => {
    // After a restart another process may briefly hold the port; a few bounded retries.
    for (let attempt = 0; ; attempt += 1) {
      const s = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) send(res, { status: 500, json: { error: 'internal test server error' } });
          else res.destroy();
        });
      });
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen({ host: '127.0.0.1', port }, () => {
            s.off('error', reject);
            resolve();
          });
        });
        server = s;
        port = (s.address() as AddressInfo).port;
        return;
      } catch (err) {
        if (attempt >= 20 || port === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        await delay(50);
      }
    }
  };

  const close = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s === undefined) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };

  for (const [id, opts] of Object.entries(options.services ?? {})) {
    await createService(id, { ...opts });
  }
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state() {
      const out: GorbServerState = { services: {} };
      for (const svc of services.values()) {
        const bs: Record<string, GorbServerBackendState> = {};
        for (const id of svc.backends) {
          const b = backends.get(id);
          if (b === undefined) continue;
          bs[id] = {
            id,
            options: clone(b.options),
            weight: b.options.weight,
            stashedWeight: b.stash,
            status: b.status,
            health: healthOf(b),
            checks: b.checks,
          };
        }
        out.services[svc.id] = {
          id: svc.id,
          options: clone(svc.options),
          health: serviceHealth(svc),
          backends: bs,
        };
      }
      return out;
    },
    requests: () => clone(log),
    clearRequests() {
      log.length = 0;
    },
    async restart(restartOptions = {}) {
      await close();
      for (const b of backends.values()) unschedule(b);
      if (restartOptions.keepState !== true) {
        services.clear();
        backends.clear();
      } else {
        for (const b of backends.values()) schedule(b);
      }
      await listen();
    },
    failNext(count, status) {
      for (let i = 0; i < count; i += 1) failures.push(status);
    },
    async pulse(backendId) {
      const targets =
        backendId === undefined
          ? [...backends.values()]
          : [backends.get(backendId)].filter((b) => b !== undefined);
      await Promise.all(targets.map((b) => runPulse(b)));
    },
    reportPulse(backendId, status) {
      const b = backends.get(backendId);
      if (b === undefined) throw new Error(`no backend ${backendId} on the gorb test server`);
      applyPulse(b, status);
    },
    async stop() {
      stopped = true;
      for (const b of backends.values()) unschedule(b);
      await close();
    },
  };
}
