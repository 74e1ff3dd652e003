import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { startApiServer, tempDir, type ApiServer } from '@kube-edge/testkit';
import { run } from './app.js';
import { kubeClientFor } from './clients.js';
import { parseConfig } from './config.js';
import { appConfig, configText, seedCluster } from '../test/cluster.js';

// [kubernetes_url] against an HTTPS API server: verify with the CA, verify = false, and a
// failed verification (reported as an unavailable API server, nothing written).
describe('kubeconfig_kind = kubernetes_url over TLS', () => {
  let api: ApiServer;
  let dir: { path: string; remove(): Promise<void> };
  let caFile: string;

  beforeAll(async () => {
    api = await startApiServer({ https: true });
    seedCluster(api);
    dir = await tempDir('kuberoute-ca');
    caFile = join(dir.path, 'ca.crt');
    writeFileSync(caFile, api.caPem ?? '');
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await dir?.remove();
  });

  const reconcileWith = async (section: string): Promise<{ outcome: string; lines: string[] }> => {
    const text = configText(api.url, 'fakedns').replace(/\[kubernetes_url\][\s\S]*$/, section);
    const lines: string[] = [];
    const parsed = parseConfig(text);
    const app = await run(appConfig(parsed), {
      logger: createNoopLogger(),
      kubeClient: kubeClientFor(parsed),
      metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
      print: (l) => lines.push(l),
    });
    try {
      return { outcome: (await app.reconcile()).outcome, lines };
    } finally {
      await app.stop();
    }
  };

  it('verifies the server with certificate_authority', async () => {
    const r = await reconcileWith(
      `[kubernetes_url]\nurl = ${api.url}\nverify = true\ncertificate_authority = ${caFile}\n`,
    );
    expect(r).toEqual({
      outcome: 'updated',
      lines: ["Update dns record (www.example.com, ['10.0.0.1', '10.0.0.2'], 60, A)"],
    });
  }, 60_000);

  it('skips verification with verify = no', async () => {
    expect((await reconcileWith(`[kubernetes_url]\nurl = ${api.url}\nverify = no\n`)).outcome).toBe(
      'updated',
    );
  }, 60_000);

  it('treats a server it cannot verify as unavailable and writes nothing', async () => {
    const r = await reconcileWith(`[kubernetes_url]\nurl = ${api.url}\nverify = yes\n`);
    expect(r).toEqual({ outcome: 'apiserver-unavailable', lines: [] });
  }, 60_000);
});
