import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger, type Metrics } from '@kube-edge/runtime';
import {
  eventually,
  freePort,
  httpRequest,
  makeTestCa,
  makeTestCertificate,
  nginxBinary,
  startApiServer,
  startEchoServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type EchoResponse,
  type EchoServer,
  type TempDir,
  type TestCertificate,
} from '@kube-edge/testkit';
import WebSocket from 'ws';
import { run, type DispatcherApp } from './app.js';
import { config as makeConfig } from '../test/fixtures.js';
import type { DispatcherConfig } from './config.js';

const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
const HOSTS = 'github.com/30x.dispatcher.hosts';
const PATHS = 'github.com/30x.dispatcher.paths';
const WINDOW_MS = 400;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Polls `fn` until `ok` holds for its value (testkit's eventually, with this file's reporting). */
function waitUntil<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return eventually(
    async () => {
      const v = await fn();
      if (!ok(v)) throw new Error(`last ${JSON.stringify(v)}`);
      return { v };
    },
    { timeoutMs, intervalMs: 100, what },
  ).then((r) => r.v);
}

// Real nginx, the testkit API server and echo backends on 127.0.0.x addresses standing in for pods.
describe('dispatcher against an API server and real nginx', () => {
  let api: ApiServer;
  let app: DispatcherApp;
  let metrics: Metrics;
  let work: TempDir;
  let cfg: DispatcherConfig;
  let httpPort: number;
  let sslPort: number;
  let podPort: number;
  let ca: TestCertificate;
  let client: TestCertificate;
  const echoes: EchoServer[] = [];
  const echo = (name: string, host: string): Promise<EchoServer> =>
    startEchoServer({ host, port: podPort, name }).then((e) => {
      echoes.push(e);
      return e;
    });

  const get = (host: string, path: string, headers: Record<string, string> = {}) =>
    httpRequest({ url: `http://127.0.0.1:${httpPort}${path}`, host, headers });

  function podObject(
    name: string,
    namespace: string,
    ip: string,
    paths: unknown,
    ready = true,
  ): Parameters<ApiServer['store']['create']>[0] {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: ROUTABLE,
        annotations: { [PATHS]: typeof paths === 'string' ? paths : JSON.stringify(paths) },
      },
      spec: { containers: [{ name: 'app', image: 'echo', ports: [{ containerPort: podPort }] }] },
      status: {
        phase: 'Running',
        podIP: ip,
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    };
  }
  function createPod(name: string, namespace: string, ip: string, paths: unknown): void {
    const obj = podObject(name, namespace, ip, paths);
    api.store.create(obj);
    // The store defaults a created pod to Pending: write the status as the kubelet would.
    api.store.patchMerge('v1', 'Pod', namespace, name, { status: (obj as { status?: unknown }).status });
  }

  beforeAll(async () => {
    work = await tempDir('dispatcher-integ');
    [httpPort, sslPort, podPort] = await Promise.all([freePort(), freePort(), freePort()]);
    ca = await makeTestCa();
    const defaultCert = await makeTestCertificate({ commonName: 'default.invalid', ca });
    const secureCert = await makeTestCertificate({ commonName: 'secure.test', ca });
    client = await makeTestCertificate({ commonName: 'client', ca });
    const def = await writeTestCertificate(work.path, 'default', defaultCert);
    cfg = makeConfig({
      port: httpPort,
      'ssl-port': sslPort,
      'ssl-cert': def.certPath,
      'ssl-key': def.keyPath,
      'ssl-cert-dir': `${work.path}/ssl`,
    });

    await Promise.all([
      echo('web-a', '127.0.0.2'),
      echo('web-b', '127.0.0.3'),
      echo('web-c', '127.0.0.4'),
      echo('shop-1', '127.0.0.5'),
      echo('partial', '127.0.0.6'),
    ]);

    api = await startApiServer();
    const ssl = (key: string) => ({ valueFrom: { secretKeyRef: { key } } });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'web',
        labels: ROUTABLE,
        annotations: { [HOSTS]: JSON.stringify({ 'web.test': {} }) },
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'shop',
        labels: ROUTABLE,
        annotations: {
          [HOSTS]: JSON.stringify({
            'shop.test': {},
            'secure.test': {
              ssl: {
                certificate: ssl('ssl.crt'),
                certificateKey: ssl('ssl.key'),
                clientCertificate: ssl('client.crt'),
              },
            },
          }),
        },
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'broken',
        labels: ROUTABLE,
        annotations: { [HOSTS]: JSON.stringify({ 'invalid#>.host': {}, 'broken.test': {} }) },
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'shop' },
      data: {
        'api-key': b64('supersecret'),
        'ssl.crt': b64(secureCert.cert),
        'ssl.key': b64(secureCert.key),
        'client.crt': b64(ca.cert),
      },
    });
    createPod('web-a', 'web', '127.0.0.2', [
      { basePath: '/app', containerPort: String(podPort) },
      { basePath: '/rewrite', containerPort: String(podPort), targetPath: '/people' },
      { basePath: '/weighted', containerPort: String(podPort), weight: 3 },
    ]);
    createPod('web-b', 'web', '127.0.0.3', [
      { basePath: '/app', containerPort: String(podPort) },
      { basePath: '/weighted', containerPort: String(podPort), weight: 1 },
    ]);
    createPod('shop-1', 'shop', '127.0.0.5', [{ basePath: '/api', containerPort: String(podPort) }]);
    createPod('partial', 'broken', '127.0.0.6', [
      { basePath: '/bad', containerPort: '99999' },
      { basePath: '/x;return 200', containerPort: String(podPort) },
      { basePath: '/ok', containerPort: String(podPort) },
    ]);
    createPod('not-json', 'broken', '127.0.0.6', '[{"basePath": "/nj", "containerPort": ');

    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    app = await run(
      {
        ...cfg,
        mock: false,
        eventWindowMs: WINDOW_MS,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
        nginxStopTimeoutMs: 2000,
      },
      { logger: createNoopLogger(), kubeClient: createKubeClient({ kubeConfig }), metrics },
    );
    await app.ready;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
    await Promise.all(echoes.map((e) => e.close()));
    await work?.remove();
  });

  it('routes host+path to the pods of the namespace and answers unknown paths with the default location', async () => {
    const res = await get('web.test', '/app/hello');
    expect(res.status).toBe(200);
    expect(['web-a', 'web-b']).toContain(res.json<EchoResponse>().name);
    expect(res.json<EchoResponse>().path).toBe('/app/hello');
    expect((await get('web.test', '/nowhere')).status).toBe(404);
    expect((await get('127.0.0.1', app.url.length > 0 ? '/dispatcher/status' : '')).status).toBe(200);
  });

  it('does not name the nginx version on error pages or in the Server header', async () => {
    const res = await get('web.test', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toContain('nginx');
    expect(res.body).not.toMatch(/nginx\/\d/);
    expect(res.headers.server).toBe('nginx');
  });

  it('rewrites the matched prefix to targetPath', async () => {
    const res = await get('web.test', '/rewrite/42');
    expect(res.json<EchoResponse>()).toMatchObject({ name: 'web-a', path: '/people/42' });
  });

  it('honours weights (3:1)', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const name = (await get('web.test', '/weighted')).json<EchoResponse>().name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts['web-a']! / counts['web-b']!).toBeGreaterThanOrEqual(2.5);
    expect(counts['web-a']! / counts['web-b']!).toBeLessThanOrEqual(3.5);
  });

  it('checks the API key: missing or wrong gives 403, base64 of the secret value gives 200', async () => {
    expect((await get('shop.test', '/api')).status).toBe(403);
    expect((await get('shop.test', '/api', { 'X-ROUTING-API-KEY': 'supersecret' })).status).toBe(403);
    const ok = await get('shop.test', '/api', { 'X-ROUTING-API-KEY': 'c3VwZXJzZWNyZXQ=' });
    expect(ok.status).toBe(200);
    expect(ok.json<EchoResponse>().name).toBe('shop-1');
  });

  it('serves the TLS host by SNI with the certificate from the Secret and requires the client certificate', async () => {
    const url = `https://127.0.0.1:${sslPort}/api`;
    const headers = { 'X-ROUTING-API-KEY': 'c3VwZXJzZWNyZXQ=' };
    const withClient = await httpRequest({
      url,
      host: 'secure.test',
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
      headers,
    });
    expect(withClient.peerCertificate?.commonName).toBe('secure.test');
    expect(withClient.status).toBe(200);
    expect(withClient.json<EchoResponse>().name).toBe('shop-1');
    const without = await httpRequest({ url, host: 'secure.test', ca: ca.cert, headers });
    expect(without.status).toBe(400);
    // The SSL host does not listen on the plain port: it falls to the default server (444).
    await expect(get('secure.test', '/api', headers)).rejects.toThrow();
  });

  it('writes the per-host files with a 0700 directory, 0600 key and 0644 certificates', async () => {
    const dir = `${work.path}/ssl/secure.test`;
    const mode = async (p: string): Promise<string> => ((await stat(p)).mode & 0o777).toString(8);
    expect(await mode(dir)).toBe('700');
    expect(await mode(`${dir}/certificate.key`)).toBe('600');
    expect(await mode(`${dir}/certificate.crt`)).toBe('644');
    expect(await mode(`${dir}/clientCertificate.crt`)).toBe('644');
  });

  it('has a default SSL server: status 200, anything else closed', async () => {
    const status = await httpRequest({
      url: `https://127.0.0.1:${sslPort}/dispatcher/status`,
      host: 'unknown.test',
      rejectUnauthorized: false,
    });
    expect(status.status).toBe(200);
    expect(status.peerCertificate?.commonName).toBe('default.invalid');
    await expect(
      httpRequest({
        url: `https://127.0.0.1:${sslPort}/api`,
        host: 'unknown.test',
        rejectUnauthorized: false,
      }),
    ).rejects.toThrow();
  });

  it('passes a WebSocket upgrade through to the pod', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/app/ws`, { headers: { host: 'web.test' } });
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const reply = new Promise<string>((resolve) =>
        socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
      );
      socket.send('hi');
      expect(await reply).toMatch(/^web-[ab]: hi$/);
    } finally {
      socket.terminate();
    }
  });

  it('closes the connection for an unknown host (444)', async () => {
    await expect(get('unknown.test', '/app')).rejects.toThrow();
  });

  it('skips each invalid annotation entry, keeps the rest serving, and records Events', async () => {
    expect((await get('broken.test', '/ok')).json<EchoResponse>().name).toBe('partial');
    expect((await get('broken.test', '/bad')).status).toBe(404);
    expect(app.lastConfig()).not.toContain('return 200;\n            proxy');
    const skipped = app.lastModel()!.skipped.map((s) => [s.name, s.reason]);
    expect(skipped).toEqual(
      expect.arrayContaining([
        ['broken', 'InvalidHost'],
        ['partial', 'InvalidPathEntry'],
        ['not-json', 'InvalidPathsAnnotation'],
      ]),
    );
    const events = await waitUntil(
      // Events about a Namespace (cluster-scoped) go to the default namespace.
      () =>
        [...api.store.list('v1', 'Event', 'broken'), ...api.store.list('v1', 'Event', 'default')] as {
          reason?: string;
          involvedObject?: { name?: string };
        }[],
      (evs) =>
        evs.some((e) => e.reason === 'InvalidPathsAnnotation') && evs.some((e) => e.reason === 'InvalidHost'),
      'Events in namespace broken',
    );
    expect(events.map((e) => [e.involvedObject?.name, e.reason])).toEqual(
      expect.arrayContaining([
        ['partial', 'InvalidPathEntry'],
        ['not-json', 'InvalidPathsAnnotation'],
        ['broken', 'InvalidHost'],
      ]),
    );
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/dispatcher_skipped_objects_total\{kind="Pod",reason="InvalidPathEntry"\} [1-9]/);
  });

  it('keeps the routing Secret when another Secret in the namespace changes or goes', async () => {
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'other', namespace: 'shop' },
      data: { token: b64('x') },
    });
    api.store.patchMerge('v1', 'Secret', 'shop', 'other', { data: { token: b64('y') } });
    api.store.delete('v1', 'Secret', 'shop', 'other');
    await new Promise((r) => setTimeout(r, WINDOW_MS * 3));
    await app.idle();
    expect((await get('shop.test', '/api')).status).toBe(403);
  });

  it('removes a pod that becomes unready, and adds it back when ready', async () => {
    api.store.patchMerge('v1', 'Pod', 'web', 'web-b', {
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    await waitUntil(
      () => app.lastConfig(),
      (t) => !t.includes('127.0.0.3'),
      'web-b removed from the config',
    );
    const names = new Set<string>();
    for (let i = 0; i < 8; i++) names.add((await get('web.test', '/app')).json<EchoResponse>().name);
    expect([...names]).toEqual(['web-a']);
    api.store.patchMerge('v1', 'Pod', 'web', 'web-b', {
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await waitUntil(
      () => app.lastConfig(),
      (t) => t.includes('127.0.0.3'),
      'web-b back in the config',
    );
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  });

  // Runs last: it takes the TLS host away.
  it('removes a host key file (and its directory) once a config without the host is live', async () => {
    expect((await readdir(`${work.path}/ssl`)).sort()).toEqual(['secure.test']);
    api.store.patchMerge('v1', 'Namespace', '', 'shop', {
      metadata: { annotations: { [HOSTS]: JSON.stringify({ 'shop.test': {} }) } },
    });
    await waitUntil(
      () => readdir(`${work.path}/ssl`),
      (names) => names.length === 0,
      'secure.test files removed',
    );
    // Removed only after nginx applied a config that no longer references them.
    expect(app.lastConfig()).not.toContain('secure.test');
    expect(await readFile(app.nginx!.paths.confPath, 'utf8')).not.toContain('secure.test');
    const after = await httpRequest({
      url: `https://127.0.0.1:${sslPort}/api`,
      host: 'secure.test',
      rejectUnauthorized: false,
    }).catch((err: unknown) => err);
    expect(after).not.toMatchObject({ peerCertificate: { commonName: 'secure.test' } });
    expect((await get('shop.test', '/api', { 'X-ROUTING-API-KEY': 'c3VwZXJzZWNyZXQ=' })).status).toBe(200);
  });
});

