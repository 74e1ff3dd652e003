import { createHash } from 'node:crypto';

/** The `X-Amz-Target` prefix of ACM's JSON 1.1 API. */
export const ACM_TARGET_PREFIX = 'CertificateManager.';

/** ACM certificate statuses. */
export type FakeAcmStatus =
  'PENDING_VALIDATION' | 'ISSUED' | 'INACTIVE' | 'EXPIRED' | 'VALIDATION_TIMED_OUT' | 'REVOKED' | 'FAILED';

/** Seed for {@link FakeAcm.addCertificate}. Only `domainName` is required. */
export interface FakeAcmCertificateInit {
  domainName: string;
  /** A fixed ARN (e.g. one an example pins). Default one generated in the fake's region. */
  arn?: string;
  /** Default `[domainName]` (ACM always lists the domain name among the SANs). */
  subjectAlternativeNames?: readonly string[];
  /** Default `ISSUED`. */
  status?: FakeAcmStatus;
  /** Default 30 days before now. */
  notBefore?: Date;
  /** Default 365 days after `notBefore`. */
  notAfter?: Date;
  /** Default `RSA_2048`. ListCertificates without `Includes.keyTypes` lists only RSA_2048, as ACM does. */
  keyAlgorithm?: string;
  /** Default `AMAZON_ISSUED`. */
  type?: 'AMAZON_ISSUED' | 'IMPORTED' | 'PRIVATE';
  tags?: Readonly<Record<string, string>>;
  /** PEM returned by GetCertificate. Default a placeholder that is not a real certificate. */
  certificatePem?: string;
  certificateChainPem?: string;
  /** ARNs of the load balancers using it. Default none. */
  inUseBy?: readonly string[];
}

/** A snapshot of one fake ACM certificate. */
export interface FakeAcmCertificate {
  arn: string;
  domainName: string;
  subjectAlternativeNames: string[];
  status: FakeAcmStatus;
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: string;
  type: string;
  tags: Record<string, string>;
}

interface CertState extends FakeAcmCertificate {
  certificatePem: string | undefined;
  certificateChainPem: string | undefined;
  inUseBy: string[];
}

/** An error the JSON fakes answer with: HTTP status and the `__type` code. */
export class AwsJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsJsonError';
  }
}

const ACCOUNT = '123456789012';
const DAY = 86_400_000;
const ARN = /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;

function seconds(d: Date): number {
  return d.getTime() / 1000;
}

/**
 * A stateful in-memory AWS Certificate Manager (JSON 1.1 API): ListCertificates (status and
 * key-type filters, paged by NextToken/MaxItems; without `Includes.keyTypes` only RSA_2048, as
 * ACM), DescribeCertificate (SANs, NotBefore/NotAfter, status, InUseBy), GetCertificate,
 * ListTagsForCertificate. Errors as ACM names them: `ResourceNotFoundException`,
 * `InvalidArnException`, `RequestInProgressException` (GetCertificate before ISSUED).
 */
export class FakeAcm {
  readonly #certs = new Map<string, CertState>();
  readonly #now: () => number;
  #counter = 0;

