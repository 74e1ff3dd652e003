import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  makeTestCertificate,
  startEchoServer,
  httpRequest,
  type EchoResponse,
  type EchoServer,
} from '@kube-edge/testkit';
import { WebSocket } from 'ws';
import { eventually, ingress, service, startHarness, type Harness } from '../test/harness.js';

// feed-ingress in-process against testkit's API server, real nginx and echo backends on
// distinct 127.0.0.x addresses given as the Services' ClusterIPs.
describe('feed-ingress against the API server and real nginx', () => {
  let h: Harness;
  let a: EchoServer;
  let b: EchoServer;

  beforeAll(async () => {
    a = await startEchoServer({ host: '127.0.0.31', name: 'pod-a' });
    b = await startEchoServer({ host: '127.0.0.32', name: 'pod-b' });
    h = await startHarness({
      command: ['static', '--internal-hostname=lb.internal.test'],
      args: ['--nginx-allow-websocket-upgrade'],
    });
    h.api.store.create(service('default', 'svc-a', '127.0.0.31', a.port));
    h.api.store.create(service('default', 'svc-b', '127.0.0.32', b.port));
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await a?.close();
    await b?.close();
  });

  const echo = async (host: string, path: string, https = false): Promise<EchoResponse> => {
    const res = await h.get(host, path, https);
    if (res.status !== 200) throw new Error(`${host}${path}: status ${res.status}`);
    return res.json<EchoResponse>();
  };

  it('serves a new Ingress: requests with its Host reach the right backend', async () => {
    h.api.store.create(
      ingress('default', 'web', 'web.test', [{ path: '/', service: 'svc-a', port: a.port }]),
    );
    const body = await eventually(() => echo('web.test', '/hello'));
    expect(body).toMatchObject({ name: 'pod-a', host: 'web.test', path: '/hello' });
    // An unknown host gets the default server's 404.
    expect((await h.get('other.test', '/hello')).status).toBe(404);
  });

  it('follows updates of paths, backends and annotations', async () => {
    h.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'web', {
      spec: {
        rules: [
          {
            host: 'web.test',
            http: {
              paths: [
                {
                  path: '/api',
                  pathType: 'Prefix',
                  backend: { service: { name: 'svc-b', port: { number: b.port } } },
                },
              ],
            },
          },
        ],
      },
    });
    // strip-path defaults to true: /api/x reaches the backend as /x.
    const stripped = await eventually(async () => {
      const r = await echo('web.test', '/api/x');
      if (r.name !== 'pod-b') throw new Error('still old backend');
      return r;
    });
    expect(stripped.path).toBe('/x');
    await h.settle();
    expect((await h.get('web.test', '/hello')).status).toBe(404);

    h.api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'web', {
      metadata: { annotations: { 'sky.uk/strip-path': 'false' } },
    });
    const kept = await eventually(async () => {
      const r = await echo('web.test', '/api/x');
      if (r.path !== '/api/x') throw new Error(`path still ${r.path}`);
      return r;
    });
    expect(kept.name).toBe('pod-b');
  });

  it('stops serving a deleted Ingress (404)', async () => {
    h.api.store.create(
      ingress('default', 'gone', 'gone.test', [{ path: '/', service: 'svc-a', port: a.port }]),
    );
    await eventually(() => echo('gone.test', '/'));
    h.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'gone');
    await eventually(async () => {
      const r = await h.get('gone.test', '/');
      if (r.status !== 404) throw new Error(`status ${r.status}`);
    });
  });

  it('skips an Ingress with a bad annotation, records a Warning Event on it, and keeps serving the others', async () => {
    h.api.store.create(
      ingress('default', 'bad', 'bad.test', [{ path: '/', service: 'svc-a', port: a.port }], {
        'sky.uk/allow': '10.0.0.0/8, not-an-ip',
      }),
    );
    h.api.store.create(
      ingress('default', 'good', 'good.test', [{ path: '/', service: 'svc-b', port: b.port }]),
    );
    await eventually(() => echo('good.test', '/'));
    const event = await eventually(() => {
      const found = h.api.store
        .list('v1', 'Event', 'default')
        .find((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'bad') as
        | {
            type: string;
            reason: string;
            message: string;
            involvedObject: { kind: string; namespace: string; uid?: string };
            source: { component: string };
          }
        | undefined;
      if (found === undefined) return Promise.reject(new Error('no event yet'));
      return Promise.resolve(found);
    });
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'Skipped',
      involvedObject: { kind: 'Ingress', namespace: 'default' },
      source: { component: 'feed-ingress' },
    });
    expect(event.message).toContain('sky.uk/allow');
    expect((await h.get('bad.test', '/')).status).toBe(404);
    expect((await echo('web.test', '/api/x')).name).toBe('pod-b');
    const metrics = await httpRequest({ url: `${h.handle.url}/metrics` });
    expect(metrics.body).toMatch(/feed_ingress_skipped_objects\{kind="Ingress",reason="Skipped"\} [1-9]/);
  });

  it('answers a TLS host over HTTPS with its own certificate chosen by SNI, with key files 0600 in a 0700 dir', async () => {
    const pair = await makeTestCertificate({ commonName: 'secure.test' });
    h.api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'secure-tls', namespace: 'default' },
      data: {
        'tls.crt': Buffer.from(pair.cert).toString('base64'),
        'tls.key': Buffer.from(pair.key).toString('base64'),
      },
    });
    h.api.store.create(
      ingress(
        'default',
        'secure',
        'secure.test',
        [{ path: '/', service: 'svc-a', port: a.port }],
        {},
        { tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }] },
      ),
    );
    const res = await eventually(async () => {
      const r = await h.get('secure.test', '/tls', true);
      if (r.status !== 200 || r.peerCertificate?.commonName !== 'secure.test')
        throw new Error(`status ${r.status} cn ${r.peerCertificate?.commonName}`);
      return r;
    });
    expect(res.json<EchoResponse>()).toMatchObject({ name: 'pod-a', path: '/tls' });
    // Another host on the HTTPS port gets the default certificate.
    expect((await h.get('web.test', '/api/x', true)).peerCertificate?.commonName).toBe('default.invalid');

    const tlsDir = h.config.model.nginx.tlsDir;
    expect((await stat(tlsDir)).mode & 0o777).toBe(0o700);
    const files = await readdir(tlsDir);
    expect(files.filter((f) => f.endsWith('.key'))).toHaveLength(1);
    for (const f of files) expect((await stat(join(tlsDir, f))).mode & 0o777).toBe(0o600);

    // Deleting the Ingress removes its files once the new config is live.
    h.api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', 'secure');
    await eventually(async () => {
      if ((await readdir(tlsDir)).length !== 0) throw new Error('stale tls files still there');
    });
  });

  it('passes a WebSocket upgrade through to the backend', async () => {
    h.api.store.create(ingress('default', 'ws', 'ws.test', [{ path: '/', service: 'svc-a', port: a.port }]));
    // The explicit signal: a pass whose model serves ws.test succeeded, and a pass completes
    // only once nginx serves its config on every accepting worker (no older generation without
    // ws.test still accepts). So from here on every fresh connection reaches the backend.
    await h.handle.waitForModel((m) => m.servedIngresses.some((i) => i.name === 'ws'));
    for (let i = 0; i < 5; i++) expect((await echo('ws.test', '/')).name).toBe('pod-a');
    const reply = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.httpPort}/socket`, { headers: { Host: 'ws.test' } });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no websocket reply'));
      }, 5000);
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (data: Buffer) => {
        clearTimeout(timer);
        ws.close();
        resolve(data.toString('utf8'));
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    expect(reply).toBe('pod-a: hello');
  });

  it('writes the static hostname into the status of Ingresses of that scheme only (leader)', async () => {
    h.api.store.create(
      ingress('default', 'internal', 'internal.test', [{ path: '/', service: 'svc-a', port: a.port }], {
        'sky.uk/frontend-scheme': 'internal',
      }),
    );
    h.api.store.create(
      ingress('default', 'public', 'public.test', [{ path: '/', service: 'svc-a', port: a.port }], {
        'sky.uk/frontend-scheme': 'internet-facing',
      }),
    );
    const status = await eventually(() => {
      const ing = h.api.store.get('networking.k8s.io/v1', 'Ingress', 'default', 'internal') as {
        status?: { loadBalancer?: { ingress?: unknown[] } };
      };
      const list = ing.status?.loadBalancer?.ingress ?? [];
      if (list.length === 0) return Promise.reject(new Error('no status yet'));
      return Promise.resolve(list);
    });
    expect(status).toEqual([{ hostname: 'lb.internal.test' }]);
    expect(h.handle.isLeader()).toBe(true);
    // No --external-hostname: the internet-facing Ingress keeps an empty status (kube-edge fix of feed's [{hostname:""}]).
    await eventually(() => echo('public.test', '/'));
    await h.handle.waitForModel((m) => m.servedIngresses.some((i) => i.name === 'public'));
    const pub = h.api.store.get('networking.k8s.io/v1', 'Ingress', 'default', 'public') as {
      status?: { loadBalancer?: { ingress?: unknown[] } };
    };
    expect(pub.status?.loadBalancer?.ingress ?? []).toEqual([]);
  });

  it('reports a skipped object once (one warn line, one Event with count 1), not on every pass', async () => {
    // Many passes ran since the bad Ingress was skipped (every test above changed something).
    const passes = await h.handle.metrics.registry.getSingleMetric('feed_ingress_reconcile_total')?.get();
    expect(passes?.values.find((v) => v.labels.result === 'success')?.value ?? 0).toBeGreaterThan(5);
    const events = h.api.store
      .list('v1', 'Event', 'default')
      .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'bad');
    expect(events).toHaveLength(1);
    expect((events[0] as { count?: number }).count ?? 1).toBe(1);
    const warns = h
      .logs()
      .split('\n')
      .filter((l) => l.includes('"message":"object skipped"') && l.includes('"name":"bad"'));
    expect(warns).toHaveLength(1);
  });

  it('reports feed health endpoints and metrics on the controller port', async () => {
    const get = (path: string) => httpRequest({ url: `${h.handle.url}${path}` });
    expect((await get('/health')).status).toBe(200);
    expect((await get('/readiness')).status).toBe(200);
    expect((await get('/alive')).body).toBe('ok\n');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/feed_ingress_reconcile_total\{result="success"\} [1-9]/);
    expect(metrics).toContain('feed_ingress_nginx_reloads_total');
    expect(metrics).toMatch(/feed_ingress_reloads [1-9]/);
    expect(metrics).toMatch(/feed_ingress_leader 1/);
    // nginx's own status server answers the load balancers' health check.
    expect((await httpRequest({ url: `http://127.0.0.1:${h.nginxHealthPort}/health` })).status).toBe(200);
  });
});
