import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, kubeEdgeUserAgent, loadKubeConfig, type KubeClient } from '@kube-edge/k8s-watch';
import { FEED_INGRESS_VERSION } from './cli.js';
import type { FeedIngressConfig } from './config.js';

/**
 * The API client of `config`: `options.kubeConfig` if given, else `--kubeconfig`, else the
 * in-cluster service account; with feed-ingress's user agent. Makes no request; throws
 * ConfigError when no configuration can be loaded.
 */
export function kubeClientFor(
  config: Pick<FeedIngressConfig, 'kubeconfig'>,
  options: { kubeConfig?: KubeConfig; inCluster?: { host: string; port: string } } = {},
): KubeClient {
  const kubeConfig =
    options.kubeConfig ??
    loadKubeConfig({
      ...(config.kubeconfig !== undefined ? { kubeconfigPath: config.kubeconfig } : {}),
      ...(options.inCluster !== undefined ? { inCluster: options.inCluster } : {}),
    }).kubeConfig;
  return createKubeClient({
    kubeConfig,
    userAgent: kubeEdgeUserAgent('feed-ingress', FEED_INGRESS_VERSION),
  });
}
