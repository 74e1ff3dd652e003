import { isIP } from 'node:net';
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { parseInteger } from '../config.js';
import { renderTemplate } from '../template.js';

/** The TTL of every record kuberoute writes. */
export const RECORD_TTL = 60;

/** The object a skip is about. */
export interface ObjectRef {
  kind: 'Service' | 'Pod';
  namespace: string;
  name: string;
  uid: string | undefined;
}

/** Why an object was left out: a stable `reason` (metric label, Event reason) and a message. */
export interface Skipped {
  object: ObjectRef;
  reason: SkipReason;
  message: string;
}

/** The reasons a service or pod is skipped; each replaces a crash or silent overwrite of the original. */
export type SkipReason =
  | 'NoSelector'
  | 'InvalidQuota'
  | 'TemplateError'
  | 'InvalidName'
  | 'InvalidFailover'
  | 'DuplicateName'
  | 'NodeNotFound'
  | 'InvalidHostIP';

/** What {@link computeRecords} needs from the configuration. */
export interface ModelConfig {
  labels: { domain: string; name: string; failover: string; quota: string };
  namespaces: readonly string[];
  replacements: Readonly<Record<string, string>>;
}

/** One labelled NodePort service and the node addresses serving it. */
export interface ServiceRecord {
  service: ObjectRef;
  /** Rendered `name_label` value, lower case. */
  name: string;
  /** Rendered `domain_label` value, lower case, no trailing dot. */
  domain: string;
  /** `<name>.<domain>`. */
  fqdn: string;
  /** Unique `status.hostIP` of alive pods, sorted. */
  addresses: string[];
  /** The failover label's value (no templating, as the original), or undefined. */
  failover: string | undefined;
  /** The quota label as an integer percentage; 0 when absent. */
  quota: number;
}

/** The result of {@link computeRecords}. */
export interface RecordsResult {
  records: ServiceRecord[];
  skipped: Skipped[];
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** True for a DNS host name kuberoute may write: labels of letters, digits, `-`, `_`; ≤ 253 characters. Pure. */
export function isValidHostName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n === '' || n.length > 253) return false;
  return n.split('.').every((l) => LABEL.test(l));
}

function refOf(kind: ObjectRef['kind'], o: V1Service | V1Pod): ObjectRef {
  return { kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '', uid: o.metadata?.uid };
}

