import { ConfigError, TransientError } from '@kube-edge/runtime';
import { request, type Dispatcher } from 'undici';

/** The facts about this EC2 instance the frontends need, from the instance identity document. */
export interface InstanceIdentity {
  instanceId: string;
  privateIp: string;
  region: string;
  availabilityZone: string;
}

/**
 * Where the frontends get the identity of the node they attach. The IMDS client implements it;
 * a caller that already knows the instance (or a test) can pass a plain object.
 */
export interface InstanceIdentitySource {
  /** Resolves the identity; rejects with a TransientError when it cannot be read. */
  identity(): Promise<InstanceIdentity>;
}

/** Options of {@link createInstanceMetadataClient}. */
export interface InstanceMetadataOptions {
  /** Default `http://169.254.169.254`. */
  baseUrl?: string;
  /** Deadline per HTTP request (token PUT, document GET), in ms. Default 2000. */
  timeoutMs?: number;
  /** Lifetime asked for the IMDSv2 session token, in seconds (1–21600). Default 21600. */
  tokenTtlSeconds?: number;
  /** undici dispatcher to send through. Default undici's global dispatcher. */
  dispatcher?: Dispatcher;
}

/** An IMDSv2 client. */
export interface InstanceMetadataClient extends InstanceIdentitySource {
  /**
   * Fetches a session token (PUT /latest/api/token), then the identity document. The document
   * never changes for an instance, so the first success is cached and later calls resolve
   * without I/O; concurrent callers share one fetch. A failure is not cached. Rejects with
   * TransientError (timeout, connection refused, non-2xx, bad document).
   */
  identity(): Promise<InstanceIdentity>;
}

const TOKEN_PATH = '/latest/api/token';
const DOCUMENT_PATH = '/latest/dynamic/instance-identity/document';

/**
 * Creates an IMDSv2 client over undici. Never contacts the endpoint until `identity()` is
 * called. Throws ConfigError for an invalid `tokenTtlSeconds` or `timeoutMs`.
 */
export function createInstanceMetadataClient(options: InstanceMetadataOptions = {}): InstanceMetadataClient {
  const baseUrl = (options.baseUrl ?? 'http://169.254.169.254').replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 2000;
  const ttl = options.tokenTtlSeconds ?? 21600;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
    throw new ConfigError('IMDS token TTL must be a whole number of seconds between 1 and 21600', {
      key: 'tokenTtlSeconds',
    });
  }
  if (!(timeoutMs > 0)) throw new ConfigError('IMDS timeout must be positive', { key: 'timeoutMs' });

  const call = async (
    method: 'PUT' | 'GET',
    path: string,
    headers: Record<string, string>,
  ): Promise<string> => {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${baseUrl}${path}`, {
        method,
        headers,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
    } catch (err) {
      throw new TransientError(`instance metadata ${method} ${path} failed`, {
        code: 'IMDS_UNREACHABLE',
        cause: err,
      });
    }
    let body: string;
    try {
      body = await res.body.text();
    } catch (err) {
      throw new TransientError(`instance metadata ${method} ${path} failed reading the body`, {
        code: 'IMDS_UNREACHABLE',
        cause: err,
      });
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new TransientError(`instance metadata ${method} ${path} answered HTTP ${res.statusCode}`, {
        code: 'IMDS_HTTP_ERROR',
      });
    }
    return body;
  };

  const fetchIdentity = async (): Promise<InstanceIdentity> => {
    const token = await call('PUT', TOKEN_PATH, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    const text = await call('GET', DOCUMENT_PATH, { 'x-aws-ec2-metadata-token': token.trim() });
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new TransientError('instance identity document is not JSON', {
        code: 'IMDS_BAD_DOCUMENT',
        cause: err,
      });
    }
    const field = (name: string): string => {
      const value =
        typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[name] : undefined;
      if (typeof value !== 'string' || value === '') {
        throw new TransientError(`instance identity document has no ${name}`, { code: 'IMDS_BAD_DOCUMENT' });
      }
      return value;
    };
    return {
      instanceId: field('instanceId'),
      privateIp: field('privateIp'),
      region: field('region'),
      availabilityZone: field('availabilityZone'),
    };
  };

  let cached: InstanceIdentity | undefined;
  let inflight: Promise<InstanceIdentity> | undefined;
  return {
    identity() {
      if (cached !== undefined) return Promise.resolve({ ...cached });
      inflight ??= fetchIdentity().then(
        (id) => {
          cached = id;
          inflight = undefined;
          return { ...id };
        },
        (err: unknown) => {
          inflight = undefined;
          throw err;
        },
      );
      return inflight;
    },
  };
}

/**
 * The AWS region to use: `configured` when it is a non-empty string, else the region of this
 * instance from `metadata` (feed had a fixed `eu-west-1` default; kube-edge asks the instance,
 * so the flag is only needed off EC2). Rejects like `metadata.identity()` when it has to ask.
 */
export async function resolveRegion(
  configured: string | undefined,
  metadata: InstanceIdentitySource,
): Promise<string> {
  const trimmed = configured?.trim() ?? '';
  if (trimmed !== '') return trimmed;
  return (await metadata.identity()).region;
}
