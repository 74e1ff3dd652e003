import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, createShutdown, type Shutdown } from '@kube-edge/runtime';
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
import { run, type FeedIngressApp } from './app.js';
import { feedIngressCli } from './cli.js';
import { configFromArgs, type FeedIngressConfig } from './config.js';
import { kubeClientFor } from './kube-client.js';
import { ingress, service } from '../test/harness.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// chart's RBAC: informers, leader election, Ingress status and Events all go through RBAC, so a
// verb missing from charts/feed-ingress fails here. Runs when KUBE_EDGE_API=real (scripts/test-real-api.mjs).
const api = selectedApi();
const RELEASE = 'real';
const NAMESPACE = 'edge';
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const title =
  api.kind === 'fake'
    ? 'feed-ingress against a real kube-apiserver (skipped: set KUBE_EDGE_API=real), $name'
    : 'feed-ingress against a real kube-apiserver as its chart ServiceAccount, $name';

// The chart grants Secrets only with ports.https > 0, and feed-ingress watches them only with an
// HTTPS port: both modes must run without a 403.
const MODES = [
  { name: 'chart defaults (no HTTPS port: no Secret informer, no Secret RBAC)', https: false, values: {} },
  { name: 'with an HTTPS port (ports.https: Secrets RBAC)', https: true, values: { ports: { https: 8443 } } },
];

