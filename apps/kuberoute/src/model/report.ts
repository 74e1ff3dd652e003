import type { V1Node } from '@kubernetes/client-node';
import type { Decision } from './records.js';

/** One node in the state report. */
export interface ReportNode {
  ready: boolean;
  schedulable: boolean;
}

/** One published name in the state report. */
export interface ReportService {
  current_quota: number;
  endpoints: string[];
  healthy: boolean;
  quota: number;
}

/** The S3 state report (README, "State report"), with the original's keys. */
export interface StateReport {
  apiserver_available: boolean;
  nodes: Record<string, ReportNode>;
  services: Record<string, ReportService>;
}

/** The `nodes` part of the report: Ready condition and `spec.unschedulable` per node name. Pure. */
export function reportNodes(nodes: readonly V1Node[]): Record<string, ReportNode> {
  const out: Record<string, ReportNode> = {};
  for (const n of nodes) {
    out[n.metadata?.name ?? ''] = {
      ready: (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      schedulable: n.spec?.unschedulable !== true,
    };
  }
  return out;
}

/** The `services` part: per `<name>.<domain>`, the truncated current quota, endpoints, health, quota. Pure. */
export function reportServices(decisions: readonly Decision[]): Record<string, ReportService> {
  const out: Record<string, ReportService> = {};
  for (const d of decisions) {
    out[d.record.fqdn] = {
      current_quota: Math.trunc(d.currentQuota),
      endpoints: [...d.record.addresses],
      healthy: d.healthy,
      quota: d.record.quota,
    };
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * The report as the original wrote it: Python's `json.dumps(sort_keys=True, indent=4,
 * separators=(',', ': '))` — sorted keys, 4-space indent, `"k": v`. Non-ASCII characters are
 * written as `\uXXXX` as Python's default `ensure_ascii` does. Pure.
 */
export function serializeReport(report: StateReport): string {
  return JSON.stringify(sortKeys(report), null, 4).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
