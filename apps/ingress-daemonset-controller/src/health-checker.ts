import type { ServerResponse } from 'node:http';
import { runController, watch, type ControllerHandle, type KubeClient } from '@kube-edge/k8s-watch';
import type { V1Deployment } from '@kubernetes/client-node';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import {
  DEFAULT_TO_BE_UPDATED_ANNOTATION,
  DEPLOYMENTS,
  IDS_KIND,
  MANAGED_BY,
  MANAGED_BY_LABEL,
} from './names.js';
import { nodeOfDeployment } from './plan.js';

/** Which Deployment a health-checker answers for. */
export interface HealthTarget {
  /** The Deployment's name (the original's `--deployment`); when set, it alone selects it. */
  readonly deployment?: string;
  /** The IngressDaemonSet whose Deployment for `node` is meant (when `deployment` is unset). */
  readonly ingressDaemonSet?: string;
  /** This node's name. */
  readonly node?: string;
  /** The annotation that marks a pending update (the IngressDaemonSet's `annotateDeploymentToDetach.key`). */
  readonly toBeUpdatedAnnotation?: string;
}

/** The answer of `GET /ok`. */
export interface HealthAnswer {
  readonly status: 200 | 503;
  readonly body: string;
}

/** Finds the Deployment a health-checker answers for among the cached ones. Pure. */
export function findDeployment(
  deployments: readonly V1Deployment[],
  target: HealthTarget,
): V1Deployment | undefined {
  if (target.deployment !== undefined && target.deployment !== '')
    return deployments.find((d) => d.metadata?.name === target.deployment);
  return deployments.find(
    (d) =>
      nodeOfDeployment(d) === target.node &&
      (d.metadata?.ownerReferences ?? []).some(
        (r) => r.controller === true && r.kind === IDS_KIND && r.name === target.ingressDaemonSet,
      ),
  );
}

/**
 * The health answer for a node: 200 only when its per-node Deployment exists, is not being
 * deleted, carries no pending-update annotation, and has its current spec observed with every
 * replica updated and available (unset `replicas` counts as 1); otherwise 503 with every reason,
 * one a line. Pure.
 */
export function healthAnswer(deployment: V1Deployment | undefined, target: HealthTarget): HealthAnswer {
  if (deployment === undefined)
    return {
      status: 503,
      body: 'This node is unhealthy because no per-node deployment and ready pods are available on it\n',
    };
  const name = deployment.metadata?.name ?? '';
  const want = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  const available = s.availableReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const reasons: string[] = [];
  if (deployment.metadata?.deletionTimestamp !== undefined)
    reasons.push(`its per-node deployment ${name} is being deleted`);
  const key = target.toBeUpdatedAnnotation ?? DEFAULT_TO_BE_UPDATED_ANNOTATION;
  if (deployment.metadata?.annotations?.[key] !== undefined)
    reasons.push(`an update of its per-node deployment ${name} is pending (annotation ${key})`);
  if ((s.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 1))
    reasons.push(`the latest spec of ${name} is not yet observed by the deployment controller`);
  if (updated < want) reasons.push(`only ${updated} / ${want} replicas are updated`);
  if (available < want) reasons.push(`only ${available} / ${want} replicas are available`);
  if (reasons.length === 0)
    return {
      status: 200,
      body: `This node is healthy because ${available} / ${want} replicas are available\n`,
    };
  return { status: 503, body: reasons.map((r) => `This node is unhealthy because ${r}\n`).join('') };
}

/** Settings of the health-checker mode. */
export interface HealthCheckerConfig extends HealthTarget {
  readonly namespace: string;
  /** Address of `/ok` (and `/healthz`, `/readyz`, `/metrics`): host and port. */
  readonly host?: string;
  readonly port: number;
}

/** What the health-checker takes from the outside world. */
export interface HealthCheckerDeps {
  readonly logger: Logger;
  readonly kubeClient: KubeClient;
  /** Default: a new registry with prefix `ingress_daemonset_health_checker`. */
  readonly metrics?: Metrics;
}

const informers = (ns: string) => ({
  deployments: watch<V1Deployment>(DEPLOYMENTS, {
    namespaces: [ns],
    labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
  }),
});

/** A running health-checker. `stop()` stops it (idempotent). */
export type HealthChecker = ControllerHandle<ReturnType<typeof informers>, HealthAnswer>;

/**
 * Starts the health-checker: watches the managed Deployments of one namespace and answers
 * `GET /ok` (and `HEAD /ok`) from the cache at the time of each request, 503 until the cache
 * synced. No other port is opened (it runs on the host network). Resolves once it listens.
 */
export function runHealthChecker(
  config: HealthCheckerConfig,
  deps: HealthCheckerDeps,
): Promise<HealthChecker> {
  const metrics = deps.metrics ?? createMetrics({ prefix: 'ingress_daemonset_health_checker' });
  const answers = metrics.counter('answers_total', 'Answers of /ok by HTTP status.', ['code']);
  const answer = (ctl: HealthChecker): HealthAnswer => {
    if (!ctl.listers.deployments.hasSynced())
      return {
        status: 503,
        body: 'This node is unhealthy because the deployment cache has not synced yet\n',
      };
    return healthAnswer(findDeployment(ctl.listers.deployments.list(), config), config);
  };
  const send = (res: ServerResponse, a: HealthAnswer, head: boolean): void => {
    answers.inc({ code: String(a.status) });
    res.writeHead(a.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(head ? undefined : a.body);
  };
  return runController(
    {
      name: 'ingress-daemonset-health-checker',
      informers: informers(config.namespace),
      build: (listers) => ({
        model: listers.deployments.hasSynced()
          ? healthAnswer(findDeployment(listers.deployments.list(), config), config)
          : { status: 503, body: '' },
        skipped: [],
      }),
      steps: [],
      http: { port: config.port, ...(config.host === undefined ? {} : { host: config.host }) },
      routes: (server, ctl) => {
        server.addRoute('GET', '/ok', (_req, res) => send(res, answer(ctl), false));
        server.addRoute('HEAD', '/ok', (_req, res) => send(res, answer(ctl), true));
      },
      summarize: (m) => ({ status: m.status }),
    },
    { logger: deps.logger, kubeClient: deps.kubeClient, metrics },
  );
}
