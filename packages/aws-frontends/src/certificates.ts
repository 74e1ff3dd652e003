import { X509Certificate } from 'node:crypto';
import {
  DescribeCertificateCommand,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  type ACMClient,
  type KeyAlgorithm,
} from '@aws-sdk/client-acm';
import {
  GetServerCertificateCommand,
  ListServerCertificateTagsCommand,
  paginateListServerCertificates,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ConfigError, TransientError, createNoopLogger, errorMessage, type Logger } from '@kube-edge/runtime';
import { systemClock, type Clock } from './clock.js';

/** A certificate lives this long past `now` or it counts as expiring soon (7 days, as the original). */
export const MIN_CERTIFICATE_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

/** One TLS certificate a load balancer can serve: an ACM certificate or an IAM server certificate. */
export interface CertificateSummary {
  /** ACM certificate ARN or IAM server certificate ARN; what the listener references. */
  readonly arn: string;
  /** Names the certificate covers (domain name and subject alternative names), lower-cased. */
  readonly domainNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly source: 'acm' | 'iam';
}

/**
 * True when the certificate name `pattern` covers `host` (both compared lower-cased).
 * A pattern without a leading `*` matches only the same name; `*.example.org` matches exactly
 * one non-empty, dotless label before `.example.org` (`a.example.org`, not `a.b.example.org`,
 * not `example.org`, and — unlike the original — not a dotless host such as `localhost`).
 * A bare `*` matches any non-empty host; an empty pattern matches nothing.
 */
export function hostMatchesPattern(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p === '' || h === '') return false;
  if (p === '*') return true;
  if (!p.startsWith('*')) return p === h;
  const suffix = p.slice(1);
  if (!suffix.startsWith('.') || suffix.includes('*')) return false;
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, h.length - suffix.length);
  return label !== '' && !label.includes('.');
}

/** Valid now: `notBefore <= now < notAfter`. */
export function isCertificateValid(cert: CertificateSummary, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && now.getTime() < cert.notAfter.getTime();
}

/** Valid now and still valid {@link MIN_CERTIFICATE_VALIDITY_MS} from now. */
export function isCertificateHealthy(cert: CertificateSummary, now: Date): boolean {
  return (
    isCertificateValid(cert, now) && cert.notAfter.getTime() - MIN_CERTIFICATE_VALIDITY_MS > now.getTime()
  );
}

interface Candidate {
  cert: CertificateSummary;
  healthy: boolean;
  length: number;
}

/** Negative when `a` is the better choice. */
function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.healthy !== b.healthy) return a.healthy ? -1 : 1;
  if (a.length !== b.length) return b.length - a.length;
  if (a.healthy) {
    const nb = b.cert.notBefore.getTime() - a.cert.notBefore.getTime();
    if (nb !== 0) return nb;
  }
  const na = b.cert.notAfter.getTime() - a.cert.notAfter.getTime();
  if (na !== 0) return na;
  const nb = b.cert.notBefore.getTime() - a.cert.notBefore.getTime();
  if (nb !== 0) return nb;
  return a.cert.arn < b.cert.arn ? -1 : a.cert.arn > b.cert.arn ? 1 : 0;
}

/**
 * The best certificate for `host`, or undefined. Only certificates valid at `now` count. Among
 * them, in order: one that stays valid for 7 more days beats one that expires sooner (the 7-day
 * rule); then the longest matching name (`www.example.org` beats `*.example.org`); then, among
 * healthy ones, the newest (latest notBefore); then the latest notAfter; then the lowest ARN.
 * The result does not depend on the order of `certs` (the original's did).
 */
export function findBestCertificate(
  certs: readonly CertificateSummary[],
  host: string,
  now: Date,
): CertificateSummary | undefined {
  let best: Candidate | undefined;
  for (const cert of certs) {
    if (!isCertificateValid(cert, now)) continue;
    let length = -1;
    for (const name of cert.domainNames) {
      if (hostMatchesPattern(name, host)) length = Math.max(length, name.length);
    }
    if (length < 0) continue;
    const candidate: Candidate = { cert, healthy: isCertificateHealthy(cert, now), length };
    if (best === undefined || compareCandidates(candidate, best) < 0) best = candidate;
  }
  return best?.cert;
}

/** What {@link findBestCertificates} found for a set of hosts. */
export interface CertificateMatch {
  /** The distinct best certificates, sorted by ARN. Empty when no host matched. */
  certificates: CertificateSummary[];
  /** Hosts no certificate covers, in input order (they are served without a matching certificate). */
  unmatched: string[];
}

/** {@link findBestCertificate} for every host; the union of the results. Pure. */
export function findBestCertificates(
  certs: readonly CertificateSummary[],
  hosts: readonly string[],
  now: Date,
): CertificateMatch {
  const found = new Map<string, CertificateSummary>();
  const unmatched: string[] = [];
  for (const host of hosts) {
    const cert = findBestCertificate(certs, host, now);
    if (cert === undefined) unmatched.push(host);
    else found.set(cert.arn, cert);
  }
  const certificates = [...found.values()].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  return { certificates, unmatched };
}

