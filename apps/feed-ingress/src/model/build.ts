import { createHash } from 'node:crypto';
import type {
  V1HTTPIngressPath,
  V1Ingress,
  V1IngressClass,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import {
  toComment,
  validateHostname,
  validateIp,
  validateLocation,
  validatePath,
  validatePort,
  validateUpstream,
  validateUpstreamId,
  type Listen,
  sealServer,
  type Location,
  type Server,
  type TlsSettings,
  type Upstream,
} from '@kube-edge/nginx-render';
import {
  ANNOTATIONS,
  readIngressSettings,
  type IngressSettings,
  type SettingDefaults,
} from './annotations.js';
import {
  allowRules,
  defaultServer,
  eventsSettings,
  httpSettings,
  mainSettings,
  notFoundLocation,
  statusServer,
  unavailableLocation,
} from './http.js';
import { shown } from './shown.js';
import { TLS_SECRET_TYPE, tlsHostMatches, tlsPairFromSecretCached, type TlsPair } from './tls.js';
import type {
  FeedModel,
  FeedModelConfig,
  FeedModelInput,
  ServedIngress,
  SkippedObject,
  TlsFile,
} from './types.js';

/** The annotation an IngressClass uses to mark itself the cluster default. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** Skip code of an entry refused because another namespace's Ingress owns its host. */
export const HOST_OWNED_BY_OTHER = 'HostOwnedByOther';

// The API server's rules for an Ingress name (DNS-1123 subdomain) and a namespace (label).
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

// nginx-render refuses comments above 1024 bytes; feed truncated at 4000 (#255).
const MAX_COMMENT_CHARS = 1000;

/** One host/path of an adopted ingress that passed every check. */
interface Entry {
  readonly ns: string;
  readonly name: string;
  readonly host: string;
  readonly rawPath: string;
  readonly match: 'exact' | 'prefix';
  readonly path: string;
  readonly address: string;
  readonly port: number;
  readonly upstreamId: string;
  readonly settings: IngressSettings;
  readonly sortKey: string;
  /** `host\0match\0path`: the location it serves, one entry each. */
  readonly locationKey: string;
  /** `namespace/name` of its Ingress. */
  readonly ingressKey: string;
  readonly location: Location;
  readonly upstream: Upstream;
}

/** A host/path of the host owner's namespace that could not be served: it answers 503. */
interface Unavailable {
  readonly host: string;
  readonly match: 'exact' | 'prefix';
  readonly path: string;
}

/** Who claims a host: the oldest adopted Ingress with a rule for it. */
interface Claim {
  readonly ns: string;
  readonly name: string;
  readonly created: number;
}

interface IngressRef {
  readonly ns: string;
  readonly name: string;
  readonly uid: string | undefined;
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

/** Ordinal string order, so the model does not depend on the locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The same items (by identity) in the same order. */
function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether this controller serves the ingress, by class:
 * `kubernetes.io/ingress.class` first (it must equal `--ingress-class`); otherwise
 * `spec.ingressClassName` (it must equal `--ingress-class`, and an IngressClass of that name, if
 * one exists, must name `--ingress-class-controller`); otherwise a classless ingress is served
 * with `--include-classless-ingresses`, or when our IngressClass is the cluster default.
 */
function classMatches(
  ingress: V1Ingress,
  config: FeedModelConfig,
  classes: ReadonlyMap<string, V1IngressClass>,
): boolean {
  const annotation = ingress.metadata?.annotations?.[ANNOTATIONS.ingressClass];
  if (annotation !== undefined) return annotation === config.ingressClass;
  const ours = classes.get(config.ingressClass);
  const oursIsOurs = ours === undefined || ours.spec?.controller === config.ingressClassController;
  const className = ingress.spec?.ingressClassName;
  if (className !== undefined && className !== '') return className === config.ingressClass && oursIsOurs;
  if (config.includeClasslessIngresses) return true;
  return (
    ours !== undefined && oursIsOurs && ours.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true'
  );
}

/** Namespace selectors: any-match or all-match, both comparing name and value. */
function namespaceMatches(
  labels: Readonly<Record<string, string>> | undefined,
  config: FeedModelConfig,
): boolean {
  const selectors = config.namespaceSelectors;
  if (selectors.length === 0) return true;
  if (labels === undefined) return false;
  const one = (s: { name: string; value: string }): boolean => labels[s.name] === s.value;
  return config.matchAllNamespaceSelectors ? selectors.every(one) : selectors.some(one);
}

/** feed's prefix normalisation: trim `/` at both ends; empty becomes `/`, anything else `/<p>/`. */
export function normalisePrefixPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}

function upstreamIdFor(ns: string, name: string, address: string, port: number): string {
  const id = `${ns}.${name}.${address.replaceAll(':', '_')}.${port}`;
  if (validateUpstreamId(id).ok) return id;
  // Only very long names get here (nginx-render caps ids at 200 characters): keep them unique.
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  const tail = `-${hash}.${address.replaceAll(':', '_')}.${port}`;
  return `${`${ns}.${name}`.slice(0, 200 - tail.length)}${tail}`;
}

/** When an Ingress was created, for host ownership; unknown sorts after every known time. */
function createdAt(ingress: V1Ingress): number {
  const t = ingress.metadata?.creationTimestamp;
  const ms = t === undefined ? Number.NaN : new Date(t).getTime();
  return Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
}

/** Oldest first, then namespace/name: the first claim of a host owns it. */
const claimOrder = (a: Claim, b: Claim): number =>
  a.created !== b.created ? (a.created < b.created ? -1 : 1) : compare(a.ns, b.ns) || compare(a.name, b.name);

function serverComment(ingresses: readonly string[]): string {
  let text = 'ingress:';
  for (let i = 0; i < ingresses.length; i++) {
    const next = ` ${ingresses[i]}`;
    if (text.length + next.length > MAX_COMMENT_CHARS)
      return toComment(`${text} ... (+${ingresses.length - i} more)`);
    text += next;
  }
  return toComment(text);
}

/** One step of an Ingress's plan, replayed in order by every pass that sees the same object. */
type PlanOp =
  | {
      readonly kind: 'report';
      readonly list: 'skipped' | 'warnings';
      readonly reason: string;
      readonly code?: string;
    }
  /** The ops up to the next `endHost` serve this rule's host: dropped when another namespace owns it. */
  | { readonly kind: 'host'; readonly ri: number; readonly host: string }
  | { readonly kind: 'endHost' }
  | { readonly kind: 'unavailable'; readonly value: Unavailable }
  | { readonly kind: 'entry'; readonly value: Entry };

/** What one Ingress object contributes on its own, and the Service lookups it depended on. */
interface IngressPlan {
  /** Unset when the Ingress is not adopted at all (an invalid name). */
  readonly settings: IngressSettings | undefined;
  readonly ops: readonly PlanOp[];
  /** Every Service looked up (`namespace/name` → the object, or undefined when missing). */
  readonly services: readonly (readonly [string, V1Service | undefined])[];
}

/** The plans and servers of the last pass with one config, reused while their inputs are the same objects. */
interface BuildMemo {
  /** By Ingress object: an informer hands back the same object until the Ingress changes. */
  readonly plans: Map<V1Ingress, IngressPlan>;
  readonly servers: Map<string, { readonly inputs: readonly unknown[]; readonly server: Server }>;
  readonly listen: { readonly http: Listen | undefined; readonly https: Listen | undefined };
}

// Keyed by the config object: a controller builds every pass with one config, and a new config
// (tests, offline renders) starts afresh. One weak entry per config, not per Ingress.
const memo = new WeakMap<FeedModelConfig, BuildMemo>();

function listeners(config: FeedModelConfig): BuildMemo['listen'] {
  const proxyProtocol = config.proxyProtocol ? { proxyProtocol: true } : {};
  return {
    http: config.ingressPort === undefined ? undefined : { port: config.ingressPort, ...proxyProtocol },
    https:
      config.ingressHttpsPort === undefined
        ? undefined
        : { port: config.ingressHttpsPort, ssl: true, ...proxyProtocol },
  };
}

interface PlanContext {
  readonly config: FeedModelConfig;
  readonly defaults: SettingDefaults;
  readonly services: ReadonlyMap<string, V1Service>;
  readonly http: ReturnType<typeof httpSettings>;
  readonly locationSettings: (s: IngressSettings) => Pick<Location, 'access' | 'proxy'>;
}

/**
 * One selected Ingress's entries, 503 paths and reasons, before host ownership (which depends on
 * the other Ingresses). Pure: the same Ingress and Services give an equal plan.
 */
function planIngress(ingress: V1Ingress, ref: IngressRef, ctx: PlanContext): IngressPlan {
  const { config } = ctx;
  const ops: PlanOp[] = [];
  const lookups = new Map<string, V1Service | undefined>();
  const skip = (reason: string, code?: string): void =>
    void ops.push({ kind: 'report', list: 'skipped', reason, ...(code !== undefined ? { code } : {}) });
  const warn = (reason: string): void => void ops.push({ kind: 'report', list: 'warnings', reason });
  const done = (settings: IngressSettings | undefined): IngressPlan => ({
    settings,
    ops,
    services: [...lookups],
  });
  // Only manifests read offline can get here with a name the API server would refuse.
  if (!DNS1123_LABEL.test(ref.ns)) {
    skip(`metadata.namespace "${shown(ref.ns)}" is not a valid Kubernetes namespace name`);
    return done(undefined);
  }
  if (!DNS1123_SUBDOMAIN.test(ref.name)) {
    skip(`metadata.name "${shown(ref.name)}" is not a valid Kubernetes object name`);
    return done(undefined);
  }
  const settings = readIngressSettings(ingress.metadata?.annotations ?? {}, ctx.defaults, warn);
  if (ingress.spec?.defaultBackend !== undefined)
    warn('spec.defaultBackend is not supported (feed serves only rules with a host); it is ignored');
  const rules = ingress.spec?.rules ?? [];
  if (rules.length === 0) {
    skip('has no rules: nothing to serve');
    return done(settings);
  }
  if (settings.allowError !== undefined) {
    skip(`${settings.allowError}; none of its paths are served`);
    return done(settings);
  }
  rules.forEach((rule, ri) => {
    const rawHost = rule.host ?? '';
    if (rule.http === undefined) {
      skip(`rules[${ri}] (host "${shown(rawHost)}"): has no http paths`);
      return;
    }
    if (rawHost === '') {
      skip(`rules[${ri}]: has no host; only rules with a host are served`);
      return;
    }
    const host = validateHostname(rawHost);
    if (!host.ok) {
      skip(`rules[${ri}]: host "${shown(rawHost)}": ${host.reason}`);
      return;
    }
    ops.push({ kind: 'host', ri, host: host.value });
    for (const p of rule.http.paths) planPath(p, host.value);
    ops.push({ kind: 'endHost' });
  });
  return done(settings);

  function planPath(p: V1HTTPIngressPath, host: string): void {
    const rawPath = p.path ?? '';
    const where = `host "${host}" path "${shown(rawPath)}"`;
    // An explicit sky.uk/exact-path wins; otherwise pathType Exact/Prefix; otherwise the flag.
    const exact =
      settings.exactPath ??
      (p.pathType === 'Exact' ? true : p.pathType === 'Prefix' ? false : config.defaultExactPath);
    const match = exact ? 'exact' : 'prefix';
    const path = validatePath(exact ? (rawPath === '' ? '/' : rawPath) : normalisePrefixPath(rawPath));
    // A valid path of the host's namespace that cannot be served answers 503 (not another
    // namespace's backend, not the catch-all).
    const refuse = (reason: string): void => {
      skip(`${where}: ${reason}`);
      if (path.ok) ops.push({ kind: 'unavailable', value: { host, match, path: path.value } });
    };
    const backend = p.backend.service;
    if (backend === undefined) {
      refuse('resource backends are not supported');
      return;
    }
    const svcName = `service "${shown(backend.name)}"`;
    const svcKey = key(ref.ns, backend.name);
    const svc = ctx.services.get(svcKey);
    lookups.set(svcKey, svc);
    if (svc === undefined) {
      refuse(`${svcName} does not exist in namespace "${ref.ns}"`);
      return;
    }
    const clusterIp = svc.spec?.clusterIP ?? '';
    if (clusterIp === 'None') {
      refuse(`${svcName} is headless (clusterIP None); feed proxies to the ClusterIP`);
      return;
    }
    if (clusterIp === '') {
      refuse(`${svcName} has no ClusterIP`);
      return;
    }
    const ip = validateIp(clusterIp);
    if (!ip.ok) {
      refuse(`${svcName} clusterIP "${shown(clusterIp)}": ${ip.reason}`);
      return;
    }
    const portNumber = backend.port?.number;
    if (portNumber === undefined || portNumber === 0) {
      refuse(
        backend.port?.name
          ? `named service port "${shown(backend.port.name)}" is not supported; use port.number`
          : 'backend has no service port number',
      );
      return;
    }
    const port = validatePort(portNumber);
    if (!port.ok) {
      refuse(`service port ${String(portNumber)}: ${port.reason}`);
      return;
    }
    const declared = svc.spec?.ports;
    if (declared !== undefined && !declared.some((sp) => sp.port === port.value))
      warn(`${svcName} does not declare port ${port.value}; kube-proxy will not forward it`);
    if (!path.ok) {
      skip(`${where}: ${path.reason}`);
      return;
    }
    const upstreamId = upstreamIdFor(ref.ns, ref.name, ip.value, port.value);
    const upstream: Upstream = {
      id: upstreamId,
      servers: [
        {
          address: ip.value,
          port: port.value,
          ...(settings.backendMaxConnections > 0 ? { maxConns: settings.backendMaxConnections } : {}),
        },
      ],
      keepalive: config.nginx.backendKeepaliveCount,
      keepaliveRequests: settings.backendMaxRequestsPerConnection,
      ...(settings.backendKeepaliveTimeoutSeconds !== undefined
        ? { keepaliveTimeout: `${settings.backendKeepaliveTimeoutSeconds}s` }
        : {}),
    };
    const location: Location = {
      match,
      path: path.value,
      ...ctx.locationSettings(settings),
      action: { kind: 'proxy', upstream: upstreamId, ...(settings.stripPath ? { uri: '/' } : {}) },
    };
    // One validation: the renderer's own checks, per entry, so a value it would refuse skips
    // this entry instead of failing every render.
    const issue = validateUpstream(upstream)[0] ?? validateLocation(location, [ctx.http.proxy])[0];
    if (issue !== undefined) {
      refuse(`${issue.path}: ${issue.reason}`);
      return;
    }
    ops.push({
      kind: 'entry',
      value: {
        ns: ref.ns,
        name: ref.name,
        host,
        rawPath,
        match,
        path: path.value,
        address: ip.value,
        port: port.value,
        upstreamId,
        settings,
        sortKey: `${ref.ns}:${ref.name}:${host}:${rawPath}:${ip.value}:${port.value}`,
        locationKey: `${host}\0${match}\0${path.value}`,
        ingressKey: key(ref.ns, ref.name),
        location,
        upstream,
      },
    });
  }
}

/**
 * Builds the whole nginx model from a snapshot of the cluster. Deterministic: the same input
 * and config give a deep-equal model whatever the input order. Never throws on a bad object: it
 * is skipped (`skipped`) or its bad value ignored (`warnings`), with a reason, and every other
 * object is still served.
 *
 * Incremental: called again with the same config object, it reuses what the last call built from
 * the very same Ingress objects (their entries and reasons, while the Services they name are the
 * same objects too) and the very same server objects, sealed with their rendered text
 * (`sealServer`), for hosts whose entries, 503 paths, owner and certificate are unchanged; so a
 * pass after one informer event costs a fraction of a full build. Reuse goes by identity, so the
 * config and the input objects must not be changed in place between calls (informers replace an
 * object when it changes; give a changed config as a new object). The model is read-only: its
 * servers, locations and upstreams are frozen.
 */
export function buildFeedModel(input: FeedModelInput, config: FeedModelConfig): FeedModel {
  const skipped: SkippedObject[] = [];
  const warnings: SkippedObject[] = [];
  const reported = new Set<string>();
  const report = (list: SkippedObject[], ref: IngressRef, reason: string, code?: string): void => {
    const id = `${list === skipped ? 's' : 'w'}\0${ref.ns}\0${ref.name}\0${reason}`;
    if (reported.has(id)) return;
    reported.add(id);
    list.push({
      kind: 'Ingress',
      namespace: ref.ns,
      name: ref.name,
      ...(ref.uid !== undefined ? { uid: ref.uid } : {}),
      ...(code !== undefined ? { code } : {}),
      reason,
    });
  };

  const services = new Map<string, V1Service>();
  for (const s of input.services)
    services.set(key(s.metadata?.namespace ?? 'default', s.metadata?.name ?? ''), s);
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const n of input.namespaces) namespaceLabels.set(n.metadata?.name ?? '', n.metadata?.labels ?? {});
  const classes = new Map<string, V1IngressClass>();
  for (const c of input.ingressClasses) classes.set(c.metadata?.name ?? '', c);
  const secrets = new Map<string, V1Secret>();
  for (const s of input.secrets)
    secrets.set(key(s.metadata?.namespace ?? 'default', s.metadata?.name ?? ''), s);

  const ingresses = [...input.ingresses].sort(
    (a, b) =>
      compare(a.metadata?.namespace ?? '', b.metadata?.namespace ?? '') ||
      compare(a.metadata?.name ?? '', b.metadata?.name ?? '') ||
      compare(a.metadata?.uid ?? '', b.metadata?.uid ?? ''),
  );

  const defaults = {
    allow: config.defaultAllow,
    stripPath: config.defaultStripPath,
    backendTimeoutSeconds: config.nginx.defaultBackendTimeoutSeconds,
    backendMaxConnections: config.nginx.defaultBackendMaxConnections,
    proxyBufferSizeKb: config.nginx.defaultProxyBufferSizeKb,
    proxyBufferBlocks: config.nginx.defaultProxyBufferBlocks,
  };

  // The access list and proxy settings are the same for every location of one ingress: share
  // them (the model is read-only), which matters at 10k ingresses.
  const perIngress = new Map<IngressSettings, Pick<Location, 'access' | 'proxy'>>();
  const locationSettings = (s: IngressSettings): Pick<Location, 'access' | 'proxy'> => {
    let shared = perIngress.get(s);
    if (shared === undefined) {
      shared = {
        access: allowRules(s.allow, config.nginx.allowLocalhost),
        proxy: {
          readTimeout: `${s.backendTimeoutSeconds}s`,
          sendTimeout: `${s.backendTimeoutSeconds}s`,
          bufferSize: `${s.proxyBufferSizeKb}k`,
          buffers: { count: s.proxyBufferBlocks, size: `${s.proxyBufferSizeKb}k` },
        },
      };
      perIngress.set(s, shared);
    }
    return shared;
  };

  // Host ownership: a host belongs to the oldest selected Ingress with a rule for it (then
  // namespace/name), for as long as that Ingress exists and selects this controller, whether or
  // not its backends are valid. Only Ingresses of the owner's namespace may serve the host.
  const selected = (ingress: V1Ingress): boolean =>
    classMatches(ingress, config, classes) &&
    namespaceMatches(namespaceLabels.get(ingress.metadata?.namespace ?? 'default'), config);
  const validName = (ns: string, name: string): boolean =>
    DNS1123_LABEL.test(ns) && DNS1123_SUBDOMAIN.test(name);
  const owners = new Map<string, Claim>();
  for (const ingress of ingresses) {
    const ns = ingress.metadata?.namespace ?? 'default';
    const name = ingress.metadata?.name ?? '';
    if (!selected(ingress) || !validName(ns, name)) continue;
    const claim: Claim = { ns, name, created: createdAt(ingress) };
    for (const rule of ingress.spec?.rules ?? []) {
      const host = validateHostname(rule.host ?? '');
      if (!host.ok) continue;
      const current = owners.get(host.value);
      if (current === undefined || claimOrder(claim, current) < 0) owners.set(host.value, claim);
    }
  }

  const candidates: Entry[] = [];
  const unavailable: Unavailable[] = [];
  const adopted: { ref: IngressRef; ingress: V1Ingress; settings: IngressSettings }[] = [];
  let ignoredIngresses = 0;

  // Each Ingress's own contribution is planned once per Ingress object (the informer hands back
  // the same object until it changes) and replayed on later passes; host ownership, which
  // depends on the other Ingresses, is applied at replay.
  const previous = memo.get(config);
  const current: BuildMemo = {
    plans: new Map(),
    servers: new Map(),
    listen: previous?.listen ?? listeners(config),
  };
  memo.set(config, current);
  const http = httpSettings(config);
  const context: PlanContext = { config, defaults, services, http, locationSettings };

  for (const ingress of ingresses) {
    const ref: IngressRef = {
      ns: ingress.metadata?.namespace ?? 'default',
      name: ingress.metadata?.name ?? '',
      uid: ingress.metadata?.uid,
    };
    if (!selected(ingress)) {
      ignoredIngresses++;
      continue;
    }
    const cached = previous?.plans.get(ingress);
    const plan =
      cached !== undefined && cached.services.every(([k, s]) => services.get(k) === s)
        ? cached
        : planIngress(ingress, ref, context);
    current.plans.set(ingress, plan);
    if (plan.settings !== undefined) adopted.push({ ref, ingress, settings: plan.settings });
    let owned = true;
    for (const op of plan.ops) {
      switch (op.kind) {
        case 'report':
          if (owned) report(op.list === 'skipped' ? skipped : warnings, ref, op.reason, op.code);
          break;
        case 'host': {
          const owner = owners.get(op.host);
          owned = owner === undefined || owner.ns === ref.ns;
          if (!owned && owner !== undefined)
            report(
              skipped,
              ref,
              `rules[${op.ri}]: host "${op.host}" belongs to Ingress ${owner.ns}/${owner.name}, the oldest Ingress that claims it; only its namespace can serve it`,
              HOST_OWNED_BY_OTHER,
            );
          break;
        }
        case 'endHost':
          owned = true;
          break;
        case 'unavailable':
          if (owned) unavailable.push(op.value);
          break;
        case 'entry':
          if (owned) candidates.push(op.value);
          break;
      }
    }
  }

  // De-duplication: sort, then the first entry per host and location wins.
  candidates.sort((a, b) => compare(a.sortKey, b.sortKey));
  const byLocation = new Map<string, Entry>();
  const byHost = new Map<string, Entry[]>();
  const uidOf = new Map<string, string | undefined>(
    adopted.map((a) => [key(a.ref.ns, a.ref.name), a.ref.uid]),
  );
  for (const e of candidates) {
    const first = byLocation.get(e.locationKey);
    if (first !== undefined) {
      const ref = { ns: e.ns, name: e.name, uid: uidOf.get(key(e.ns, e.name)) };
      const what = `${e.match === 'exact' ? 'exact ' : ''}location "${e.path}"`;
      report(
        skipped,
        ref,
        `host "${e.host}" path "${shown(e.rawPath)}": ${what} is already served by ${first.ns}/${first.name}`,
      );
      continue;
    }
    byLocation.set(e.locationKey, e);
    const list = byHost.get(e.host);
    if (list === undefined) byHost.set(e.host, [e]);
    else list.push(e);
  }

  const served = new Set<string>();
  for (const entries of byHost.values()) for (const e of entries) served.add(e.ingressKey);

  // TLS (kube-edge): spec.tls secrets give per-host certificates, selected by SNI.
  const httpsPort = config.ingressHttpsPort;
  // The --ssl-path default certificate (the https default server's, served to every host
  // without its own).
  const hasDefaultCertificate = config.defaultSslPath !== undefined;
  const hostTls = new Map<string, { pair: TlsPair; from: string }>();
  const tlsFiles = new Map<string, TlsFile>();
  if (httpsPort !== undefined) {
    const pairs = new Map<string, ReturnType<typeof tlsPairFromSecretCached>>();
    for (const { ref, ingress } of adopted) {
      const tlsList = ingress.spec?.tls ?? [];
      if (tlsList.length === 0 || !served.has(key(ref.ns, ref.name))) continue;
      const ruleHosts = (ingress.spec?.rules ?? [])
        .map((r) => validateHostname(r.host ?? ''))
        .flatMap((r) => (r.ok ? [r.value] : []));
      tlsList.forEach((tls, ti) => {
        const patterns = (tls.hosts ?? []).length > 0 ? (tls.hosts ?? []) : ruleHosts;
        const fallback = hasDefaultCertificate ? 'use the default certificate' : 'are not served over https';
        // Only the ingress's own rule hosts: a secret in one namespace never covers another team's host.
        const covered = (pattern: string): string[] =>
          [...new Set(ruleHosts)].filter((h) => byHost.has(h) && tlsHostMatches(pattern, h)).sort(compare);
        const secretName = tls.secretName ?? '';
        if (secretName === '') {
          report(warnings, ref, `spec.tls[${ti}]: has no secretName; its hosts ${fallback}`);
          return;
        }
        const secretKey = key(ref.ns, secretName);
        let pair = pairs.get(secretKey);
        if (pair === undefined) {
          const secret = secrets.get(secretKey);
          // Only kubernetes.io/tls Secrets are watched (a field selector), so another type is
          // refused here too, and an offline render agrees with the controller.
          pair =
            secret === undefined
              ? { ok: false, reason: `does not exist (only Secrets of type ${TLS_SECRET_TYPE} are read)` }
              : secret.type !== TLS_SECRET_TYPE
                ? { ok: false, reason: `is of type "${shown(secret.type ?? '')}", not ${TLS_SECRET_TYPE}` }
                : tlsPairFromSecretCached(secret, config.nginx.tlsDir);
          pairs.set(secretKey, pair);
        }
        if (!pair.ok) {
          report(
            warnings,
            ref,
            `spec.tls[${ti}]: secret "${secretName}" ${pair.reason}; its hosts ${fallback}`,
          );
          return;
        }
        for (const pattern of patterns) {
          const valid = validateHostname(pattern);
          if (!valid.ok) {
            report(warnings, ref, `spec.tls[${ti}]: host "${pattern}": ${valid.reason}`);
            continue;
          }
          for (const host of covered(valid.value)) {
            const existing = hostTls.get(host);
            if (existing === undefined) {
              hostTls.set(host, { pair: pair.value, from: `${secretKey} (${key(ref.ns, ref.name)})` });
            } else if (existing.pair.certificate.path !== pair.value.certificate.path) {
              report(
                warnings,
                ref,
                `spec.tls[${ti}]: host "${host}" already has the certificate of secret ${existing.from}; secret "${secretName}" is not used for it`,
              );
            }
          }
        }
      });
    }
    for (const { pair } of hostTls.values()) {
      tlsFiles.set(pair.certificate.path, pair.certificate);
      tlsFiles.set(pair.key.path, pair.key);
    }
  }

  const upstreams = new Map<string, Upstream>();
  const servers: Server[] = [];
  const { http: httpListen, https: httpsListen } = current.listen;

  const unavailableByHost = new Map<string, Unavailable[]>();
  for (const u of unavailable) {
    const list = unavailableByHost.get(u.host);
    if (list === undefined) unavailableByHost.set(u.host, [u]);
    else list.push(u);
  }
  // A host with a path its owner's namespace cannot serve (a missing Service, ...) gets a server
  // too: that path answers 503 rather than the default server's 404 or another namespace.
  const hosts = new Set([...byHost.keys(), ...unavailableByHost.keys()]);
  for (const host of [...hosts].sort(compare)) {
    const entries = byHost.get(host) ?? [];
    for (const e of entries) if (!upstreams.has(e.upstreamId)) upstreams.set(e.upstreamId, e.upstream);
    const down = [...(unavailableByHost.get(host) ?? [])].sort(
      (a, b) => compare(a.match, b.match) || compare(a.path, b.path),
    );
    const owner = owners.get(host);
    const sni = httpsListen === undefined ? undefined : hostTls.get(host);
    // Everything the server below is made of: the same objects give the same server, which is
    // reused (and its rendered text with it) instead of built again.
    const inputs: unknown[] = [
      ...entries,
      down.length,
      ...down,
      owner?.ns,
      owner?.name,
      sni?.pair.certificate.path,
      sni?.pair.key.path,
    ];
    const last = previous?.servers.get(host);
    if (last !== undefined && sameItems(last.inputs, inputs)) {
      current.servers.set(host, last);
      servers.push(last.server);
      continue;
    }
    const locations: Location[] = [];
    const keys = new Set<string>();
    for (const e of entries) {
      locations.push(e.location);
      keys.add(`${e.match}\0${e.path}`);
    }
    for (const u of down) {
      if (keys.has(`${u.match}\0${u.path}`)) continue;
      keys.add(`${u.match}\0${u.path}`);
      locations.push(unavailableLocation(u.match, u.path));
    }
    // Without a root location nginx would serve its own html root for unmatched paths (#225).
    if (!keys.has('prefix\0/'))
      locations.push(entries.length === 0 ? unavailableLocation('prefix', '/') : notFoundLocation());
    const names =
      entries.length > 0 ? entries.map((e) => e.ingressKey) : owner ? [key(owner.ns, owner.name)] : [];
    const comment = serverComment([...new Set(names)].sort(compare));
    // One server per host for both listeners (`listen` twice): nothing in it differs between
    // http and https except what nginx applies per connection (the ssl_* settings only act on
    // the ssl listener; $scheme and $server_port come from the connection), so the config holds
    // each host's locations once instead of twice. feed's TLS settings are at http level and the
    // default certificate is the https default server's: a server names only its own spec.tls
    // certificate.
    const listen: Listen[] = httpListen === undefined ? [] : [httpListen];
    let tls: TlsSettings | undefined;
    if (httpsListen !== undefined) {
      if (sni !== undefined)
        tls = { certificate: sni.pair.certificate.path, certificateKey: sni.pair.key.path };
      // A host without a certificate (no spec.tls, no --ssl-path) is not served over https.
      if (sni !== undefined || hasDefaultCertificate) listen.push(httpsListen);
    }
    if (listen.length === 0) continue;
    const server = sealServer({
      comments: [comment],
      listen,
      serverNames: [host],
      ...(tls !== undefined ? { tls } : {}),
      clientMaxBodySize: '0',
      locations,
    });
    current.servers.set(host, { inputs, server });
    servers.push(server);
  }

  if (httpListen !== undefined) servers.push(defaultServer(httpListen));
  if (httpsListen !== undefined && config.defaultSslPath !== undefined)
    servers.push(defaultServer(httpsListen, config.defaultSslPath));
  servers.push(statusServer(config.ingressHealthPort));

  const servedIngresses: ServedIngress[] = adopted
    .filter((a) => served.has(key(a.ref.ns, a.ref.name)))
    .map((a) => ({
      namespace: a.ref.ns,
      name: a.ref.name,
      ...(a.ref.uid !== undefined ? { uid: a.ref.uid } : {}),
      ...(a.settings.lbScheme !== undefined ? { lbScheme: a.settings.lbScheme } : {}),
    }));

  const sortedUpstreams = [...upstreams.values()].sort((a, b) => compare(a.id, b.id));
  return {
    nginx: {
      main: mainSettings(config),
      events: eventsSettings(config),
      http,
      upstreams: sortedUpstreams,
      servers,
    },
    tlsFiles: [...tlsFiles.values()].sort((a, b) => compare(a.path, b.path)),
    servedIngresses,
    skipped,
    warnings,
    stats: {
      ingresses: adopted.length,
      ignoredIngresses,
      entries: byLocation.size,
      upstreams: sortedUpstreams.length,
    },
  };
}
