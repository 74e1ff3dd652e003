import { join, resolve } from 'node:path';
import {
  parseGorbBackendMethod,
  parseGorbBackendWeight,
  parseGorbHealthCheckType,
  parseGorbInstanceIp,
  parseGorbPulseInterval,
  parseGorbServicesDefinition,
  parseGorbVips,
  type GorbBackendMethod,
  type GorbPulseType,
  type GorbServiceDefinition,
} from '@kube-edge/gorb-client';
import { ConfigError, logLevelFromFlags, type LogLevel } from '@kube-edge/runtime';
import type { FeedIngressArgs } from './cli.js';
import {
  defaultFeedModelConfig,
  validateFeedModelConfig,
  type FeedModelConfig,
  type NamespaceSelector,
} from './model/index.js';

/** The frontend a running controller attaches to (one per subcommand). */
export type FrontendConfig =
  | { kind: 'elb'; region: string; frontendTagValue: string; expectedNumber: number; drainDelayMs: number }
  | {
      kind: 'nlb';
      region: string;
      frontendTagValue: string;
      expectedNumber: number;
      drainDelayMs: number;
      readinessDelayMs: number;
    }
  | { kind: 'alb'; region: string; targetGroupNames: string[]; drainDelayMs: number }
  | {
      kind: 'gorb';
      endpoint: string;
      instanceIp: string;
      services: GorbServiceDefinition[];
      backendMethod: GorbBackendMethod;
      backendWeight: number;
      vips: string[];
      manageLoopback: boolean;
      interfaceProcFsPath: string;
      healthCheckInterval: string;
      healthCheckType: GorbPulseType;
      drainDelayMs: number;
    }
  | { kind: 'static'; internalHostname: string; externalHostname: string; drainDelayMs: number };

/** Everything `run` needs, typed and validated; built from flags by {@link configFromArgs}. */
export interface FeedIngressConfig {
  readonly logLevel: LogLevel;
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly kubeconfig: string | undefined;
  readonly resyncMs: number;
  /** Controller HTTP server (`--health-port`); 0 picks a free port (tests). */
  readonly healthPort: number;
  /** Bind address of the controller HTTP server. */
  readonly healthHost: string;
  readonly model: FeedModelConfig;
  readonly nginx: { readonly binary: string; readonly workDir: string; readonly updatePeriodMs: number };
  readonly frontend: FrontendConfig;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
  };
  readonly pushgateway: {
    readonly url: string;
    readonly intervalMs: number;
    readonly labels: Record<string, string>;
  };
  /** Quiet period of the change trigger (feed flushed its dirty flag every 50 ms). */
  readonly coalesceMs: number;
}

/** Parses `name=value` namespace selectors; throws ConfigError naming the flag. Pure. */
export function parseNamespaceSelectors(items: readonly string[], key: string): NamespaceSelector[] {
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0 || item.indexOf('=', eq + 1) !== -1) {
      throw new ConfigError(`invalid namespace selector ${JSON.stringify(item)}: expected name=value`, {
        key,
      });
    }
    return { name: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim() };
  });
}

type RunArgs = Exclude<FeedIngressArgs, { command: 'render' }>;