/** The objects in namespace/name order (keys built once, not per comparison). */
function byRef<T extends V1Service | V1Pod>(objects: readonly T[]): T[] {
  const keyed = objects.map((o) => ({ o, k: `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}` }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.o);
}

/** The InternalIP addresses of a node. */
function internalIps(node: V1Node): string[] {
  return (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
}

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The records kuberoute publishes (README, "How it works"): one per `NodePort` service in the
 * configured namespaces carrying both the domain and the name label, with the unique host IPs of
 * its alive pods (Running, Ready, on a node — matched by InternalIP — that is schedulable).
 * Services go in (namespace, name) order; a second service with the same name and domain is
 * skipped (the original let the last one win). Every case where the original crashed is a skip
 * with a reason. Pure.
 */
export function computeRecords(
  services: readonly V1Service[],
  pods: readonly V1Pod[],
  nodes: readonly V1Node[],
  config: ModelConfig,
): RecordsResult {
  const records: ServiceRecord[] = [];
  const skipped: Skipped[] = [];
  const namespaces = new Set(config.namespaces);
  const nodeByIp = new Map<string, V1Node>();
  for (const node of nodes) for (const ip of internalIps(node)) if (!nodeByIp.has(ip)) nodeByIp.set(ip, node);

  // Pods by namespace and label (`ns`, key, value), in name order: a service's candidates are the
  // pods carrying its first selector label, so a pass is linear in services and pods (matching
  // every service against every pod of its namespace took seconds at 10k of each).
  const labelKey = (ns: string, k: string, v: string): string => JSON.stringify([ns, k, v]);
  const podsByLabel = new Map<string, V1Pod[]>();
  for (const pod of byRef(pods)) {
    const ns = pod.metadata?.namespace ?? '';
    if (!namespaces.has(ns)) continue;
    for (const [k, v] of Object.entries(pod.metadata?.labels ?? {})) {
      const key = labelKey(ns, k, v);
      const list = podsByLabel.get(key);
      if (list === undefined) podsByLabel.set(key, [pod]);
      else list.push(pod);
    }
  }
  // A pod's liveness does not depend on the service: judge (and report) each pod once.
  const alive = new Map<V1Pod, string | undefined>();
  const podVerdict = (pod: V1Pod): string | undefined => {
    if (alive.has(pod)) return alive.get(pod);
    let ip: string | undefined;
    if (pod.status?.phase === 'Running' && isReady(pod)) {
      const hostIP = pod.status.hostIP ?? '';
      const node = nodeByIp.get(hostIP);
      if (node === undefined) {
        skipped.push({
          object: refOf('Pod', pod),
          reason: 'NodeNotFound',
          message: `no node has the InternalIP ${JSON.stringify(hostIP)} of this pod's hostIP; the pod is not counted as alive`,
        });
      } else if (isIP(hostIP) !== 4) {
        skipped.push({
          object: refOf('Pod', pod),
          reason: 'InvalidHostIP',
          message: `hostIP ${hostIP} is not an IPv4 address`,
        });
      } else if (node.spec?.unschedulable !== true) {
        ip = hostIP;
      }
    }
    alive.set(pod, ip);
    return ip;
  };

  const seen = new Map<string, ObjectRef>();
  for (const svc of byRef(services)) {
    const ns = svc.metadata?.namespace ?? '';
    if (!namespaces.has(ns)) continue;
    if (svc.spec?.type !== 'NodePort') continue;
    const labels = svc.metadata?.labels ?? {};
    const rawDomain = labels[config.labels.domain];
    const rawName = labels[config.labels.name];
    if (rawDomain === undefined || rawName === undefined) continue;
    const ref = refOf('Service', svc);
    const skip = (reason: SkipReason, message: string): void => {
      skipped.push({ object: ref, reason, message });
    };

    const domainR = renderTemplate(rawDomain, config.replacements);
    const nameR = renderTemplate(rawName, config.replacements);
    if (!domainR.ok || !nameR.ok) {
      const bad = !domainR.ok
        ? { label: config.labels.domain, r: domainR }
        : { label: config.labels.name, r: nameR };
      skip('TemplateError', `label ${bad.label}: ${bad.r.ok ? '' : bad.r.reason}`);
      continue;
    }
    const domain = domainR.value.toLowerCase().replace(/\.$/, '');
    const name = nameR.value.toLowerCase();
    const fqdn = `${name}.${domain}`;
    if (!isValidHostName(fqdn) || name.endsWith('.')) {
      skip('InvalidName', `${JSON.stringify(fqdn)} is not a valid DNS name`);
      continue;
    }

    const rawQuota = labels[config.labels.quota];
    let quota = 0;
    if (rawQuota !== undefined) {
      const q = parseInteger(rawQuota);
      if (q === undefined) {
        skip('InvalidQuota', `label ${config.labels.quota} is not an integer: ${JSON.stringify(rawQuota)}`);
        continue;
      }
      quota = q;
    }

    let failover = labels[config.labels.failover];
    if (failover !== undefined) {
      if (failover === '') failover = undefined;
      else if (isIP(failover) === 0) {
        if (!isValidHostName(failover)) {
          skip(
            'InvalidFailover',
            `label ${config.labels.failover} is neither an IP address nor a DNS name: ${JSON.stringify(failover)}`,
          );
          continue;
        }
        failover = failover.toLowerCase().replace(/\.$/, '');
      }
    }

    const selector = svc.spec.selector ?? {};
    const selectorEntries = Object.entries(selector);
    if (selectorEntries.length === 0) {
      skip('NoSelector', 'the service has no selector, so no pods can be matched');
      continue;
    }

    const first = seen.get(fqdn);
    if (first !== undefined) {
      skip('DuplicateName', `${fqdn} is already published for service ${first.namespace}/${first.name}`);
      continue;
    }
    seen.set(fqdn, ref);

    const addresses = new Set<string>();
    const [firstKey, firstValue] = selectorEntries[0] ?? ['', ''];
    for (const pod of podsByLabel.get(labelKey(ns, firstKey, firstValue)) ?? []) {
      const podLabels = pod.metadata?.labels ?? {};
      if (!selectorEntries.every(([k, v]) => podLabels[k] === v)) continue;
      const ip = podVerdict(pod);
      if (ip !== undefined) addresses.add(ip);
    }
    records.push({ service: ref, name, domain, fqdn, addresses: sortIps([...addresses]), failover, quota });
  }
  return { records, skipped };
}

/** IPv4 addresses in numeric order. Pure. */
export function sortIps(ips: string[]): string[] {
  const key = (ip: string): string =>
    ip
      .split('.')
      .map((p) => p.padStart(3, '0'))
      .join('.');
  return ips.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Which row of the decision table (README, "How it works") applied. */
export type DecisionRule = 'addresses' | 'unhealthy-no-failover' | 'failover' | 'nothing';

/** What to publish for one record. */
export interface Decision {
  record: ServiceRecord;
  /** `A` for addresses and IPv4 failovers, `AAAA` for an IPv6 failover, `CNAME` for a name. */
  type: 'A' | 'AAAA' | 'CNAME';
  /** Empty: delete the record (the original's `[]` and `None`). */
  values: string[];
  ttl: number;
  /** `100 * addresses / nodes`, not truncated. */
  currentQuota: number;
  /** The quota is fulfilled (`quota == 0` or `currentQuota >= quota`). */
  healthy: boolean;
  rule: DecisionRule;
}

/**
 * The decision table (README, "How it works"): unhealthy without failover → the remaining
 * addresses (an empty list deletes); unhealthy or no addresses → the failover (A/AAAA for an IP
 * literal, CNAME otherwise; none → delete); else the addresses as A. `nodeCount` is every node of
 * the cluster, as in the original. Throws RangeError for `nodeCount` ≤ 0 (the caller skips the
 * reconcile; the original divided by zero). Pure.
 */
export function decide(record: ServiceRecord, nodeCount: number): Decision {
  if (!(nodeCount > 0)) throw new RangeError('decide needs at least one node');
  const currentQuota = (100 * record.addresses.length) / nodeCount;
  const healthy = record.quota === 0 || currentQuota >= record.quota;
  const base = { record, ttl: RECORD_TTL, currentQuota, healthy };
  if (!healthy && record.failover === undefined) {
    return { ...base, type: 'A', values: [...record.addresses], rule: 'unhealthy-no-failover' };
  }
  if (!healthy || record.addresses.length === 0) {
    if (record.failover === undefined) return { ...base, type: 'A', values: [], rule: 'nothing' };
    const family = isIP(record.failover);
    return {
      ...base,
      type: family === 4 ? 'A' : family === 6 ? 'AAAA' : 'CNAME',
      values: [record.failover],
      rule: 'failover',
    };
  }
  return { ...base, type: 'A', values: [...record.addresses], rule: 'addresses' };
}