/**
 * The ACM key algorithms an ALB or NLB listener accepts (every algorithm ACM has): RSA
 * 1024–4096 bit and ECDSA P-256, P-384 and P-521. ACM's ListCertificates returns only
 * `RSA_2048` certificates unless asked for other key types, so an ECDSA certificate would
 * otherwise never be found.
 */
export const LOAD_BALANCER_KEY_TYPES: readonly string[] = [
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
];

/** Options of {@link listCertificates}. */
export interface ListCertificatesOptions {
  /** ACM client; undefined: ACM is not read. */
  acm?: ACMClient | undefined;
  /** IAM client; undefined: IAM server certificates are not read. */
  iam?: IAMClient | undefined;
  /** ARNs never returned (`--blacklist-certificate-arns`). */
  blacklist?: readonly string[] | undefined;
  /** ACM key algorithms listed. Default {@link LOAD_BALANCER_KEY_TYPES}. */
  keyTypes?: readonly string[] | undefined;
  /**
   * Only certificates carrying this tag (`--cert-filter-tag key=value`): one ListTagsForCertificate
   * or ListServerCertificateTags call per certificate. Undefined: every certificate.
   */
  filterTag?: { readonly key: string; readonly value: string } | undefined;
  /** Told (at warn) about certificates that cannot be used. */
  logger?: Logger | undefined;
}

function lowerNames(names: Iterable<string | undefined>): string[] {
  const set = new Set<string>();
  for (const n of names) if (n !== undefined && n !== '') set.add(n.toLowerCase());
  return [...set].sort();
}

/** DNS names and the subject CN of a PEM certificate. */
function pemNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const part of (cert.subjectAltName ?? '').split(',')) {
    const t = part.trim();
    if (t.startsWith('DNS:')) names.push(t.slice(4));
  }
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) names.push(line.slice(3));
  }
  return names;
}

/**
 * Reads every usable certificate: ACM certificates in status ISSUED of the key types a load
 * balancer accepts (RSA and ECDSA; all pages, then
 * DescribeCertificate for names and validity; private-CA certificates are left out, as clients
 * do not trust them) and IAM server certificates (all pages, then GetServerCertificate; names
 * and validity from the PEM body). Blacklisted ARNs, and with `filterTag` certificates without that tag, are left out. Rejects with TransientError
 * naming the source when a listing or a describe call fails, so a caller never mistakes a
 * partial list for the whole. Result sorted by ARN.
 */
