import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

/** A running echo backend. */
export interface EchoServer {
  /** `http://<host>:<port>`. */
  url: string;
  host: string;
  port: number;
  /** The name it reports in every answer, so a test can tell which backend served it. */
  name: string;
  /** HTTP requests received so far, WebSocket upgrades included. Non-blocking. */
  requestCount(): number;
  /**
   * Stops listening, ends open connections, WebSockets and pending delayed or streamed answers.
   * Idempotent; safe to call concurrently; resolves once the listener is closed.
   */
  close(): Promise<void>;
}

/** Options of {@link startEchoServer}. */
export interface EchoServerOptions {
  /** Any loopback address, e.g. `127.0.0.2`; Linux routes all of 127.0.0.0/8 to `lo`. Default `127.0.0.1`. */
  host?: string;
  /** Default 0: the kernel picks a free port (no race with other processes). */
  port?: number;
  /** Default `echo-<host>:<port>`. */
  name?: string;
}

/** The JSON body of every non-streamed echo answer. */
export interface EchoResponse {
  name: string;
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters; a repeated parameter becomes an array. */
  query: Record<string, string | string[]>;
  /** Request headers, lower-cased names, as node:http parsed them. */
  headers: Record<string, string | string[] | undefined>;
  /** The Host header, or `''` if none was sent. */
  host: string;
  /** Peer address: the proxy's address when the request came through nginx. */
  remoteAddress: string;
  /** The request body as UTF-8. */
  body: string;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_DELAY_MS = 60_000;
const MAX_STREAM_CHUNKS = 10_000;
const MAX_INTERVAL_MS = 10_000;

function intParam(query: URLSearchParams, name: string, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) return undefined;
  return Math.min(value, max);
}

function rawDataText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of query) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

/**
 * Starts an HTTP echo backend on `host:port`. Every request is answered with JSON
 * ({@link EchoResponse}) unless a query parameter says otherwise:
 * - `?status=N` answers with status N (100 < N < 600);
 * - `?delayMs=N` waits N ms (at most 60 s) before answering;
 * - `?stream=N` answers `application/x-ndjson`, N lines `{"name","chunk":i}` written
 *   `intervalMs` apart (default 20 ms; N at most 10000), so proxy buffering can be observed.
 *
 * A WebSocket upgrade on any path is accepted; every text message is sent back as
 * `<name>: <text>`, binary messages unchanged. Request bodies over 8 MiB get 413.
 * Non-blocking; resolves once listening; rejects if the address cannot be bound.
 */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const host = options.host ?? '127.0.0.1';
  let name = options.name ?? '';
  let count = 0;
  const timers = new Set<NodeJS.Timeout>();
  const upgradedSockets = new Set<Socket>();

  function later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  }

  function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', 'http://echo.invalid');
    const query = url.searchParams;
    const statusParam = intParam(query, 'status', 599);
    const status = statusParam !== undefined && statusParam > 100 ? statusParam : 200;
    const delayMs = intParam(query, 'delayMs', MAX_DELAY_MS) ?? 0;
    const streamChunks = intParam(query, 'stream', MAX_STREAM_CHUNKS);
    const intervalMs = intParam(query, 'intervalMs', MAX_INTERVAL_MS) ?? 20;

    const send = (): void => {
      if (response.destroyed) return;
      if (streamChunks !== undefined) {
        response.writeHead(status, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        response.flushHeaders();
        let chunk = 0;
        const next = (): void => {
          if (response.destroyed) return;
          if (chunk >= streamChunks) {
            response.end();
            return;
          }
          response.write(`${JSON.stringify({ name, chunk })}\n`);
          chunk += 1;
          later(intervalMs, next);
        };
        next();
        return;
      }
      const echo: EchoResponse = {
        name,
        method: request.method ?? '',
        path: url.pathname,
        query: queryRecord(query),
        headers: { ...request.headers },
        host: request.headers.host ?? '',
        remoteAddress: request.socket.remoteAddress ?? '',
        body,
      };
      const payload = JSON.stringify(echo);
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-echo-name': name,
      });
      response.end(payload);
    };
    if (delayMs > 0) {
      const timer = later(delayMs, send);
      response.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    } else {
      send();
    }
  }

  const server = createServer((request, response) => {
    count += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      if (tooLarge) {
        response.writeHead(413, { 'content-type': 'text/plain' });
        response.end('request body too large\n');
        return;
      }
      answer(request, response, Buffer.concat(chunks).toString('utf8'));
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    count += 1;
    upgradedSockets.add(socket);
    socket.on('close', () => upgradedSockets.delete(socket));
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) {
          ws.send(data, { binary: true });
        } else {
          ws.send(`${name}: ${rawDataText(data)}`);
        }
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('echo server has no TCP address');
  }
  const port = address.port;
  if (name === '') name = `echo-${host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    name,
    requestCount: () => count,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const client of wss.clients) client.terminate();
        for (const socket of upgradedSockets) socket.destroy();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
