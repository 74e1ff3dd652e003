#!/usr/bin/env node
// The only file that touches the process: argv, env, signals, stdout, exit.
import { hostname } from 'node:os';
import { createInstanceMetadataClient } from '@kube-edge/aws-frontends';
import {
  ConfigError,
  createShutdown,
  describeFailure,
  errorMessage,
  loggerFromFlags,
} from '@kube-edge/runtime';
import { run } from './app.js';
import { feedIngressCli, fromFeedV1Args } from './cli.js';
import { configFromArgs, modelConfigFromArgs } from './config.js';
import { kubeClientFor } from './kube-client.js';
import { runRenderCommand } from './render-command.js';

// feed v1.x lines (`-registration-frontend-type=elb -ingress-port=8080 …`) work unchanged.
const args = feedIngressCli.parseOrExit(fromFeedV1Args(process.argv.slice(2)), process.env);

if (args.command === 'render') {
  try {
    const files = args.values.filename;
    if (files.length === 0)
      throw new ConfigError('render needs manifest files: -f <file or dir>', { key: '--filename' });
    const code = await runRenderCommand({
      files,
      config: modelConfigFromArgs(args),
      out: (text) => process.stdout.write(text),
      warn: (line) => process.stderr.write(`feed-ingress render: ${line}\n`),
    });
    process.exitCode = code;
  } catch (err) {
    process.stderr.write(`feed-ingress render: ${errorMessage(err)}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  }
} else {
  let config;
  try {
    config = configFromArgs(args, hostname());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const failure = describeFailure(err, 'feed-ingress', `feed-ingress ${args.command} --help`);
    process.stderr.write(failure.text);
    process.exit(failure.exitCode);
  }
  const logger = loggerFromFlags(args.values, 'feed-ingress');
  for (const w of args.warnings) logger.warn('deprecated flag', { warning: w });
  for (const n of args.notes) logger.debug('ignored environment variable', { detail: n });
  const shutdown = createShutdown({
    logger,
    // Flush the log before exiting so the last lines are not lost.
    exit: (code) => void logger.close().then(() => process.exit(code)),
  });
  shutdown.install();
  const imdsEndpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  try {
    const app = await run(config, {
      logger,
      kubeClient: kubeClientFor(config, {
        inCluster: {
          host: process.env.KUBERNETES_SERVICE_HOST ?? '',
          port: process.env.KUBERNETES_SERVICE_PORT ?? '',
        },
      }),
      hostname: hostname(),
      // The AWS SDK's own variable for the instance metadata endpoint (unset: 169.254.169.254).
      ...(imdsEndpoint === undefined || imdsEndpoint === ''
        ? {}
        : { frontend: { instance: createInstanceMetadataClient({ baseUrl: imdsEndpoint }) } }),
      onFatal: (reason) => void shutdown.shutdown(reason, { exitCode: 1 }),
    });
    // One step: the app stops in its own order (Lease, status, frontend detach + drain, nginx quit).
    shutdown.addStep('feed-ingress', () => app.stop(), { timeoutMs: config.frontend.drainDelayMs + 60_000 });
    logger.info('started', { command: args.command, ingressClass: config.model.ingressClass });
  } catch (err) {
    logger.error('start failed', { err });
    await shutdown.shutdown('start failed', { exitCode: err instanceof ConfigError ? 2 : 1 });
  }
}
