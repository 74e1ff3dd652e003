import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { KubeObjectLike } from '@kube-edge/k8s-watch';
import type { KuberouteConfig } from './config.js';
import { fakeDnsLine } from './backends.js';
import { desiredByDomain } from './model/desired.js';
import { computeRecords, decide } from './model/records.js';
import { reportNodes, reportServices, serializeReport } from './model/report.js';

/**
 * The offline `plan` output: per name the decision and the fakedns line the original would
 * print, the skipped objects, and the report JSON. Pure for a given `now`.
 */
export function planText(config: KuberouteConfig, objects: readonly KubeObjectLike[], now: Date): string {
  const of = <T>(kind: string): T[] =>
    objects
      .filter((o) => o.kind === kind)
      .map((o) => ({ ...o, metadata: { namespace: 'default', ...o.metadata } }) as T);
  const services = of<V1Service>('Service');
  const pods = of<V1Pod>('Pod');
  const nodes = objects.filter((o) => o.kind === 'Node') as V1Node[];
  const { records, skipped } = computeRecords(services, pods, nodes, config);
  const lines: string[] = [];
  if (nodes.length === 0) {
    lines.push('no nodes in the manifests: kuberoute would not update any record');
  } else {
    const decisions = records.map((r) => decide(r, nodes.length));
    for (const d of decisions) {
      lines.push(
        `# ${d.record.service.namespace}/${d.record.service.name}: ${d.rule}, current quota ${Math.trunc(d.currentQuota)}% of ${d.record.quota}%`,
      );
      lines.push(fakeDnsLine(d.record.fqdn, d.values.length === 0 ? undefined : d.values, d.ttl, d.type));
    }
    for (const dom of desiredByDomain(decisions, {
      heartbeat: config.heartbeat,
      replacements: config.replacements,
      now,
    })) {
      const hb = dom.desired.find(
        (e) => e.type === 'CNAME' && !decisions.some((d) => d.record.fqdn === e.name),
      );
      if (hb !== undefined)
        lines.push(`# heartbeat\n${fakeDnsLine(hb.name, hb.targets, hb.ttl ?? 60, 'CNAME')}`);
      if (dom.heartbeatError !== undefined)
        lines.push(`# heartbeat of ${dom.domain} not written: ${dom.heartbeatError}`);
    }
    lines.push('# state report');
    lines.push(
      serializeReport({
        apiserver_available: true,
        nodes: reportNodes(nodes),
        services: reportServices(decisions),
      }),
    );
  }
  for (const s of skipped)
    lines.push(
      `# skipped ${s.object.kind} ${s.object.namespace}/${s.object.name}: ${s.reason}: ${s.message}`,
    );
  return `${lines.join('\n')}\n`;
}