// The batching window at its default (2 s): a burst of 200 pod changes inside one window is
// applied in one pass, so at most one reload (two if the burst straddles a window boundary).
describe('dispatcher batching', () => {
  const WINDOW = 2000;
  let api: ApiServer;
  let app: DispatcherApp;
  let metrics: Metrics;
  let work: TempDir;
  let httpPort: number;

  const reloads = async (): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('dispatcher_nginx_reloads_total')?.get();
    return m?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  };
  // Every pass, whatever its result.
  const passes = async (): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('dispatcher_reconcile_total')?.get();
    return m?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  };
  const paths = (weight: number): string =>
    JSON.stringify([{ basePath: '/burst', containerPort: '3000', weight }]);

  beforeAll(async () => {
    work = await tempDir('dispatcher-burst');
    httpPort = await freePort();
    api = await startApiServer();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'web',
        labels: ROUTABLE,
        annotations: { [HOSTS]: JSON.stringify({ 'web.test': {} }) },
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-c', namespace: 'web', labels: ROUTABLE, annotations: { [PATHS]: paths(1) } },
      spec: { containers: [{ name: 'app', image: 'echo', ports: [{ containerPort: 3000 }] }] },
    });
    api.store.patchMerge('v1', 'Pod', 'web', 'web-c', {
      status: { phase: 'Running', podIP: '127.0.0.4', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    app = await run(
      {
        ...makeConfig({ port: httpPort }),
        mock: false,
        eventWindowMs: WINDOW,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
        nginxStopTimeoutMs: 2000,
      },
      { logger: createNoopLogger(), kubeClient: createKubeClient({ kubeConfig }), metrics },
    );
    await app.ready;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
    await work?.remove();
  });

  it('coalesces a burst of 200 pod changes inside one window into at most 2 reloads', async () => {
    expect(app.lastConfig()).toContain('server 127.0.0.4:3000 weight=1;');
    await app.idle();
    const before = await reloads();
    const passesBefore = await passes();
    const start = Date.now();
    for (let w = 2; w <= 201; w++)
      api.store.patchMerge('v1', 'Pod', 'web', 'web-c', { metadata: { annotations: { [PATHS]: paths(w) } } });
    // The premise: the whole burst fell inside one window.
    expect(Date.now() - start).toBeLessThan(WINDOW);
    await waitUntil(
      () => app.lastConfig(),
      (t) => t.includes('weight=201'),
      'the last change applied',
    );
    await new Promise((r) => setTimeout(r, WINDOW));
    await app.idle();
    const after = await reloads();
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(2);
    // One pass per window: the burst, plus at most one for a change seen during that pass.
    expect((await passes()) - passesBefore).toBeLessThanOrEqual(2);
  });
});

