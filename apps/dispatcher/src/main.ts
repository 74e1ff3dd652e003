#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  SERVICE_ACCOUNT_DIR,
  createKubeClient,
  kubeEdgeUserAgent,
  loadKubeConfig,
} from '@kube-edge/k8s-watch';
import { createMetrics, createShutdown, describeFailure, loggerFromFlags } from '@kube-edge/runtime';
import { run } from './app.js';
import { VERSION, cli, withDefaultCommand } from './cli.js';
import {
  DEFAULT_WORKER_CONNECTIONS,
  NET_BIND_NGINX,
  buildConfig,
  chooseNginxBinary,
  isMockMode,
  parseOpenFileLimit,
} from './config.js';
import { runRenderCommand } from './offline.js';

// The only file that touches the process: argv, env, stdout/stderr, signals and exit.
const parsed = cli.parseOrExit(withDefaultCommand(process.argv.slice(2)), process.env);
const values = parsed.values;
const logger = loggerFromFlags(values, 'dispatcher');
for (const n of parsed.notes) logger.debug('ignored environment variable', { detail: n });

function fatal(err: unknown): never {
  // ConfigError messages name the flag or environment variable at fault (exit 2).
  const failure = describeFailure(err, 'dispatcher');
  process.stderr.write(failure.text);
  process.exit(failure.exitCode);
}

function readOpenFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined; // not Linux: keep the original's worker_connections
  }
}

let config;
try {
  config = buildConfig(values, { fileExists: (p) => existsSync(p), openFileLimit: readOpenFileLimit() });
} catch (err) {
  fatal(err);
}

if (parsed.command === 'render') {
  process.exit(
    await runRenderCommand({
      config,
      files: parsed.values.filename,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    }),
  );
}

const tokenPath = join(SERVICE_ACCOUNT_DIR, 'token');
const inCluster = existsSync(tokenPath);
// Mock mode only when asked (--mock-mode=on, or auto: the original's "no service-account token" rule).
const mock = isMockMode(values['mock-mode'], inCluster);
const nginxBinary = chooseNginxBinary({
  given: values['nginx-binary'],
  fromFlag: parsed.sources['nginx-binary'] !== 'default',
  ports: config.ssl === undefined ? [config.port] : [config.port, config.sslPort],
  uid: process.getuid?.(),
  netBindCopyExists: existsSync(NET_BIND_NGINX),
});
if (config.workerConnections < DEFAULT_WORKER_CONNECTIONS)
  logger.info('worker_connections lowered to the open-file limit', {
    workerConnections: config.workerConnections,
  });
// Printed at start as the original did (printConf); nothing here is secret.
logger.info('configuration', { values, mock, inCluster, nginxBinary });

let client;
try {
  const defaultKubeconfig = join(homedir(), '.kube', 'config');
  const kubeconfigPath =
    values.kubeconfig ?? (!inCluster && existsSync(defaultKubeconfig) ? defaultKubeconfig : undefined);
  const { kubeConfig } = loadKubeConfig({
    ...(kubeconfigPath !== undefined ? { kubeconfigPath } : {}),
    ...(values['kube-context'] !== undefined ? { context: values['kube-context'] } : {}),
    inCluster: {
      host: process.env.KUBERNETES_SERVICE_HOST ?? '',
      port: process.env.KUBERNETES_SERVICE_PORT ?? '',
    },
  });
  client = createKubeClient({ kubeConfig, userAgent: kubeEdgeUserAgent('dispatcher', VERSION) });
} catch (err) {
  fatal(err);
}

const metrics = createMetrics({ prefix: 'dispatcher' });
const shutdown = createShutdown({
  logger,
  exit: (code) => void logger.close().then(() => process.exit(code)),
});
shutdown.install();
try {
  const app = await run(
    {
      ...config,
      mock,
      eventWindowMs: values['event-window'],
      nginxBinary,
      nginxWorkDir: values['nginx-work-dir'],
      http: { port: values['health-port'] },
      podName: values['pod-name'],
      upstreamMode: values['nginx-upstream-mode'],
      backendsPort: values['nginx-backends-port'],
    },
    {
      logger,
      kubeClient: client,
      metrics,
      onFatal: (reason) => {
        if (!shutdown.stopping) void shutdown.shutdown(reason, { exitCode: 1 });
      },
    },
  );
  shutdown.addStep('dispatcher', () => app.stop(), { timeoutMs: 30_000 });
} catch (err) {
  logger.error('start failed', { err });
  await logger.close();
  process.exit(1);
}
