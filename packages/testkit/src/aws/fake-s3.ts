import { Readable } from 'node:stream';
import { requestBodyText } from './request-body.js';

/** One stored object of the fake. */
export interface FakeS3Object {
  body: string;
  contentType: string | undefined;
  acl: string | undefined;
}

/** The request the SDK hands its `requestHandler` (the fields this fake reads). */
interface SdkRequest {
  method: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * A small stateful S3 (PutObject and GetObject) behind the **real** `S3Client`, through its
 * `requestHandler`, in the pattern of testkit's AWS fakes: the SDK serialises, signs and parses;
 * a test asserts on the stored object. Path-style and virtual-hosted-style requests both work.
 */
export interface FakeS3 {
  /** Spread into `new S3Client(...)`. */
  clientConfig(): {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    requestHandler: { handle(request: SdkRequest): Promise<{ response: unknown }> };
    forcePathStyle: boolean;
    maxAttempts: number;
    requestChecksumCalculation: 'WHEN_REQUIRED';
  };
  createBucket(name: string): void;
  object(bucket: string, key: string): FakeS3Object | undefined;
  /** `PUT bucket/key`, in order. */
  puts(): string[];
  /** The next `n` requests answer 500 InternalError (the SDK retries within its attempts). */
  failNext(n: number): void;
}

const xmlError = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`;

/** Creates an empty fake S3. Nothing to close. */
export function createFakeS3(): FakeS3 {
  const buckets = new Map<string, Map<string, FakeS3Object>>();
  const puts: string[] = [];
  let failures = 0;
  const respond = (
    statusCode: number,
    body = '',
    headers: Record<string, string> = {},
  ): { response: unknown } => ({
    response: {
      statusCode,
      headers: {
        'x-amz-request-id': 'fake',
        ...(body === '' ? {} : { 'content-type': 'application/xml' }),
        ...headers,
      },
      body: Readable.from(body === '' ? [] : [Buffer.from(body)]),
    },
  });
  const handle = async (request: SdkRequest): Promise<{ response: unknown }> => {
    if (!/^AWS4-HMAC-SHA256 /.test(request.headers['authorization'] ?? '')) {
      return respond(403, xmlError('AccessDenied', 'unsigned request'));
    }
    if (failures > 0) {
      failures -= 1;
      return respond(500, xmlError('InternalError', 'injected fault'));
    }
    const path = decodeURIComponent(request.path.replace(/^\//, ''));
    const hosted = /^(.+)\.s3[.-]/.exec(request.hostname);
    const bucket = hosted?.[1] ?? path.split('/')[0] ?? '';
    const key = hosted === null ? path.split('/').slice(1).join('/') : path;
    const objects = buckets.get(bucket);
    if (objects === undefined)
      return respond(404, xmlError('NoSuchBucket', 'The specified bucket does not exist'));
    if (request.method === 'PUT') {
      objects.set(key, {
        body: await requestBodyText(request.body, 'FakeS3'),
        contentType: request.headers['content-type'],
        acl: request.headers['x-amz-acl'],
      });
      puts.push(`${bucket}/${key}`);
      return respond(200, '', { etag: '"fake"' });
    }
    if (request.method === 'GET') {
      const o = objects.get(key);
      if (o === undefined) return respond(404, xmlError('NoSuchKey', 'The specified key does not exist.'));
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': o.contentType ?? '' },
          body: Readable.from([Buffer.from(o.body)]),
        },
      };
    }
    return respond(405, xmlError('MethodNotAllowed', 'not supported by the fake'));
  };
  return {
    clientConfig: () => ({
      region: 'eu-central-1',
      credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
      requestHandler: { handle },
      forcePathStyle: false,
      maxAttempts: 2,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    }),
    createBucket: (name) => void buckets.set(name, buckets.get(name) ?? new Map<string, FakeS3Object>()),
    object: (bucket, key) => buckets.get(bucket)?.get(key),
    puts: () => [...puts],
    failNext: (n) => {
      failures = n;
    },
  };
}
