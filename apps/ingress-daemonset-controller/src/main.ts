#!/usr/bin/env node
// The only file that touches the process: argv, env, signals and exit. One image, modes by the
// first argument: `controller` (default), `health-checker`, `node-detacher`.
import { hostname } from 'node:os';
import {
  createKubeClient,
  kubeEdgeUserAgent,
  leaderElectionFromFlags,
  loadKubeConfig,
  type ControllerLeaderElection,
  type LeaderElectionDefaults,
  type LeaderElectionFlagValues,
} from '@kube-edge/k8s-watch';
import { createMetrics, createShutdown, loggerFromFlags, type ProcessLogger } from '@kube-edge/runtime';
import { run } from './app.js';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { runNodeDetacher } from '@kube-edge/node-detacher';
import { VERSION, cli, healthCheckerCli, nodeDetacherCli, parseAddr } from './cli.js';
import { runHealthChecker } from './health-checker.js';

const argv = process.argv.slice(2);
const MODES = ['controller', 'health-checker', 'node-detacher'] as const;
const mode = MODES.find((m) => m === argv[0]) ?? 'controller';
const rest = argv[0] === mode ? argv.slice(1) : argv;

function kubeClientFor(flag: string | undefined, name: string) {
  // As --kubeconfig says: in a cluster its service account, outside one $KUBECONFIG.
  const inCluster = (process.env['KUBERNETES_SERVICE_HOST'] ?? '') !== '';
  const envPath = process.env['KUBECONFIG'];
  const kubeconfig = flag ?? (inCluster || envPath === '' ? undefined : envPath);
  const { kubeConfig } = loadKubeConfig({
    ...(kubeconfig !== undefined ? { kubeconfigPath: kubeconfig } : {}),
    inCluster: {
      host: process.env['KUBERNETES_SERVICE_HOST'] ?? '',
      port: process.env['KUBERNETES_SERVICE_PORT'] ?? '',
    },
  });
  return createKubeClient({ kubeConfig, userAgent: kubeEdgeUserAgent(name, VERSION) });
}

// The `leaderElection` option to spread into a mode's config: absent with --no-leader-elect.
function leaseOption(
  values: LeaderElectionFlagValues,
  defaults: LeaderElectionDefaults,
): { leaderElection?: ControllerLeaderElection } {
  const leaderElection = leaderElectionFromFlags(values, defaults);
  return leaderElection === undefined ? {} : { leaderElection };
}

function shutdownFor(logger: ProcessLogger) {
  const shutdown = createShutdown({
    logger,
    exit: (code) => void logger.close().then(() => process.exit(code)),
  });
  shutdown.install();
  return shutdown;
}

if (mode === 'node-detacher') {
  const { values } = nodeDetacherCli.parseOrExit(rest, process.env);
  const logger = loggerFromFlags(values, 'node-detacher');
  const shutdown = shutdownFor(logger);
  try {
    const ns = process.env['POD_NAMESPACE'] ?? 'default';
    const aws = values.region === undefined ? {} : { region: values.region };
    const detacher = await runNodeDetacher(
      {
        name: values.name,
        namespace: values['attachment-namespace'] ?? ns,
        ...(values['trigger-taints'] === undefined ? {} : { triggerTaints: values['trigger-taints'] }),
        classicElbs: values['classic-elbs'],
        targetGroups: values['target-groups'],
        evictPods: values['evict-pods'],
        podGracePeriodSeconds: values['pod-grace-period'],
        evictionApiVersion: values['eviction-api-version'],
        resyncMs: values.resync,
        http: { port: values['health-port'] },
        ...leaseOption(values, { namespace: ns, identity: process.env['POD_NAME'] ?? hostname() }),
      },
      {
        logger,
        kubeClient: kubeClientFor(values.kubeconfig, 'node-detacher'),
        metrics: createMetrics({ prefix: 'node_detacher' }),
        ...(values['classic-elbs'] ? { elb: new ElasticLoadBalancingClient(aws) } : {}),
        ...(values['target-groups'] ? { elbv2: new ElasticLoadBalancingV2Client(aws) } : {}),
      },
    );
    shutdown.addStep('node-detacher', () => detacher.stop(), { timeoutMs: 30_000 });
  } catch (err) {
    logger.error('node-detacher failed to start', { err });
    await shutdown.shutdown('start failed', { exitCode: 1 });
  }
} else if (mode === 'health-checker') {
  const { values } = healthCheckerCli.parseOrExit(rest, process.env);
  const logger = loggerFromFlags(values, 'ingress-daemonset-health-checker');
  const shutdown = shutdownFor(logger);
  try {
    const addr = parseAddr(values['healthcheck-addr']);
    const node = values['node-name'] ?? process.env['NODE_NAME'];
    const checker = await runHealthChecker(
      {
        namespace: values.namespace,
        port: addr.port,
        ...(addr.host === undefined ? {} : { host: addr.host }),
        ...(values.deployment === undefined ? {} : { deployment: values.deployment }),
        ...(values['ingress-daemonset'] === undefined
          ? {}
          : { ingressDaemonSet: values['ingress-daemonset'] }),
        ...(node === undefined ? {} : { node }),
        toBeUpdatedAnnotation: values['to-be-updated-annotation'],
      },
      { logger, kubeClient: kubeClientFor(values.kubeconfig, 'ingress-daemonset-health-checker') },
    );
    shutdown.addStep('health-checker', () => checker.stop(), { timeoutMs: 10_000 });
  } catch (err) {
    logger.error('health-checker failed to start', { err });
    await shutdown.shutdown('start failed', { exitCode: 1 });
  }
} else {
  const { values } = cli.parseOrExit(rest, process.env);
  const logger = loggerFromFlags(values, 'ingress-daemonset-controller');
  const shutdown = shutdownFor(logger);
  try {
    const app = await run(
      {
        namespaces: values.namespace ?? [],
        healthChecker: {
          image: values['health-checker-image'],
          imagePullPolicy: values['health-checker-image-pull-policy'],
          serviceAccountName: values['health-checker-service-account'],
        },
        stallAfterMs: values['rollout-stall-timeout'],
        healthPort: values['health-port'],
        ...leaseOption(values, {
          namespace: process.env['POD_NAMESPACE'],
          identity: process.env['POD_NAME'] ?? hostname(),
        }),
      },
      { logger, kubeClient: kubeClientFor(values.kubeconfig, 'ingress-daemonset-controller') },
    );
    shutdown.addStep('ingress-daemonset-controller', () => app.stop(), { timeoutMs: 30_000 });
  } catch (err) {
    logger.error('ingress-daemonset-controller failed to start', { err });
    await shutdown.shutdown('start failed', { exitCode: 1 });
  }
}
