// Test support: the chart's CRD, a simulator that plays the Deployment controller, the kubelet
// (as far as Deployment status goes: nothing here reads pods) and node-detacher, and a recorder
// of the writes that matter, ordered by resourceVersion.
import { readFileSync } from 'node:fs';
import type { KubeClient } from '@kube-edge/k8s-watch';
import { DETACHED_ANNOTATION, DETACHMENT_TIMESTAMP_ANNOTATION } from '@kube-edge/node-detacher';
import type { V1Deployment, V1Node } from '@kubernetes/client-node';
import type { ApiServer, KubeObject } from '@kube-edge/testkit';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION, NODE_ANNOTATION, OBJECT_HASH_ANNOTATION } from '../src/names.js';

/** The IngressDaemonSet CRD exactly as the chart installs it. */
export function loadCrd(): KubeObject {
  return parseYaml(
    readFileSync(
      new URL('../../../charts/ingress-daemonset-controller/crds/ingressdaemonsets.yaml', import.meta.url),
      'utf8',
    ),
  ) as KubeObject;
}

/** The seed's example IngressDaemonSet, verbatim, as the examples folder holds it. */
export function seedExampleText(): string {
  return readFileSync(
    new URL('../../../examples/ingress-daemonset-controller/ingressdaemonset.yaml', import.meta.url),
    'utf8',
  );
}

export const DETACHED = DETACHED_ANNOTATION;
export const DETACHMENT_TS = DETACHMENT_TIMESTAMP_ANNOTATION;

/** A Ready node with labels. */
export function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A recorded change, ordered by the API server's resourceVersion. */
export interface Recorded {
  readonly rv: number;
  readonly text: string;
  /** Wall-clock time the simulator saw it. */
  readonly at: number;
}

/**
 * Watches Deployments and Nodes through the REST API and plays the cluster's other actors:
 * - Deployment controller + kubelet: a Deployment whose generation is not observed yet gets its
 *   status: rolled out at once, or, for a node in `held`, observed with no replica updated or
 *   available until `release(node)`.
 * - node-detacher: a node that gets the `detached` annotation gets `detachment-timestamp=now`;
 *   when it loses it, the timestamp goes.
 * Records: `mark|unmark <node>` (to-be-updated annotation), `update <node>` (spec hash changed),
 * `available <node>`, `create|delete <node>`, `annotate|unannotate <node>` (detached annotation).
 */
