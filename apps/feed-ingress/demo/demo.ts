// The repository-only demo (`pnpm --filter @kube-edge/feed-ingress run demo`, `./dev demo`):
// testkit's API server seeded from examples/feed-ingress/, one echo backend per Service on its
// 127.0.0.x ClusterIP, and feed-ingress (`static`) with real nginx on free 127.0.0.1 ports.
// It lives outside src/ so it is never compiled into dist or the image (testkit is a
// devDependency). Node runs this file as is (it strips the types), and it imports the app by its
// package name, which resolves to the built dist: build first (`./dev demo` does). Like main.ts,
// the bottom block (run as a script) is the only part that touches the process.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isIP } from 'node:net';
import { createLogger, createShutdown, errorMessage, type Logger, type Shutdown } from '@kube-edge/runtime';
import {
  freePort,
  makeTestCertificate,
  startApiServer,
  startEchoServer,
  tempDir,
  writeTestCertificate,
  type EchoServer,
} from '@kube-edge/testkit';
import {
  configFromArgs,
  feedIngressCli,
  kubeClientFor,
  run,
  type FeedIngressApp,
  type FeedModel,
} from '@kube-edge/feed-ingress';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Directory of manifests to seed the API server with. */
  readonly examplesDir: string;
  readonly logger: Logger;
  /** Stop steps (demo clean-up first, so it runs last) are registered here. */
  readonly shutdown: Shutdown;
}

/** A running demo. */
export interface DemoHandle {
  readonly controller: FeedIngressApp;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** One working `curl` command per served host and path. */
  readonly curlLines: string[];
}

interface ServiceLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { clusterIP?: string; ports?: { port?: number }[] };
}

/** `curl` lines for every proxied location of the model, using `--resolve` so no DNS is needed. Pure. */
export function curlLinesFor(model: FeedModel, ports: { http: number; https: number }): string[] {
  const lines: string[] = [];
  for (const server of model.nginx.servers ?? []) {
    for (const host of server.serverNames) {
      if (host === '' || host.startsWith('*')) continue;
      for (const listen of server.listen) {
        const https = listen.ssl === true;
        if (listen.port !== (https ? ports.https : ports.http)) continue;
        for (const loc of server.locations) {
          if (loc.action.kind !== 'proxy') continue;
          const url = `${https ? 'https' : 'http'}://${host}:${listen.port}${loc.path}`;
          lines.push(`curl -s${https ? 'k' : ''} --resolve ${host}:${listen.port}:127.0.0.1 ${url}`);
        }
      }
    }
  }
  return [...new Set(lines)];
}

/**
 * Starts the demo: API server, echo backends, a default certificate, and feed-ingress. Resolves
 * once nginx serves the examples. Every piece (the controller's `stop()` included) is stopped by
 * `options.shutdown`, in order.
 */
export async function startDemo(options: DemoOptions): Promise<DemoHandle> {
  const { logger, shutdown } = options;
  const dir = await tempDir('feed-ingress-demo');
  const echoes: EchoServer[] = [];
  const api = await startApiServer({ seedFiles: [options.examplesDir] });
  // Registered first, so it runs last: after nginx has quit.
  shutdown.addStep('demo clean-up', async () => {
    await Promise.all(echoes.map((e) => e.close()));
    await api.close();
    await dir.remove();
  });

  for (const svc of api.store.list('v1', 'Service') as ServiceLike[]) {
    const ip = svc.spec?.clusterIP ?? '';
    if (isIP(ip) !== 4 || !ip.startsWith('127.')) continue;
    for (const p of svc.spec?.ports ?? []) {
      if (p.port === undefined) continue;
      echoes.push(
        await startEchoServer({
          host: ip,
          port: p.port,
          name: `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`,
        }),
      );
    }
  }
  const classes = api.store.list('networking.k8s.io/v1', 'IngressClass') as {
    metadata?: { name?: string };
  }[];
  const ingressClass = classes[0]?.metadata?.name ?? 'internal';

  await writeTestCertificate(
    dir.path,
    'default-ssl',
    await makeTestCertificate({ commonName: 'default.invalid' }),
  );
  const [httpPort, httpsPort, nginxHealthPort, healthPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const parsed = feedIngressCli.parse(
    [
      'static',
      `--ingress-class=${ingressClass}`,
      `--ingress-port=${httpPort}`,
      `--ingress-https-port=${httpsPort}`,
      `--ingress-health-port=${nginxHealthPort}`,
      `--health-port=${healthPort}`,
      `--nginx-workdir=${dir.path}/nginx`,
      `--ssl-path=${dir.path}/default-ssl`,
      '--nginx-update-period=1s',
      '--nginx-allow-websocket-upgrade',
      '--internal-hostname=internal.demo.test',
      '--external-hostname=public.demo.test',
      '--drain-delay=1s',
    ],
    {},
  );
  if (parsed.kind !== 'run' || parsed.command !== 'static') throw new Error('demo flags did not parse');
  const config = { ...configFromArgs(parsed, 'demo'), healthHost: '127.0.0.1' };
  const controller = await run(config, {
    logger,
    kubeClient: kubeClientFor(config, { kubeConfig: api.makeKubeConfig() }),
    onFatal: (reason) => void shutdown.shutdown(reason, { exitCode: 1 }),
  });
  // As main.ts: one step, after the clean-up's (so it runs first): status, drain, nginx quit.
  shutdown.addStep('feed-ingress', () => controller.stop(), {
    timeoutMs: config.frontend.drainDelayMs + 60_000,
  });
  const model = await controller.waitForModel(() => true, 30_000);
  return {
    controller,
    httpPort,
    httpsPort,
    curlLines: curlLinesFor(model, { http: httpPort, https: httpsPort }),
  };
}

async function main(): Promise<void> {
  const examplesDir = fileURLToPath(new URL('../../../examples/feed-ingress/', import.meta.url));
  await readdir(examplesDir);
  const logger = createLogger({ level: 'warn', name: 'feed-ingress-demo' });
  const shutdown = createShutdown({
    logger,
    exit: (code) => void logger.close().then(() => process.exit(code)),
    defaultStepTimeoutMs: 15_000,
  });
  shutdown.install();
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  // Steps run in reverse order of registration: this one runs last, after nginx has quit.
  shutdown.addStep('demo stopped', () => out('feed-ingress demo stopped.'));
  try {
    const demo = await startDemo({ examplesDir, logger, shutdown });
    // …and this one first, before the controller's own steps.
    shutdown.addStep('demo stopping', () =>
      out('stopping: status writer, frontend drain, then nginx graceful quit…'),
    );
    out(
      `feed-ingress demo: nginx on 127.0.0.1:${demo.httpPort} (http) and :${demo.httpsPort} (https); controller on ${demo.controller.url}`,
    );
    out(
      `Examples from ${examplesDir}; bad-ingress.yaml is skipped (see its Event: the API server is local).`,
    );
    out('Try:');
    for (const line of demo.curlLines) out(`  ${line}`);
    out(`  curl -s ${demo.controller.url}/metrics | grep ^feed_ingress_`);
    out('Ctrl-C stops it (status writer, frontend drain, then nginx graceful quit).');
    const seconds = Number(process.env.KUBE_EDGE_DEMO_SECONDS ?? '');
    if (Number.isFinite(seconds) && seconds > 0) {
      setTimeout(() => void shutdown.shutdown('KUBE_EDGE_DEMO_SECONDS elapsed'), seconds * 1000).unref();
    }
  } catch (err) {
    process.stderr.write(`feed-ingress demo failed: ${errorMessage(err)}\n`);
    await shutdown.shutdown('demo failed', { exitCode: 1 });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
