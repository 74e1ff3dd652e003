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

// Single-dash spellings (`-polling-interval=30s`, the original v0.7.2's) are read by the shared
// command-line rule.
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
        warn: (line) => process.stderr.write(`aws-alb-controller plan: ${line}\n`),
      }),
    );
  } catch (err) {
    if (err instanceof ConfigError) fail(err, 'aws-alb-controller plan');
    process.stderr.write(`aws-alb-controller plan: ${errorMessage(err).split('\n')[0]}\n`);
    process.exit(1);
  }
} else {
  const parsed = controllerCli.parseOrExit(argv, process.env);
  const values = parsed.values;
  const logger = loggerFromFlags(values, 'aws-alb-controller');
  for (const w of parsed.warnings) logger.warn('deprecated flag', { detail: w });
  for (const n of parsed.notes) logger.debug('ignored environment variable', { detail: n });
  const host = hostname();
  try {
    const [{ run }, { buildConfig, ineffectiveFlags }, k8s, frontends, cf, acm, iam, ec2, asg, elbv2] =
      await Promise.all([
        import('./app.js'),
        import('./config.js'),
        import('@kube-edge/k8s-watch'),
        import('@kube-edge/aws-frontends'),
        import('@aws-sdk/client-cloudformation'),
        import('@aws-sdk/client-acm'),
        import('@aws-sdk/client-iam'),
        import('@aws-sdk/client-ec2'),
        import('@aws-sdk/client-auto-scaling'),
        import('@aws-sdk/client-elastic-load-balancing-v2'),
      ]);
    // Flags and CUSTOM_FILTERS first: a bad value is reported before anything is loaded.
    buildConfig(values, { namespace: undefined, identity: host, customFilters: process.env.CUSTOM_FILTERS });
    for (const w of ineffectiveFlags(values)) logger.warn('flag without effect', { detail: w });
    const apiServer = values['api-server-base-url'];
    const loaded = k8s.loadKubeConfig(
      apiServer !== undefined && apiServer !== ''
        ? {
            // The original's -api-server-base-url: a plain URL without authentication (kubectl proxy).
            kubeconfigYaml: JSON.stringify({
              apiVersion: 'v1',
              kind: 'Config',
              clusters: [{ name: 'api', cluster: { server: apiServer } }],
              users: [{ name: 'anonymous', user: {} }],
              contexts: [{ name: 'api', context: { cluster: 'api', user: 'anonymous' } }],
              'current-context': 'api',
            }),
          }
        : {
            ...(values.kubeconfig !== undefined || process.env.KUBECONFIG !== undefined
              ? { kubeconfigPath: values.kubeconfig ?? process.env.KUBECONFIG ?? '' }
              : {}),
            inCluster: {
              host: process.env.KUBERNETES_SERVICE_HOST ?? '',
              port: process.env.KUBERNETES_SERVICE_PORT ?? '',
            },
          },
    );
    const config = buildConfig(values, {
      namespace: process.env.POD_NAMESPACE ?? loaded.namespace,
      identity: process.env.POD_NAME ?? host,
      customFilters: process.env.CUSTOM_FILTERS,
    });
    // The AWS SDK's own variable for the instance metadata endpoint (unset: 169.254.169.254).
    const imdsEndpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    const identity = frontends.createInstanceMetadataClient(
      imdsEndpoint === undefined || imdsEndpoint === '' ? {} : { baseUrl: imdsEndpoint },
    );
    const region = await frontends.resolveRegion(config.region, identity);
    const aws = { region, maxAttempts: config.awsMaxAttempts };
    const shutdown = createShutdown({
      logger,
      exit: (code) => void logger.close().then(() => process.exit(code)),
    });
    const app = await run(config, {
      logger,
      kubeClient: k8s.createKubeClient({
        kubeConfig: loaded.kubeConfig,
        userAgent: k8s.kubeEdgeUserAgent('aws-alb-controller', VERSION),
      }),
      aws: {
        cloudFormation: new cf.CloudFormationClient(aws),
        acm: new acm.ACMClient(aws),
        iam: new iam.IAMClient(aws),
        ec2: new ec2.EC2Client(aws),
        autoScaling: new asg.AutoScalingClient(aws),
        elbv2: new elbv2.ElasticLoadBalancingV2Client(aws),
      },
      identity,
      hostname: host,
    });
    shutdown.addStep('aws-alb-controller', () => app.stop(), { timeoutMs: 20_000 });
    shutdown.install();
  } catch (err) {
    logger.error('aws-alb-controller cannot start', { err });
    await logger.close();
    fail(err, 'aws-alb-controller');
  }
}
