import {
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  isStackUpdatable,
  selectLoadBalancerSubnets,
  type CertificateCache,
  type ClusterInfo,
  type StackCycleResult,
  type StackManager,
} from '@kube-edge/aws-frontends';
import type { ControllerStep, EventRecorder, IngressStatusWriter, SkippedObject } from '@kube-edge/k8s-watch';
import { TransientError, errorMessage, type Logger, type Metrics } from '@kube-edge/runtime';
import type { Counter, Gauge } from 'prom-client';
import type { StaticSettings } from './config.js';
import { planStacks, type PlannedLoadBalancer, type PlanSettings } from './model/desired.js';
import {
  SOURCE_API_VERSIONS,
  statusEntries,
  type IngressLike,
  type ParsedIngress,
  type ParsedIngresses,
  type SourceKind,
} from './model/ingresses.js';

/** What the step needs once the cluster is known (built by {@link AlbStepOptions.connect}). */
export interface AlbConnection {
  cluster: ClusterInfo;
  stacks: StackManager;
  /** Hands the pass's pod IPs (`--target-access-mode=AWSCNI`) to the target sync before the cycle. */
  setPodTargets?(addresses: readonly string[] | undefined): void;
}

/** Options of {@link createAlbStep}. */
export interface AlbStepOptions {
  settings: StaticSettings;
  certificates: CertificateCache;
  /**
   * Discovers the cluster (instance metadata or flags, subnets, security group) and builds the
   * stack manager for it. Called on the first leader pass, again after a failure.
   */
  connect(): Promise<AlbConnection>;
  elbv2: ElasticLoadBalancingV2Client;
  status: IngressStatusWriter;
  /** Writes RouteGroups' `status.loadBalancer.routegroup` (when RouteGroups are read). */
  routeGroupStatus?: IngressStatusWriter | undefined;
  /** Ingress status only points at a load balancer at least this old (ms). */
  minLoadBalancerAgeMs: number;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  now(): Date;
}

/** The outcome of the last pass, for logs, `/debug` and tests. */
export interface AlbPassSummary {
  loadBalancers: number;
  created: number;
  updated: number;
  deleted: number;
  problems: number;
  statusWrites: number;
  mutatingCalls: number;
}

/** The leader-only apply step; see {@link createAlbStep}. */
export interface AlbStep extends ControllerStep<ParsedIngresses> {
  lastSummary(): AlbPassSummary | undefined;
  /** The plan of the last pass (load balancers with their desired stacks). */
  lastPlan(): readonly PlannedLoadBalancer[];
}

interface StepMetrics {
  stackProblems: Counter<'reason'>;
  stackActions: Counter<'action'>;
  loadBalancers: Gauge;
  statusWrites: Counter;
}

function createStepMetrics(m: Metrics): StepMetrics {
  return {
    stackProblems: m.counter('stack_problems_total', 'Stack states or failures reported, by reason.', [
      'reason',
    ] as const),
    stackActions: m.counter('stack_actions_total', 'Stack calls made, by action.', ['action'] as const),
    loadBalancers: m.gauge('load_balancers', 'Load balancers (stacks) planned in the last pass.'),
    statusWrites: m.counter('ingress_status_writes_total', 'Ingress status updates written.'),
  };
}

/**
 * The Ingresses a stack no load balancer holds was for: those on a planned load balancer that
 * serves one of the certificates the stack carries. A ROLLBACK_COMPLETE stack (a create that
 * failed and was not deleted) is never packed onto, so its Ingresses moved to another load
 * balancer; its problem is reported on them. Sorted by namespace/name, each once.
 */
function ingressesServingCertificatesOf(
  stackName: string,
  planned: readonly PlannedLoadBalancer[],
  result: StackCycleResult,
): ParsedIngress[] {
  const stack = result.snapshot.stacks.find((s) => s.name === stackName);
  if (stack === undefined) return [];
  const carried = [...stack.certificates.keys()];
  const out = new Map<string, ParsedIngress>();
  for (const p of planned)
    if (carried.some((arn) => p.lb.certificates.get(arn) === null))
      for (const ing of p.lb.ingresses) out.set(`${ing.namespace}/${ing.name}`, ing);
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ing]) => ing);
}

