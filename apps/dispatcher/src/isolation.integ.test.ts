import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, type Logger, type LogMeta } from '@kube-edge/runtime';
import {
  eventually,
  freePort,
  httpRequest,
  makeTestCertificate,
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
import { run, type DispatcherApp } from './app.js';
import type { DispatcherRunConfig } from './config.js';
import { config as makeConfig } from '../test/fixtures.js';

const ROUTABLE = { 'github.com/30x.dispatcher.routable': 'true' };
const HOSTS = 'github.com/30x.dispatcher.hosts';
const PATHS = 'github.com/30x.dispatcher.paths';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const GOOD = ['alpha', 'beta', 'gamma'];
// Known secret values: none may appear in any log line, raw or base64.
const API_KEY = 'known-api-key-4b1d7e0c9a';
const POISON_KEY = `poison-${'k'.repeat(3000)}`;

/** Every line, every level, serialised as a log sink would (Error message and stack included). */
function captureLogger(out: string[]): Logger {
  const line = (level: string, message: string, meta?: LogMeta): void => {
    out.push(
      JSON.stringify({ level, message, meta }, (_k, v: unknown) =>
        v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
      ),
    );
  };
  const make = (): Logger => ({
    error: (m, meta) => line('error', m, meta),
    warn: (m, meta) => line('warn', m, meta),
    info: (m, meta) => line('info', m, meta),
    debug: (m, meta) => line('debug', m, meta),
    child: () => make(),
  });
  return make();
}

// Poisoned objects among good ones: a routing Secret whose api-key nginx cannot carry (caught by
// validation) and one holding a 1024-bit RSA certificate that parses but that OpenSSL's policy
// makes nginx -t refuse (caught only by the loop's bisection). The good ones are served, each
// poisoned one has an Event, the isolation metric counts the second, and a restart with both
// present serves the good ones again. The logs of the whole run hold no secret value.
describe('dispatcher: one poisoned object among good ones (real nginx, API server)', () => {
  let api: ApiServer;
  let work: TempDir;
  let cfg: DispatcherRunConfig;
  let httpPort: number;
  let sslPort: number;
  let tls: TestCertificate;
  // A declared port nothing listens on: nginx logs the failed request line (with its query).
  let deadPort: number;
  const echoes: EchoServer[] = [];
  const logs: string[] = [];
  const apps: DispatcherApp[] = [];

  const get = (host: string, path: string, headers: Record<string, string> = {}) =>
    httpRequest({ url: `http://127.0.0.1:${httpPort}${path}`, host, headers });

  async function start(): Promise<DispatcherApp> {
    const { kubeConfig } = loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() });
    const app = await run(cfg, {
      logger: captureLogger(logs),
      kubeClient: createKubeClient({ kubeConfig }),
      metrics: createMetrics({ prefix: 'dispatcher', collectDefaultMetrics: false }),
    });
    apps.push(app);
    await app.ready;
    return app;
  }

  async function goodOnesServed(): Promise<void> {
    for (const name of GOOD) {
      const r = await eventually(
        async () => {
          const res = await get(
            `${name}.test`,
            '/app',
            name === 'alpha' ? { 'X-ROUTING-API-KEY': b64(API_KEY) } : {},
          );
          return res.status === 200 && res;
        },
        { timeoutMs: 15_000, what: `${name}.test served` },
      );
      expect(r.json<EchoResponse>().name).toBe(name);
    }
  }

  async function isolatedWeak(app: DispatcherApp): Promise<void> {
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(`${app.url}/metrics`)).text();
        return /dispatcher_objects_isolated_total\{[^}]*\} [1-9]/.test(text) && text;
      },
      { what: 'dispatcher_objects_isolated_total counts the weak certificate' },
    );
    expect(metrics).toMatch(/dispatcher_objects_isolated_total\{kind="(Secret|Namespace)"\} 1/);
    const events = await eventually(
      () => {
        const evs = [
          ...api.store.list('v1', 'Event', 'weak'),
          ...api.store.list('v1', 'Event', 'default'),
        ] as {
          reason?: string;
          message?: string;
          involvedObject?: { name?: string; namespace?: string };
        }[];
        const refused = evs.filter((e) => e.reason === 'ConfigRefused');
        return refused.length > 0 && refused;
      },
      { what: 'ConfigRefused Event' },
    );
    expect(events[0]?.message).toContain('key too small');
    // Nothing of the weak namespace is served; the good ones are.
    expect(app.lastConfig()).not.toContain('weak.test');
    await goodOnesServed();
  }

  beforeAll(async () => {
    work = await tempDir('dispatcher-isolation');
    let podPort: number;
    [httpPort, sslPort, podPort, deadPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const def = await writeTestCertificate(
      work.path,
      'default',
      await makeTestCertificate({ commonName: 'default.invalid' }),
    );
    tls = await makeTestCertificate({ commonName: 'alpha.test' });
    cfg = {
      ...makeConfig({
        port: httpPort,
        'ssl-port': sslPort,
        'ssl-cert': def.certPath,
        'ssl-key': def.keyPath,
        'ssl-cert-dir': `${work.path}/ssl`,
      }),
      mock: false,
      eventWindowMs: 100,
      nginxWorkDir: `${work.path}/nginx`,
      http: { port: 0, host: '127.0.0.1' },
    };
    api = await startApiServer();
    const ref = (key: string) => ({ valueFrom: { secretKeyRef: { key } } });
    const addNamespace = async (name: string, i: number, hosts: Record<string, unknown>): Promise<void> => {
      api.store.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: ROUTABLE, annotations: { [HOSTS]: JSON.stringify(hosts) } },
      });
      echoes.push(await startEchoServer({ host: `127.0.0.${10 + i}`, port: podPort, name }));
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-pod`,
          namespace: name,
          labels: ROUTABLE,
          annotations: {
            [PATHS]: JSON.stringify([
              { basePath: '/app', containerPort: String(podPort) },
              { basePath: '/down', containerPort: String(deadPort) },
            ]),
          },
        },
        spec: {
          containers: [
            { name: 'app', image: 'echo', ports: [{ containerPort: podPort }, { containerPort: deadPort }] },
          ],
        },
      };
      api.store.create(pod);
      api.store.patchMerge('v1', 'Pod', name, `${name}-pod`, {
        status: {
          phase: 'Running',
          podIP: `127.0.0.${10 + i}`,
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    };
    // alpha: an API key and a TLS host whose private key is in the routing Secret.
    await addNamespace('alpha', 0, {
      'alpha.test': {},
      'secure.alpha.test': { ssl: { certificate: ref('tls.crt'), certificateKey: ref('tls.key') } },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'alpha' },
      data: { 'api-key': b64(API_KEY), 'tls.crt': b64(tls.cert), 'tls.key': b64(tls.key) },
    });
    await addNamespace('beta', 1, { 'beta.test': {} });
    await addNamespace('gamma', 2, { 'gamma.test': {} });
    // The poisoned object: an api-key nginx cannot carry (over its parameter limit once quoted).
    await addNamespace('poisoned', 3, { 'poisoned.test': {} });
    // A certificate the builder accepts (it parses, the key matches) but nginx refuses.
    const weak = await makeTestCertificate({ commonName: 'weak.test', rsaBits: 1024 });
    await addNamespace('weak', 4, {
      'weak.test': { ssl: { certificate: ref('tls.crt'), certificateKey: ref('tls.key') } },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'weak' },
      data: {
        'tls.crt': b64(weak.cert),
        'tls.key': b64(weak.key),
      },
    });
    api.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'routing', namespace: 'poisoned' },
      data: { 'api-key': b64(POISON_KEY) },
    });
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await Promise.all(echoes.map((e) => e.close()));
    await api?.close();
    await work?.remove();
  });

  it('serves every good one, never the poisoned namespace without its key, and records an Event', async () => {
    const app = await start();
    await goodOnesServed();
    expect((await get('alpha.test', '/app')).status).toBe(403);
    // A client that also puts its key in the query string: nginx logs that request line when the
    // backend is down, and the dispatcher logs nginx's output.
    const down = await get('alpha.test', `/down?key=${b64(API_KEY)}&raw=${API_KEY}`, {
      'X-ROUTING-API-KEY': b64(API_KEY),
    });
    expect(down.status).toBe(502);
    await eventually(() => logs.some((l) => l.includes('nginx output') && l.includes('/down?key=')), {
      what: "nginx's error line about /down logged",
    });
    // The poisoned namespace's route is not served at all (its host answers the default 404).
    expect((await get('poisoned.test', '/app')).status).toBe(404);
    expect(app.lastConfig()).not.toContain('127.0.0.13');
    const events = await eventually(
      () => {
        const evs = api.store.list('v1', 'Event', 'poisoned') as {
          reason?: string;
          involvedObject?: { kind?: string };
        }[];
        return evs.some((e) => e.reason === 'InvalidApiKey') && evs;
      },
      { what: 'InvalidApiKey Event' },
    );
    expect(events.find((e) => e.reason === 'InvalidApiKey')?.involvedObject?.kind).toBe('Secret');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/dispatcher_skipped_objects_total\{kind="Secret",reason="InvalidApiKey"\} 1/);
    // Validation cannot see the weak certificate: the loop bisects and isolates its object.
    await isolatedWeak(app);
    await app.stop();
  }, 60_000);

  it('a restart with the poisoned object present serves the good ones again', async () => {
    const app = await start();
    await goodOnesServed();
    // The builder's own skips; with the weak Secret isolated, its namespace's TLS host has no
    // Secret: the host stays owned by "weak" and unserved.
    expect(app.lastModel()?.skipped.map((s) => [s.kind, s.namespace ?? s.name, s.reason])).toEqual([
      ['Namespace', 'weak', 'MissingSSLSecret'],
      ['Secret', 'poisoned', 'InvalidApiKey'],
    ]);
    await isolatedWeak(app);
    await app.stop();
  }, 60_000);

  it('no log line of the run holds the API key or the private key, raw or base64', () => {
    expect(logs.length).toBeGreaterThan(10);
    const all = logs.join('\n');
    // JSON escapes newlines: look for the key's base64 body lines as well as the whole PEM.
    const keyLines = tls.key.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'));
    const forbidden = [
      API_KEY,
      b64(API_KEY),
      POISON_KEY.slice(0, 40),
      b64(POISON_KEY).slice(0, 40),
      b64(tls.key),
      ...keyLines,
    ];
    for (const s of forbidden) expect(all.includes(s) ? s : 'absent').toBe('absent');
    expect(all).toContain('InvalidApiKey');
  });
});