export function startSimulator(server: ApiServer, client: KubeClient, options: { detacher?: boolean } = {}) {
  const abort = new AbortController();
  const records: Recorded[] = [];
  const held = new Set<string>();
  const pending = new Map<string, { ns: string; name: string }>();
  const lastHash = new Map<string, string>();
  const rv = (o: KubeObject | V1Deployment | V1Node): number => Number(o.metadata?.resourceVersion ?? 0);
  const push = (o: KubeObject | V1Deployment | V1Node, text: string): void =>
    void records.push({ rv: rv(o), text, at: Date.now() });
  const complete = (ns: string, name: string): void => {
    const d = server.store.get<KubeObject & V1Deployment>('apps/v1', 'Deployment', ns, name);
    if (d === undefined) return;
    const r = d.spec?.replicas ?? 1;
    server.store.patchMerge('apps/v1', 'Deployment', ns, name, {
      status: {
        observedGeneration: d.metadata.generation,
        replicas: r,
        updatedReplicas: r,
        readyReplicas: r,
        availableReplicas: r,
      },
    });
  };

  const onDeployment = (type: string, d: V1Deployment): void => {
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const nodeName = d.metadata?.annotations?.[NODE_ANNOTATION] ?? '';
    const key = `${ns}/${name}`;
    if (type === 'DELETED') {
      push(d, `delete ${nodeName}`);
      lastHash.delete(key);
      return;
    }
    const hash = d.metadata?.annotations?.[OBJECT_HASH_ANNOTATION] ?? '';
    const marked = d.metadata?.annotations?.[DEFAULT_TO_BE_UPDATED_ANNOTATION] !== undefined;
    const prev = lastHash.get(key);
    // One write may mark and update at once: the mark is recorded first.
    const wasMarked = markedNow.has(key);
    if (marked && !wasMarked) push(d, `mark ${nodeName}`);
    if (prev === undefined) push(d, `create ${nodeName}`);
    else if (prev !== hash) push(d, `update ${nodeName}`);
    if (!marked && wasMarked) push(d, `unmark ${nodeName}`);
    lastHash.set(key, hash);
    if (marked) markedNow.add(key);
    else markedNow.delete(key);
    const s = d.status ?? {};
    const r = d.spec?.replicas ?? 1;
    const observed = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
    if (observed && (s.availableReplicas ?? 0) >= r && (s.updatedReplicas ?? 0) >= r) {
      if (!availableNow.has(key)) push(d, `available ${nodeName}`);
      availableNow.add(key);
    } else availableNow.delete(key);
    if (observed) return;
    if (held.has(nodeName)) {
      pending.set(nodeName, { ns, name });
      server.store.patchMerge('apps/v1', 'Deployment', ns, name, {
        status: {
          observedGeneration: d.metadata?.generation,
          replicas: r,
          updatedReplicas: 0,
          availableReplicas: 0,
          readyReplicas: 0,
        },
      });
    } else complete(ns, name);
  };
  const markedNow = new Set<string>();
  const availableNow = new Set<string>();
  const detachedNow = new Set<string>();
  const detachedAt = new Map<string, number>();

  const onNode = (type: string, n: V1Node): void => {
    const name = n.metadata?.name ?? '';
    const detached = type !== 'DELETED' && n.metadata?.annotations?.[DETACHED] !== undefined;
    if (detached && !detachedNow.has(name)) push(n, `annotate ${name}`);
    if (!detached && detachedNow.has(name)) push(n, `unannotate ${name}`);
    if (detached) detachedNow.add(name);
    else detachedNow.delete(name);
    if (options.detacher !== true || type === 'DELETED') return;
    const ts = n.metadata?.annotations?.[DETACHMENT_TS];
    if (detached && ts === undefined) {
      const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      detachedAt.set(name, Date.parse(stamp));
      server.store.patchMerge('v1', 'Node', undefined, name, {
        metadata: { annotations: { [DETACHMENT_TS]: stamp } },
      });
    }
    if (!detached && ts !== undefined)
      server.store.patchMerge('v1', 'Node', undefined, name, {
        metadata: { annotations: { [DETACHMENT_TS]: null } },
      });
  };

  const watchLoop = (path: string, on: (type: string, o: never) => void): void => {
    void client
      .watch({ path, signal: abort.signal }, (e) => on(e.type, e.object as never))
      .catch(() => undefined);
  };
  watchLoop('/apis/apps/v1/deployments', onDeployment);
  watchLoop('/api/v1/nodes', onNode);

  return {
    /** Records so far, in resourceVersion order. */
    log(): string[] {
      return [...records].sort((a, b) => a.rv - b.rv).map((r) => r.text);
    },
    /** When a record was seen (wall clock), or undefined. */
    timeOf(text: string): number | undefined {
      return records.find((r) => r.text === text)?.at;
    },
    /** The last detachment timestamp written for a node, in ms. */
    detachedAt(nodeName: string): number | undefined {
      return detachedAt.get(nodeName);
    },
    /** Rollouts on these nodes wait for {@link release}. */
    hold(...nodes: string[]): void {
      for (const n of nodes) held.add(n);
    },
    /** Lets the held rollout of `node` finish (now or when it starts). */
    release(nodeName: string): void {
      held.delete(nodeName);
      const p = pending.get(nodeName);
      pending.delete(nodeName);
      if (p !== undefined) complete(p.ns, p.name);
    },
    /** Nodes whose rollout is being held right now. */
    pendingNodes(): string[] {
      return [...pending.keys()].sort();
    },
    stop(): void {
      abort.abort();
    },
  };
}

/** Largest number of nodes in state `on` at once (entered by `on X`, left by `off X`) over a log. */
export function maxConcurrent(log: readonly string[], on: string, off: string): number {
  const now = new Set<string>();
  let max = 0;
  for (const line of log) {
    const [verb, n = ''] = line.split(' ');
    if (verb === on) now.add(n);
    if (verb === off) now.delete(n);
    max = Math.max(max, now.size);
  }
  return max;
}
