import { Agent, request } from 'node:http';

/** The controller's side of the membership endpoint (nginx on 127.0.0.1, Lua mode). */
export interface BackendsClient {
  /**
   * Replaces the whole membership with `body` (see `membershipOf`). Resolves once nginx stored
   * it (every worker's next request uses it); rejects when nginx refused it (status and reason in
   * the message), could not store it, or did not answer within the timeout. Non-blocking; safe
   * to call concurrently (the last stored wins).
   */
  push(body: string): Promise<void>;
  /** The `hash` record of the stored membership ('' when none was pushed since nginx started). Rejects like `push`. */
  storedHash(): Promise<string>;
  /** Closes the kept-alive connection (idempotent; a later call opens a new one). */
  close(): void;
}

/** Where the endpoint listens and how long a call may take. */
export interface BackendsClientOptions {
  readonly port: number;
  /** The endpoint path; default `/configuration/backends`. */
  readonly path?: string;
  /** Per call; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Sent as `X-Dispatcher-Token` with every call (the endpoint's `token`). */
  readonly token?: string;
}

/** A {@link BackendsClient} for the endpoint on 127.0.0.1:`port`. */
export function createBackendsClient(options: BackendsClientOptions): BackendsClient {
  const path = options.path ?? '/configuration/backends';
  const timeout = options.timeoutMs ?? 5000;
  // One kept-alive connection: a pass makes a GET and maybe a POST, so no connect per call.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (method: 'GET' | 'POST', body: string | undefined): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path,
          method,
          agent,
          timeout,
          headers: {
            ...(options.token !== undefined ? { 'x-dispatcher-token': options.token } : {}),
            ...(body === undefined
              ? {}
              : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8').trim();
            if (res.statusCode === 200) resolve(text);
            else
              reject(
                new Error(`membership endpoint answered ${String(res.statusCode)}: ${text.slice(0, 200)}`),
              );
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`membership endpoint did not answer within ${timeout} ms`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // nginx may close an idle kept-alive connection just as it is reused: say so, so the
        // call is made once more on a fresh connection rather than taken for a failed push.
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
          reject(Object.assign(err, { staleSocket: true }));
        else reject(err);
      });
      req.end(body);
    });
  const call = (method: 'GET' | 'POST', body?: string): Promise<string> =>
    once(method, body).catch((err: unknown) => {
      if ((err as { staleSocket?: boolean }).staleSocket === true) return once(method, body);
      throw err;
    });
  return {
    push: async (body) => {
      await call('POST', body);
    },
    storedHash: async () => /^hash (\S*)/m.exec(await call('GET'))?.[1] ?? '',
    close: () => agent.destroy(),
  };
}
