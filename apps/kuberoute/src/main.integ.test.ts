import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  freePort,
  httpRequest,
  startSourceMain,
  startApiServer,
  tempDir,
  type ApiServer,
} from '@kube-edge/testkit';
import { configText, eventually, seedCluster } from '../test/cluster.js';

// Runs src/main.ts as a real process from the sources (testkit's startSourceMain), with the
// environment a pod gets.
const appDir = fileURLToPath(new URL('../', import.meta.url));

let api: ApiServer;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  api = await startApiServer();
  seedCluster(api);
  dir = await tempDir('kuberoute-main');
}, 60_000);

afterAll(async () => {
  await api?.close();
  await dir?.remove();
});

describe('main (the kuberoute process)', () => {
  it('serves with the config file port although a Service named kuberoute set KUBEROUTE_PORT=tcp://… (no crash loop)', async () => {
    const port = await freePort();
    const config = join(dir.path, 'config');
    writeFileSync(config, configText(api.url, 'fakedns').replace('port = 0', `port = ${port}`));
    // What Kubernetes injects into every pod of the namespace for `Service kuberoute` (port 8081)
    // unless enableServiceLinks is false: KUBEROUTE_PORT is the env name of --port.
    const serviceLinks = {
      KUBEROUTE_PORT: 'tcp://10.96.0.12:8081',
      KUBEROUTE_PORT_8081_TCP: 'tcp://10.96.0.12:8081',
      KUBEROUTE_PORT_8081_TCP_ADDR: '10.96.0.12',
      KUBEROUTE_PORT_8081_TCP_PORT: '8081',
      KUBEROUTE_PORT_8081_TCP_PROTO: 'tcp',
      KUBEROUTE_SERVICE_HOST: '10.96.0.12',
      KUBEROUTE_SERVICE_PORT: '8081',
    };
    // Its own process group, killed with anything it started even if this test fails or times out.
    const main = startSourceMain(
      appDir,
      [`--config=${config}`, '--log-level=debug', '--log-format=json'],
      serviceLinks,
      { timeoutMs: 90_000 },
    );
    const tracked = main.tracked;
    const exited = tracked.exited;
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    try {
      const health = await eventually(async () => {
        if (exitCode !== undefined) throw new Error(`kuberoute exited ${exitCode}:\n${main.output()}`);
        try {
          return await httpRequest({ url: `http://127.0.0.1:${port}/health` });
        } catch {
          return undefined;
        }
      }, 45_000);
      expect([health.status, health.body]).toEqual([200, 'I am healthy']);
      expect(main.output()).toContain('ignored env KUBEROUTE_PORT (for --port)');
    } finally {
      tracked.signal('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      await tracked.kill();
    }
  }, 90_000);
});
