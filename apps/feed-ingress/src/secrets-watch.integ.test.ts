import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNoopLogger } from '@kube-edge/runtime';
import {
  freePort,
  makeTestCertificate,
  startApiServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type TempDir,
} from '@kube-edge/testkit';
import { run } from './app.js';
import { feedIngressCli } from './cli.js';
import { configFromArgs } from './config.js';
import { kubeClientFor } from './kube-client.js';

// Secrets only hold spec.tls certificates, served only on an HTTPS port: without one (the chart's
// default) feed-ingress must not list, watch or cache any Secret, so it needs no Secret RBAC.
let api: ApiServer;
let dir: TempDir;

beforeAll(async () => {
  api = await startApiServer();
  dir = await tempDir('feed-ingress-secrets');
  await writeTestCertificate(
    dir.path,
    'default-ssl',
    await makeTestCertificate({ commonName: 'default.invalid' }),
  );
});

afterAll(async () => {
  await dir?.remove();
  await api?.close();
});

async function secretRequestsOfARun(https: boolean, queries: string[] = []): Promise<string[]> {
  api.clearRequests();
  const argv = [
    'static',
    '--ingress-class=edge',
    `--ingress-port=${await freePort()}`,
    ...(https ? [`--ingress-https-port=${await freePort()}`, `--ssl-path=${dir.path}/default-ssl`] : []),
    `--ingress-health-port=${await freePort()}`,
    '--health-port=0',
    `--nginx-workdir=${dir.path}/nginx-${https ? 'https' : 'http'}`,
    '--nginx-update-period=50ms',
  ];
  const parsed = feedIngressCli.parse(argv, {});
  if (parsed.kind !== 'run' || parsed.command === 'render')
    throw new Error(`unexpected parse: ${parsed.kind}`);
  const config = { ...configFromArgs(parsed, 'test-pod'), healthHost: '127.0.0.1', coalesceMs: 20 };
  const app = await run(config, {
    logger: createNoopLogger(),
    kubeClient: kubeClientFor(config, { kubeConfig: api.makeKubeConfig() }),
  });
  try {
    await app.ready;
    const secrets = api.requests().filter((r) => r.path.includes('/secrets'));
    queries.push(...secrets.map((r) => decodeURIComponent(r.query)));
    return secrets.map((r) => `${r.method} ${r.path}${r.watch ? ' (watch)' : ''}`);
  } finally {
    await app.stop();
  }
}

describe('Secret informer', () => {
  it('is not started without an HTTPS port: no request for Secrets reaches the API server', async () => {
    expect(await secretRequestsOfARun(false)).toEqual([]);
  }, 60_000);

  it('is started with an HTTPS port (spec.tls certificates), for kubernetes.io/tls Secrets only', async () => {
    const queries: string[] = [];
    expect(await secretRequestsOfARun(true, queries)).toContain('GET /api/v1/secrets');
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect(q).toContain('fieldSelector=type=kubernetes.io/tls');
  }, 60_000);
});
