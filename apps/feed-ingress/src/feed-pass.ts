import type { V1Ingress, V1IngressClass, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import {
  INGRESSES,
  INGRESS_CLASSES,
  NAMESPACES,
  SECRETS,
  SERVICES,
  watch,
  type BuildResult,
  type Listers,
  type WatchSpec,
  type SkippedObject as LoopSkippedObject,
} from '@kube-edge/k8s-watch';
import {
  buildFeedModel,
  type FeedModel,
  type FeedModelConfig,
  type FeedModelInput,
  type SkippedObject,
} from './model/index.js';

/** The informers of {@link feedInformers}, by name; `secrets` only when TLS is served. */
export type FeedInformers = {
  ingresses: WatchSpec<V1Ingress>;
  services: WatchSpec<V1Service>;
  namespaces: WatchSpec<V1Namespace>;
  ingressClasses: WatchSpec<V1IngressClass>;
  secrets?: WatchSpec<V1Secret>;
};

/**
 * What feed-ingress watches, each informer with feed's `--resync-period`; the keys name the
 * listers. Secrets only hold the TLS certificates of `spec.tls`, which are served only on an HTTPS
 * port, so without `secrets: true` (no `--ingress-https-port`) no Secret is listed, watched or
 * cached, and no Secret RBAC is needed. Pure.
 */
export function feedInformers(resyncMs: number, options: { secrets: boolean }): FeedInformers {
  return {
    ingresses: watch<V1Ingress>(INGRESSES, { resyncMs }),
    services: watch<V1Service>(SERVICES, { resyncMs }),
    namespaces: watch<V1Namespace>(NAMESPACES, { resyncMs }),
    ingressClasses: watch<V1IngressClass>(INGRESS_CLASSES, { resyncMs }),
    ...(options.secrets ? { secrets: watch<V1Secret>(SECRETS, { resyncMs }) } : {}),
  };
}

/** The model builder's input: a snapshot of every cache. Pure. */
export function feedInput(listers: Listers<FeedInformers>): FeedModelInput {
  return {
    ingresses: listers.ingresses.list(),
    services: listers.services.list(),
    namespaces: listers.namespaces.list(),
    ingressClasses: listers.ingressClasses.list(),
    // The loop's Listers type has no optional informers; the key is absent without HTTPS.
    secrets: (listers as Partial<Listers<Required<FeedInformers>>>).secrets?.list() ?? [],
  };
}

const API_VERSION_OF: Record<SkippedObject['kind'], string> = {
  Ingress: 'networking.k8s.io/v1',
  Service: 'v1',
  Secret: 'v1',
  Namespace: 'v1',
};

/** Event reason (and metric label) of an object or entry left out of the model. */
export const SKIPPED_REASON = 'Skipped';
/** Event reason (and metric label) of a value ignored while its object was still served. */
export const IGNORED_REASON = 'Ignored';

function toLoopSkip(s: SkippedObject, reason: string): LoopSkippedObject {
  return {
    kind: s.kind,
    apiVersion: API_VERSION_OF[s.kind],
    ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
    name: s.name,
    ...(s.uid !== undefined ? { uid: s.uid } : {}),
    reason,
    message: s.reason,
  };
}

/**
 * One pass of feed-ingress's pure middle, in the controller loop's shape: the model built from
 * the caches, and every problem it found as the loop's skipped objects. An object (or entry) not
 * served has reason `Skipped`, or the builder's own code when it has one (`HostOwnedByOther`); a bad value ignored while its object is still served has reason
 * `Ignored`; both get a Warning Event (neither is quiet), with the builder's human reason as the
 * message. Pure; never throws on bad objects.
 */
export function buildFeedPass(input: FeedModelInput, config: FeedModelConfig): BuildResult<FeedModel> {
  const model = buildFeedModel(input, config);
  return {
    model,
    skipped: [
      ...model.skipped.map((s) => toLoopSkip(s, s.code ?? SKIPPED_REASON)),
      ...model.warnings.map((s) => toLoopSkip(s, IGNORED_REASON)),
    ],
  };
}
