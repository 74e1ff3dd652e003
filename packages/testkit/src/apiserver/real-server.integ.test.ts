import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { trackedChildCount } from '../process/child-registry.js';
import { eventually } from '../util/eventually.js';
import { helmAvailable, renderChart } from './chart.js';
import { startApiServer } from './server.js';
import type { ApiServerHandle, KubeObject } from './types.js';
import {
  adminRequest,
  applyObjects,
  mintServiceAccountToken,
  rbacObjects,
  realApiServerAvailable,
  startRealApiServer,
  type RealApiServer,
} from './real-server.js';

const availability = realApiServerAvailable();
const describeReal = availability.available ? describe : describe.skip;
const realTitle = availability.available
  ? 'real kube-apiserver'
  : `real kube-apiserver (skipped: ${availability.reason})`;
const helm = helmAvailable();
const itHelm = helm.available ? it : it.skip;
const chartDir = fileURLToPath(new URL('../../../../charts/feed-ingress', import.meta.url));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('realApiServerAvailable', () => {
  it('says why when kube-apiserver is nowhere to be found', () => {
    const none = realApiServerAvailable({ env: {}, from: '/' });
    expect(none).toEqual({ available: false, reason: expect.stringContaining('kube-apiserver not found') });
  });

  it('finds kube-apiserver through KUBEBUILDER_ASSETS first', () => {
    if (!availability.available) return;
    const dir = availability.kubeApiServer.replace(/\/kube-apiserver$/, '');
    expect(realApiServerAvailable({ env: { KUBEBUILDER_ASSETS: dir }, from: '/' })).toMatchObject({
      available: true,
      kubeApiServer: availability.kubeApiServer,
    });
  });
});

