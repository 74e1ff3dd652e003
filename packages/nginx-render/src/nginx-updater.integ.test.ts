import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNoopLogger } from '@kube-edge/runtime';
import { freePort, tempDir } from '@kube-edge/testkit';
import { Registry } from 'prom-client';
import { buildFeedModel, defaultFeedModelConfig } from './model/index.js';
import { createNginxUpdater } from './nginx-updater.js';

describe('nginx updater', () => {
  let blocker: Server;
  let port: number;
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    port = await freePort();
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', r));
    dir = await tempDir('feed-nginx-updater');
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    await dir.remove();
  });

  it('asks the app to exit when nginx cannot start serving (port in use), since it cannot be started twice', async () => {
    const workDir = `${dir.path}/nginx`;
    const config = defaultFeedModelConfig({
      ingressPort: port,
      ingressHealthPort: await freePort(),
      defaultSslPath: undefined,
      nginx: { workDir, tempPathRoot: `${workDir}/tmp`, tlsDir: `${workDir}/tls` },
    });
    const model = buildFeedModel(
      { ingresses: [], services: [], namespaces: [], ingressClasses: [], secrets: [] },
      config,
    );
    const exits: unknown[] = [];
    const updater = createNginxUpdater({
      binary: '/usr/sbin/nginx',
      workDir,
      tlsDir: config.nginx.tlsDir,
      updatePeriodMs: 0,
      logger: createNoopLogger(),
      registry: new Registry(),
      onUnexpectedExit: (e) => exits.push(e),
    });
    await updater.start();
    await expect(updater.update(model)).rejects.toThrow();
    expect(exits).toHaveLength(1);
    expect(await updater.health()).toMatchObject({ ok: false, message: 'nginx failed to start' });
    await updater.stop();
  });
});
