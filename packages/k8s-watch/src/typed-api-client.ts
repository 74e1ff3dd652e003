import type { ApiConstructor, ApiType, KubeConfig } from '@kubernetes/client-node';
import { ServerConfiguration, createConfiguration, setHeaderMiddleware } from '@kubernetes/client-node';
import { allowPlainHttp } from './kube-client.js';

/**
 * Like client-node's `KubeConfig.makeApiClient`, but sends `userAgent` (client-node hard-codes its
 * own) and accepts plain-HTTP servers as `createKubeClient` does. For apps that prefer the
 * typed generated clients (`CoreV1Api`, `NetworkingV1Api`, ...). Pure apart from reading the
 * kubeconfig; throws when it has no current cluster.
 */
export function makeApiClient<T extends ApiType>(
  kubeConfig: KubeConfig,
  apiClass: ApiConstructor<T>,
  userAgent: string,
): T {
  const kc = allowPlainHttp(kubeConfig);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [setHeaderMiddleware('User-Agent', userAgent)],
  });
  return new apiClass(config);
}