/** Flags → model config (shared by the controller and the offline `render`). Pure; throws ConfigError. */
export function modelConfigFromArgs(args: FeedIngressArgs): FeedModelConfig {
  const v = args.values;
  const selectors = parseNamespaceSelectors(
    v['ingress-controller-namespace-selectors'],
    '--ingress-controller-namespace-selectors',
  );
  if (v['ingress-controller-namespace-selector'] !== '') {
    selectors.unshift(
      ...parseNamespaceSelectors(
        [v['ingress-controller-namespace-selector']],
        '--ingress-controller-namespace-selector',
      ),
    );
  }
  for (const [flag, value] of [
    ['--nginx-opentracing-plugin-path', v['nginx-opentracing-plugin-path']],
    ['--nginx-opentracing-config-path', v['nginx-opentracing-config-path']],
  ] as const) {
    if (value !== '')
      throw new ConfigError(`${flag} is not supported: nginx here has no OpenTracing module`, { key: flag });
  }
  const port = (flag: string, value: number | undefined): number | undefined => {
    // feed used -1 for "unset"; accept it so feed manifests keep working.
    if (value === undefined || value < 0) return undefined;
    if (value === 0 || value > 65535)
      throw new ConfigError(`${flag} must be a port (1-65535)`, { key: flag });
    return value;
  };
  const workDir = resolve(v['nginx-workdir']);
  return defaultFeedModelConfig({
    ingressClass: v['ingress-class'],
    ingressClassController: v['ingress-class-controller'],
    includeClasslessIngresses: v['include-classless-ingresses'],
    namespaceSelectors: selectors,
    matchAllNamespaceSelectors: v['match-all-namespace-selectors'],
    ingressPort: port('--ingress-port', v['ingress-port']),
    ingressHttpsPort: port('--ingress-https-port', v['ingress-https-port']),
    ingressHealthPort: port('--ingress-health-port', v['ingress-health-port']) ?? 8081,
    defaultAllow: v['ingress-allow'],
    defaultStripPath: v['ingress-strip-path'],
    defaultExactPath: v['ingress-exact-path'],
    defaultSslPath: v['ssl-path'] === '' ? undefined : v['ssl-path'],
    accessLog: { enabled: v['access-log'], dir: v['access-log-dir'], headers: v['nginx-log-headers'] },
    trustedFrontends: v['nginx-trusted-frontends'],
    realIpHeader: v['set-real-ip-from-header'],
    proxyProtocol: v['nginx-proxy-protocol'],
    nginx: {
      workDir,
      tempPathRoot: join(workDir, 'tmp'),
      tlsDir: join(workDir, 'tls'),
      workers: v['nginx-workers'],
      workerConnections: v['nginx-worker-connections'],
      workerShutdownTimeoutSeconds: v['nginx-worker-shutdown-timeout-seconds'],
      keepaliveSeconds: v['nginx-keepalive-seconds'],
      backendKeepaliveCount: v['nginx-backend-keepalive-count'],
      defaultBackendTimeoutSeconds: v['nginx-default-backend-timeout-seconds'],
      backendConnectTimeoutSeconds: v['nginx-backend-connect-timeout-seconds'],
      defaultBackendMaxConnections: v['nginx-default-backend-max-connections'],
      defaultProxyBufferSizeKb: v['nginx-default-proxy-buffer-size'],
      defaultProxyBufferBlocks: v['nginx-default-proxy-buffer-blocks'],
      logLevel: v['nginx-loglevel'],
      serverNamesHashBucketSize: v['nginx-server-names-hash-bucket-size'],
      serverNamesHashMaxSize: v['nginx-server-names-hash-max-size'],
      clientHeaderBufferSizeKb: v['nginx-client-header-buffer-size-in-kb'],
      clientBodyBufferSizeKb: v['nginx-client-body-buffer-size-in-kb'],
      largeClientHeaderBufferBlocks: v['nginx-large-client-header-buffer-blocks'],
      allowWebsocketUpgrade: v['nginx-allow-websocket-upgrade'],
      allowLocalhost: v['nginx-allow-localhost'],
    },
  });
}

