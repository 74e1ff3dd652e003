import { normalizeName } from '@kube-edge/dns-providers';

/** The annotation choosing the load balancer scheme of an ingress's hosts. */
export const SCHEME_ANNOTATION = 'sky.uk/frontend-scheme';
/** Its legacy name, read when the new one is absent (removed in feed v2.0, reinstated in v2.2). */
export const LEGACY_SCHEME_ANNOTATION = 'sky.uk/frontend-elb-scheme';
/** The ingress class annotation feed matches classes by. */
export const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** The schemes a load balancer can have. */
export const SCHEMES = ['internal', 'internet-facing'] as const;

/** A load balancer scheme. */
export type Scheme = (typeof SCHEMES)[number];

/** The parts of a networking.k8s.io/v1 Ingress feed-dns reads. */
export interface IngressLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    ingressClassName?: string;
    rules?: { host?: string }[];
  };
}

/** The ingress an entry or a skip came from (enough for an Event's involvedObject). */
export interface IngressRef {
  namespace: string;
  name: string;
  uid: string | undefined;
}

/** Optional class filter (a kube-edge difference: feed-dns v2+ only took class ""). */
export interface ClassFilter {
  /** Take ingresses of this class: the `kubernetes.io/ingress.class` annotation, else `spec.ingressClassName`. */
  ingressClass: string;
  /** Also take ingresses naming no class. */
  includeClassless: boolean;
}

/** Why an ingress host gets no record. Also the `reason` label of the skipped-entries metric. */
export type SkipReason =
  | 'invalid-host'
  | 'out-of-zone'
  | 'missing-scheme'
  | 'invalid-scheme'
  | 'no-frontend'
  | 'conflicting-scheme'
  | 'cname-at-apex'
  | 'record-not-owned'
  | 'invalid-record';

/** An ingress host that gets no record, and why. */
export interface SkippedEntry {
  ingress: IngressRef;
  /** The host as written on the ingress. */
  host: string;
  reason: SkipReason;
  message: string;
}

/** One host with the scheme its ingress asks for. */
export interface HostEntry {
  /** Normalised: lower case, trailing dot (`*.apps.example.com.`). */
  name: string;
  scheme: Scheme;
  ingress: IngressRef;
}

/** The reference of an ingress. Pure. */
export function refOf(ing: IngressLike): IngressRef {
  return {
    namespace: ing.metadata?.namespace ?? 'default',
    name: ing.metadata?.name ?? '',
    uid: ing.metadata?.uid,
  };
}

/** The class an ingress names: the annotation, else `spec.ingressClassName`; undefined for none. Pure. */
export function classOf(ing: IngressLike): string | undefined {
  const annotated = ing.metadata?.annotations?.[CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  const named = ing.spec?.ingressClassName;
  return named === undefined || named === '' ? undefined : named;
}

/** True when the class filter takes the ingress (always without a filter). Pure. */
export function classMatches(ing: IngressLike, filter: ClassFilter | undefined): boolean {
  if (filter === undefined) return true;
  const cls = classOf(ing);
  if (cls === undefined) return filter.includeClassless;
  return cls === filter.ingressClass;
}

/** The scheme annotation's value (new name first, then the legacy one), trimmed; undefined if neither. Pure. */
export function schemeOf(ing: IngressLike): string | undefined {
  const a = ing.metadata?.annotations;
  const raw = a?.[SCHEME_ANNOTATION] ?? a?.[LEGACY_SCHEME_ANNOTATION];
  return raw?.trim();
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Why a host is not a valid DNS name for a record, or undefined when it is: RFC 1123 labels
 * (letters, digits, inner hyphens, ≤ 63 characters), ≤ 253 characters, and at most a leading
 * `*` label (a wildcard). Case is ignored (names are written lower case). Pure.
 */
export function hostProblem(host: string): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === '') return 'the host is empty';
  if (h.length > 253) return 'the host is longer than 253 characters';
  const labels = h.split('.');
  if (labels.length < 2) return 'the host is not a fully qualified name';
  for (const [i, label] of labels.entries()) {
    if (label === '*' && i === 0) continue;
    if (!LABEL.test(label)) return `label ${JSON.stringify(label)} is not a valid DNS label`;
  }
  return undefined;
}

const byAge = (a: IngressLike, b: IngressLike): number => {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** The result of {@link selectEntries}. */
export interface Selection {
  /** One entry per host, in order (oldest ingress first). */
  entries: HostEntry[];
  skipped: SkippedEntry[];
  /** Ingresses the class filter took (the mass-deletion guard acts only when this is > 0). */
  selectedIngresses: number;
}

/**
 * feed-dns's entry selection (README, "Differences from feed-dns" lists how it differs): every
 * ingress (or those of the optional class), each rule's host with the ingress's scheme; no
 * feed-ingress validation (allow lists, paths, services). Ingresses are taken oldest first, so the
 * first entry for a host keeps it: a later ingress asking another scheme for it is skipped as
 * `conflicting-scheme` and cannot steal the record. Hosts are compared normalised (case, trailing
 * dot). Pure and deterministic.
 */
export function selectEntries(ingresses: readonly IngressLike[], filter: ClassFilter | undefined): Selection {
  const entries: HostEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const byName = new Map<string, HostEntry>();
  let selectedIngresses = 0;
  for (const ing of [...ingresses].sort(byAge)) {
    if (!classMatches(ing, filter)) continue;
    selectedIngresses += 1;
    const ingress = refOf(ing);
    const scheme = schemeOf(ing);
    for (const rule of ing.spec?.rules ?? []) {
      const host = rule.host;
      if (host === undefined || host === '') continue; // a rule for every host names nothing to publish
      const skip = (reason: SkipReason, message: string): void => {
        skipped.push({ ingress, host, reason, message });
      };
      const problem = hostProblem(host);
      if (problem !== undefined) {
        skip('invalid-host', problem);
        continue;
      }
      if (scheme === undefined || scheme === '') {
        skip('missing-scheme', `no ${SCHEME_ANNOTATION} annotation`);
        continue;
      }
      if (!(SCHEMES as readonly string[]).includes(scheme)) {
        skip(
          'invalid-scheme',
          `${SCHEME_ANNOTATION} must be internal or internet-facing, got ${JSON.stringify(scheme)}`,
        );
        continue;
      }
      const name = normalizeName(host);
      const first = byName.get(name);
      if (first !== undefined) {
        if (first.scheme !== scheme) {
          skip(
            'conflicting-scheme',
            `${first.ingress.namespace}/${first.ingress.name} already asks for scheme ${first.scheme} for this host`,
          );
        }
        continue;
      }
      const entry: HostEntry = { name, scheme: scheme as Scheme, ingress };
      byName.set(name, entry);
      entries.push(entry);
    }
  }
  return { entries, skipped, selectedIngresses };
}