// A config nginx refuses is a terminal pass: not retried, the previous config keeps serving, and
// readiness counts it as the first pass done (nginx serves the empty-cluster config). The model
// validates everything nginx would refuse, so an nginx that also refuses any config naming
// `refused.test` stands in for a refusal.
describe('dispatcher with a config nginx refuses', () => {
  const WINDOW = 200;
  const REFUSING_HOST = 'refused.test';
  let api: ApiServer;
  let app: DispatcherApp;
  let metrics: Metrics;
  let work: TempDir;
  let httpPort: number;
  let fatal: (reason: string) => void = () => undefined;

  const reconciles = async (result: string): Promise<number> =>
    (await metrics.registry.getSingleMetric('dispatcher_reconcile_total')?.get())?.values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0;
  const gauge = async (name: string): Promise<number | undefined> =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;
  const hosts = (list: string[]): string => JSON.stringify(Object.fromEntries(list.map((h) => [h, {}])));
  const marker = (): string => `${work.path}/refuse`;
  const setHosts = (list: string[]): void => {
    api.store.patchMerge('v1', 'Namespace', '', 'web', {
      metadata: { annotations: { [HOSTS]: hosts(list) } },
    });
  };

  beforeAll(async () => {
    work = await tempDir('dispatcher-refused');
    httpPort = await freePort();
    const wrapper = `${work.path}/nginx-refusing`;
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        'if [ "$1" = "-t" ]; then',
        '  conf=""; prev=""',
        '  for a in "$@"; do [ "$prev" = "-c" ] && conf="$a"; prev="$a"; done',
        // Every test after nginx's start-up one is refused while the marker file exists: a refusal
        // no object can be blamed for (the config without any Pod, Namespace or Secret is refused
        // too), so the loop cannot isolate anything and the pass is a terminal error.
        `  n=$(cat '${work.path}/tests' 2>/dev/null || echo 0); echo $((n + 1)) > '${work.path}/tests'`,
        `  if [ "$n" -ge 1 ] && [ -e '${marker()}' ]; then echo "nginx: [emerg] refused by the test" >&2; exit 1; fi`,
        'fi',
        `exec ${nginxBinary()} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    await writeFile(marker(), '');
    api = await startApiServer();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'web', labels: ROUTABLE, annotations: { [HOSTS]: hosts([REFUSING_HOST]) } },
    });
    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    app = await run(
      {
        ...makeConfig({ port: httpPort }),
        mock: false,
        eventWindowMs: WINDOW,
        nginxBinary: wrapper,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
        nginxStopTimeoutMs: 2000,
      },
      {
        logger: createNoopLogger(),
        kubeClient: createKubeClient({ kubeConfig }),
        metrics,
        onFatal: (reason) => fatal(reason),
      },
    );
    await app.ready;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
    await work?.remove();
  });

  it('is ready after a refused first config, and nginx serves the empty-cluster config', async () => {
    expect(app.lastPass()).toMatchObject({ seq: 1, result: 'terminal_error' });
    expect(await reconciles('terminal_error')).toBe(1);
    expect(await reconciles('success')).toBe(0);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(app.lastConfig()).not.toContain(REFUSING_HOST);
    expect(await readFile(app.nginx!.paths.confPath, 'utf8')).not.toContain(REFUSING_HOST);
    expect(
      (await httpRequest({ url: `http://127.0.0.1:${httpPort}/dispatcher/status`, host: '127.0.0.1' }))
        .status,
    ).toBe(200);
    expect(await gauge('dispatcher_hosts')).toBe(0);
  });

  it('applies the next change, then keeps that config serving when a later one is refused', async () => {
    await rm(marker());
    setHosts(['web.test']);
    await app.waitForPass((p) => p.result === 'success');
    expect(app.lastConfig()).toContain('server_name web.test;');
    expect(await gauge('dispatcher_hosts')).toBe(1);
    // The refused pass was not retried in between: one terminal pass, then the change.
    expect(await reconciles('terminal_error')).toBe(1);
    expect(await reconciles('success')).toBe(1);

    await writeFile(marker(), '');
    setHosts(['web.test', 'other.test', REFUSING_HOST]);
    const refused = await app.waitForPass((p) => p.seq > 2);
    expect(refused.result).toBe('terminal_error');
    expect(await reconciles('terminal_error')).toBe(2);
    const live = await readFile(app.nginx!.paths.confPath, 'utf8');
    expect(live).toContain('server_name web.test;');
    expect(live).not.toContain('other.test');
    expect(app.lastConfig()).toBe(live);
    expect(await gauge('dispatcher_hosts')).toBe(1);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);

    await rm(marker());
    setHosts(['web.test', 'other.test']);
    await app.waitForPass((p) => p.seq > refused.seq && p.result === 'success');
    expect(await readFile(app.nginx!.paths.confPath, 'utf8')).toContain('server_name other.test;');
    expect(await gauge('dispatcher_hosts')).toBe(2);
  });

  // Runs last: it kills nginx.
  it('calls onFatal when nginx exits on its own', async () => {
    const reason = new Promise<string>((resolve) => (fatal = resolve));
    process.kill(app.nginx!.pid()!, 'SIGTERM');
    expect(await reason).toMatch(/^nginx exited unexpectedly/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(503);
  });
});
