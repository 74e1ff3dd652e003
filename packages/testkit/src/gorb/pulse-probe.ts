import { request } from 'node:http';
import { connect } from 'node:net';
import { pulseArg, type GorbServerBackendOptions } from './gorb-options.js';

/** The outcome of one gorb pulse check. */
export type GorbPulseStatus = 'up' | 'down';

/**
 * Runs one gorb pulse check of a backend for real: `none` is always up; `tcp` dials
 * host:port; `http` sends one request and is up only when the status equals `expect` (default
 * 200). Redirects are not followed and count as failures, even when `expect` is the redirect's
 * status (gorb's client errors out on them). Non-blocking; resolves within `timeoutMs`; never rejects.
 */
export async function probeBackend(
  options: GorbServerBackendOptions,
  timeoutMs: number,
): Promise<GorbPulseStatus> {
  const { type, args } = options.pulse;
  if (type === 'none') return 'up';
  const host = pulseArg(args, 'host', options.host);
  const port = pulseArg(args, 'port', options.port);
  if (host === '' || port <= 0 || port > 65535) return 'down';
  if (type === 'tcp') return probeTcp(host, port, timeoutMs);
  const method = pulseArg(args, 'method', 'GET') || 'GET';
  const path = pulseArg(args, 'path', '/') || '/';
  const expect = pulseArg(args, 'expect', 200);
  return probeHttp({ host, port, method, path: path.startsWith('/') ? path : `/${path}`, expect, timeoutMs });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function probeTcp(host: string, port: number, timeoutMs: number): Promise<GorbPulseStatus> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (status: GorbPulseStatus): void => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(timeoutMs, () => done('down'));
    socket.once('connect', () => done('up'));
    socket.once('error', () => done('down'));
  });
}

function probeHttp(o: {
  host: string;
  port: number;
  method: string;
  path: string;
  expect: number;
  timeoutMs: number;
}): Promise<GorbPulseStatus> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: GorbPulseStatus): void => {
      if (settled) return;
      settled = true;
      resolve(status);
    };
    const req = request(
      { host: o.host, port: o.port, method: o.method, path: o.path, agent: false, timeout: o.timeoutMs },
      (res) => {
        res.resume();
        // gorb's HTTP client refuses to follow redirects by returning an error, so a redirect is a
        // failed check whatever `expect` says.
        if (REDIRECTS.has(res.statusCode ?? 0) && res.headers.location !== undefined) done('down');
        else done(res.statusCode === o.expect ? 'up' : 'down');
      },
    );
    req.once('timeout', () => {
      req.destroy();
      done('down');
    });
    req.once('error', () => done('down'));
    req.end();
  });
}
