import { createHash } from 'node:crypto';
import type { V1Ingress, V1IngressClass, V1Secret, V1Service } from '@kubernetes/client-node';
import {
  validateHostname,
  validateIp,
  validatePath,
  validatePort,
  validateUpstreamId,
  type Listen,
  type Location,
  type Server,
  type TlsSettings,
  type Upstream,
} from '@kube-edge/nginx-render';
import { ANNOTATIONS, readIngressSettings, type IngressSettings } from './annotations.js';
import {
  allowRules,
  defaultServer,
  eventsSettings,
  FEED_TLS_SETTINGS,
  httpSettings,
  mainSettings,
  notFoundLocation,
  statusServer,
} from './http.js';
import { tlsHostMatches, tlsPairFromSecret, type TlsPair } from './tls.js';
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
}

interface IngressRef {
  readonly ns: string;
  readonly name: string;
  readonly uid: string | undefined;
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

/** Ordinal string order, so the model does not depend on the locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
  return `${ns}.${name.slice(0, 100)}-${hash}.${address.replaceAll(':', '_')}.${port}`;
}

function serverComment(ingresses: readonly string[]): string {
  let text = 'ingress:';
  for (let i = 0; i < ingresses.length; i++) {
    const next = ` ${ingresses[i]}`;
    if (text.length + next.length > MAX_COMMENT_CHARS) return `${text} ... (+${ingresses.length - i} more)`;
    text += next;
  }
  return text;
}

/**
 * Builds the whole nginx model from a snapshot of the cluster. Pure and
 * deterministic: the same input and config give a deep-equal model whatever the input order.
 * Never throws on a bad object: it is skipped (`skipped`) or its bad value ignored (`warnings`),
 * with a reason, and every other object is still served.
 */
export function buildFeedModel(input: FeedModelInput, config: FeedModelConfig): FeedModel {
  const skipped: SkippedObject[] = [];
  const warnings: SkippedObject[] = [];
  const reported = new Set<string>();
  const report = (list: SkippedObject[], ref: IngressRef, reason: string): void => {
    const id = `${list === skipped ? 's' : 'w'}\0${ref.ns}\0${ref.name}\0${reason}`;
    if (reported.has(id)) return;
    reported.add(id);
    list.push({
      kind: 'Ingress',
      namespace: ref.ns,
      name: ref.name,
      ...(ref.uid !== undefined ? { uid: ref.uid } : {}),
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

  const candidates: Entry[] = [];
  const adopted: { ref: IngressRef; ingress: V1Ingress; settings: IngressSettings }[] = [];
  let ignoredIngresses = 0;

  for (const ingress of ingresses) {
    const ref: IngressRef = {
      ns: ingress.metadata?.namespace ?? 'default',
      name: ingress.metadata?.name ?? '',
      uid: ingress.metadata?.uid,
    };
    if (!classMatches(ingress, config, classes) || !namespaceMatches(namespaceLabels.get(ref.ns), config)) {
      ignoredIngresses++;
      continue;
    }
    const settings = readIngressSettings(ingress.metadata?.annotations ?? {}, defaults, (reason) =>
      report(warnings, ref, reason),
    );
    adopted.push({ ref, ingress, settings });
    if (ingress.spec?.defaultBackend !== undefined)
      report(
        warnings,
        ref,
        'spec.defaultBackend is not supported (feed serves only rules with a host); it is ignored',
      );
    const rules = ingress.spec?.rules ?? [];
    if (rules.length === 0) {
      report(skipped, ref, 'has no rules: nothing to serve');
      continue;
    }
    if (settings.allowError !== undefined) {
      report(skipped, ref, `${settings.allowError}; none of its paths are served`);
      continue;
    }
    rules.forEach((rule, ri) => {
      const rawHost = rule.host ?? '';
      if (rule.http === undefined) {
        report(skipped, ref, `rules[${ri}] (host "${rawHost}"): has no http paths`);
        return;
      }
      if (rawHost === '') {
        report(skipped, ref, `rules[${ri}]: has no host; only rules with a host are served`);
        return;
      }
      const host = validateHostname(rawHost);
      if (!host.ok) {
        report(skipped, ref, `rules[${ri}]: host "${rawHost}": ${host.reason}`);
        return;
      }
      rule.http.paths.forEach((p) => {
        const rawPath = p.path ?? '';
        const where = `host "${host.value}" path "${rawPath}"`;
        const backend = p.backend.service;
        if (backend === undefined) {
          report(skipped, ref, `${where}: resource backends are not supported`);
          return;
        }
        const svc = services.get(key(ref.ns, backend.name));
        if (svc === undefined) {
          report(skipped, ref, `${where}: service "${backend.name}" does not exist in namespace "${ref.ns}"`);
          return;
        }
        const clusterIp = svc.spec?.clusterIP ?? '';
        if (clusterIp === 'None') {
          report(
            skipped,
            ref,
            `${where}: service "${backend.name}" is headless (clusterIP None); feed proxies to the ClusterIP`,
          );
          return;
        }
        if (clusterIp === '') {
          report(skipped, ref, `${where}: service "${backend.name}" has no ClusterIP`);
          return;
        }
        const ip = validateIp(clusterIp);
        if (!ip.ok) {
          report(skipped, ref, `${where}: service "${backend.name}" clusterIP "${clusterIp}": ${ip.reason}`);
          return;
        }
        const portNumber = backend.port?.number;
        if (portNumber === undefined || portNumber === 0) {
          const reason = backend.port?.name
            ? `named service port "${backend.port.name}" is not supported; use port.number`
            : 'backend has no service port number';
          report(skipped, ref, `${where}: ${reason}`);
          return;
        }
        const port = validatePort(portNumber);
        if (!port.ok) {
          report(skipped, ref, `${where}: service port ${String(portNumber)}: ${port.reason}`);
          return;
        }
        const declared = svc.spec?.ports;
        if (declared !== undefined && !declared.some((sp) => sp.port === port.value)) {
          report(
            warnings,
            ref,
            `service "${backend.name}" does not declare port ${port.value}; kube-proxy will not forward it`,
          );
        }
        // An explicit sky.uk/exact-path wins; otherwise pathType Exact/Prefix; otherwise the flag.
        const exact =
          settings.exactPath ??
          (p.pathType === 'Exact' ? true : p.pathType === 'Prefix' ? false : config.defaultExactPath);
        const locPath = exact ? (rawPath === '' ? '/' : rawPath) : normalisePrefixPath(rawPath);
        const path = validatePath(locPath);
        if (!path.ok) {
          report(skipped, ref, `${where}: ${path.reason}`);
          return;
        }
        candidates.push({
          ns: ref.ns,
          name: ref.name,
          host: host.value,
          rawPath,
          match: exact ? 'exact' : 'prefix',
          path: path.value,
          address: ip.value,
          port: port.value,
          upstreamId: upstreamIdFor(ref.ns, ref.name, ip.value, port.value),
          settings,
          sortKey: `${ref.ns}:${ref.name}:${host.value}:${rawPath}:${ip.value}:${port.value}`,
        });
      });
    });
  }

  // De-duplication: sort, then the first entry per host and location wins.
  candidates.sort((a, b) => compare(a.sortKey, b.sortKey));
  const byLocation = new Map<string, Entry>();
  const byHost = new Map<string, Entry[]>();
  const uidOf = new Map<string, string | undefined>(
    adopted.map((a) => [key(a.ref.ns, a.ref.name), a.ref.uid]),
  );
  for (const e of candidates) {
    const locKey = `${e.host}\0${e.match}\0${e.path}`;
    const first = byLocation.get(locKey);
    if (first !== undefined) {
      const ref = { ns: e.ns, name: e.name, uid: uidOf.get(key(e.ns, e.name)) };
      const what = `${e.match === 'exact' ? 'exact ' : ''}location "${e.path}"`;
      report(
        skipped,
        ref,
        `host "${e.host}" path "${e.rawPath}": ${what} is already served by ${first.ns}/${first.name}`,
      );
      continue;
    }
    byLocation.set(locKey, e);
    const list = byHost.get(e.host);
    if (list === undefined) byHost.set(e.host, [e]);
    else list.push(e);
  }

  const served = new Set<string>();
  for (const entries of byHost.values()) for (const e of entries) served.add(key(e.ns, e.name));

  // TLS (kube-edge): spec.tls secrets give per-host certificates, selected by SNI.
  const httpsPort = config.ingressHttpsPort;
  const defaultTls: TlsSettings | undefined =
    config.defaultSslPath === undefined
      ? undefined
      : {
          certificate: `${config.defaultSslPath}.crt`,
          certificateKey: `${config.defaultSslPath}.key`,
          ...FEED_TLS_SETTINGS,
        };
  const hostTls = new Map<string, { pair: TlsPair; from: string }>();
  const tlsFiles = new Map<string, TlsFile>();
  if (httpsPort !== undefined) {
    const pairs = new Map<string, ReturnType<typeof tlsPairFromSecret>>();
    for (const { ref, ingress } of adopted) {
      const tlsList = ingress.spec?.tls ?? [];
      if (tlsList.length === 0 || !served.has(key(ref.ns, ref.name))) continue;
      const ruleHosts = (ingress.spec?.rules ?? [])
        .map((r) => validateHostname(r.host ?? ''))
        .flatMap((r) => (r.ok ? [r.value] : []));
      tlsList.forEach((tls, ti) => {
        const patterns = (tls.hosts ?? []).length > 0 ? (tls.hosts ?? []) : ruleHosts;
        const fallback =
          defaultTls === undefined ? 'are not served over https' : 'use the default certificate';
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
          pair =
            secret === undefined
              ? { ok: false, reason: 'does not exist' }
              : tlsPairFromSecret(secret, config.nginx.tlsDir);
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

  // The access list and proxy settings are the same for every location of one ingress: share
  // them (the model is read-only), which matters at 10k ingresses.
  const perIngress = new Map<IngressSettings, Pick<Location, 'access' | 'proxy'>>();
  const locationSettings = (s: IngressSettings): Pick<Location, 'access' | 'proxy'> => {
    let shared = perIngress.get(s);
    if (shared === undefined) {
      shared = {
        access: allowRules(s.allow),
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
  const upstreams = new Map<string, Upstream>();
  const servers: Server[] = [];
  const httpListen: Listen | undefined =
    config.ingressPort === undefined
      ? undefined
      : { port: config.ingressPort, ...(config.proxyProtocol ? { proxyProtocol: true } : {}) };
  const httpsListen: Listen | undefined =
    httpsPort === undefined
      ? undefined
      : { port: httpsPort, ssl: true, ...(config.proxyProtocol ? { proxyProtocol: true } : {}) };

  for (const host of [...byHost.keys()].sort(compare)) {
    const entries = byHost.get(host) ?? [];
    const locations: Location[] = [];
    for (const e of entries) {
      const s = e.settings;
      if (!upstreams.has(e.upstreamId)) {
        upstreams.set(e.upstreamId, {
          id: e.upstreamId,
          servers: [
            {
              address: e.address,
              port: e.port,
              ...(s.backendMaxConnections > 0 ? { maxConns: s.backendMaxConnections } : {}),
            },
          ],
          keepalive: config.nginx.backendKeepaliveCount,
          keepaliveRequests: s.backendMaxRequestsPerConnection,
          ...(s.backendKeepaliveTimeoutSeconds !== undefined
            ? { keepaliveTimeout: `${s.backendKeepaliveTimeoutSeconds}s` }
            : {}),
        });
      }
      locations.push({
        match: e.match,
        path: e.path,
        ...locationSettings(s),
        action: { kind: 'proxy', upstream: e.upstreamId, ...(s.stripPath ? { uri: '/' } : {}) },
      });
    }
    // Without a root location nginx would serve its own html root for unmatched paths (#225).
    if (!locations.some((l) => l.match === 'prefix' && l.path === '/')) locations.push(notFoundLocation());
    const comment = serverComment([...new Set(entries.map((e) => key(e.ns, e.name)))].sort(compare));
    const base = { comments: [comment], serverNames: [host], clientMaxBodySize: '0', locations };
    if (httpListen !== undefined) servers.push({ ...base, listen: [httpListen] });
    if (httpsListen !== undefined) {
      const sni = hostTls.get(host);
      const tls: TlsSettings | undefined =
        sni === undefined
          ? defaultTls
          : {
              certificate: sni.pair.certificate.path,
              certificateKey: sni.pair.key.path,
              ...FEED_TLS_SETTINGS,
            };
      if (tls !== undefined) servers.push({ ...base, listen: [httpsListen], tls });
    }
  }

  if (httpListen !== undefined) servers.push(defaultServer(httpListen, undefined));
  if (httpsListen !== undefined && defaultTls !== undefined)
    servers.push(defaultServer(httpsListen, defaultTls));
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
      http: httpSettings(config),
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
