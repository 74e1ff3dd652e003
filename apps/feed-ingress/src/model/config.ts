import {
  MAX_DURATION_SECONDS,
  MAX_UPSTREAM_MAX_CONNS,
  validateCidr,
  validateFilePath,
  validateInt,
  validatePort,
  validateVariableHeaderName,
} from '@kube-edge/nginx-render';
import type { FeedModelConfig } from './types.js';

/**
 * feed's flag defaults as a model config, with `overrides` applied
 * (`nginx` is merged field by field). Pure; returns a new object each call.
 */
export function defaultFeedModelConfig(
  overrides: Partial<Omit<FeedModelConfig, 'nginx'>> & { nginx?: Partial<FeedModelConfig['nginx']> } = {},
): FeedModelConfig {
  const { nginx, ...rest } = overrides;
  return {
    ingressClass: '',
    ingressClassController: 'kube-edge.io/feed-ingress',
    includeClasslessIngresses: false,
    namespaceSelectors: [],
    matchAllNamespaceSelectors: false,
    ingressPort: undefined,
    ingressHttpsPort: undefined,
    ingressHealthPort: 8081,
    defaultAllow: ['0.0.0.0/0'],
    defaultStripPath: true,
    defaultExactPath: false,
    defaultSslPath: '/etc/ssl/default-ssl/default-ssl',
    accessLog: { enabled: false, dir: '/var/log/nginx', headers: [] },
    trustedFrontends: [],
    realIpHeader: 'X-Forwarded-For',
    proxyProtocol: false,
    ...rest,
    nginx: {
      workDir: '/nginx',
      tempPathRoot: '/nginx/tmp',
      tlsDir: '/nginx/tls',
      workers: 1,
      workerConnections: 1024,
      workerShutdownTimeoutSeconds: 0,
      keepaliveSeconds: 60,
      backendKeepaliveCount: 512,
      defaultBackendTimeoutSeconds: 60,
      backendConnectTimeoutSeconds: 1,
      defaultBackendMaxConnections: 0,
      defaultProxyBufferSizeKb: 16,
      defaultProxyBufferBlocks: 4,
      logLevel: 'warn',
      serverNamesHashBucketSize: -1,
      serverNamesHashMaxSize: -1,
      clientHeaderBufferSizeKb: 16,
      clientBodyBufferSizeKb: 16,
      largeClientHeaderBufferBlocks: 4,
      allowWebsocketUpgrade: false,
      allowLocalhost: false,
      ...nginx,
    },
  };
}

/** One problem with a {@link FeedModelConfig}, naming the flag that sets it. */
export interface FeedConfigIssue {
  readonly flag: string;
  readonly reason: string;
}

/**
 * Checks the flag values that reach nginx.conf, so a bad flag stops the
 * process at start with the flag named instead of producing a config nginx refuses. Returns
 * every issue; `[]` when the config is usable. Pure.
 */
export function validateFeedModelConfig(config: FeedModelConfig): FeedConfigIssue[] {
  const issues: FeedConfigIssue[] = [];
  const check = (flag: string, result: { ok: boolean; reason?: string }): void => {
    if (!result.ok) issues.push({ flag, reason: result.reason ?? 'invalid' });
  };
  const int = (flag: string, value: number, min: number, max: number): void =>
    check(flag, validateInt(value, flag, min, max));
  if (config.ingressPort === undefined && config.ingressHttpsPort === undefined) {
    issues.push({
      flag: '--ingress-port',
      reason: 'http or https port must be provided (--ingress-port or --ingress-https-port)',
    });
  }
  if (config.ingressPort !== undefined) check('--ingress-port', validatePort(config.ingressPort));
  if (config.ingressHttpsPort !== undefined)
    check('--ingress-https-port', validatePort(config.ingressHttpsPort));
  check('--ingress-health-port', validatePort(config.ingressHealthPort));
  const ports = [config.ingressPort, config.ingressHttpsPort, config.ingressHealthPort].filter(
    (p) => p !== undefined,
  );
  if (new Set(ports).size !== ports.length)
    issues.push({
      flag: '--ingress-health-port',
      reason: '--ingress-port, --ingress-https-port and --ingress-health-port must differ',
    });
  config.defaultAllow.forEach((a) => check('--ingress-allow', validateCidr(a)));
  config.trustedFrontends.forEach((a) => check('--nginx-trusted-frontends', validateCidr(a)));
  config.namespaceSelectors.forEach((s) => {
    if (s.name === '')
      issues.push({
        flag: '--ingress-controller-namespace-selectors',
        reason: 'a selector needs a label name (name=value)',
      });
  });
  const n = config.nginx;
  check('--nginx-workdir', validateFilePath(n.tempPathRoot));
  check('--nginx-workdir', validateFilePath(n.tlsDir));
  if (config.defaultSslPath !== undefined)
    check('--ssl-path', validateFilePath(`${config.defaultSslPath}.crt`));
  if (config.accessLog.enabled)
    check('--access-log-dir', validateFilePath(`${config.accessLog.dir}/access.log`));
  config.accessLog.headers.forEach((h) => check('--nginx-log-headers', validateVariableHeaderName(h)));
  if (!config.proxyProtocol)
    check('--set-real-ip-from-header', validateVariableHeaderName(config.realIpHeader));
  int('--nginx-workers', n.workers, 1, 1024);
  int('--nginx-worker-connections', n.workerConnections, 1, 1_048_576);
  int('--nginx-worker-shutdown-timeout-seconds', n.workerShutdownTimeoutSeconds, 0, MAX_DURATION_SECONDS);
  int('--nginx-keepalive-seconds', n.keepaliveSeconds, 0, MAX_DURATION_SECONDS);
  int('--nginx-backend-keepalive-count', n.backendKeepaliveCount, 1, 1_048_576);
  int('--nginx-default-backend-timeout-seconds', n.defaultBackendTimeoutSeconds, 1, MAX_DURATION_SECONDS);
  int('--nginx-backend-connect-timeout-seconds', n.backendConnectTimeoutSeconds, 1, 75);
  int('--nginx-default-backend-max-connections', n.defaultBackendMaxConnections, 0, MAX_UPSTREAM_MAX_CONNS);
  int('--nginx-default-proxy-buffer-size', n.defaultProxyBufferSizeKb, 1, 32);
  // nginx needs 2 x buffer size < (blocks - 1) x buffer size, so at least 4 equal blocks.
  int('--nginx-default-proxy-buffer-blocks', n.defaultProxyBufferBlocks, 4, 8);
  int('--nginx-client-header-buffer-size-in-kb', n.clientHeaderBufferSizeKb, 0, 1024);
  int('--nginx-client-body-buffer-size-in-kb', n.clientBodyBufferSizeKb, 0, 1_048_576);
  if (n.clientHeaderBufferSizeKb > 0)
    int('--nginx-large-client-header-buffer-blocks', n.largeClientHeaderBufferBlocks, 1, 1024);
  return issues;
}
