import type {
  V1Ingress,
  V1IngressClass,
  V1Namespace,
  V1ObjectMeta,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
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
import { TLS_SECRET_TYPE } from './model/tls.js';

/** The informers of {@link feedInformers}, by name; `secrets` only when TLS is served. */
export type FeedInformers = {
  ingresses: WatchSpec<V1Ingress>;
  services: WatchSpec<V1Service>;
  namespaces: WatchSpec<V1Namespace>;
  ingressClasses: WatchSpec<V1IngressClass>;
  secrets?: WatchSpec<V1Secret>;
};

/** The metadata every cached object keeps (keys, Events, the informer's bookkeeping). */
function keptMetadata(m: V1ObjectMeta | undefined): V1ObjectMeta {
  return {
    ...(m?.name === undefined ? {} : { name: m.name }),
    ...(m?.namespace === undefined ? {} : { namespace: m.namespace }),
    ...(m?.uid === undefined ? {} : { uid: m.uid }),
    ...(m?.resourceVersion === undefined ? {} : { resourceVersion: m.resourceVersion }),
  };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Informer transforms: each cache keeps only what the model, the Events and the status writer
 * read, so the controller's memory is the model's inputs rather than whole objects (kubectl's
 * last-applied annotation alone is a copy of the manifest). Pure; exported for tests.
 */
export const feedTransforms = {
  /** Everything but `managedFields` and the last-applied annotation (annotations are settings). */
  ingress: (i: V1Ingress): V1Ingress => {
    const { managedFields: _managed, annotations, ...metadata } = i.metadata ?? {};
    if (annotations !== undefined && LAST_APPLIED in annotations) {
      const { [LAST_APPLIED]: _lastApplied, ...rest } = annotations;
      return { ...i, metadata: { ...metadata, annotations: rest } };
    }
    return { ...i, metadata: { ...metadata, ...(annotations === undefined ? {} : { annotations }) } };
  },
  /** Name, ClusterIP and port numbers. */
  service: (s: V1Service): V1Service => {
    return {
      metadata: keptMetadata(s.metadata),
      spec: {
        ...(s.spec?.clusterIP === undefined ? {} : { clusterIP: s.spec.clusterIP }),
        ...(s.spec?.ports === undefined ? {} : { ports: s.spec.ports.map((p) => ({ port: p.port })) }),
      },
    };
  },
  /** Name and labels (the namespace selectors). */
  namespace: (n: V1Namespace): V1Namespace => {
    const labels = n.metadata?.labels;
    return { metadata: { ...keptMetadata(n.metadata), ...(labels === undefined ? {} : { labels }) } };
  },
  /** Name, type and the certificate and key. */
  secret: (s: V1Secret): V1Secret => {
    const crt = s.data?.['tls.crt'];
    const key = s.data?.['tls.key'];
    return {
      metadata: keptMetadata(s.metadata),
      ...(s.type === undefined ? {} : { type: s.type }),
      data: {
        ...(crt === undefined ? {} : { 'tls.crt': crt }),
        ...(key === undefined ? {} : { 'tls.key': key }),
      },
    };
  },
};

/**
 * What feed-ingress watches, each informer with feed's `--resync-period` and a transform that
 * keeps only the fields read; the keys name the listers. Secrets only hold the TLS certificates
 * of `spec.tls`, which are served only on an HTTPS port, so without `secrets: true` (no
 * `--ingress-https-port`) no Secret is listed, watched or cached, and no Secret RBAC is needed;
 * with it, only Secrets of type `kubernetes.io/tls` are (a field selector). Pure.
 */
export function feedInformers(resyncMs: number, options: { secrets: boolean }): FeedInformers {
  return {
    ingresses: watch<V1Ingress>(INGRESSES, { resyncMs, transform: feedTransforms.ingress }),
    services: watch<V1Service>(SERVICES, { resyncMs, transform: feedTransforms.service }),
    namespaces: watch<V1Namespace>(NAMESPACES, { resyncMs, transform: feedTransforms.namespace }),
    ingressClasses: watch<V1IngressClass>(INGRESS_CLASSES, { resyncMs }),
    ...(options.secrets
      ? {
          secrets: watch<V1Secret>(SECRETS, {
            resyncMs,
            fieldSelector: `type=${TLS_SECRET_TYPE}`,
            transform: feedTransforms.secret,
          }),
        }
      : {}),
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
 * message. Deterministic (the builder reuses its last pass's work for unchanged objects, see
 * `buildFeedModel`); never throws on bad objects.
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