describeReal.each(MODES)(title, (mode) => {
  let real: RealApiAsChart;
  let dir: TempDir;
  let app: FeedIngressApp;
  let shutdown: Shutdown;
  let pod: EchoServer;
  let httpPort: number;
  const lines: string[] = [];

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    // Services get ClusterIPs on 127.0.0.x, where the echo backends listen.
    real = await startRealApiAsChart('../../charts/feed-ingress', {
      namespace: NAMESPACE,
      releaseName: RELEASE,
      serviceClusterIpRange: '127.0.0.0/16',
      // As the flags below: an HTTPS port is what grants the Secrets RBAC.
      values: mode.values,
    });
    pod = await startEchoServer({ host: '127.0.0.91', name: 'pod-real' });
    dir = await tempDir('feed-ingress-real');
    await writeTestCertificate(
      dir.path,
      'default-ssl',
      await makeTestCertificate({ commonName: 'default.invalid' }),
    );
    httpPort = await freePort();
    const argv = [
      'static',
      '--internal-hostname=lb.internal.test',
      '--ingress-class=edge',
      `--ingress-port=${httpPort}`,
      ...(mode.https
        ? [`--ingress-https-port=${await freePort()}`, `--ssl-path=${dir.path}/default-ssl`]
        : []),
      `--ingress-health-port=${await freePort()}`,
      '--health-port=0',
      `--nginx-workdir=${dir.path}/nginx`,
      '--nginx-update-period=50ms',
      '--leader-election=true',
      `--leader-election-namespace=${NAMESPACE}`,
      `--leader-election-name=${RELEASE}-feed-ingress`,
      '--log-level=debug',
    ];
    const parsed = feedIngressCli.parse(argv, {});
    if (parsed.kind !== 'run' || parsed.command === 'render')
      throw new Error(`unexpected parse: ${parsed.kind}`);
    const config: FeedIngressConfig = {
      ...configFromArgs(parsed, 'real-pod'),
      healthHost: '127.0.0.1',
      coalesceMs: 20,
    };
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const logger = createLogger({ level: 'debug', format: 'json', stream, name: 'feed-ingress' });
    shutdown = createShutdown({ logger, exit: () => undefined, processLike: new EventEmitter() });
    app = await run(config, { logger, kubeClient: kubeClientFor(config, { kubeConfig: real.kubeConfig() }) });
    shutdown.addStep('feed-ingress', () => app.stop(), { timeoutMs: config.frontend.drainDelayMs + 60_000 });
    // Ready = caches synced and the first pass applied: a list or watch the RBAC refuses never syncs.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      app.ready,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('feed-ingress not ready within 30 s')), 30_000);
      }),
    ])
      .catch((err: unknown) => {
        throw new Error(
          `${String(err)}\n--- controller log (last 40 lines) ---\n${lines.slice(-40).join('')}`,
          {
            cause: err,
          },
        );
      })
      .finally(() => clearTimeout(timer));
  }, 90_000);

  afterAll(async () => {
    await shutdown?.shutdown('test done');
    await pod?.close();
    await dir?.remove();
    await real?.close();
  }, 60_000);

  const withLogs = async <T>(body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (err) {
      throw new Error(
        `${String(err)}\n--- controller log (last 40 lines) ---\n${lines.slice(-40).join('')}`,
        {
          cause: err,
        },
      );
    }
  };

  it('serves an Ingress, writes its status as leader and records a Warning Event for a skipped one', async () => {
    await withLogs(async () => {
      await applyObjects(real.api, [
        service('default', 'svc', '127.0.0.91', pod.port),
        ingress('default', 'web', 'web.real.test', [{ path: '/', service: 'svc', port: pod.port }], {
          'sky.uk/frontend-scheme': 'internal',
        }),
        ingress('default', 'bad', 'bad.real.test', [{ path: '/', service: 'svc', port: pod.port }], {
          'sky.uk/allow': 'not-an-ip',
        }),
      ]);
      // Served: the pass that holds the Ingress was applied (nginx reloaded, no old worker left).
      await app.waitForModel((m) => m.servedIngresses.some((i) => i.name === 'web'), 20_000);
      await app.nginx.process.flush();
      const res = await httpRequest({ url: `http://127.0.0.1:${httpPort}/hello`, host: 'web.real.test' });
      expect(res.status).toBe(200);
      expect(res.json<EchoResponse>()).toMatchObject({
        name: 'pod-real',
        host: 'web.real.test',
        path: '/hello',
      });

      // The Lease (create/get/update on the chart's Role) and ingresses/status (update).
      await eventually(() => expect(app.isLeader()).toBe(true), { timeoutMs: 20_000, what: 'leadership' });
      const status = await eventually(
        async () => {
          const got = await adminRequest(
            real.api,
            'GET',
            '/apis/networking.k8s.io/v1/namespaces/default/ingresses/web',
          );
          const list = got.json<{ status?: { loadBalancer?: { ingress?: unknown[] } } }>().status
            ?.loadBalancer?.ingress;
          if (list === undefined || list.length === 0) throw new Error('no status yet');
          return list;
        },
        { timeoutMs: 20_000, what: 'the Ingress status' },
      );
      expect(status).toEqual([{ hostname: 'lb.internal.test' }]);

      // Events (create) on the skipped Ingress.
      const event = await eventually(
        async () => {
          const got = await adminRequest(real.api, 'GET', '/api/v1/namespaces/default/events');
          const found = got
            .json<{
              items: { involvedObject: { name: string; kind: string }; type: string; reason: string }[];
            }>()
            .items.find((e) => e.involvedObject.name === 'bad');
          if (found === undefined) throw new Error('no event yet');
          return found;
        },
        { timeoutMs: 20_000, what: 'the Warning Event' },
      );
      expect(event).toMatchObject({
        type: 'Warning',
        reason: 'Skipped',
        involvedObject: { kind: 'Ingress' },
      });

      // Nothing was refused: a missing verb shows as a 403 in the client's errors.
      expect(lines.join('')).not.toMatch(/forbidden|"statusCode":403|"code":403/i);
      const metrics = (await httpRequest({ url: `${app.url}/metrics` })).body;
      expect(metrics).toMatch(/feed_ingress_reconcile_total\{result="success"\} [1-9]/);
      expect(metrics).not.toMatch(/feed_ingress_reconcile_total\{result="(terminal_)?error"\} [1-9]/);
    });
  }, 60_000);
});
