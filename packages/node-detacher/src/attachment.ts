import type { InstanceMembership } from '@kube-edge/aws-frontends';
import type { ResourceRef } from '@kube-edge/k8s-watch';
import { ATTACHMENT_API_VERSION, ATTACHMENT_KIND, ATTACHMENT_PLURAL } from './names.js';

/** One target-group registration recorded in an Attachment. */
export interface AttachmentTarget {
  readonly arn: string;
  readonly port?: number;
  readonly detached?: boolean;
}

/** One classic load balancer recorded in an Attachment. */
export interface AttachmentLoadBalancer {
  readonly name: string;
  readonly detached?: boolean;
}

/** Where an Attachment's cycle is: the phase written to its status. */
export type AttachmentPhase = 'Detaching' | 'Detached' | 'Attaching' | 'Attached';

/** The `Attachment` custom resource (`node-detacher.variant.run/v1alpha1`), named after its node. */
export interface Attachment {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
    }[];
  };
  spec: {
    nodeName: string;
    awsTargets?: AttachmentTarget[];
    awsLoadBalancers?: AttachmentLoadBalancer[];
  };
  status?: {
    cachedAt?: string;
    detachedAt?: string;
    phase?: AttachmentPhase;
    reason?: string;
    message?: string;
  };
}

/** The `Attachment` resource, for watches and REST paths. */
export const ATTACHMENTS: ResourceRef = Object.freeze({
  apiVersion: ATTACHMENT_API_VERSION,
  plural: ATTACHMENT_PLURAL,
  kind: ATTACHMENT_KIND,
});

/**
 * The spec of a new detach cycle: the membership just found, each entry `detached: false`,
 * plus every entry of `previous` unless its last cycle completed (`phase: Attached`): an
 * entry already taken out (so no longer found) must be remembered to be put back, and one
 * whose deregistration may have been cut short is tried again. Sorted. Pure.
 */
export function mergeMembership(
  previous: Attachment | undefined,
  found: InstanceMembership,
): Pick<Attachment['spec'], 'awsTargets' | 'awsLoadBalancers'> {
  const keep = previous !== undefined && previous.status?.phase !== 'Attached';
  const targets = new Map<string, AttachmentTarget>();
  const lbs = new Map<string, AttachmentLoadBalancer>();
  if (keep) {
    for (const t of previous.spec.awsTargets ?? []) targets.set(`${t.arn} ${t.port ?? ''}`, t);
    for (const l of previous.spec.awsLoadBalancers ?? []) lbs.set(l.name, l);
  }
  for (const t of found.targets) {
    const k = `${t.arn} ${t.port}`;
    if (!targets.has(k)) targets.set(k, { arn: t.arn, port: t.port, detached: false });
  }
  for (const name of found.loadBalancers) if (!lbs.has(name)) lbs.set(name, { name, detached: false });
  const byKey = <T>(m: Map<string, T>): T[] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { awsTargets: byKey(targets), awsLoadBalancers: byKey(lbs) };
}
