import type { FeedModelConfig } from './types.js';

/**
 * feed's flag defaults (spec/feed.md §3.1) as a model config, with `overrides` applied
 * (`nginx` is merged field by field). Pure; returns a new object each call.
 */
export function defaultFeedModelConfig(overrides: Partial<Omit<FeedModelConfig, 'nginx'>> & { nginx?: Partial<FeedModelConfig['nginx']> } = {}): FeedModelConfig {
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
      ...nginx,
    },
  };
}
