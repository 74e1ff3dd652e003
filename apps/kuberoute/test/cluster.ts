import { eventually as testkitEventually, type ApiServer, type KubeObject } from '@kube-edge/testkit';
import type { KuberouteAppConfig } from '../src/app.js';
import type { KuberouteConfig } from '../src/config.js';
import { node, pod, routeLabels, service } from './fixtures.js';

/** A client-node object as the test API server's store takes it. */
export function obj(o: object): KubeObject {
  return o as KubeObject;
}

/** Waits until `check` returns a value other than undefined, polling every 50 ms; throws after `timeoutMs`. */
export function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  return testkitEventually(
    async () => {
      const v = await check();
      if (v === undefined) throw new Error('not yet');
      return v;
    },
    { timeoutMs, what: 'the condition' },
  );
}

/** Three schedulable nodes 10.0.0.1-3, the `web` NodePort service as www.example.com and pods on 10.0.0.1 and 10.0.0.2. */
export function seedCluster(api: ApiServer, labels: { failover?: string; quota?: string } = {}): void {
  for (const [n, ip] of [
    ['node-a', '10.0.0.1'],
    ['node-b', '10.0.0.2'],
    ['node-c', '10.0.0.3'],
  ] as const) {
    api.store.create(obj(node(n, ip)));
  }
  api.store.create(obj(service('web', routeLabels('www', 'example.com', labels))));
  api.store.create(obj(pod('web-1', 'web', '10.0.0.1')));
  api.store.create(obj(pod('web-2', 'web', '10.0.0.2')));
}

/** The config file text for a test run against `apiUrl`. */
export function configText(apiUrl: string, backend: string, extra = ''): string {
  return `[kuberoute]
kubeconfig_kind = kubernetes_url
port = 0
dns_backend = ${backend}
domain_label = kuberoute_domain
name_label = kuberoute_name
failover_label = kuberoute_failover
quota_label = kuberoute_quota
namespaces = default

[kubernetes_url]
url = ${apiUrl}
verify = true
${extra}`;
}

/** The app config for a test: the parsed config file, no interval, no watch, on 127.0.0.1, plus `flags`. */
export function appConfig(
  config: KuberouteConfig,
  flags: Partial<KuberouteAppConfig> = {},
): KuberouteAppConfig {
  return { ...config, intervalMs: 0, watch: false, debug: false, events: false, host: '127.0.0.1', ...flags };
}
