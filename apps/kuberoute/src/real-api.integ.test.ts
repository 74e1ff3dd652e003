import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import { createMetrics, type Logger } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  eventually,
  selectedApi,
  startRealApiAsChart,
  type KubeObject,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import { run, type KuberouteApp } from './app.js';
import { parseConfig } from './config.js';
import { appConfig, configText } from '../test/cluster.js';
import { node, pod, routeLabels, service } from '../test/fixtures.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// chart's RBAC (nodes cluster-wide; services, pods and Events in the configured namespaces): a
// verb missing from charts/kuberoute fails here. Runs when KUBE_EDGE_API=real
// (scripts/test-real-api.mjs).
const api = selectedApi();
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const title =
  api.kind === 'fake'
    ? 'kuberoute against a real kube-apiserver (skipped: set KUBE_EDGE_API=real)'
    : 'kuberoute against a real kube-apiserver as its chart ServiceAccount';

function capturingLogger(lines: string[]): Logger {
  const log =
    (level: string) =>
    (message: string, meta?: object): void => {
      lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
    };
  const logger: Logger = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: () => logger,
  };
  return logger;
}

/** Writes an object's status as the kubelet or node controller would (there are none). */
async function patchStatus(real: RealApiAsChart, path: string, status: unknown): Promise<void> {
  const res = await adminRequest(
    real.api,
    'PATCH',
    `${path}/status`,
    { status },
    'application/merge-patch+json',
  );
  if (res.status !== 200) throw new Error(`PATCH ${path}/status: ${res.status} ${res.body}`);
}

describeReal(title, () => {
  let real: RealApiAsChart;
  let app: KuberouteApp | undefined;
  const printed: string[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    real = await startRealApiAsChart('../../charts/kuberoute', {
      namespace: 'edge',
      releaseName: 'real',
      values: { kuberoute: { namespaces: ['default'] } },
    });
    const nodes = [node('node-a', '10.0.0.1'), node('node-b', '10.0.0.2'), node('node-c', '10.0.0.3')];
    const pods = [pod('web-1', 'web', '10.0.0.1'), pod('web-2', 'web', '10.0.0.2')];
    const withoutUid = (o: { metadata?: { uid?: string } }): KubeObject => {
      const copy = structuredClone(o) as KubeObject & { metadata: { uid?: string } };
      delete copy.metadata.uid;
      return copy;
    };
    await applyObjects(real.api, [
      ...nodes.map(withoutUid),
      withoutUid(service('web', routeLabels('www', 'example.com'))),
      withoutUid(service('bad', routeLabels('bad', 'example.com', { quota: 'lots' }))),
      ...pods.map(withoutUid),
    ]);
    for (const n of nodes) await patchStatus(real, `/api/v1/nodes/${n.metadata?.name ?? ''}`, n.status);
    for (const p of pods)
      await patchStatus(real, `/api/v1/namespaces/default/pods/${p.metadata?.name ?? ''}`, p.status);

    const config = parseConfig(configText(real.api.url, 'fakedns'));
    app = await run(appConfig(config, { events: true }), {
      logger: capturingLogger(lines),
      kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
      metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
      print: (l) => printed.push(l),
    });
    await app.ready;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await real?.close();
  }, 60_000);

  it('publishes the service on the nodes of its ready pods and records a Warning Event for a bad label', async () => {
    try {
      const result = await app!.reconcile();
      expect(result.outcome).toBe('updated');
      expect(printed).toContain("Update dns record (www.example.com, ['10.0.0.1', '10.0.0.2'], 60, A)");
      const event = await eventually(
        async () => {
          const got = await adminRequest(real.api, 'GET', '/api/v1/namespaces/default/events');
          const found = got
            .json<{ items: { involvedObject: { name: string; kind: string }; type: string }[] }>()
            .items.find((e) => e.involvedObject.name === 'bad');
          if (found === undefined) throw new Error('no event yet');
          return found;
        },
        { timeoutMs: 20_000, what: 'the Warning Event' },
      );
      expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Service' } });
      // A missing verb shows as a 403 in the client's errors.
      expect(lines.filter((l) => /forbidden|403/i.test(l))).toEqual([]);
    } catch (err) {
      throw new Error(
        `${String(err)}\n--- kuberoute log (last 30 lines) ---\n${lines.slice(-30).join('\n')}`,
        {
          cause: err,
        },
      );
    }
  }, 60_000);
});
