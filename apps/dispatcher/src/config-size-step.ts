import type { ControllerStep } from '@kube-edge/k8s-watch';
import type { Metrics } from '@kube-edge/runtime';
import type { DispatcherModel } from './model/types.js';

/**
 * Keeps `dispatcher_hosts`, `dispatcher_upstreams` and `dispatcher_upstream_servers` at the size
 * of the live config. Runs after the nginx (or mock) step, so a config nginx refused never
 * changes them. Never fails; idempotent.
 */
export function createConfigSizeStep(metrics: Metrics): ControllerStep<DispatcherModel> {
  const hosts = metrics.gauge('hosts', 'Hosts (server blocks) in the live config.', []);
  const upstreams = metrics.gauge('upstreams', 'Upstreams in the live config.', []);
  const servers = metrics.gauge('upstream_servers', 'Upstream servers (pod routes) in the live config.', []);
  const ok = { ok: true };
  return {
    name: 'config-size',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    health: () => ok,
    readiness: () => ok,
    update(model) {
      hosts.set(model.stats.hosts);
      upstreams.set(model.stats.upstreams);
      servers.set(model.stats.servers);
      return Promise.resolve();
    },
  };
}