export async function listCertificates(options: ListCertificatesOptions): Promise<CertificateSummary[]> {
  const blacklist = new Set(options.blacklist ?? []);
  const logger = options.logger ?? createNoopLogger();
  const tag = options.filterTag;
  const out: CertificateSummary[] = [];
  if (options.acm !== undefined) {
    const acm = options.acm;
    try {
      const arns: string[] = [];
      for await (const page of paginateListCertificates(
        { client: acm },
        {
          CertificateStatuses: ['ISSUED'],
          Includes: { keyTypes: [...(options.keyTypes ?? LOAD_BALANCER_KEY_TYPES)] as KeyAlgorithm[] },
        },
      )) {
        for (const s of page.CertificateSummaryList ?? []) {
          if (s.CertificateArn !== undefined && !blacklist.has(s.CertificateArn)) arns.push(s.CertificateArn);
        }
      }
      for (const arn of arns) {
        if (tag !== undefined) {
          const { Tags } = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
          if (!(Tags ?? []).some((t) => t.Key === tag.key && (t.Value ?? '') === tag.value)) continue;
        }
        const { Certificate: c } = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
        if (c === undefined || c.NotBefore === undefined || c.NotAfter === undefined) {
          logger.warn('certificate without validity dates ignored', { arn });
          continue;
        }
        if (c.Type === 'PRIVATE') continue;
        if (c.Status !== undefined && c.Status !== 'ISSUED') continue;
        out.push({
          arn,
          domainNames: lowerNames([c.DomainName, ...(c.SubjectAlternativeNames ?? [])]),
          notBefore: c.NotBefore,
          notAfter: c.NotAfter,
          source: 'acm',
        });
      }
    } catch (err) {
      throw new TransientError(`listing ACM certificates failed: ${errorMessage(err)}`, { cause: err });
    }
  }
  if (options.iam !== undefined) {
    const iam = options.iam;
    try {
      const names: { name: string; arn: string }[] = [];
      for await (const page of paginateListServerCertificates({ client: iam }, { PathPrefix: '/' })) {
        for (const m of page.ServerCertificateMetadataList ?? []) {
          if (m.Arn !== undefined && m.ServerCertificateName !== undefined && !blacklist.has(m.Arn)) {
            names.push({ name: m.ServerCertificateName, arn: m.Arn });
          }
        }
      }
      for (const { name, arn } of names) {
        if (tag !== undefined) {
          const tags: { Key?: string | undefined; Value?: string | undefined }[] = [];
          let marker: string | undefined;
          do {
            const page = await iam.send(
              new ListServerCertificateTagsCommand({
                ServerCertificateName: name,
                ...(marker === undefined ? {} : { Marker: marker }),
              }),
            );
            tags.push(...(page.Tags ?? []));
            marker = page.IsTruncated === true ? page.Marker : undefined;
          } while (marker !== undefined);
          if (!tags.some((t) => t.Key === tag.key && (t.Value ?? '') === tag.value)) continue;
        }
        const res = await iam.send(new GetServerCertificateCommand({ ServerCertificateName: name }));
        const body = res.ServerCertificate?.CertificateBody;
        if (body === undefined) continue;
        let x509: X509Certificate;
        try {
          x509 = new X509Certificate(body);
        } catch {
          logger.warn('IAM server certificate with an unreadable body ignored', { arn });
          continue;
        }
        out.push({
          arn,
          domainNames: lowerNames(pemNames(x509)),
          notBefore: new Date(x509.validFrom),
          notAfter: new Date(x509.validTo),
          source: 'iam',
        });
      }
    } catch (err) {
      throw new TransientError(`listing IAM server certificates failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  return out.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

/** Options of {@link createCertificateCache}. */
export interface CertificateCacheOptions extends ListCertificatesOptions {
  /** How often to re-read the certificates (`--cert-polling-interval`). Default 30 min. */
  refreshIntervalMs?: number;
  /** Replaces {@link listCertificates} (tests, offline mode). */
  load?: () => Promise<CertificateSummary[]>;
  clock?: Clock;
}

/** The certificate list, read at start and refreshed in the background. */
export interface CertificateCache {
  /**
   * The mandatory first load: resolves once the list has been read, rejects (TransientError)
   * when it cannot be; then schedules the periodic refresh. Idempotent once resolved.
   */
  start(): Promise<void>;
  /**
   * The last good list (sorted by ARN). Throws TransientError before the first successful load:
   * a caller must not plan with an unknown certificate set.
   */
  certificates(): readonly CertificateSummary[];
  /** The cached certificate with this ARN (checks a pinned ARN annotation); undefined if unknown. */
  get(arn: string): CertificateSummary | undefined;
  /**
   * Reads the list again now. On failure the last good list is kept, the error is logged and
   * remembered in {@link CertificateCache.lastError}; resolves either way. Not concurrent: a call
   * while a refresh runs joins it.
   */
  refresh(): Promise<void>;
  /** The error of the last refresh, undefined after a success. */
  lastError(): unknown;
  /** Cancels the periodic refresh. Idempotent. */
  stop(): void;
}

/** Creates a {@link CertificateCache}. Reads nothing until `start()`. */
export function createCertificateCache(options: CertificateCacheOptions): CertificateCache {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  const interval = options.refreshIntervalMs ?? 30 * 60 * 1000;
  if (!(interval > 0))
    throw new ConfigError('certificate refresh interval must be positive', { key: 'cert-polling-interval' });
  const blacklist = new Set(options.blacklist ?? []);
  const custom = options.load;
  const load =
    custom === undefined
      ? () => listCertificates(options)
      : async () => (await custom()).filter((c) => !blacklist.has(c.arn));
  let list: readonly CertificateSummary[] | undefined;
  let byArn = new Map<string, CertificateSummary>();
  let error: unknown;
  let running: Promise<void> | undefined;
  let timer: { cancel(): void } | undefined;
  let stopped = false;
  let started: Promise<void> | undefined;

  const set = (certs: CertificateSummary[]): void => {
    list = [...certs].sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
    byArn = new Map(list.map((c) => [c.arn, c]));
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      void cache.refresh().finally(schedule);
    }, interval);
  };

  const cache: CertificateCache = {
    start() {
      started ??= load().then(
        (certs) => {
          set(certs);
          error = undefined;
          logger.info('certificates loaded', { count: certs.length });
          schedule();
        },
        (err: unknown) => {
          started = undefined;
          throw err instanceof TransientError
            ? err
            : new TransientError(`loading certificates failed: ${errorMessage(err)}`, { cause: err });
        },
      );
      return started;
    },
    certificates() {
      if (list === undefined) throw new TransientError('certificates have not been loaded yet');
      return list;
    },
    get(arn) {
      return byArn.get(arn);
    },
    refresh() {
      running ??= load()
        .then(
          (certs) => {
            set(certs);
            error = undefined;
          },
          (err: unknown) => {
            error = err;
            logger.warn('certificate refresh failed; keeping the last list', { error: errorMessage(err) });
          },
        )
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    lastError() {
      return error;
    },
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
  return cache;
}
