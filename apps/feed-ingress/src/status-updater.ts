import type { ControllerStep, IngressLike, IngressStatusWriter } from '@kube-edge/k8s-watch';
import type { Logger, ProbeResult } from '@kube-edge/runtime';
import type { StatusAddress, StatusAddressSource } from './frontends.js';
import type { FeedModel } from './model/index.js';

/** Options of {@link createFeedStatusUpdater}. */
export interface FeedStatusUpdaterOptions {
  readonly writer: IngressStatusWriter;
  /** Scheme → address; undefined when the frontend publishes no status (alb, gorb). */
  readonly addresses: StatusAddressSource | undefined;
  /** The cached Ingress (from the informer), so an unchanged status costs no request. */
  readonly cached: (namespace: string, name: string) => IngressLike | undefined;
  readonly logger: Logger;
  /** Called when this replica starts leading (the controller loop calls the step's hook). */
  readonly onStartedLeading?: () => void;
}

/**
 * The Ingress status writer, the last apply step: for each served Ingress whose
 * `sky.uk/frontend-scheme` has an address, writes `status.loadBalancer.ingress` once per Ingress
 * (not once per path, a kube-edge fix) when it differs, tolerating 409s (the k8s-watch writer
 * re-reads). Ingresses of other schemes are never touched and statuses are never cleared.
 * `leaderOnly`: the controller loop calls `update` only on the replica that holds the Lease (leader
 * election exists to guard this one shared write; every replica serves). The scheme → address
 * map is resolved on the first update and kept; a failed resolution fails the update and is
 * retried by the next one.
 */
export function createFeedStatusUpdater(options: FeedStatusUpdaterOptions): ControllerStep<FeedModel> {
  const log = options.logger.child({ component: 'status' });
  let byScheme: ReadonlyMap<string, StatusAddress> | undefined;
  let lastError: string | undefined;
  return {
    name: 'status',
    leaderOnly: true,
    ...(options.onStartedLeading !== undefined ? { onStartedLeading: options.onStartedLeading } : {}),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    async update(model) {
      if (options.addresses === undefined) return;
      byScheme ??= await options.addresses();
      let failed = 0;
      let updated = 0;
      let firstError: unknown;
      for (const ing of model.servedIngresses) {
        if (ing.lbScheme === undefined) continue;
        const address = byScheme.get(ing.lbScheme);
        if (address === undefined) continue;
        try {
          const result = await options.writer.write(
            ing.namespace,
            ing.name,
            [address],
            options.cached(ing.namespace, ing.name),
          );
          if (result === 'updated') updated++;
        } catch (err) {
          failed++;
          firstError ??= err;
          log.warn('cannot update ingress status', { namespace: ing.namespace, name: ing.name, err });
        }
      }
      if (updated > 0 || failed > 0) log.info('ingress status pass', { updated, failed });
      lastError = failed > 0 ? `${failed} ingress status writes failed` : undefined;
      if (firstError !== undefined)
        throw firstError instanceof Error
          ? firstError
          : new Error('ingress status write failed', { cause: firstError });
    },
    health: (): ProbeResult => (lastError === undefined ? { ok: true } : { ok: false, message: lastError }),
    readiness: (): ProbeResult => ({ ok: true }),
  };
}
