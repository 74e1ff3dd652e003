import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import type { V1DaemonSet, V1Deployment } from '@kubernetes/client-node';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  eventually,
  realApiServerAvailable,
  selectedApi,
  startRealApiAsChart,
  type KubeObject,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import { parse as parseYaml } from 'yaml';
import { loadCrd, node, seedExampleText } from '../test/cluster.js';
import { run, type App } from './app.js';

// The original README's example IngressDaemonSet, verbatim (its misspelt field included), on a
// real kube-apiserver with the chart's CRD installed, reconciled by the controller running as the
// chart's ServiceAccount (a verb missing from the chart's RBAC fails here). Runs when
// KUBE_EDGE_API=real (scripts/test-real-api.mjs) and kube-apiserver, etcd and helm are found.
const api = selectedApi();
const available = api.kind === 'real' ? realApiServerAvailable() : undefined;
const skipReason =
  api.kind === 'fake'
    ? 'skipped: set KUBE_EDGE_API=real'
    : available?.available === false
      ? `skipped: ${available.reason}`
      : undefined;
const describeReal = skipReason === undefined ? describe : describe.skip;

describeReal(
  `ingress-daemonset-controller against a real kube-apiserver${skipReason === undefined ? '' : ` (${skipReason})`}`,
  () => {
    let real: RealApiAsChart;
    let app: App | undefined;

    beforeAll(async () => {
      if (api.kind === 'invalid') throw new Error(api.reason);
      real = await startRealApiAsChart('../../charts/ingress-daemonset-controller', {
        namespace: 'edge',
        releaseName: 'real',
        values: { healthChecker: { rbacCreate: false } },
      });
      // applyObjects sends raw JSON: the CRD's x-kubernetes-int-or-string and
      // x-kubernetes-preserve-unknown-fields keys reach the server.
      await applyObjects(real.api, [loadCrd()]);
      await eventually(
        async () =>
          (await adminRequest(real.api, 'GET', '/apis/ingressdaemonsets.mumoshu.github.io/v1alpha1'))
            .status === 200,
        { what: 'the CRD to be established', timeoutMs: 20_000 },
      );
      await applyObjects(real.api, [node('node-a'), node('node-b')]);
      app = await run(
        {
          namespaces: [],
          healthChecker: {
            image: 'ghcr.io/kube-edge/ingress-daemonset-controller:0.1.0',
            imagePullPolicy: 'IfNotPresent',
            serviceAccountName: 'default',
          },
          stallAfterMs: 600_000,
          healthPort: 0,
          healthHost: '127.0.0.1',
          leaderElection: { namespace: 'edge', name: 'ingress-daemonset-controller', identity: 'real-test' },
        },
        {
          logger: createNoopLogger(),
          kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
          metrics: createMetrics({ prefix: 'ingress_daemonset_controller', collectDefaultMetrics: false }),
        },
      );
      await app.ready;
    }, 90_000);

    afterAll(async () => {
      await app?.stop();
      await real?.close();
    }, 60_000);

    it('accepts the seed example unchanged and creates its per-node Deployments and health-checker DaemonSet', async () => {
      const created = await adminRequest(
        real.api,
        'POST',
        '/apis/ingressdaemonsets.mumoshu.github.io/v1alpha1/namespaces/default/ingressdaemonsets',
        parseYaml(seedExampleText()),
      );
      expect(created.status).toBe(201);
      const stored = created.json<
        KubeObject & { spec: { updateStrategy: { rollingUpdate: Record<string, unknown> } } }
      >();
      // The misspelt field is kept (so the controller can report it), not pruned.
      expect(stored.spec.updateStrategy.rollingUpdate['maxUnavaiablePodsPerNode']).toBe(3);

      const list = async <T>(path: string): Promise<T[]> =>
        (await adminRequest(real.api, 'GET', path)).json<{ items: T[] }>().items;
      const deployments = await eventually(
        async () => {
          const items = await list<V1Deployment>('/apis/apps/v1/namespaces/default/deployments');
          return items.length === 2 ? items : false;
        },
        { what: 'two per-node Deployments', timeoutMs: 20_000 },
      );
      expect(deployments.map((d) => d.metadata?.name).sort()).toEqual([
        'nginx-ingress-node-a',
        'nginx-ingress-node-b',
      ]);
      for (const d of deployments) {
        expect(d.spec?.replicas).toBe(2);
        expect(d.spec?.strategy?.rollingUpdate?.maxSurge).toBe(1);
        expect(d.spec?.template.spec?.nodeName).toBe(d.metadata?.name?.replace('nginx-ingress-', ''));
        expect(d.spec?.template.metadata?.labels?.['app']).toBe('ingress-nginx');
      }
      const daemonSets = await list<V1DaemonSet>('/apis/apps/v1/namespaces/default/daemonsets');
      expect(daemonSets.map((d) => d.metadata?.name)).toEqual(['nginx-ingress-10080']);
      expect(daemonSets[0]?.spec?.template.spec?.hostNetwork).toBe(true);
      const status = await eventually(
        async () => {
          const o = (
            await adminRequest(
              real.api,
              'GET',
              '/apis/ingressdaemonsets.mumoshu.github.io/v1alpha1/namespaces/default/ingressdaemonsets/nginx-ingress',
            )
          ).json<{ status?: { desiredNodes?: number; updatedNodes?: number } }>();
          // The first status may be written before the Deployments count as updated: wait for
          // the settled one, not the first.
          return o.status?.desiredNodes === 2 && o.status.updatedNodes === 2 ? o.status : false;
        },
        { what: 'the status with both nodes updated', timeoutMs: 20_000 },
      );
      expect(status).toMatchObject({ desiredNodes: 2, updatedNodes: 2 });
      const events = await eventually(
        async () => {
          const e = await list<{ reason: string; message: string }>('/api/v1/namespaces/default/events');
          return e.some((x) => x.reason === 'UnknownField') ? e : false;
        },
        { what: 'the UnknownField Event' },
      );
      expect(events.find((x) => x.reason === 'UnknownField')?.message).toContain('maxUnavaiablePodsPerNode');
    }, 60_000);
  },
);
