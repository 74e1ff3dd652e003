// The README's "Putting it together" example, kept here so typecheck catches it going stale.
// Typechecked only; never run.
import {
  createHealthServer,
  createLogger,
  createMetrics,
  createShutdown,
  defineCli,
  parseLogLevel,
} from '../../src/index.js';

export async function main(): Promise<void> {
  const cli = defineCli({
    name: 'feed-ingress',
    version: '1.0.0',
    envPrefix: 'FEED_INGRESS',
    flags: {
      'log-level': {
        type: 'enum',
        choices: ['error', 'warn', 'info', 'debug'],
        default: 'info',
        description: 'Log level.',
      },
      'health-port': {
        type: 'number',
        integer: true,
        default: 12082,
        description: 'Probe and metrics port.',
      },
      'drain-delay': { type: 'duration', default: 60_000, description: 'Wait after detaching frontends.' },
    },
    commands: { elb: { description: 'Attach to classic ELBs.' }, static: { description: 'No frontend.' } },
  });
  const { command, values } = cli.parseOrExit(process.argv.slice(2), process.env);

  const logger = createLogger({ level: parseLogLevel(values['log-level']), name: 'feed-ingress' });
  const metrics = createMetrics({ prefix: 'feed_ingress' });
  const shutdown = createShutdown({
    logger,
    exit: (code) => void logger.close().then(() => process.exit(code)),
  });
  const health = createHealthServer({ port: values['health-port'], registry: metrics.registry, logger });
  health.addReadinessCheck('not-stopping', () => !shutdown.stopping);
  shutdown.addStep('health server', () => health.close());
  shutdown.install();
  await health.listen();
  const drainMs: number = values['drain-delay'];
  logger.info('started', { command, drainMs });
}
