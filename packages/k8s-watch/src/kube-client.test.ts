import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient } from './kube-client.js';

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
