import { isIPv4 } from 'node:net';

/** A Pod as far as `--target-access-mode=AWSCNI` cares (an informer's cached object works). */
export interface PodLike {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string | Date };
  status?: { phase?: string; podIP?: string };
}

/**
 * The addresses the `ip` target groups must hold: the IPv4 pod IP of every pod that is
 * `Running` and not terminating (a pod with a deletion timestamp is deregistered before it
 * stops), sorted, without duplicates. A pod without an IP yet, or with an IPv6 one (the target
 * groups are IPv4), is left out. Pure.
 */
export function podTargetAddresses(pods: readonly PodLike[]): string[] {
  const out = new Set<string>();
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running') continue;
    if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) continue;
    const ip = pod.status.podIP;
    if (ip !== undefined && isIPv4(ip)) out.add(ip);
  }
  return [...out].sort();
}
