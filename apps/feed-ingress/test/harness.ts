// Test harness: runs feed-ingress in-process (the same `run` main.ts calls) against testkit's
// API server and real nginx, with every port free on 127.0.0.1 and the work dir in a temp dir.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger, createShutdown, type Shutdown } from '@kube-edge/runtime';
import {
  eventually as testkitEventually,
  freePort,
  httpRequest,
  makeTestCertificate,
  startApiServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type HttpResult,
  type KubeObject,
} from '@kube-edge/testkit';
import { run, type FeedIngressApp } from '../src/app.js';
import { feedIngressCli } from '../src/cli.js';
import { configFromArgs, type FeedIngressConfig } from '../src/config.js';
import type { FrontendDeps } from '../src/frontends.js';
import { kubeClientFor } from '../src/kube-client.js';

/** A running controller with everything it needs. */
export interface Harness {
  readonly api: ApiServer;
  readonly handle: FeedIngressApp;
  readonly shutdown: Shutdown;
  readonly config: FeedIngressConfig;
  readonly workDir: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly nginxHealthPort: number;
  /** Log lines of the controller (JSON). */
  logs(): string;
  /** GET through nginx with a Host header. */
  get(host: string, path: string, https?: boolean): Promise<HttpResult>;
  /** Waits until any pending or running nginx reload is done, so no old worker still answers. */
  settle(): Promise<void>;
  /** Runs the shutdown path (as SIGTERM would), then removes the temp dir and closes the API server (unless shared). */
  stop(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** Subcommand and its flags, e.g. `['static', '--internal-hostname=lb.test']`. */
  readonly command: readonly string[];
  /** More root flags. */
  readonly args?: readonly string[];
  readonly frontend?: FrontendDeps;
  /** An API server to use (not closed by `stop`). */
  readonly api?: ApiServer;
}

/** Starts an API server (unless given), the controller, and waits until nginx serves its first config. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const ownApi = options.api === undefined;
  const api = options.api ?? (await startApiServer());
  const dir = await tempDir('feed-ingress');
  const [httpPort, httpsPort, nginxHealthPort] = [await freePort(), await freePort(), await freePort()];
  const cert = await makeTestCertificate({ commonName: 'default.invalid' });
  await writeTestCertificate(dir.path, 'default-ssl', cert);
  const argv = [
    ...options.command,
    '--ingress-class=edge',
    `--ingress-port=${httpPort}`,
    `--ingress-https-port=${httpsPort}`,
    `--ingress-health-port=${nginxHealthPort}`,
    '--health-port=0',
    `--nginx-workdir=${dir.path}/nginx`,
    '--nginx-update-period=50ms',
    `--ssl-path=${dir.path}/default-ssl`,
    '--log-level=debug',
    ...(options.args ?? []),
  ];
  const parsed = feedIngressCli.parse(argv, {});
  if (parsed.kind !== 'run' || parsed.command === 'render')
    throw new Error(`unexpected parse: ${parsed.kind}`);
  const config: FeedIngressConfig = {
    ...configFromArgs(parsed, 'test-pod'),
    healthHost: '127.0.0.1',
    coalesceMs: 20,
  };
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', stream, name: 'feed-ingress' });
  const shutdown = createShutdown({ logger, exit: () => undefined, processLike: new EventEmitter() });
  const handle = await run(config, {
    logger,
    kubeClient: kubeClientFor(config, { kubeConfig: api.makeKubeConfig() }),
    ...(options.frontend !== undefined ? { frontend: options.frontend } : {}),
    onFatal: (reason) => void shutdown.shutdown(reason, { exitCode: 1 }),
  });
  // As main.ts: the app's stop is the one shutdown step.
  shutdown.addStep('feed-ingress', () => handle.stop(), { timeoutMs: config.frontend.drainDelayMs + 60_000 });
  const h: Harness = {
    api,
    handle,
    shutdown,
    config,
    workDir: `${dir.path}/nginx`,
    httpPort,
    httpsPort,
    nginxHealthPort,
    logs: () => lines.join(''),
    get: (host, path, https = false) =>
      httpRequest({
        url: https ? `https://127.0.0.1:${httpsPort}${path}` : `http://127.0.0.1:${httpPort}${path}`,
        host,
        rejectUnauthorized: false,
        timeoutMs: 3000,
      }),
    async settle() {
      // Hurry a rate-limited reload, then wait until no worker of an older generation accepts.
      await handle.nginx.process.flush();
      await handle.nginx.process.reloaded();
    },
    async stop() {
      try {
        await shutdown.shutdown('test done');
      } finally {
        await dir.remove();
        if (ownApi) await api.close();
      }
    },
  };
  try {
    await handle.waitForModel(() => true, 20_000);
  } catch (err) {
    await h.stop();
    throw new Error(`controller did not apply a first model: ${String(err)}\n${lines.slice(-40).join('')}`, {
      cause: err,
    });
  }
  return h;
}

/** Polls `fn` every 50 ms until it returns without throwing, for at most `timeoutMs`. */
export function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<Exclude<T, false>> {
  return testkitEventually(fn, { timeoutMs });
}

/** A Service with a ClusterIP on 127.0.0.x, so nginx proxies straight to an echo server. */
export function service(namespace: string, name: string, clusterIP: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP, ports: [{ name: 'http', port, protocol: 'TCP' }] },
  };
}

/** An Ingress of class `edge` with one rule. */
export function ingress(
  namespace: string,
  name: string,
  host: string,
  paths: { path: string; service: string; port: number }[],
  annotations: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, annotations: { 'kubernetes.io/ingress.class': 'edge', ...annotations } },
    spec: {
      ...extra,
      rules: [
        {
          host,
          http: {
            paths: paths.map((p) => ({
              path: p.path,
              pathType: 'Prefix',
              backend: { service: { name: p.service, port: { number: p.port } } },
            })),
          },
        },
      ],
    },
  };
}