  constructor(
    readonly region: string,
    options: { now?: () => number } = {},
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** Adds a certificate and returns its snapshot (with its generated ARN). */
  addCertificate(init: FakeAcmCertificateInit): FakeAcmCertificate {
    this.#counter += 1;
    const h = createHash('sha256').update(`${init.domainName}/${this.#counter}`).digest('hex');
    const notBefore = init.notBefore ?? new Date(this.#now() - 30 * DAY);
    const state: CertState = {
      arn:
        init.arn ??
        `arn:aws:acm:${this.region}:${ACCOUNT}:certificate/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
      domainName: init.domainName,
      subjectAlternativeNames: [...(init.subjectAlternativeNames ?? [init.domainName])],
      status: init.status ?? 'ISSUED',
      notBefore,
      notAfter: init.notAfter ?? new Date(notBefore.getTime() + 365 * DAY),
      keyAlgorithm: init.keyAlgorithm ?? 'RSA_2048',
      type: init.type ?? 'AMAZON_ISSUED',
      tags: { ...init.tags },
      certificatePem: init.certificatePem,
      certificateChainPem: init.certificateChainPem,
      inUseBy: [...(init.inUseBy ?? [])],
    };
    this.#certs.set(state.arn, state);
    return snap(state);
  }

  /** Changes the status of a certificate (e.g. to `EXPIRED`). Throws for an unknown ARN. */
  setStatus(arn: string, status: FakeAcmStatus): void {
    const c = this.#certs.get(arn);
    if (c === undefined) throw new Error(`FakeAcm: unknown certificate ${arn}`);
    c.status = status;
  }

  /** Removes a certificate; true if it existed. */
  deleteCertificate(arn: string): boolean {
    return this.#certs.delete(arn);
  }

  /** Snapshots of every certificate, in creation order. */
  certificates(): FakeAcmCertificate[] {
    return [...this.#certs.values()].map(snap);
  }

  /** Handles one JSON request (`operation` without the target prefix); returns the JSON answer. */
  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'ListCertificates':
        return this.#list(input);
      case 'DescribeCertificate':
        return { Certificate: this.#describe(this.#cert(input.CertificateArn)) };
      case 'GetCertificate': {
        const c = this.#cert(input.CertificateArn);
        if (c.status !== 'ISSUED') {
          throw new AwsJsonError(
            'RequestInProgressException',
            `Certificate ${c.arn} is in ${c.status} status`,
          );
        }
        return {
          Certificate:
            c.certificatePem ??
            `-----BEGIN CERTIFICATE-----\nfake:${c.domainName}\n-----END CERTIFICATE-----\n`,
          ...(c.certificateChainPem === undefined ? {} : { CertificateChain: c.certificateChainPem }),
        };
      }
      case 'ListTagsForCertificate':
        return {
          Tags: Object.entries(this.#cert(input.CertificateArn).tags).map(([Key, Value]) => ({ Key, Value })),
        };
      default:
        throw new AwsJsonError('UnknownOperationException', `unsupported operation ${operation}`);
    }
  }

  #cert(arn: unknown): CertState {
    if (typeof arn !== 'string' || !ARN.test(arn)) {
      throw new AwsJsonError('InvalidArnException', `String '${String(arn)}' is not a valid ARN`);
    }
    const c = this.#certs.get(arn);
    if (c === undefined)
      throw new AwsJsonError('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    return c;
  }

  #list(input: Record<string, unknown>): unknown {
    const statuses = Array.isArray(input.CertificateStatuses) ? (input.CertificateStatuses as string[]) : [];
    const includes = (input.Includes ?? {}) as { keyTypes?: string[] };
    const keyTypes = includes.keyTypes ?? ['RSA_2048'];
    const max = typeof input.MaxItems === 'number' ? input.MaxItems : 1000;
    if (max < 1 || max > 1000) {
      throw new AwsJsonError('ValidationException', 'Value at maxItems failed to satisfy constraint');
    }
    const all = [...this.#certs.values()].filter(
      (c) => (statuses.length === 0 || statuses.includes(c.status)) && keyTypes.includes(c.keyAlgorithm),
    );
    let start = 0;
    if (typeof input.NextToken === 'string') {
      start = Number(
        Buffer.from(input.NextToken, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      );
      if (!Number.isInteger(start)) throw new AwsJsonError('InvalidArgsException', 'invalid NextToken');
    }
    const items = all.slice(start, start + max);
    const end = start + max;
    return {
      CertificateSummaryList: items.map((c) => ({
        CertificateArn: c.arn,
        DomainName: c.domainName,
        SubjectAlternativeNameSummaries: c.subjectAlternativeNames.slice(0, 100),
        HasAdditionalSubjectAlternativeNames: c.subjectAlternativeNames.length > 100,
        Status: c.status,
        Type: c.type,
        KeyAlgorithm: c.keyAlgorithm,
        InUse: c.inUseBy.length > 0,
        NotBefore: seconds(c.notBefore),
        NotAfter: seconds(c.notAfter),
      })),
      ...(end < all.length ? { NextToken: Buffer.from(`offset:${end}`).toString('base64') } : {}),
    };
  }

  #describe(c: CertState): unknown {
    return {
      CertificateArn: c.arn,
      DomainName: c.domainName,
      SubjectAlternativeNames: c.subjectAlternativeNames,
      Status: c.status,
      Type: c.type,
      KeyAlgorithm: c.keyAlgorithm,
      NotBefore: seconds(c.notBefore),
      NotAfter: seconds(c.notAfter),
      InUseBy: c.inUseBy,
      Subject: `CN=${c.domainName}`,
    };
  }
}

function snap(c: CertState): FakeAcmCertificate {
  return {
    arn: c.arn,
    domainName: c.domainName,
    subjectAlternativeNames: [...c.subjectAlternativeNames],
    status: c.status,
    notBefore: new Date(c.notBefore),
    notAfter: new Date(c.notAfter),
    keyAlgorithm: c.keyAlgorithm,
    type: c.type,
    tags: { ...c.tags },
  };
}
