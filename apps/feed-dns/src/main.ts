#!/usr/bin/env node
// The only file that touches the process: argv, env, stdout/stderr, signals and exit. The
// controller's and the offline plan's modules are imported only when needed, so `--help`, flag
// errors and `plan` start fast.
import { hostname } from 'node:os';
import {
  ConfigError,
  createShutdown,
  describeFailure,
  errorMessage,
  loggerFromFlags,
} from '@kube-edge/runtime';
import { VERSION, controllerCli, planCli } from './cli.js';

// Single-dash spellings (`-r53-hosted-zone=Z1`) are read by the shared command-line rule.
const argv = process.argv.slice(2);

function fail(err: unknown, program: string): never {
  const failure = describeFailure(err, program);
  process.stderr.write(failure.text);
  process.exit(failure.exitCode);
}

if (argv[0] === 'plan') {
  const parsed = planCli.parseOrExit(argv.slice(1), process.env);
  try {
    const { runPlanCommand } = await import('./plan-command.js');
    process.stdout.write(
      await runPlanCommand(parsed.values, {
        warn: (line) => process.stderr.write(`feed-dns plan: ${line}\n`),
      }),
    );
  } catch (err) {
    if (err instanceof ConfigError) fail(err, 'feed-dns plan');
    // A bad manifest or a model error: one line naming the file or object, never a stack.
    process.stderr.write(`feed-dns plan: ${errorMessage(err).split('\n')[0]}\n`);
    process.exit(1);
  }
} else {
  const parsed = controllerCli.parseOrExit(argv, process.env);
  const values = parsed.values;
  const logger = loggerFromFlags(values, 'feed-dns');
  for (const w of parsed.warnings) logger.warn('deprecated flag', { detail: w });
  for (const n of parsed.notes) logger.debug('ignored environment variable', { detail: n });
  const host = hostname();
  try {
    const [{ run }, { buildConfig }, k8s, elb, elbv2, r53] = await Promise.all([
      import('./app.js'),
      import('./config.js'),
      import('@kube-edge/k8s-watch'),
      import('@aws-sdk/client-elastic-load-balancing'),
      import('@aws-sdk/client-elastic-load-balancing-v2'),
      import('@aws-sdk/client-route-53'),
    ]);
    const loaded = k8s.loadKubeConfig({
      ...(values.kubeconfig !== undefined || process.env.KUBECONFIG !== undefined
        ? { kubeconfigPath: values.kubeconfig ?? process.env.KUBECONFIG ?? '' }
        : {}),
      inCluster: {
        host: process.env.KUBERNETES_SERVICE_HOST ?? '',
        port: process.env.KUBERNETES_SERVICE_PORT ?? '',
      },
    });
    const config = buildConfig(values, {
      namespace: process.env.POD_NAMESPACE ?? loaded.namespace,
      identity: process.env.POD_NAME ?? host,
    });
    const aws = { region: config.region, maxAttempts: config.awsMaxAttempts };
    const shutdown = createShutdown({
      logger,
      exit: (code) => void logger.close().then(() => process.exit(code)),
    });
    const app = await run(config, {
      logger,
      kubeClient: k8s.createKubeClient({
        kubeConfig: loaded.kubeConfig,
        userAgent: k8s.kubeEdgeUserAgent('feed-dns', VERSION),
      }),
      route53: new r53.Route53Client(aws),
      elb: new elb.ElasticLoadBalancingClient(aws),
      elbv2: new elbv2.ElasticLoadBalancingV2Client(aws),
      hostname: host,
    });
    shutdown.addStep('feed-dns', () => app.stop(), { timeoutMs: 20_000 });
    shutdown.install();
  } catch (err) {
    logger.error('feed-dns cannot start', { err });
    await logger.close();
    fail(err, 'feed-dns');
  }
}
