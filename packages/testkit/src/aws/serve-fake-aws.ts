import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import type { HttpRequest } from '@smithy/protocol-http';
import type { FakeAwsRequestHandler } from './fake-aws.js';

/** A fake's request handler served over HTTP on a loopback port; see {@link serveFakeAws}. */
export interface ServedFakeAws {
  /** `http://127.0.0.1:<port>`: the value of `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`). */
  readonly url: string;
  /** Stops the server (open connections are closed). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the SDK request handler of {@link createFakeAws} (or of the Route 53 fake) on
 * 127.0.0.1, so a child process — the built `main.js` of an app — reaches the same stateful fakes
 * through the SDK's standard `AWS_ENDPOINT_URL` variable: every request is handed to `handler`
 * as the in-process clients' are, so the call log, faults and state are shared with the test.
 */
export async function serveFakeAws(handler: FakeAwsRequestHandler): Promise<ServedFakeAws> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const request = {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: url.pathname,
        query,
        headers,
        body: Buffer.concat(chunks),
      } as unknown as HttpRequest;
      void handler
        .handle(request)
        .then(async ({ response }) => {
          const out: Buffer[] = [];
          const body: unknown = response.body;
          if (body instanceof Readable) for await (const c of body) out.push(Buffer.from(c as Buffer));
          else if (typeof body === 'string' || body instanceof Uint8Array) out.push(Buffer.from(body));
          res.writeHead(response.statusCode, response.headers);
          res.end(Buffer.concat(out));
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('serveFakeAws: no address');
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
