import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeEdgeError } from '@kube-edge/runtime';

/** A Kubernetes API error with the HTTP status and, when the server sent one, its `Status` reason. */
export class KubeApiError extends KubeEdgeError {
  /** HTTP status code (e.g. 404, 409, 410, 500); 0 when no response arrived. */
  readonly statusCode: number;
  /** `Status.reason` from the body, e.g. `NotFound`, `Conflict`, `Expired`. */
  readonly reason: string | undefined;
  constructor(message: string, statusCode: number, reason?: string, options?: { cause?: unknown }) {
    super(message, {
      code: `KUBE_API_${statusCode}`,
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }

  /**
   * As controller-runtime and client-go treat them: conflicts (409), throttling (429), timeouts
   * (408, 504, no response), server errors (5xx) and 401 (a projected ServiceAccount token is
   * rotated on disk; the next request reads the new one) are worth retrying; any other 4xx
   * (forbidden, invalid, not found) fails the same way again, so it is terminal for the pass or key.
   */
  override get retryable(): boolean {
    const s = this.statusCode;
    return s === 0 || s === 401 || s === 408 || s === 409 || s === 410 || s === 429 || s >= 500 || s < 400;
  }
}

/** The status code of a {@link KubeApiError} (or of any error with a numeric `statusCode`/`code`), else undefined. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  if (typeof err === 'object' && err !== null) {
    const rec = err as { statusCode?: unknown; code?: unknown };
    if (typeof rec.statusCode === 'number') return rec.statusCode;
    if (typeof rec.code === 'number') return rec.code;
  }
  return undefined;
}

/** One request to the API server. */
export interface KubeRequest {
  /** Default GET. */
  method?: string;
  /** Absolute API path, e.g. `/apis/networking.k8s.io/v1/namespaces/default/ingresses`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialised as JSON. */
  body?: unknown;
  /** Default `application/json`; use `application/merge-patch+json` for merge patches. */
  contentType?: string;
  signal?: AbortSignal;
  /** Socket inactivity timeout in ms (no bytes sent or received for this long). Default: the client's `requestTimeoutMs`. */
  timeoutMs?: number;
}

/** One line of a watch stream. */
export interface WatchEvent {
  type: string;
  object: unknown;
}

/** Options of one watch call. */
export interface KubeWatchRequest {
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Aborting ends the watch; the promise then resolves. */
  signal?: AbortSignal;
  /** The watch fails when no bytes arrive for this long. Default 0 (never). */
  idleTimeoutMs?: number;
}

/**
 * A small REST client over the connection settings of a client-node `KubeConfig`.
 * Stateless apart from the agent cached by the KubeConfig; safe to call concurrently.
 */
export interface KubeClient {
  /** Sends one request; resolves with the parsed JSON body, rejects with {@link KubeApiError} on a non-2xx status. */
  request<T>(req: KubeRequest): Promise<T>;
  /**
   * Streams a watch (`?watch=true` is added). Calls `onEvent` for each line in order. Resolves
   * when the server closes the stream cleanly or `signal` aborts; rejects on a non-200 status,
   * a socket error, an idle timeout, a line longer than `maxWatchLineBytes`, or when `onEvent`
   * throws (the stream is then closed).
   */
  watch(req: KubeWatchRequest, onEvent: (event: WatchEvent) => void): Promise<void>;
  /** The `User-Agent` sent on every request. */
  readonly userAgent: string;
}

/** Options for {@link createKubeClient}. */
export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  /** Sent as `User-Agent`, e.g. from {@link kubeEdgeUserAgent}. Default `kube-edge`. */
  userAgent?: string;
  /** Default inactivity timeout of non-watch requests in ms. Default 30000. */
  requestTimeoutMs?: number;
  /**
   * Longest watch line (one event) kept in memory, in bytes of text; a longer one fails the
   * watch. Default 64 MiB, far above any object the API server stores (etcd caps at 1.5 MiB).
   */
  maxWatchLineBytes?: number;
}

function buildUrl(
  server: string,
  path: string,
  query?: Record<string, string | number | boolean | undefined>,
): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url;
}

