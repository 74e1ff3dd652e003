import type { ServerResponse } from 'node:http';
import type { PassResult } from '@kube-edge/k8s-watch';
import {
  errorMessage,
  type HealthReport,
  type HealthServer,
  type Logger,
  type Metrics,
  type ProbeResult,
} from '@kube-edge/runtime';
import type { FeedModel } from './model/index.js';

/** What {@link addFeedProbes} reads from the running controller. */
export interface FeedProbeSource {
  readonly health: HealthServer;
  lastPass(): PassResult<FeedModel> | undefined;
}

/** Stops what {@link addFeedProbes} started. */
export interface FeedProbes {
  /** feed's health: a pass ran and succeeded, and every liveness check (informers, steps) passes. */
  health(): Promise<ProbeResult>;
  /** Stops the unhealthy poller. Idempotent. */
  stop(): void;
}

function summary(report: HealthReport): ProbeResult {
  if (report.ok) return { ok: true };
  const bad = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message ?? 'not ok'}`);
  return { ok: false, message: bad.join('; ') };
}

function answer(res: ServerResponse, r: ProbeResult): void {
  res.statusCode = r.ok ? 200 : 500;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(r.ok ? 'ok\n' : `${r.message ?? 'not ok'}\n`);
}

/**
 * feed's probe paths and unhealthy poller on the controller's server, beside the loop's
 * `/healthz` and `/readyz`:
 * - `/health` (200 or 500, text): the last pass succeeded (none yet, or a failed one, is
 *   unhealthy, as feed's health fails until the caches synced and an update applied) and every
 *   liveness check passes. The same condition is added to `/readyz` as the `feed-health` check.
 * - `/readiness`: `/health`, then every readiness check (not stopping, caches, first pass, steps).
 * - `/alive`: always `ok` while the process answers.
 * - The poller (feed's "unhealthy logger"): every second it evaluates `/health`, logs each
 *   transition, and adds 1 to `feed_ingress_unhealthy_time` per unhealthy second.
 * Call once, before the server listens.
 */
export function addFeedProbes(
  ctl: FeedProbeSource,
  options: { logger: Logger; metrics: Metrics },
): FeedProbes {
  const { logger } = options;
  const unhealthyTime = options.metrics.counter(
    'unhealthy_time',
    'Seconds the controller was unhealthy (feed_ingress_unhealthy_time).',
  );
  const health = async (): Promise<ProbeResult> => {
    const last = ctl.lastPass();
    if (last === undefined) return { ok: false, message: 'no update yet: waiting for the caches to sync' };
    if (last.result !== 'success')
      return { ok: false, message: `last update failed: ${errorMessage(last.error)}` };
    return summary(await ctl.health.checkLiveness());
  };
  ctl.health.addReadinessCheck('feed-health', health);
  ctl.health.addRoute('GET', '/health', async (_req, res) => answer(res, await health()));
  ctl.health.addRoute('GET', '/readiness', async (_req, res) => {
    const h = await health();
    answer(res, h.ok ? summary(await ctl.health.checkReadiness()) : h);
  });
  ctl.health.addRoute('GET', '/alive', (_req, res) => answer(res, { ok: true }));

  let wasHealthy = true;
  const poller = setInterval(() => {
    void health().then((h) => {
      if (!h.ok) unhealthyTime.inc(1);
      if (h.ok !== wasHealthy) {
        if (h.ok) logger.info('controller healthy');
        else logger.warn('controller unhealthy', { reason: h.message });
      }
      wasHealthy = h.ok;
    });
  }, 1000);
  poller.unref();
  return { health, stop: () => clearInterval(poller) };
}
