import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeEdgeError, isTerminal, isTransient } from '@kube-edge/runtime';
import { KubeApiError, createKubeClient, statusCodeOf } from './kube-client.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A server whose watch streams `chunks` chunks of 64 KiB and never a newline. */
async function endlessLine(chunks: number): Promise<KubeConfig> {
  const s = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < chunks) {
        sent += 1;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('createKubeClient watch', () => {
  it('fails a watch whose line outgrows maxWatchLineBytes instead of buffering without bound', async () => {
    const client = createKubeClient({ kubeConfig: await endlessLine(64), maxWatchLineBytes: 1024 * 1024 });
    const events: unknown[] = [];
    await expect(client.watch({ path: '/api/v1/pods' }, (e) => events.push(e))).rejects.toThrow(
      /longer than 1048576 bytes/,
    );
    expect(events).toEqual([]);
  });
});

describe('KubeApiError', () => {
  it.each([
    [0, 'no response', true],
    [301, 'a redirect', true],
    [400, 'BadRequest', false],
    [401, 'Unauthorized', true],
    [403, 'Forbidden', false],
    [404, 'NotFound', false],
    [408, 'a request timeout', true],
    [409, 'Conflict', true],
    [410, 'Gone (expired resourceVersion)', true],
    [422, 'Invalid', false],
    [429, 'TooManyRequests', true],
    [500, 'InternalError', true],
    [503, 'ServiceUnavailable', true],
    [504, 'a gateway timeout', true],
  ])('classifies %i (%s) as retryable: %p', (status, _, retryable) => {
    const err = new KubeApiError('x', status);
    expect(err).toBeInstanceOf(KubeEdgeError);
    expect(err.retryable).toBe(retryable);
    expect(isTransient(err)).toBe(retryable);
    expect(isTerminal(err)).toBe(!retryable);
    expect(err).toMatchObject({ name: 'KubeApiError', code: `KUBE_API_${status}`, statusCode: status });
    expect(statusCodeOf(err)).toBe(status);
  });

  it('keeps the cause', () => {
    const cause = new SyntaxError('bad json');
    expect(new KubeApiError('invalid JSON in response', 200, undefined, { cause }).cause).toBe(cause);
  });
});
