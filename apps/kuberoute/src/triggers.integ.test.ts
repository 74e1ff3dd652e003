import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { startApiServer, type ApiServer } from '@kube-edge/testkit';
import { run, type KuberouteApp } from './app.js';
import { kubeClientFor } from './clients.js';
import { parseConfig } from './config.js';
import { appConfig, eventually, obj, seedCluster } from '../test/cluster.js';
import { pod } from '../test/fixtures.js';

const config = (kubeconfigPath: string): string => `[kuberoute]
kubeconfig_kind = kubeconfig
port = 0
dns_backend = fakedns
domain_label = kuberoute_domain
name_label = kuberoute_name
failover_label = kuberoute_failover
quota_label = kuberoute_quota
namespaces = default

[kubeconfig]
filename = ${kubeconfigPath}
`;

// kube-edge's additions: reconciles without GET / (watch and interval), and kubeconfig access.
describe('kuberoute triggers (fakedns, kubeconfig access)', () => {
  let api: ApiServer;
  const started: KuberouteApp[] = [];

  beforeAll(async () => {
    api = await startApiServer();
    seedCluster(api);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((a) => a.stop()));
    await api?.close();
  });

  const start = async (
    options: { intervalMs: number; watch: boolean },
    lines: string[],
  ): Promise<KuberouteApp> => {
    const parsed = parseConfig(config(await api.writeKubeconfig()));
    const app = await run(appConfig(parsed, options), {
      logger: createNoopLogger(),
      kubeClient: kubeClientFor(parsed),
      metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
      print: (l) => lines.push(l),
    });
    started.push(app);
    return app;
  };

  it('with --watch reconciles when a pod appears, without any GET /', async () => {
    const lines: string[] = [];
    await start({ intervalMs: 0, watch: true }, lines);
    await eventually(() => (lines.some((l) => l.includes("['10.0.0.1', '10.0.0.2']")) ? true : undefined));
    api.store.create(obj(pod('web-3', 'web', '10.0.0.3')));
    await eventually(() =>
      lines.some((l) => l.includes("['10.0.0.1', '10.0.0.2', '10.0.0.3']")) ? true : undefined,
    );
    expect(lines.at(-1)).toBe(
      "Update dns record (www.example.com, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 60, A)",
    );
  }, 60_000);

  it('with --interval reconciles on its own, repeatedly', async () => {
    const lines: string[] = [];
    await start({ intervalMs: 300, watch: false }, lines);
    await eventually(() => (lines.length >= 2 ? true : undefined), 20_000);
    expect(new Set(lines)).toEqual(
      new Set(["Update dns record (www.example.com, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 60, A)"]),
    );
  }, 60_000);

  it('without --watch or --interval does nothing until GET /', async () => {
    const lines: string[] = [];
    const app = await start({ intervalMs: 0, watch: false }, lines);
    await new Promise((r) => setTimeout(r, 1000));
    expect(lines).toEqual([]);
    expect((await app.reconcile()).outcome).toBe('updated');
    expect(lines).toHaveLength(1);
  }, 60_000);
});