/** A CRD whose schema needs its `x-kubernetes-*` keys: without them the server prunes and refuses. */
const widgetCrd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.kube-edge.dev' },
  spec: {
    group: 'example.kube-edge.dev',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  port: { 'x-kubernetes-int-or-string': true },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** applyObjects sends the objects as given: a CRD keeps its x-kubernetes-* schema keys. */
async function appliesCrdSchemaKeys(server: ApiServerHandle): Promise<void> {
  const [stored] = await applyObjects(server, [widgetCrd]);
  const props = (
    stored as unknown as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: object } } } } }[] };
    }
  ).spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
  expect(props).toEqual({
    port: { 'x-kubernetes-int-or-string': true },
    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  });
  // Read back, not only the create answer.
  const read = await adminRequest(
    server,
    'GET',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${widgetCrd.metadata.name ?? ''}`,
  );
  expect(read.body).toContain('"x-kubernetes-preserve-unknown-fields":true');
  expect(read.body).toContain('"x-kubernetes-int-or-string":true');
  // Applied again (replace path): still there.
  const [again] = await applyObjects(server, [widgetCrd]);
  expect(JSON.stringify(again)).toContain('x-kubernetes-int-or-string');
  // And the server uses them: an int-or-string field takes both, unknown fields are kept.
  await eventually(async () => {
    expect((await adminRequest(server, 'GET', '/apis/example.kube-edge.dev/v1')).status).toBe(200);
  });
  const widgets = await eventually(() =>
    applyObjects(server, [
      {
        apiVersion: 'example.kube-edge.dev/v1',
        kind: 'Widget',
        metadata: { name: 'a' },
        spec: { port: 'http', extra: { kept: 1 } },
      },
      {
        apiVersion: 'example.kube-edge.dev/v1',
        kind: 'Widget',
        metadata: { name: 'b' },
        spec: { port: 80 },
      },
    ]),
  );
  expect(widgets.map((w) => (w as unknown as { spec: unknown }).spec)).toEqual([
    { port: 'http', extra: { kept: 1 } },
    { port: 80 },
  ]);
}

describe('applyObjects on the API test server', () => {
  it('sends raw JSON: a CRD keeps its x-kubernetes-* schema keys', async () => {
    const server = await startApiServer();
    try {
      await appliesCrdSchemaKeys(server);
    } finally {
      await server.close();
    }
  });
});

describeReal(realTitle, () => {
  let server: RealApiServer;
  let startMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    server = await startRealApiServer();
    startMs = Date.now() - started;
  }, 90_000);

  afterAll(async () => {
    await server?.close();
  });

  it('serves the API over HTTPS to the admin kubeconfig, with a loopback service CIDR', async () => {
    expect(server.kind).toBe('real');
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const core = server.makeKubeConfig().makeApiClient(CoreV1Api);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system']));
    // kube-apiserver creates its own Service just after it reports ready.
    const kubernetes = await eventually(() =>
      core.readNamespacedService({ namespace: 'default', name: 'kubernetes' }),
    );
    expect(kubernetes.spec?.clusterIP).toBe('127.64.0.1');
    // Recorded so the report can quote it; generous bound for a loaded 2-core machine.
    expect(startMs).toBeLessThan(60_000);
  });

  it('applyObjects sends raw JSON: a CRD keeps its x-kubernetes-* schema keys, and the server honours them', async () => {
    await appliesCrdSchemaKeys(server);
  });

  it('refuses a wrong token with 401', async () => {
    const anonymous = await adminRequest({ ...server, adminToken: 'wrong' }, 'GET', '/api/v1/namespaces');
    expect(anonymous.status).toBe(401);
  });

  itHelm('runs a ServiceAccount with exactly the RBAC of a rendered chart', async () => {
    const sa = await mintServiceAccountToken(server, 'edge', 'probe');
    const asSa = sa.makeKubeConfig().makeApiClient(CoreV1Api);
    await expect(asSa.listServiceForAllNamespaces()).rejects.toMatchObject({ code: 403 });

    const chart = await renderChart(chartDir, { releaseName: 't', namespace: 'edge' });
    const rbac = rbacObjects(chart);
    expect(rbac.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount'].sort(),
    );
    await applyObjects(server, rbac, { namespace: 'edge' });
    // Applying again replaces instead of failing.
    await applyObjects(server, rbac, { namespace: 'edge' });
    const app = await mintServiceAccountToken(server, 'edge', 't-feed-ingress');
    expect(app.username).toBe('system:serviceaccount:edge:t-feed-ingress');
    const asApp = app.makeKubeConfig().makeApiClient(CoreV1Api);
    // RBAC reaches the authorizer through an informer: allow it a moment.
    await eventually(async () => {
      expect((await asApp.listServiceForAllNamespaces()).items.length).toBeGreaterThan(0);
    });
    // What the chart does not grant stays forbidden.
    await expect(asApp.listPodForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    await expect(asApp.listNamespacedConfigMap({ namespace: 'edge' })).rejects.toMatchObject({ code: 403 });
    // The unrelated ServiceAccount is still refused.
    await expect(asSa.listServiceForAllNamespaces()).rejects.toMatchObject({ code: 403 });
  });

  it('stops and restarts on the same port with the state kept', async () => {
    const created = await adminRequest(server, 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'survivor' },
      data: { a: '1' },
    });
    expect(created.status).toBe(201);
    const pid = server.pid();
    await server.stop();
    expect(server.pid()).toBeUndefined();
    expect(processAlive(pid ?? -1)).toBe(false);
    await expect(adminRequest(server, 'GET', '/readyz')).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    const got = await adminRequest(server, 'GET', '/api/v1/namespaces/default/configmaps/survivor');
    expect(got.json()).toMatchObject({ data: { a: '1' } });
  }, 90_000);
});

describeReal(`${realTitle}: start and clean-up`, () => {
  it('fails loudly with the tail of its output when kube-apiserver cannot start, leaving nothing behind', async () => {
    const before = trackedChildCount();
    const failure = await startRealApiServer({ args: ['--no-such-flag=1'] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/did not become ready[\s\S]*unknown flag: --no-such-flag/);
    expect(trackedChildCount()).toBe(before);
  }, 60_000);

  it('kills kube-apiserver and etcd and removes their directories at close', async () => {
    const server = await startRealApiServer();
    const apiserverPid = server.pid() ?? -1;
    const etcdPid = server.etcd.pid;
    const dataDir = server.etcd.dataDir;
    const kubeconfig = await server.writeKubeconfig();
    expect(processAlive(apiserverPid)).toBe(true);
    await server.close();
    await server.close();
    expect(processAlive(apiserverPid)).toBe(false);
    expect(processAlive(etcdPid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(kubeconfig)).toBe(false);
    expect(trackedChildCount()).toBe(0);
    await expect(server.restart()).rejects.toThrow(/closed/);
  }, 90_000);
});
