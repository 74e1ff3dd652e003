import { request } from 'node:http';

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
}

/** Where the endpoint listens and how long a call may take. */
export interface BackendsClientOptions {
  readonly port: number;
  /** The endpoint path; default `/configuration/backends`. */
  readonly path?: string;
  /** Per call; default 5000 ms. */
  readonly timeoutMs?: number;
}

/** A {@link BackendsClient} for the endpoint on 127.0.0.1:`port`. */
export function createBackendsClient(options: BackendsClientOptions): BackendsClient {
  const path = options.path ?? '/configuration/backends';
  const timeout = options.timeoutMs ?? 5000;
  const call = (method: 'GET' | 'POST', body?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path,
          method,
          agent: false,
          timeout,
          headers:
            body === undefined
              ? {}
              : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) },
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
      req.on('error', reject);
      req.end(body);
    });
  return {
    push: async (body) => {
      await call('POST', body);
    },
    storedHash: async () => /^hash (\S*)/m.exec(await call('GET'))?.[1] ?? '',
  };
}
