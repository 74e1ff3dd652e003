import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { NODES, PODS, SERVICES, loadManifestsOrThrow, type KubeObjectLike } from '@kube-edge/k8s-watch';
import { errorMessage } from '@kube-edge/runtime';
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

/** Options of {@link runPlanCommand}. */
export interface PlanCommandOptions {
  readonly config: KuberouteConfig;
  /** Manifest files or directories (YAML or JSON, read recursively in name order). */
  readonly manifests: readonly string[];
  readonly now: Date;
  /** Receives the plan (main.ts: stdout). */
  readonly out: (text: string) => void;
  /** Receives warning and error lines, each ending in a newline (main.ts: stderr). */
  readonly err: (text: string) => void;
}

/**
 * `kuberoute plan`: reads Services, Pods and Nodes (v1) from the manifests and writes
 * {@link planText} to `out`. Documents it does not read (not Kubernetes objects, other kinds or
 * apiVersions) are one `kuberoute plan: warning: <file>: document <n>: …` line each on `err`.
 * Resolves with the exit code: 0 when planned; 1, after one line on `err` naming the file or
 * object and no stack trace, for a missing file, unparseable YAML/JSON, an object without a name
 * or a model error.
 */
export async function runPlanCommand(options: PlanCommandOptions): Promise<number> {
  const line = (text: string): void => options.err(`kuberoute plan: ${text}\n`);
  try {
    const objects = await loadManifestsOrThrow(options.manifests, {
      kinds: [SERVICES, PODS, NODES],
      warn: line,
    });
    options.out(planText(options.config, objects, options.now));
    return 0;
  } catch (err) {
    line(errorMessage(err).split('\n')[0] ?? '');
    return 1;
  }
}
