import { errorMessage, type HealthServer } from '@kube-edge/runtime';
import type { ReconcileResult } from './reconciler.js';

/** The reply of `GET /` after a reconcile that updated the record sets (the original's text). */
export const UPDATED_TEXT = 'Updated record sets.';
/** The reply of `GET /health` (the original's text). */
export const HEALTHY_TEXT = 'I am healthy';

/** The status and text of the `GET /` reply for a result (the original's texts where it had them). Pure. */
export function replyFor(result: ReconcileResult): { status: number; text: string } {
  switch (result.outcome) {
    case 'updated':
      return { status: 200, text: UPDATED_TEXT };
    case 'apiserver-unavailable':
      return { status: 503, text: 'Kubernetes API server unavailable; record sets not updated.' };
    case 'no-nodes':
      return { status: 503, text: 'No nodes found; record sets not updated.' };
    case 'dns-errors':
      return { status: 500, text: `Record sets partly updated; errors:\n${result.errors.join('\n')}` };
  }
}

/**
 * Adds the original's routes: `GET /health` answers `I am healthy`; `GET /` runs `reconcile` and
 * answers with {@link replyFor} (500 with the error when the reconcile itself rejects).
 */
export function addKuberouteRoutes(server: HealthServer, reconcile: () => Promise<ReconcileResult>): void {
  server.addRoute('GET', '/health', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(HEALTHY_TEXT);
  });
  server.addRoute('GET', '/', async (_req, res) => {
    let reply: { status: number; text: string };
    try {
      reply = replyFor(await reconcile());
    } catch (err) {
      reply = { status: 500, text: `Reconcile failed: ${errorMessage(err)}` };
    }
    res.writeHead(reply.status, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(reply.text);
  });
}
