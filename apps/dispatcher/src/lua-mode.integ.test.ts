import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger, type Metrics } from '@kube-edge/runtime';
import {
  eventually,
  freePort,
  httpRequest,
  startApiServer,
  startEchoServer,
  tempDir,
  type ApiServer,
  type EchoResponse,
  type EchoServer,
  type TempDir,
} from '@kube-edge/testkit';
import WebSocket from 'ws';
import { run, type DispatcherApp } from './app.js';
import type { DispatcherModel } from './model/types.js';
import { config as makeConfig, HOSTS, PATHS, ROUTABLE } from '../test/fixtures.js';

const WINDOW_MS = 400;

/** The app's endpoint token (read from its config): what the controller sends with every call. */
let endpointToken: string | undefined;

/** A raw call to the membership endpoint (what any process on the pod's loopback could send). */
function callEndpoint(
  port: number,
  method: string,
  body?: string | Buffer,
  address = '127.0.0.1',
  localAddress?: string,
  /** null: no token header. */
  token: string | null | undefined = endpointToken,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        ...(localAddress !== undefined ? { localAddress } : {}),
        port,
        path: '/configuration/backends',
        method,
        agent: false,
        headers: {
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...(typeof token === 'string' ? { 'x-dispatcher-token': token } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Lua mode against the testkit API server and real nginx with Debian's lua-nginx-module: pod
// membership changes reach traffic without a reload; hosts still reload; the endpoint holds.
describe('dispatcher Lua mode (pod membership without reloads)', () => {
  let api: ApiServer;
  let app: DispatcherApp;
  let metrics: Metrics;
  let work: TempDir;
  let httpPort: number;
  let podPort: number;
  let backendsPort: number;
  const echoes: EchoServer[] = [];

  const get = (host: string, path: string) =>
    httpRequest({ url: `http://127.0.0.1:${httpPort}${path}`, host });
  const counter = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    return (
      m?.values
        .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        .reduce((n, v) => n + v.value, 0) ?? 0
    );
  };
  const reloads = (): Promise<number> => counter('dispatcher_nginx_reloads_total');
  const pushes = (): Promise<number> => counter('dispatcher_nginx_membership_pushes_total', { result: 'ok' });
  const storedHash = async (): Promise<string> =>
    /^hash (\S*)/m.exec((await callEndpoint(backendsPort, 'GET')).text)?.[1] ?? '';

  /** Who answers `n` requests to `/svc` on app.test, by name. */
  async function spread(n: number, path = '/svc'): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await get('app.test', path);
      const name = res.status === 200 ? res.json<EchoResponse>().name : `status ${res.status}`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once a membership push after `before` pushes happened (the explicit signal). */
  async function pushedAfter(before: number): Promise<void> {
    await eventually(
      async () => {
        if ((await pushes()) <= before) throw new Error('no push yet');
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'a membership push' },
    );
  }

  function pod(name: string, ip: string, weight?: number, ready = true): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'app',
        labels: ROUTABLE,
        annotations: {
          [PATHS]: JSON.stringify([
            { basePath: '/svc', containerPort: String(podPort), ...(weight !== undefined ? { weight } : {}) },
            { basePath: '/ws', containerPort: String(podPort) },
          ]),
        },
      },
      spec: { containers: [{ name: 'app', image: 'echo', ports: [{ containerPort: podPort }] }] },
      status: {
        phase: 'Running',
        podIP: ip,
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    };
  }
  function createPod(name: string, ip: string, weight?: number): void {
    const obj = pod(name, ip, weight);
    api.store.create(obj as Parameters<ApiServer['store']['create']>[0]);
    api.store.patchMerge('v1', 'Pod', 'app', name, { status: obj.status });
  }

  beforeAll(async () => {
    work = await tempDir('dispatcher-lua');
    [httpPort, podPort, backendsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    for (const [name, host] of [
      ['pod-a', '127.0.0.2'],
      ['pod-b', '127.0.0.3'],
      ['pod-c', '127.0.0.4'],
    ] as const)
      echoes.push(await startEchoServer({ host, port: podPort, name }));
    api = await startApiServer();
    api.store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'app',
        labels: ROUTABLE,
        annotations: { [HOSTS]: JSON.stringify({ 'app.test': {} }) },
      },
    });
    createPod('pod-a', '127.0.0.2');
    createPod('pod-b', '127.0.0.3');
    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    metrics = createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false });
    app = await run(
      {
        ...makeConfig({ port: httpPort, 'ssl-cert-dir': `${work.path}/ssl` }),
        mock: false,
        eventWindowMs: WINDOW_MS,
        nginxWorkDir: `${work.path}/nginx`,
        http: { port: 0, host: '127.0.0.1' },
        nginxStopTimeoutMs: 2000,
        upstreamMode: 'lua',
        backendsPort,
      },
      { logger: createNoopLogger(), kubeClient: createKubeClient({ kubeConfig }), metrics },
    );
    await app.ready;
    endpointToken = /\$http_x_dispatcher_token != "([0-9a-f]+)"/.exec(app.lastConfig())?.[1];
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await api?.close();
    await Promise.all(echoes.map((e) => e.close()));
    await work?.remove();
  });

  it('renders no pod into nginx.conf: upstreams use the Lua balancer and the endpoint listens on 127.0.0.1 only', async () => {
    expect(app.nginxStep?.mode).toBe('lua');
    expect(app.nginxStep?.luaLive()).toBe(true);
    const text = app.lastConfig();
    expect(text).toContain('balancer_by_lua_block');
    expect(text).toContain(`listen 127.0.0.1:${backendsPort};`);
    expect(text).not.toContain('127.0.0.2');
    expect(await spread(4)).toEqual({ 'pod-a': 2, 'pod-b': 2 });
    // Bound to 127.0.0.1 only: another loopback address of this host is refused.
    await expect(callEndpoint(backendsPort, 'GET', undefined, '127.0.0.2')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a pod added, removed, re-weighted or flipping readiness reaches traffic with no reload and the same workers', async () => {
    const reloadsBefore = await reloads();
    const workers = await app.nginx!.workerPids();
    const configBefore = app.lastConfig();

    let before = await pushes();
    createPod('pod-c', '127.0.0.4');
    await pushedAfter(before);
    expect(await spread(6)).toEqual({ 'pod-a': 2, 'pod-b': 2, 'pod-c': 2 });

    before = await pushes();
    api.store.delete('v1', 'Pod', 'app', 'pod-c');
    await pushedAfter(before);
    expect(await spread(6)).toEqual({ 'pod-a': 3, 'pod-b': 3 });

    before = await pushes();
    api.store.patchMerge('v1', 'Pod', 'app', 'pod-a', {
      metadata: {
        annotations: {
          [PATHS]: (pod('pod-a', '127.0.0.2', 3).metadata as { annotations: Record<string, string> })
            .annotations[PATHS],
        },
      },
    });
    await pushedAfter(before);
    expect(await spread(8)).toEqual({ 'pod-a': 6, 'pod-b': 2 });

    before = await pushes();
    api.store.patchMerge('v1', 'Pod', 'app', 'pod-b', {
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    await pushedAfter(before);
    expect(await spread(4)).toEqual({ 'pod-a': 4 });

    before = await pushes();
    api.store.patchMerge('v1', 'Pod', 'app', 'pod-b', {
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await pushedAfter(before);
    expect(await spread(8)).toEqual({ 'pod-a': 6, 'pod-b': 2 });

    expect(await reloads()).toBe(reloadsBefore);
    expect(await app.nginx!.workerPids()).toEqual(workers);
    expect(app.lastConfig()).toBe(configBefore);
  });

  it('keeps a WebSocket open and working across membership changes', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: { host: 'app.test' } });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const say = (text: string): Promise<string> => {
      const reply = new Promise<string>((resolve) =>
        socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
      );
      socket.send(text);
      return reply;
    };
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const first = await say('one');
      const served = first.split(':')[0]!;
      const reloadsBefore = await reloads();
      let before = await pushes();
      createPod('pod-c', '127.0.0.4');
      await pushedAfter(before);
      before = await pushes();
      api.store.patchMerge('v1', 'Pod', 'app', served === 'pod-a' ? 'pod-b' : 'pod-a', {
        status: { conditions: [{ type: 'Ready', status: 'False' }] },
      });
      await pushedAfter(before);
      expect(await say('two')).toBe(`${served}: two`);
      expect(isClosed).toBe(false);
      expect(await reloads()).toBe(reloadsBefore);
    } finally {
      socket.terminate();
      api.store.patchMerge('v1', 'Pod', 'app', 'pod-a', {
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      });
      api.store.patchMerge('v1', 'Pod', 'app', 'pod-b', {
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      });
      api.store.delete('v1', 'Pod', 'app', 'pod-c');
    }
  });

  it('reloads exactly once when a host is added', async () => {
    const reloadsBefore = await reloads();
    api.store.patchMerge('v1', 'Namespace', '', 'app', {
      metadata: { annotations: { [HOSTS]: JSON.stringify({ 'app.test': {}, 'new.test': {} }) } },
    });
    // The signal: the reload is counted once the old workers are gone.
    await eventually(
      async () => {
        if ((await reloads()) === reloadsBefore) throw new Error('no reload yet');
        return true;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the reload' },
    );
    const res = await eventually(
      async () => {
        const r = await get('new.test', '/svc').catch(() => undefined);
        if (r?.status !== 200) throw new Error('new.test not served yet');
        return r;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'new.test served' },
    );
    expect(['pod-a', 'pod-b']).toContain(res.json<EchoResponse>().name);
    expect(await reloads()).toBe(reloadsBefore + 1);
  });

  it('refuses every attack on the endpoint and changes nothing', async () => {
    await eventually(
      async () => {
        // pod-a has weight 3 since the membership test; pod-c is gone since the WebSocket test.
        const s = await spread(8);
        if (s['pod-a'] !== 6 || s['pod-b'] !== 2) throw new Error(JSON.stringify(s));
        return s;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'pods a and b back' },
    );
    const hash = await storedHash();
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const attacks: [string, string | Buffer, number][] = [
      ['oversized body', Buffer.alloc(9 * 1024 * 1024, 0x61), 413],
      ['a hostname for an IP', 'upstream x\nserver evil.example 80 1', 400],
      ['an IP with a zone', 'upstream x\nserver fe80::1%eth0 80 1', 400],
      ['an out-of-range octet', 'upstream x\nserver 10.0.0.256 80 1', 400],
      ['port 0', 'upstream x\nserver 10.0.0.1 0 1', 400],
      ['port 65536', 'upstream x\nserver 10.0.0.1 65536 1', 400],
      ['weight 0', 'upstream x\nserver 10.0.0.1 80 0', 400],
      ['a negative weight', 'upstream x\nserver 10.0.0.1 80 -1', 400],
      ['Lua after a record', 'upstream x\nserver 10.0.0.1 80 1; os.exit(1)', 400],
      ['Lua in an upstream name', 'upstream x")os.execute("id', 400],
      ['a Lua long string', 'upstream [[x]]', 400],
      ['a bare Lua statement', 'os.exit(1)', 400],
      ['nginx directives', 'upstream x\n}\nserver { listen 80; }', 400],
      ['a NUL byte', 'upstream x\nserver 10.0.0.1\u0000 80 1', 400],
      ['a server before any upstream', 'server 10.0.0.1 80 1', 400],
      ['the same upstream twice', 'upstream x\nupstream x', 400],
      ['a hash with a newline injection', 'hash ab cd', 400],
      ['JSON', '{"upstream":"x","servers":[{"ip":"10.0.0.1"}]}', 400],
    ];
    for (const [what, body, status] of attacks) {
      const res = await callEndpoint(backendsPort, 'POST', body);
      expect({ what, status: res.status }).toEqual({ what, status });
    }
    // The endpoint's path on the public port is just a path of the host (its default location).
    const publicPost = await httpRequest({
      url: `http://127.0.0.1:${httpPort}/configuration/backends`,
      host: 'app.test',
      method: 'POST',
      body: 'upstream x\nserver 10.0.0.1 80 1',
    });
    expect(publicPost.status).toBe(404);
    // A connection from any other source address (e.g. a packet routed to the node's loopback
    // with route_localnet) is denied before the Lua file runs.
    const otherSource = await callEndpoint(
      backendsPort,
      'POST',
      'upstream x\nserver 10.0.0.1 80 1',
      '127.0.0.1',
      '127.0.0.2',
    );
    expect(otherSource.status).toBe(403);
    expect((await callEndpoint(backendsPort, 'GET', undefined, '127.0.0.1', '127.0.0.2')).status).toBe(403);
    expect((await callEndpoint(backendsPort, 'PUT', 'upstream x')).status).toBe(405);
    expect((await callEndpoint(backendsPort, 'DELETE')).status).toBe(405);
    expect(await storedHash()).toBe(hash);
    expect(await spread(8)).toEqual({ 'pod-a': 6, 'pod-b': 2 });
  });

  it('cannot be driven without its token, even through a route nginx proxies to 127.0.0.1', async () => {
    const hash = await storedHash();
    expect(endpointToken).toMatch(/^[0-9a-f]{32}$/);
    const push = 'upstream x\nserver 10.0.0.1 80 1\n';
    const noToken = await callEndpoint(backendsPort, 'POST', push, '127.0.0.1', undefined, null);
    expect(noToken.status).toBe(403);
    const wrong = await callEndpoint(backendsPort, 'POST', push, '127.0.0.1', undefined, '0'.repeat(32));
    expect(wrong.status).toBe(403);
    expect(await storedHash()).toBe(hash);

    // A pod whose IP is loopback, routing /hijack to the endpoint: nginx itself then connects to
    // it from 127.0.0.1, with whatever an outside client sent.
    const evil = pod('pod-evil', '127.0.0.1');
    const spec = { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: backendsPort }] }] };
    const paths = JSON.stringify([
      { basePath: '/hijack', containerPort: String(backendsPort), targetPath: '/configuration/backends' },
    ]);
    api.store.create({
      ...evil,
      metadata: { ...(evil.metadata as object), annotations: { [PATHS]: paths } },
      spec,
    } as unknown as Parameters<ApiServer['store']['create']>[0]);
    api.store.patchMerge('v1', 'Pod', 'app', 'pod-evil', { status: evil.status });
    try {
      const routed = await eventually(
        async () => {
          const r = await get('app.test', '/hijack');
          if (r.status === 404) throw new Error('/hijack not routed yet');
          return r;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: '/hijack routed' },
      );
      expect(routed.status).toBe(403);
      // /hijack can answer from a new worker while the old ones still accept (404): wait until
      // the reload that added it has replaced them.
      await app.nginx!.reloaded();
      // The controller's own push for the new path.
      const live = await storedHash();
      const hijack = await httpRequest({
        url: `http://127.0.0.1:${httpPort}/hijack`,
        host: 'app.test',
        method: 'POST',
        body: push,
      });
      expect(hijack.status).toBe(403);
      expect(await storedHash()).toBe(live);
      expect(await spread(8)).toEqual({ 'pod-a': 6, 'pod-b': 2 });
    } finally {
      api.store.delete('v1', 'Pod', 'app', 'pod-evil');
    }
  });

  it("stores a membership past nginx's default body buffer (1,000 pods), also with workers running as another user", async () => {
    // As root, nginx's workers run as nobody: a body nginx spooled to a temp file under the work
    // directory could not be opened, so every push of about 450 pods or more failed (500) and each
    // pass fell back to a reload.
    const failed = () => counter('dispatcher_nginx_membership_pushes_total', { result: 'failed' });
    const members = (m?: DispatcherModel): number =>
      m?.nginx.upstreams.reduce((n, u) => n + u.servers.length, 0) ?? 0;
    // Settled first: the previous test's /hijack path is gone (a reload) and served.
    await app.waitForPass(
      (p) =>
        p.result === 'success' &&
        p.model?.nginx.servers.some((sv) => sv.locations.some((l) => l.path === '/hijack')) === false,
    );
    await app.nginx!.reloaded();
    const spreadBefore = await spread(8);
    const failedBefore = await failed();
    const reloadsBefore = await reloads();
    const pushesBefore = await pushes();
    // /svc and /ws of 1,002 pods: a body of about 50 KiB.
    const full = app.waitForPass((p) => p.result === 'success' && members(p.model) >= 2 * 1002, 30_000);
    const names = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    names.forEach((name, i) => createPod(name, `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    try {
      await full;
      expect(await failed()).toBe(failedBefore);
      expect(await pushes()).toBeGreaterThan(pushesBefore);
      expect(await reloads()).toBe(reloadsBefore);
      expect(app.nginxStep?.luaLive()).toBe(true);
    } finally {
      for (const name of names) api.store.delete('v1', 'Pod', 'app', name);
    }
    await eventually(
      async () => {
        const s = await spread(8);
        if (!isDeepStrictEqual(s, spreadBefore)) throw new Error(JSON.stringify(s));
        return s;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'the pods of before alone again' },
    );
    expect(await failed()).toBe(failedBefore);
  });
});
