import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import { createLogger, createMetrics, type Metrics } from '@kube-edge/runtime';
import { Writable } from 'node:stream';
import {
  adminRequest,
  applyObjects,
  eventually,
  freePort,
  httpRequest,
  makeTestCertificate,
  selectedApi,
  startEchoServer,
  startRealApiAsChart,
  tempDir,
  writeTestCertificate,
  type EchoResponse,
  type EchoServer,
  type RealApiAsChart,
  type TempDir,
} from '@kube-edge/testkit';
import { run, type DispatcherApp } from './app.js';
import { config as makeConfig, HOSTS, PATHS, ROUTABLE } from '../test/fixtures.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// chart's RBAC (namespaces and pods, the one `routing` Secret by name, Events): a verb or a
// resourceNames rule the informers cannot work with fails here. Runs when KUBE_EDGE_API=real
// (scripts/test-real-api.mjs).
const api = selectedApi();
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const title =
  api.kind === 'fake'
    ? 'dispatcher against a real kube-apiserver (skipped: set KUBE_EDGE_API=real)'
    : 'dispatcher against a real kube-apiserver as its chart ServiceAccount';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describeReal(title, () => {
  let real: RealApiAsChart;
  let work: TempDir;
  let app: DispatcherApp | undefined;
  let metrics: Metrics;
  let pod: EchoServer;
  let httpPort: number;
  const lines: string[] = [];

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    real = await startRealApiAsChart('../../charts/dispatcher', { namespace: 'edge', releaseName: 'real' });
    work = await tempDir('dispatcher-real');
    let sslPort: number;
    [httpPort, sslPort] = [await freePort(), await freePort()];
    pod = await startEchoServer({ host: '127.0.0.42', name: 'web-real' });
    const def = await writeTestCertificate(
      work.path,
      'default',
      await makeTestCertificate({ commonName: 'default.invalid' }),
    );
    const cfg = makeConfig({
      port: httpPort,
      'ssl-port': sslPort,
      'ssl-cert': def.certPath,
      'ssl-key': def.keyPath,
      'ssl-cert-dir': `${work.path}/ssl`,
    });
    await applyObjects(real.api, [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: 'web',
          labels: ROUTABLE,
          annotations: { [HOSTS]: JSON.stringify({ 'web.test': {} }) },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'routing', namespace: 'web' },
        data: { 'api-key': b64('k') },
      },
      // Another Secret the ServiceAccount may not read: the informer must not need it.
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'other', namespace: 'web' },
        data: { x: b64('y') },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'web-a',
          namespace: 'web',
          labels: ROUTABLE,
          annotations: {
            [PATHS]: JSON.stringify([
              { basePath: '/app', containerPort: String(pod.port) },
              { basePath: '/x;return 200', containerPort: String(pod.port) },
            ]),
          },
        },
        spec: { containers: [{ name: 'app', image: 'echo', ports: [{ containerPort: pod.port }] }] },
      },
    ]);
    // There is no kubelet: write the pod's status as it would.
    const status = await adminRequest(
      real.api,
      'PATCH',
      '/api/v1/namespaces/web/pods/web-a/status',
      {
        status: { phase: 'Running', podIP: '127.0.0.42', conditions: [{ type: 'Ready', status: 'True' }] },
      },
      'application/merge-patch+json',
    );
    if (status.status !== 200) throw new Error(`pod status patch: ${status.status} ${status.body}`);

    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    app = await run(
      {
        ...cfg,
        mock: false,
        eventWindowMs: 100,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
        nginxStopTimeoutMs: 2000,
      },
      {
        logger: createLogger({ level: 'debug', format: 'json', stream, name: 'dispatcher' }),
        kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
        metrics,
      },
    );
    await app.ready;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await pod?.close();
    await work?.remove();
    await real?.close();
  }, 60_000);

  it('routes host+path to the pod and records a Warning Event for the bad path', async () => {
    try {
      const res = await eventually(
        async () => {
          // The key from the `routing` Secret (base64 of its value), which only a readable Secret gives.
          const r = await httpRequest({
            url: `http://127.0.0.1:${httpPort}/app/hello`,
            host: 'web.test',
            headers: { 'X-ROUTING-API-KEY': b64('k') },
          });
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          return r;
        },
        { timeoutMs: 20_000, what: 'web.test/app served' },
      );
      expect(res.json<EchoResponse>()).toMatchObject({ name: 'web-real', path: '/app/hello' });
      const noKey = await httpRequest({ url: `http://127.0.0.1:${httpPort}/app/hello`, host: 'web.test' });
      expect(noKey.status).toBe(403);
      const event = await eventually(
        async () => {
          const got = await adminRequest(real.api, 'GET', '/api/v1/namespaces/web/events');
          const found = got
            .json<{ items: { involvedObject: { name: string; kind: string }; type: string }[] }>()
            .items.find((e) => e.involvedObject.name === 'web-a');
          if (found === undefined) throw new Error('no event yet');
          return found;
        },
        { timeoutMs: 20_000, what: 'the Warning Event' },
      );
      expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod' } });
      // A missing verb shows as a 403 in the client's errors.
      expect(lines.join('')).not.toMatch(/forbidden|"statusCode":403|"code":403/i);
    } catch (err) {
      throw new Error(
        `${String(err)}\n--- dispatcher log (last 40 lines) ---\n${lines.slice(-40).join('')}`,
        {
          cause: err,
        },
      );
    }
  }, 60_000);
});