function parseStatus(body: string): { message?: string; reason?: string } {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; reason?: unknown };
    return {
      ...(typeof parsed.message === 'string' ? { message: parsed.message } : {}),
      ...(typeof parsed.reason === 'string' ? { reason: parsed.reason } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * client-node refuses an `http:` server unless `insecure-skip-tls-verify` is set, although TLS
 * settings mean nothing there (kubectl accepts it, e.g. for `kubectl proxy`). Returns a copy with
 * that flag set on plain-HTTP clusters; the input is not modified.
 */
export function allowPlainHttp(kc: KubeConfig): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (cluster === null || !cluster.server.startsWith('http:') || cluster.skipTLSVerify) return kc;
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}

/**
 * Creates a {@link KubeClient}. TLS, client certificates and tokens come from the KubeConfig
 * (`applyToHTTPSOptions`), so every auth method client-node supports works here too.
 */
export function createKubeClient(options: KubeClientOptions): KubeClient {
  const kc = allowPlainHttp(options.kubeConfig);
  const userAgent = options.userAgent ?? 'kube-edge';
  const defaultTimeout = options.requestTimeoutMs ?? 30_000;
  const maxLine = options.maxWatchLineBytes ?? 64 * 1024 * 1024;

  async function prepare(
    url: URL,
    method: string,
    extraHeaders: Record<string, string>,
  ): Promise<{ mod: typeof http | typeof https; opts: https.RequestOptions }> {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (typeof v === 'string') headers[k] = v;
      else if (typeof v === 'number') headers[k] = String(v);
    }
    Object.assign(headers, { 'User-Agent': userAgent, Accept: 'application/json' }, extraHeaders);
    opts.headers = headers;
    opts.method = method;
    const mod = url.protocol === 'https:' ? https : http;
    return { mod, opts };
  }

  function server(): string {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  }

  return {
    userAgent,
    async request<T>(req: KubeRequest): Promise<T> {
      const url = buildUrl(server(), req.path, req.query);
      const method = req.method ?? 'GET';
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      const extra: Record<string, string> = {};
      if (payload !== undefined) {
        extra['Content-Type'] = req.contentType ?? 'application/json';
        extra['Content-Length'] = String(Buffer.byteLength(payload));
      }
      const { mod, opts } = await prepare(url, method, extra);
      const timeoutMs = req.timeoutMs ?? defaultTimeout;
      return new Promise<T>((resolve, reject) => {
        const r = mod.request(url, { ...opts, ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              const st = parseStatus(body);
              reject(
                new KubeApiError(
                  st.message ?? `HTTP ${status} from ${method} ${req.path}`,
                  status,
                  st.reason,
                ),
              );
              return;
            }
            try {
              resolve((body === '' ? {} : JSON.parse(body)) as T);
            } catch (err) {
              reject(new KubeApiError('invalid JSON in response', status, undefined, { cause: err }));
            }
          });
        });
        r.setTimeout(timeoutMs, () => r.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
        r.on('error', reject);
        r.end(payload);
      });
    },

    async watch(req: KubeWatchRequest, onEvent: (event: WatchEvent) => void): Promise<void> {
      const url = buildUrl(server(), req.path, { ...req.query, watch: 'true' });
      const { mod, opts } = await prepare(url, 'GET', {});
      const signal = req.signal;
      if (signal?.aborted === true) return;
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        let idleTimer: NodeJS.Timeout | undefined;
        const finish = (err?: unknown): void => {
          if (settled) return;
          settled = true;
          if (idleTimer !== undefined) clearTimeout(idleTimer);
          signal?.removeEventListener('abort', onAbort);
          r.destroy();
          if (err === undefined || signal?.aborted === true) resolve();
          else reject(err instanceof Error ? err : new Error('watch failed', { cause: err }));
        };
        const onAbort = (): void => finish();
        const armIdle = (): void => {
          if (!req.idleTimeoutMs) return;
          if (idleTimer !== undefined) clearTimeout(idleTimer);
          idleTimer = setTimeout(() => finish(new Error('watch idle timeout')), req.idleTimeoutMs);
          idleTimer.unref();
        };
        const r = mod.request(url, opts, (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (e) => finish(e));
            res.on('end', () => {
              const st = parseStatus(Buffer.concat(chunks).toString('utf8'));
              finish(
                new KubeApiError(st.message ?? `HTTP ${status} from watch ${req.path}`, status, st.reason),
              );
            });
            return;
          }
          armIdle();
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            armIdle();
            buffered += chunk;
            let nl = buffered.indexOf('\n');
            while (nl >= 0 && !settled) {
              const line = buffered.slice(0, nl).trim();
              buffered = buffered.slice(nl + 1);
              if (line !== '') {
                let ev: WatchEvent;
                try {
                  ev = JSON.parse(line) as WatchEvent;
                } catch (err) {
                  finish(new Error('invalid JSON line in watch stream', { cause: err }));
                  return;
                }
                try {
                  onEvent(ev);
                } catch (err) {
                  finish(err);
                  return;
                }
              }
              nl = buffered.indexOf('\n');
            }
            // A server or proxy that never ends a line must not grow this buffer without bound.
            if (!settled && buffered.length > maxLine) {
              finish(new Error(`watch line longer than ${maxLine} bytes`));
            }
          });
          // A truncated stream (socket destroyed mid-body) surfaces as 'aborted'/'error', not 'end'.
          res.on('aborted', () => finish(new Error('watch stream aborted')));
          res.on('error', (e) => finish(e));
          res.on('end', () => {
            if (res.complete) finish();
            else finish(new Error('watch stream ended early'));
          });
        });
        r.on('error', (e) => finish(e));
        signal?.addEventListener('abort', onAbort, { once: true });
        armIdle();
        r.end();
      });
    },
  };
}