function frontendFromArgs(args: RunArgs): FrontendConfig {
  switch (args.command) {
    case 'elb': {
      const tag = args.values['elb-frontend-tag-value'];
      if (tag === '')
        throw new ConfigError('--elb-frontend-tag-value is required', { key: '--elb-frontend-tag-value' });
      return {
        kind: 'elb',
        region: args.values.region,
        frontendTagValue: tag,
        expectedNumber: args.values['elb-expected-number'],
        drainDelayMs: args.values['drain-delay'],
      };
    }
    case 'nlb': {
      const tag = args.values['nlb-frontend-tag-value'];
      if (tag === '')
        throw new ConfigError('--nlb-frontend-tag-value is required', { key: '--nlb-frontend-tag-value' });
      return {
        kind: 'nlb',
        region: args.values.region,
        frontendTagValue: tag,
        expectedNumber: args.values['nlb-expected-number'],
        drainDelayMs: args.values['drain-delay'],
        readinessDelayMs: args.values['nlb-readiness-delay'],
      };
    }
    case 'alb': {
      const names = args.values['alb-target-group-names'];
      if (names.length === 0)
        throw new ConfigError('--alb-target-group-names is required', { key: '--alb-target-group-names' });
      return {
        kind: 'alb',
        region: args.values.region,
        targetGroupNames: names,
        drainDelayMs: args.values['alb-target-group-deregistration-delay'],
      };
    }
    case 'gorb': {
      const v = args.values;
      return {
        kind: 'gorb',
        endpoint: v['gorb-endpoint'],
        instanceIp: parseGorbInstanceIp(v['gorb-ingress-instance-ip'], 'gorb-ingress-instance-ip'),
        services: parseGorbServicesDefinition(v['gorb-services-definition'], 'gorb-services-definition'),
        backendMethod: parseGorbBackendMethod(v['gorb-backend-method'], 'gorb-backend-method'),
        backendWeight: parseGorbBackendWeight(v['gorb-backend-weight'], 'gorb-backend-weight'),
        vips: parseGorbVips(v['gorb-vip-loadbalancer'], 'gorb-vip-loadbalancer'),
        manageLoopback: v['gorb-management-loopback'],
        interfaceProcFsPath: v['gorb-interface-proc-fs-path'],
        healthCheckInterval: parseGorbPulseInterval(
          v['gorb-backend-healthcheck-interval'],
          'gorb-backend-healthcheck-interval',
        ),
        healthCheckType: parseGorbHealthCheckType(
          v['gorb-backend-healthcheck-type'],
          'gorb-backend-healthcheck-type',
        ),
        drainDelayMs: v['drain-delay'],
      };
    }
    case 'static':
      return {
        kind: 'static',
        internalHostname: args.values['internal-hostname'],
        externalHostname: args.values['external-hostname'],
        drainDelayMs: args.values['drain-delay'],
      };
  }
}

/**
 * Turns a parsed command line (a frontend subcommand) into the controller's config, applying
 * feed's start-up checks: `--ingress-class` is required (v2+), at least one of the ingress
 * ports must be set (v3+), and every value that reaches nginx.conf must be valid. Pure apart from `hostname` for the default identity; throws ConfigError.
 */
export function configFromArgs(args: RunArgs, hostname: string): FeedIngressConfig {
  const v = args.values;
  if (v['ingress-class'] === '')
    throw new ConfigError('--ingress-class is required', { key: '--ingress-class' });
  const model = modelConfigFromArgs(args);
  // Every flag value that reaches nginx.conf is checked now, so a bad flag stops the process at
  // start naming the flag, instead of producing a config nginx refuses on the first pass.
  const issues = validateFeedModelConfig(model);
  const first = issues[0];
  if (first !== undefined) {
    throw new ConfigError(issues.map((i) => `${i.flag}: ${i.reason}`).join('; '), { key: first.flag });
  }
  const identity = v['pod-name'] === '' ? hostname : v['pod-name'];
  return {
    logLevel: logLevelFromFlags(v),
    logFormat: v['log-format'],
    kubeconfig: v.kubeconfig === undefined || v.kubeconfig === '' ? undefined : v.kubeconfig,
    resyncMs: v['resync-period'],
    healthPort: v['health-port'],
    healthHost: '0.0.0.0',
    model,
    nginx: {
      binary: v['nginx-binary'],
      workDir: model.nginx.workDir,
      updatePeriodMs: v['nginx-update-period'],
    },
    frontend: frontendFromArgs(args),
    leaderElection: {
      enabled: v['leader-election'],
      namespace: v['leader-election-namespace'],
      name:
        v['leader-election-name'] === '' ? `feed-ingress-${v['ingress-class']}` : v['leader-election-name'],
      identity,
    },
    pushgateway: {
      url: v.pushgateway,
      intervalMs: v['pushgateway-interval'],
      labels: v['pushgateway-label'],
    },
    coalesceMs: 50,
  };
}
