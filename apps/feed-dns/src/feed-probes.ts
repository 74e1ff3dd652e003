import type { Counter } from 'prom-client';
import type { HealthReport, HealthServer } from '@kube-edge/runtime';
import type { ServerResponse } from 'node:http';
import type { PassSummary } from './dns-step.js';

function sendReport(res: ServerResponse, report: HealthReport): void {
  res.statusCode = report.ok ? 200 : 503;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(report));
}

/**
 * Adds feed's probe paths, so existing manifests keep working: `/health` and `/readiness` answer
 * the `/readyz` report, `/alive` always 200; and `/debug/last-pass`, the last pass summary as
 * JSON (`null` before the first pass). Call before the server listens.
 */
export function addFeedRoutes(health: HealthServer, lastSummary: () => PassSummary | undefined): void {
  health.addRoute('GET', '/health', async (_req, res) => sendReport(res, await health.checkReadiness()));
  health.addRoute('GET', '/readiness', async (_req, res) => sendReport(res, await health.checkReadiness()));
  health.addRoute('GET', '/alive', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true,"checks":[]}');
  });
  health.addRoute('GET', '/debug/last-pass', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(lastSummary() ?? null));
  });
}

/**
 * feed's `unhealthy_time`: checks readiness every `pollMs` (default 10 s) and adds the period to
 * `counter` when not ready. Returns the function that stops polling (idempotent).
 */
export function trackUnhealthyTime(health: HealthServer, counter: Counter, pollMs = 10_000): () => void {
  const timer = setInterval(() => {
    void health.checkReadiness().then((r) => {
      if (!r.ok) counter.inc(pollMs / 1000);
    });
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
