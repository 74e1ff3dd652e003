import { createHash } from 'node:crypto';
import { AwsQueryError, el, members, page, type QueryParams } from './query-protocol.js';

/** The API version IAM requests carry. */
export const IAM_VERSION = '2010-05-08';
/** The XML namespace IAM responses carry. */
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** Seed for {@link FakeIam.addServerCertificate}. Only `name` is required. */
export interface FakeServerCertificateInit {
  name: string;
  /** Default `/`. */
  path?: string;
  /** The PEM body GetServerCertificate returns (hosts are read from it). Default a placeholder. */
  body?: string;
  chain?: string;
  /** Default 365 days after now. */
  expiration?: Date;
  /** Default now. */
  uploadDate?: Date;
  tags?: Readonly<Record<string, string>>;
}

/** A snapshot of one fake IAM server certificate. */
export interface FakeServerCertificate {
  name: string;
  id: string;
  arn: string;
  path: string;
  expiration: Date;
  uploadDate: Date;
  tags: Record<string, string>;
}

interface ServerCertState extends FakeServerCertificate {
  body: string | undefined;
  chain: string | undefined;
}

const ACCOUNT = '123456789012';
const DAY = 86_400_000;

/**
 * A stateful in-memory IAM, server certificates only (2010-05-08 Query API):
 * ListServerCertificates (PathPrefix, paged by Marker/MaxItems with IsTruncated),
 * GetServerCertificate (metadata with Expiration, PEM body and chain), ListServerCertificateTags.
 * An unknown name answers `NoSuchEntity` (404), as IAM does.
 */
export class FakeIam {
  readonly #certs = new Map<string, ServerCertState>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Adds a server certificate and returns its snapshot. Throws if the name is taken. */
  addServerCertificate(init: FakeServerCertificateInit): FakeServerCertificate {
    if (this.#certs.has(init.name)) throw new Error(`FakeIam: server certificate ${init.name} exists`);
    const path = init.path ?? '/';
    const id = `ASCA${createHash('sha256').update(init.name).digest('hex').slice(0, 17).toUpperCase()}`;
    const state: ServerCertState = {
      name: init.name,
      id,
      arn: `arn:aws:iam::${ACCOUNT}:server-certificate${path}${init.name}`,
      path,
      expiration: init.expiration ?? new Date(this.#now() + 365 * DAY),
      uploadDate: init.uploadDate ?? new Date(this.#now()),
      tags: { ...init.tags },
      body: init.body,
      chain: init.chain,
    };
    this.#certs.set(init.name, state);
    return snap(state);
  }

  /** Removes a server certificate; true if it existed. */
  deleteServerCertificate(name: string): boolean {
    return this.#certs.delete(name);
  }

  /** Snapshots of every server certificate, sorted by name. */
  serverCertificates(): FakeServerCertificate[] {
    return this.#sorted().map(snap);
  }

  /** Handles one Query request; returns the `<Result>` body or throws {@link AwsQueryError}. */
  handle(params: QueryParams): string {
    switch (params.action) {
      case 'ListServerCertificates': {
        const prefix = params.get('PathPrefix') ?? '/';
        const matching = this.#sorted().filter((c) => c.path.startsWith(prefix));
        const paged = page(matching, params.get('Marker'), params.int('MaxItems', 100, 1, 1000));
        return (
          members('ServerCertificateMetadataList', paged.items.map(metadataXml)) +
          el('IsTruncated', paged.nextMarker !== undefined) +
          el('Marker', paged.nextMarker)
        );
      }
      case 'GetServerCertificate': {
        const c = this.#cert(params.required('ServerCertificateName'));
        return (
          '<ServerCertificate>' +
          `<ServerCertificateMetadata>${metadataXml(c)}</ServerCertificateMetadata>` +
          el(
            'CertificateBody',
            c.body ?? `-----BEGIN CERTIFICATE-----\nfake:${c.name}\n-----END CERTIFICATE-----\n`,
          ) +
          el('CertificateChain', c.chain) +
          members(
            'Tags',
            Object.entries(c.tags).map(([k, v]) => el('Key', k) + el('Value', v)),
          ) +
          '</ServerCertificate>'
        );
      }
      case 'ListServerCertificateTags': {
        const c = this.#cert(params.required('ServerCertificateName'));
        return (
          members(
            'Tags',
            Object.entries(c.tags).map(([k, v]) => el('Key', k) + el('Value', v)),
          ) + el('IsTruncated', false)
        );
      }
      default:
        throw new AwsQueryError(
          'InvalidAction',
          `The action ${params.action} is not valid for this web service.`,
        );
    }
  }

  #sorted(): ServerCertState[] {
    return [...this.#certs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #cert(name: string): ServerCertState {
    const c = this.#certs.get(name);
    if (c === undefined) {
      throw new AwsQueryError(
        'NoSuchEntity',
        `The Server Certificate with name ${name} cannot be found.`,
        404,
      );
    }
    return c;
  }
}

function metadataXml(c: ServerCertState): string {
  return (
    el('Path', c.path) +
    el('ServerCertificateName', c.name) +
    el('ServerCertificateId', c.id) +
    el('Arn', c.arn) +
    el('UploadDate', c.uploadDate.toISOString()) +
    el('Expiration', c.expiration.toISOString())
  );
}

function snap(c: ServerCertState): FakeServerCertificate {
  return {
    name: c.name,
    id: c.id,
    arn: c.arn,
    path: c.path,
    expiration: new Date(c.expiration),
    uploadDate: new Date(c.uploadDate),
    tags: { ...c.tags },
  };
}
