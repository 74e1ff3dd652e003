import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, kubeEdgeUserAgent, loadKubeConfig, type KubeClient } from '@kube-edge/k8s-watch';
import type { Logger } from '@kube-edge/runtime';
import { Etcd3 } from 'etcd3';
import {
  createEtcdV2SkyDnsBackend,
  createFakeDnsBackend,
  createRoute53Backend,
  createSkyDnsBackend,
  type DnsBackend,
} from './backends.js';
import type { KuberouteConfig } from './config.js';
import { createS3Reporter, type StateReporter } from './s3-report.js';
import { renderTemplate } from './template.js';

/** The kubeconfig for `kubeconfig_kind = kubernetes_url`: an unauthenticated server, with verify and CA. Pure. */
export function kubernetesUrlKubeconfig(k: NonNullable<KuberouteConfig['kubernetesUrl']>): string {
  const cluster: Record<string, unknown> = { server: k.url };
  if (!k.verify) cluster['insecure-skip-tls-verify'] = true;
  else if (k.certificateAuthority !== undefined) cluster['certificate-authority'] = k.certificateAuthority;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kuberoute', cluster }],
    users: [{ name: 'kuberoute', user: {} }],
    contexts: [{ name: 'kuberoute', context: { cluster: 'kuberoute', user: 'kuberoute' } }],
    'current-context': 'kuberoute',
  });
}

/** Loads the KubeConfig for the configured access mode. Throws ConfigError. */
export function kubeConfigFor(
  config: KuberouteConfig,
  inCluster?: { host: string; port: string },
): KubeConfig {
  switch (config.kubeconfigKind) {
    case 'kubeconfig':
      return loadKubeConfig({ kubeconfigPath: config.kubeconfigFile ?? '' }).kubeConfig;
    case 'kubernetes_url':
      if (config.kubernetesUrl === undefined) throw new Error('kubernetes_url settings missing');
      return loadKubeConfig({ kubeconfigYaml: kubernetesUrlKubeconfig(config.kubernetesUrl) }).kubeConfig;
    case 'serviceaccount':
      return loadKubeConfig({ inCluster: inCluster ?? { host: '', port: '' } }).kubeConfig;
  }
}

/**
 * The Kubernetes client for the configured access mode (`kubeconfig_kind`), with kube-edge's
 * user agent. `inCluster` is `KUBERNETES_SERVICE_HOST`/`_PORT` for `serviceaccount` (main.ts
 * reads them). Throws ConfigError. Makes no request.
 */
export function kubeClientFor(
  config: KuberouteConfig,
  options: { version?: string; inCluster?: { host: string; port: string } } = {},
): KubeClient {
  return createKubeClient({
    kubeConfig: kubeConfigFor(config, options.inCluster),
    userAgent: kubeEdgeUserAgent('kuberoute', options.version ?? 'dev'),
  });
}

/** Outside-world clients for {@link createBackend} and {@link createReporter}; omitted ones are built from the config. */
export interface ClientDeps {
  route53Client?: Route53Client;
  s3Client?: S3Client;
  etcdClient?: Etcd3;
  /** fakedns output. Default: the logger. */
  print?: (line: string) => void;
  /** HTTP client for the etcd v2 API (tests). Default global fetch. */
  fetch?: typeof fetch;
}

/** The DNS backend named by `dns_backend`. */
export function createBackend(config: KuberouteConfig, deps: ClientDeps, logger: Logger): DnsBackend {
  switch (config.dnsBackend) {
    case 'route53': {
      const creds = config.route53;
      const client =
        deps.route53Client ??
        new Route53Client({
          region: 'us-east-1',
          maxAttempts: 6,
          ...(creds?.accessKeyId !== undefined && creds.secretAccessKey !== undefined
            ? { credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } }
            : {}),
        });
      return createRoute53Backend({ client, logger });
    }
    case 'skydns': {
      const s = config.skydns;
      if (s === undefined) throw new Error('skydns settings missing');
      const url = `${s.protocol}://${s.host}:${s.port}`;
      if (s.api === 'v2') {
        return createEtcdV2SkyDnsBackend({
          url,
          prefix: s.prefix,
          logger,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        });
      }
      return createSkyDnsBackend({
        client: deps.etcdClient ?? new Etcd3({ hosts: url }),
        prefix: s.prefix,
        logger,
      });
    }
    case 'fakedns':
      return createFakeDnsBackend({
        print: deps.print ?? ((line) => logger.info('fakedns', { line })),
        logger,
      });
  }
}

/** The S3 state reporter of `[s3report]`; undefined (warned once) when its key cannot be rendered or there is none. */
export function createReporter(
  config: KuberouteConfig,
  deps: ClientDeps,
  logger: Logger,
): StateReporter | undefined {
  const s = config.s3report;
  if (s === undefined) return undefined;
  const key = renderTemplate(s.keyTemplate, config.replacements);
  if (!key.ok) {
    logger.warn('status gets not reported: the [s3report] key cannot be rendered', { reason: key.reason });
    return undefined;
  }
  const client =
    deps.s3Client ??
    new S3Client({
      region: s.region,
      ...(s.accessKeyId !== undefined && s.secretAccessKey !== undefined
        ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } }
        : {}),
    });
  return createS3Reporter({
    client,
    bucket: s.bucket,
    key: key.value,
    acl: s.acl,
    contentType: s.contentType,
  });
}
