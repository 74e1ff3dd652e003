import { createServer } from 'node:net';

/**
 * Finds a TCP port that is free on `host` (default `127.0.0.1`) right now, by binding port 0
 * and closing again. Non-blocking; safe to call concurrently.
 *
 * The port is only free at the moment of the check: another process (other test workers share
 * the machine) may take it before the caller binds it, so launchers that own the bind retry on
 * "address in use".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listening socket has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
