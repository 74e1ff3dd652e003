import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ModelConfig } from '../src/model/records.js';

/** The labels of the original README. */
export const LABELS = {
  domain: 'kuberoute_domain',
  name: 'kuberoute_name',
  failover: 'kuberoute_failover',
  quota: 'kuberoute_quota',
} as const;

/** A model config over the README labels. */
export function modelConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return { labels: LABELS, namespaces: ['default'], replacements: {}, ...over };
}

/** A labelled NodePort service selecting `app: <app>`. */
export function service(
  name: string,
  labels: Record<string, string>,
  opts: { namespace?: string; type?: string; selector?: Record<string, string> | null } = {},
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'default', uid: `uid-${name}`, labels },
    spec: {
      type: opts.type ?? 'NodePort',
      ports: [{ port: 80, protocol: 'TCP' }],
      ...(opts.selector === null ? {} : { selector: opts.selector ?? { app: name } }),
    },
  };
}

/** A pod with `app: <app>` on host `hostIP`, Running and Ready unless told otherwise. */
export function pod(
  name: string,
  app: string,
  hostIP: string,
  opts: { namespace?: string; phase?: string; ready?: boolean } = {},
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', uid: `uid-${name}`, labels: { app } },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: {
      phase: opts.phase ?? 'Running',
      hostIP,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

/** A node with InternalIP `ip`, Ready, schedulable unless told otherwise. */
export function node(
  name: string,
  ip: string,
  opts: { unschedulable?: boolean; ready?: boolean } = {},
): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: opts.unschedulable === true ? { unschedulable: true } : {},
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'ExternalIP', address: `203.0.113.${ip.split('.').at(-1) ?? '1'}` },
      ],
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

/** Labels for a service published as `<name>.<domain>`. */
export function routeLabels(
  name: string,
  domain: string,
  extra: { failover?: string; quota?: string } = {},
): Record<string, string> {
  return {
    [LABELS.domain]: domain,
    [LABELS.name]: name,
    ...(extra.failover === undefined ? {} : { [LABELS.failover]: extra.failover }),
    ...(extra.quota === undefined ? {} : { [LABELS.quota]: extra.quota }),
  };
}
