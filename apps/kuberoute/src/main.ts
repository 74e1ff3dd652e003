#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError, createMetrics, createShutdown, loggerFromFlags } from '@kube-edge/runtime';
import { run } from './app.js';
import { kubeClientFor } from './clients.js';
import { cli, planCli, VERSION } from './cli.js';
import { parseConfig, type KuberouteConfig } from './config.js';
import { runPlanCommand } from './plan.js';

function readConfig(path: string, port: number | undefined): KuberouteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    process.stderr.write(`Config file ${path} not found, exiting\n`);
    process.exit(1);
  }
  try {
    return parseConfig(text, { port });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid config file ${path}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const argv = process.argv.slice(2);
if (argv[0] === 'plan') {
  const { values } = planCli.parseOrExit(argv.slice(1), process.env);
  const config = readConfig(values.config, 0);
  process.exitCode = await runPlanCommand({
    config,
    manifests: values.manifests,
    now: new Date(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
} else {
  const { values, notes } = cli.parseOrExit(argv, process.env);
  const logger = loggerFromFlags(values, 'kuberoute');
  // A Service named kuberoute makes Kubernetes set KUBEROUTE_PORT=tcp://…: not a --port value.
  for (const n of notes) logger.debug('ignored environment variable', { detail: n });
  const config = readConfig(values.config, values.port);
  const metrics = createMetrics({ prefix: 'kuberoute' });
  const shutdown = createShutdown({
    logger,
    exit: (code) => void logger.close().then(() => process.exit(code)),
  });
  shutdown.install();
  try {
    const kubeClient = kubeClientFor(config, {
      version: VERSION,
      inCluster: {
        host: process.env['KUBERNETES_SERVICE_HOST'] ?? '',
        port: process.env['KUBERNETES_SERVICE_PORT'] ?? '',
      },
    });
    const app = await run(
      {
        ...config,
        intervalMs: values.interval,
        watch: values.watch,
        debug: values.debug,
        events: values.events,
      },
      { logger, kubeClient, metrics, print: (line) => process.stdout.write(`${line}\n`) },
    );
    shutdown.addStep('kuberoute', () => app.stop(), { timeoutMs: 30_000 });
  } catch (err) {
    logger.error('kuberoute failed to start', { err });
    await shutdown.shutdown('start failed', { exitCode: 1 });
  }
}
