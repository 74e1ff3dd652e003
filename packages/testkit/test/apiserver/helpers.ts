// Helpers shared by the API test server's own tests: raw HTTP calls, watch-stream readers, and
// the servers a fidelity suite runs against.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { realApiServerAvailable, startRealApiServer } from '../../src/apiserver/real-server.js';
import { startApiServer } from '../../src/apiserver/server.js';
import type { ApiServerHandle, ApiServerOptions } from '../../src/apiserver/types.js';
import { eventually } from '../../src/util/eventually.js';

export interface CallResult {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  // Test code reads arbitrary JSON shapes from the server.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from the server under test
  body: any;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  ca?: string;
}

/** One HTTP request to the server; the body is JSON-encoded unless it is a string. */
export function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const url = new URL(path, baseUrl);
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (payload !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/json';
    // node:http sends DELETE bodies without framing unless the length is given.
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      url,
      { method, headers, ...(options.ca !== undefined ? { ca: options.ca } : {}), timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from the server under test
  object: any;
}

export interface WatchReader {
  status: number;
  headers: IncomingMessage['headers'];
  events: WatchEvent[];
  /** Resolves when the stream ends: 'end' for a clean end, 'error' when the socket died. */
  done: Promise<'end' | 'error'>;
  /** Waits until at least `n` events arrived. */
  waitForCount(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  close(): void;
}

/** Opens a watch and collects its newline-delimited events. */
export function openWatch(
  baseUrl: string,
  path: string,
  ca?: string,
  headers: Record<string, string> = {},
): Promise<WatchReader> {
  const url = new URL(path, baseUrl);
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      url,
      {
        method: 'GET',
        headers: { Accept: 'application/json', ...headers },
        ...(ca !== undefined ? { ca } : {}),
      },
      (res) => {
        const events: WatchEvent[] = [];
        let settle: (v: 'end' | 'error') => void = () => undefined;
        const done = new Promise<'end' | 'error'>((r2) => {
          settle = r2;
        });
        let errored = false;
        res.on('error', () => {
          errored = true;
          settle('error');
        });
        res.on('aborted', () => {
          errored = true;
          settle('error');
        });
        res.on('close', () => settle(errored || !res.complete ? 'error' : 'end'));
        const lines = createInterface({ input: res });
        lines.on('error', () => settle('error'));
        lines.on('line', (line) => {
          if (line.trim() !== '') events.push(JSON.parse(line) as WatchEvent);
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          done,
          async waitForCount(n: number, timeoutMs = 3000): Promise<WatchEvent[]> {
            await waitFor(() => events.length >= n, timeoutMs, `${n} watch events (have ${events.length})`);
            return events;
          },
          close(): void {
            r.destroy();
          },
        });
      },
    );
    r.on('error', (err) => {
      // Errors after the response started are reported through `done`.
      reject(err);
    });
    r.end();
  });
}

/** Polls `cond` every 10 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  await eventually(cond, { timeoutMs, intervalMs: 10, what });
}

/** One server a fidelity suite runs against (see {@link fidelityServers}). */
export interface FidelityServer {
  /** The describe title: says why the real server is skipped when it is. */
  name: string;
  kind: 'fake' | 'real';
  /** False when the real server cannot run here (its describe is skipped). */
  available: boolean;
  start(): Promise<ApiServerHandle>;
}

/**
 * testkit's API test server (with `fakeOptions`) and a real kube-apiserver, for
 * `describe.each(fidelityServers())`: what both answer alike is asserted once; where they
 * differ, the suite asserts per server and the README lists the difference.
 */
export function fidelityServers(fakeOptions: ApiServerOptions = {}): FidelityServer[] {
  const real = realApiServerAvailable();
  return [
    { name: 'API test server', kind: 'fake', available: true, start: () => startApiServer(fakeOptions) },
    {
      name: real.available ? 'real kube-apiserver' : `real kube-apiserver (skipped: ${real.reason})`,
      kind: 'real',
      available: real.available,
      start: () => startRealApiServer(),
    },
  ];
}
