import type { ACMClient } from '@aws-sdk/client-acm';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  createAsgTargets,
  createCertificateCache,
  createStackManager,
  discoverCluster,
  parseCustomFilters,
  type CertificateSummary,
  type InstanceIdentitySource,
} from '@kube-edge/aws-frontends';
import {
  CONFIG_MAPS,
  INGRESSES,
  PODS,
  createEventRecorder,
  createIngressStatusWriter,
  runController,
  statusCodeOf,
  watch,
  type ControllerHandle,
  type KubeClient,
  type Lister,
  type WatchSpec,
} from '@kube-edge/k8s-watch';
import { createMetrics, type Clock, type Logger, type Metrics } from '@kube-edge/runtime';
import { createAlbStep, type AlbPassSummary, type AlbStep } from './alb-step.js';
import type { AlbControllerConfig } from './config.js';
import { ROUTE_GROUPS, parseIngresses, type IngressLike, type ParsedIngresses } from './model/ingresses.js';
import { parseAlarmConfigMap, type ConfigMapLike } from './model/alarms.js';
import { podTargetAddresses, type PodLike } from './model/pods.js';

/** The AWS clients the controller uses (main.ts builds real ones; tests pass fakes). */
export interface AwsClients {
  cloudFormation: CloudFormationClient;
  acm: ACMClient;
  iam: IAMClient;
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/**
 * Whether RouteGroups can be read: a 404 (no RouteGroup CRD) or 403 (not allowed) turns them off,
 * as the original did; any other answer keeps them on (the informer retries).
 */
async function routeGroupsServed(client: KubeClient, logger: Logger): Promise<boolean> {
  try {
    await client.request({ path: '/apis/zalando.org/v1/routegroups', query: { limit: 1 } });
    return true;
  } catch (err) {
    const code = statusCodeOf(err);
    if (code === 404 || code === 403) {
      logger.info('RouteGroups not read', { reason: code === 404 ? 'no RouteGroup CRD' : 'forbidden' });
      return false;
    }
    return true;
  }
}

/** With `--target-access-mode=AWSCNI`, the least time between the starts of two passes. */
export const CNI_MIN_PASS_INTERVAL_MS = 5_000;

/** What {@link run} takes from the outside world. */
export interface AppDeps {
  logger: Logger;
  kubeClient: KubeClient;
  aws: AwsClients;
  /** Instance metadata, when the cluster id or VPC is not given by flags. */
  identity?: InstanceIdentitySource;
  /** Default: a new registry with prefix `aws_alb_controller`. */
  metrics?: Metrics;
  /** Replaces the ACM/IAM listing (tests). */
  loadCertificates?: () => Promise<CertificateSummary[]>;
  clock?: Clock;
  /** Host name: the Events' source without a Lease. */
  hostname?: string;
}

/**
 * The informers the controller watches: Ingresses, RouteGroups when served, and with `--target-access-mode=AWSCNI` the
 * ingress router pods (`--target-cni-namespace`, `--target-cni-pod-labelselector`).
 */
export type AlbInformers = {
  ingresses: WatchSpec<IngressLike>;
  routeGroups?: WatchSpec<IngressLike>;
  pods?: WatchSpec<PodLike>;
  /** With `--cloudwatch-alarms-config-map`: that one ConfigMap. */
  alarms?: WatchSpec<ConfigMapLike>;
};

/** A running aws-alb-controller: the loop's handle plus its last pass summary. */
export interface AlbApp extends ControllerHandle<AlbInformers, ParsedIngresses> {
  /** The last pass this replica ran as leader. */
  lastSummary(): AlbPassSummary | undefined;
  /** The apply step (its plan of the last pass). */
  readonly step: AlbStep;
}

/**
 * Starts aws-alb-controller on the shared loop: the Ingress informer, a pure build (parse and
 * validate the ingresses), and one leader-only step that runs the stack manager cycle with the
 * pure plan and writes Ingress status. A pass runs at start, on Ingress changes and every
 * `--polling-interval`. Resolves once started (not synced); rejects if the health server cannot
 * listen.
 */
export async function run(config: AlbControllerConfig, deps: AppDeps): Promise<AlbApp> {
  const { logger, kubeClient, aws } = deps;
  const metrics = deps.metrics ?? createMetrics({ prefix: 'aws_alb_controller' });
  const now = (): Date => new Date(deps.clock?.now() ?? Date.now());
  const events = createEventRecorder({
    client: kubeClient,
    component: 'aws-alb-controller',
    host: config.leaderElection?.identity ?? deps.hostname ?? '',
    logger,
  });
  const certificates = createCertificateCache({
    acm: aws.acm,
    iam: aws.iam,
    blacklist: config.blacklistCertificateArns,
    refreshIntervalMs: config.certPollingIntervalMs,
    ...(config.certFilterTag === undefined ? {} : { filterTag: config.certFilterTag }),
    logger,
    ...(deps.loadCertificates === undefined ? {} : { load: deps.loadCertificates }),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
  const step = createAlbStep({
    settings: config.settings,
    certificates,
    async connect() {
      const cluster = await discoverCluster({
        ec2: aws.ec2,
        identity: deps.identity,
        clusterId: config.clusterId,
        vpcId: config.vpcId,
        controllerId: config.settings.controllerId,
        logger,
      });
      logger.info('cluster discovered', {
        clusterId: cluster.clusterId,
        vpcId: cluster.vpcId,
        securityGroup: cluster.securityGroupId,
        subnets: cluster.subnets.length,
      });
      let podTargets: readonly string[] | undefined;
      const targets = createAsgTargets({
        ec2: aws.ec2,
        autoScaling: aws.autoScaling,
        elbv2: aws.elbv2,
        filters: parseCustomFilters(config.customFilters, cluster.clusterId),
        clusterId: cluster.clusterId,
        controllerId: config.settings.controllerId,
        ipAddresses: () => (podTargets === undefined || podTargets.length === 0 ? undefined : podTargets),
        logger,
      });
      const stacks = createStackManager({
        cloudFormation: aws.cloudFormation,
        clusterId: cluster.clusterId,
        controllerId: config.settings.controllerId,
        certificates: () => certificates.certificates(),
        targets,
        creationTimeoutMinutes: config.creationTimeoutMinutes,
        terminationProtection: config.terminationProtection,
        logger,
        ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      });
      return {
        cluster,
        stacks,
        setPodTargets: (addresses) => {
          // No router pod at all is far more likely a wrong selector or a rollout gap than the
          // wish to send nothing anywhere: the ip target groups keep their targets (as the
          // original, which waited for a non-empty pod list).
          if (addresses !== undefined && addresses.length === 0) {
            if (podTargets === undefined || podTargets.length > 0)
              logger.warn('no running target pods; the ip target groups keep their targets', {
                namespace: config.targetCni?.namespace,
                labelSelector: config.targetCni?.labelSelector,
              });
            podTargets = [];
            return;
          }
          podTargets = addresses;
        },
      };
    },
    elbv2: aws.elbv2,
    status: createIngressStatusWriter({ client: kubeClient, logger }),
    routeGroupStatus: createIngressStatusWriter({
      client: kubeClient,
      resource: ROUTE_GROUPS,
      statusField: 'routegroup',
      logger,
    }),
    minLoadBalancerAgeMs: config.minLoadBalancerAgeMs,
    events,
    metrics,
    logger,
    now,
  });

  const cni = config.targetCni;
  const withRouteGroups = await routeGroupsServed(kubeClient, logger);
  const informers: AlbInformers = {
    ingresses: watch<IngressLike>(INGRESSES),
    ...(withRouteGroups ? { routeGroups: watch<IngressLike>(ROUTE_GROUPS) } : {}),
    ...(cni === undefined
      ? {}
      : { pods: watch<PodLike>(PODS, { namespaces: [cni.namespace], labelSelector: cni.labelSelector }) }),
    ...(config.cloudWatchAlarmsConfigMap === undefined
      ? {}
      : {
          alarms: watch<ConfigMapLike>(CONFIG_MAPS, {
            namespaces: [config.cloudWatchAlarmsConfigMap.namespace],
            fieldSelector: `metadata.name=${config.cloudWatchAlarmsConfigMap.name}`,
          }),
        }),
  };
  const loop = await runController(
    {
      name: 'aws-alb-controller',
      informers,
      build: (listers) => {
        const routeGroups = (listers as { routeGroups?: Lister<IngressLike> }).routeGroups;
        const parsed: ParsedIngresses = parseIngresses(
          listers.ingresses.list(),
          config.parse,
          routeGroups?.list() ?? [],
        );
        // Present only when watched (an optional informer has no lister type of its own).
        const pods = (listers as { pods?: Lister<PodLike> }).pods;
        // A pod change starts a pass like an Ingress change; the loop batches them.
        if (pods !== undefined) parsed.podTargets = podTargetAddresses(pods.list());
        const alarms = (listers as { alarms?: Lister<ConfigMapLike> }).alarms;
        if (alarms !== undefined) {
          const name = config.cloudWatchAlarmsConfigMap?.name;
          const a = parseAlarmConfigMap(alarms.list().find((c) => c.metadata?.name === name));
          parsed.cloudWatchAlarms = a.alarms;
          parsed.skipped.push(...a.skipped);
        }
        return { model: parsed, skipped: parsed.skipped };
      },
      steps: [step],
      ...(config.leaderElection === undefined ? {} : { leaderElection: config.leaderElection }),
      http: { port: config.http.port, ...(config.http.host === undefined ? {} : { host: config.http.host }) },
      intervalMs: config.pollingIntervalMs,
      // Pods come and go more often than Ingresses: with AWSCNI a pass starts at most every 5 s
      // (the original's pod loop was rate-limited the same), so churn does not multiply AWS reads.
      ...(config.trigger !== undefined
        ? { trigger: config.trigger }
        : cni === undefined
          ? {}
          : { trigger: { minIntervalMs: CNI_MIN_PASS_INTERVAL_MS } }),
      summarize: (model) => {
        const s = step.lastSummary();
        return {
          ingresses: model.ingresses.length,
          ...(s === undefined ? {} : { ...s }),
        };
      },
    },
    // deps.clock drives the AWS side (certificate TTLs, load balancer age, backoffs), not the loop.
    { logger, kubeClient, metrics, events },
  );
  return { ...loop, lastSummary: () => step.lastSummary(), step };
}
