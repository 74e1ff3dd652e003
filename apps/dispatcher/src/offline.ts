import type { KubeObjectLike } from '@kube-edge/k8s-watch';
import type { PodObject } from './model/types.js';

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'Job',
]);

interface SecretLike extends KubeObjectLike {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Workload extends KubeObjectLike {
  spec?: { template?: { metadata?: PodObject['metadata']; spec?: PodObject['spec'] } };
}

/**
 * Prepares manifests for the offline `render`: each workload (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, ReplicationController, Job) contributes one Pod from its template,
 * named `<workload>-template`; and a Pod without `status.podIP` (as written in a manifest) is
 * taken as Running and Ready with a placeholder address from TEST-NET-1 (192.0.2.1, .2, ... in
 * `namespace/name` order), so manifests can be checked before they are applied. Pods with a
 * status keep it. A Secret's `stringData` is merged into `data` as the API server would.
 * Returns new objects; the input is not modified. Pure.
 */
export function prepareForRender(objects: readonly KubeObjectLike[]): KubeObjectLike[] {
  const out: KubeObjectLike[] = [];
  const synthetic: PodObject[] = [];
  for (const o of objects) {
    if (o.kind !== undefined && WORKLOAD_KINDS.has(o.kind)) {
      const t = (o as Workload).spec?.template;
      if (t === undefined) continue;
      synthetic.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...structuredClone(t.metadata ?? {}),
          name: `${o.metadata?.name ?? 'workload'}-template`,
          namespace: o.metadata?.namespace ?? 'default',
        },
        ...(t.spec !== undefined ? { spec: structuredClone(t.spec) } : {}),
      });
    } else if (o.kind === 'Pod') {
      synthetic.push(structuredClone(o));
    } else if (o.kind === 'Secret' && (o as SecretLike).stringData !== undefined) {
      const sec = structuredClone(o) as SecretLike;
      const extra = Object.fromEntries(
        Object.entries(sec.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      sec.data = { ...sec.data, ...extra };
      delete sec.stringData;
      out.push(sec);
    } else {
      out.push(o);
    }
  }
  const key = (p: PodObject): string => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;
  synthetic.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  let n = 0;
  for (const p of synthetic) {
    if (!p.status?.podIP) {
      n++;
      p.status = {
        phase: 'Running',
        podIP: `192.0.2.${((n - 1) % 254) + 1}`,
        conditions: [{ type: 'Ready', status: 'True' }],
      };
    }
    out.push(p);
  }
  return out;
}
