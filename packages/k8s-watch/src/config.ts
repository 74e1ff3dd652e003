import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@kube-edge/runtime';

/** Where the in-cluster service account files live by default. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Options for {@link loadKubeConfig}. The app fills them from flags and the environment. */
export interface LoadKubeConfigOptions {
  /** Kubeconfig YAML text; wins over everything else (tests, embedded configs). */
  kubeconfigYaml?: string;
  /** `--kubeconfig` or `KUBECONFIG`: one path, or several joined by the OS path delimiter (merged, first wins). */
  kubeconfigPath?: string;
  /** `--kube-context`: a context name from the kubeconfig. Default: its current-context. */
  context?: string;
  /**
   * In-cluster settings, from `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`. Used when no
   * kubeconfig is given. `serviceAccountDir` defaults to {@link SERVICE_ACCOUNT_DIR}.
   */
  inCluster?: { host: string; port: string; serviceAccountDir?: string };
}

/** The result of {@link loadKubeConfig}. */
export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from. */
  source: 'yaml' | 'kubeconfig' | 'in-cluster';
  /** The context's namespace, or the service account's namespace in-cluster; undefined if neither. */
  namespace: string | undefined;
}

/**
 * Loads a client-node `KubeConfig` from, in order: YAML text, kubeconfig path(s), in-cluster
 * settings. Throws {@link ConfigError} (naming the flag) when none is usable or the context is
 * unknown. Reads files synchronously; never reads `process.env`.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions): LoadedKubeConfig {
  const kc = new KubeConfig();
  let source: LoadedKubeConfig['source'];
  let namespace: string | undefined;
  if (options.kubeconfigYaml !== undefined) {
    try {
      kc.loadFromString(options.kubeconfigYaml);
    } catch (err) {
      throw new ConfigError('kubeconfig text is not valid', { key: 'kubeconfig', cause: err });
    }
    source = 'yaml';
  } else if (options.kubeconfigPath !== undefined && options.kubeconfigPath !== '') {
    const files = options.kubeconfigPath.split(path.delimiter).filter((f) => f !== '');
    try {
      files.forEach((file, i) => {
        if (i === 0) {
          kc.loadFromFile(file);
        } else {
          const more = new KubeConfig();
          more.loadFromFile(file);
          // kubectl's rule: the first file to define a name wins (client-node's merge throws instead).
          const has = (list: { name: string }[], n: string): boolean => list.some((x) => x.name === n);
          for (const c of more.clusters) if (!has(kc.clusters, c.name)) kc.clusters.push(c);
          for (const u of more.users) if (!has(kc.users, u.name)) kc.users.push(u);
          for (const c of more.contexts) if (!has(kc.contexts, c.name)) kc.contexts.push(c);
          if (!kc.currentContext) kc.currentContext = more.currentContext;
        }
      });
    } catch (err) {
      throw new ConfigError(`cannot load kubeconfig ${options.kubeconfigPath}`, {
        key: 'kubeconfig',
        cause: err,
      });
    }
    source = 'kubeconfig';
  } else if (options.inCluster !== undefined && options.inCluster.host !== '') {
    const { host, port } = options.inCluster;
    const dir = options.inCluster.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    const serverHost = net.isIPv6(host) ? `[${host}]` : host;
    // Built here rather than with loadFromCluster() because that reads process.env itself.
    kc.loadFromClusterAndUser(
      {
        name: 'inCluster',
        server: `https://${serverHost}:${port}`,
        caFile: path.join(dir, 'ca.crt'),
        skipTLSVerify: false,
      },
      {
        name: 'inClusterUser',
        authProvider: { name: 'tokenFile', config: { tokenFile: path.join(dir, 'token') } },
      },
    );
    try {
      namespace = fs.readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined;
    } catch {
      namespace = undefined;
    }
    source = 'in-cluster';
  } else {
    throw new ConfigError('no kubeconfig given and not running in a cluster', { key: 'kubeconfig' });
  }
  if (options.context !== undefined && options.context !== '') {
    if (kc.getContextObject(options.context) === null) {
      throw new ConfigError(`kube context ${options.context} not found in kubeconfig`, {
        key: 'kube-context',
      });
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new ConfigError('kubeconfig has no current context with a cluster', { key: 'kube-context' });
  }
  if (source !== 'in-cluster') {
    const ctx = kc.getContextObject(kc.getCurrentContext());
    namespace = ctx?.namespace;
  }
  return { kubeConfig: kc, source, namespace };
}

/** The user agent every kube-edge app sends: `kube-edge-<app>/<version>`. Pure. */
export function kubeEdgeUserAgent(app: string, version: string): string {
  return `kube-edge-${app}/${version}`;
}