/**
 * The leader-only step that makes AWS follow the Ingresses. Each pass: (first) discover the
 * cluster and load the certificates (mandatory; a failure retries the pass), then one stack
 * manager cycle — which reads certificates, stacks and EC2 instances and aborts having changed
 * nothing when any cannot be read — with the pure plan (packing, template, parameters), then the
 * Ingress status: an ingress points at its load balancer only once the stack is complete, the
 * load balancer `active` and at least `minLoadBalancerAgeMs` old; a cluster-local ingress gets
 * its status cleared. Stack problems (rollbacks, failed states) become Warning Events on the
 * ingresses of that load balancer and `stack_problems_total{reason}`; a failed stack call fails
 * the pass (retried with backoff) after the rest is applied. Not for concurrent updates.
 */
export function createAlbStep(o: AlbStepOptions): AlbStep {
  const { logger } = o;
  const m = createStepMetrics(o.metrics);
  let conn: AlbConnection | undefined;
  let skipped: readonly SkippedObject[] = [];
  let summary: AlbPassSummary | undefined;
  let plan: readonly PlannedLoadBalancer[] = [];
  let lastError: unknown;

  const settingsFor = (c: ClusterInfo): PlanSettings => ({
    ...o.settings,
    clusterId: c.clusterId,
    vpcId: c.vpcId,
    securityGroup: c.securityGroupId,
    subnets: {
      'internet-facing': selectLoadBalancerSubnets(c.subnets, 'internet-facing'),
      internal: selectLoadBalancerSubnets(c.subnets, 'internal'),
    },
  });

  /** Load balancer ARN → state and creation time, for the status gate (only those asked). */
  const describeLoadBalancers = async (
    arns: readonly string[],
  ): Promise<Map<string, { state: string; createdAt: Date | undefined }>> => {
    const out = new Map<string, { state: string; createdAt: Date | undefined }>();
    for (let i = 0; i < arns.length; i += 20) {
      const r = await o.elbv2.send(
        new DescribeLoadBalancersCommand({ LoadBalancerArns: arns.slice(i, i + 20) }),
      );
      for (const lb of r.LoadBalancers ?? [])
        if (lb.LoadBalancerArn !== undefined)
          out.set(lb.LoadBalancerArn, { state: lb.State?.Code ?? '', createdAt: lb.CreatedTime });
    }
    return out;
  };

  const writerFor = (kind: SourceKind | undefined): IngressStatusWriter =>
    kind === 'RouteGroup' ? (o.routeGroupStatus ?? o.status) : o.status;

  const writeStatus = async (
    parsed: ParsedIngresses,
    planned: readonly PlannedLoadBalancer[],
    result: StackCycleResult,
  ): Promise<number> => {
    let writes = 0;
    const now = o.now().getTime();
    const stacks = new Map(result.snapshot.stacks.map((s) => [s.name, s]));
    // The snapshot was read before this cycle's calls: a stack updated (or deleted) by them is no
    // longer complete, and an Ingress newly on it may need the certificate the update adds.
    const changed = new Set(
      result.stacks.filter((r) => r.action !== 'unchanged' && r.action !== 'waiting').map((r) => r.stackName),
    );
    // Which ingresses need a different status, per load balancer.
    const wanted: {
      lbArn: string;
      hostname: string;
      kind: SourceKind | undefined;
      ns: string;
      name: string;
      object: IngressLike;
    }[] = [];
    for (const p of planned) {
      const stack = p.lb.stack === undefined ? undefined : stacks.get(p.lb.stack.name);
      if (stack === undefined || stack.dnsName === undefined || stack.loadBalancerArn === undefined) continue;
      if (!isStackUpdatable(stack.status) || changed.has(stack.name)) continue;
      const hostname = stack.dnsName.toLowerCase();
      for (const ing of p.lb.ingresses) {
        const current = statusEntries(ing.object, ing.kind);
        if (current.length === 1 && current[0]?.hostname === hostname && current[0].ip === undefined)
          continue;
        wanted.push({
          lbArn: stack.loadBalancerArn,
          hostname,
          kind: ing.kind,
          ns: ing.namespace,
          name: ing.name,
          object: ing.object,
        });
      }
    }
    if (wanted.length > 0) {
      const states = await describeLoadBalancers([...new Set(wanted.map((w) => w.lbArn))]);
      for (const w of wanted) {
        const s = states.get(w.lbArn);
        if (s?.state !== 'active') continue;
        if (s.createdAt === undefined || now - s.createdAt.getTime() < o.minLoadBalancerAgeMs) continue;
        const r = await writerFor(w.kind).write(w.ns, w.name, [{ hostname: w.hostname }], w.object as never);
        if (r === 'updated') writes++;
      }
    }
    for (const c of parsed.clusterLocal) {
      if (statusEntries(c.object, c.kind).length === 0) continue;
      if ((await writerFor(c.kind).write(c.namespace, c.name, [], c.object as never)) === 'updated') writes++;
    }
    m.statusWrites.inc(writes);
    return writes;
  };

  const step: AlbStep = {
    name: 'aws-alb',
    leaderOnly: true,
    start: () => Promise.resolve(),
    async update(parsed) {
      try {
        await o.certificates.start();
        conn ??= await o.connect();
        const c = conn;
        const settings = { ...settingsFor(c.cluster), cloudWatchAlarms: parsed.cloudWatchAlarms };
        c.setPodTargets?.(parsed.podTargets);
        let planned: PlannedLoadBalancer[] = [];
        let planSkipped: SkippedObject[] = [];
        const result = await c.stacks.cycle((snapshot) => {
          const p = planStacks(parsed, snapshot, settings);
          planned = p.loadBalancers;
          planSkipped = p.skipped;
          return p.loadBalancers.map((l) => l.desired);
        });
        plan = planned;
        skipped = planSkipped;
        m.loadBalancers.set(planned.length);
        const counts = { created: 0, updated: 0, deleted: 0, problems: 0 };
        const failures: string[] = [];
        for (const r of result.stacks) {
          if (r.action === 'created' || r.action === 'adopted') counts.created++;
          if (r.action === 'updated') counts.updated++;
          if (r.action === 'deleted') counts.deleted++;
          if (r.action !== 'unchanged' && r.action !== 'waiting') m.stackActions.inc({ action: r.action });
          if (r.action === 'failed') failures.push(`${r.stackName}: ${errorMessage(r.error)}`);
          if (r.problem !== undefined) {
            counts.problems++;
            m.stackProblems.inc({ reason: r.problem.reason });
            // A stack created this pass has a name the plan never saw: match it by its desired entry.
            const holder = planned.find(
              (p) => p.lb.stack?.name === r.stackName || (r.desired !== undefined && p.desired === r.desired),
            );
            const on = holder?.lb.ingresses ?? ingressesServingCertificatesOf(r.stackName, planned, result);
            logger.warn('stack problem', {
              stack: r.stackName,
              status: r.status,
              reason: r.problem.reason,
              detail: r.problem.message,
            });
            for (const ing of on)
              o.events.record(
                {
                  kind: ing.kind ?? 'Ingress',
                  apiVersion: SOURCE_API_VERSIONS[ing.kind ?? 'Ingress'],
                  namespace: ing.namespace,
                  name: ing.name,
                  ...(ing.uid === undefined ? {} : { uid: ing.uid }),
                },
                'Warning',
                r.problem.reason,
                `stack ${r.stackName}: ${r.problem.message}`,
              );
          }
        }
        const statusWrites = await writeStatus(parsed, planned, result);
        summary = {
          loadBalancers: planned.length,
          ...counts,
          statusWrites,
          mutatingCalls: result.mutatingCalls,
        };
        if (failures.length > 0) throw new TransientError(`stack calls failed: ${failures.join('; ')}`);
        lastError = undefined;
      } catch (err) {
        lastError = err;
        throw err;
      }
    },
    onStartedLeading() {
      // Another leader may have changed stacks and attachments: forget backoffs and what we saw.
      conn?.stacks.reset();
    },
    stop() {
      o.certificates.stop();
      return Promise.resolve();
    },
    health: () => ({ ok: true }),
    readiness: () =>
      lastError === undefined
        ? { ok: true }
        : { ok: false, message: `last pass failed: ${errorMessage(lastError)}` },
    skipped: () => skipped,
    lastSummary: () => summary,
    lastPlan: () => plan,
  };
  return step;
}
