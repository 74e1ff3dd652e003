import { PutObjectCommand, type ObjectCannedACL, type S3Client } from '@aws-sdk/client-s3';
import { serializeReport, type StateReport } from './model/report.js';

/** Where the state report goes. */
export interface StateReporter {
  /** Uploads the report. Rejects when the upload fails. Safe to call concurrently (last write wins). */
  put(report: StateReport): Promise<void>;
  /** The object key, for logs. */
  readonly key: string;
}

const TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  csv: 'text/csv',
};

/**
 * The content type for a key when `content_type` is not set: guessed from the extension (as the
 * original's `mimetypes.guess_type`, for the common types), else `application/octet-stream`. Pure.
 */
export function guessContentType(key: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(key);
  return (m && TYPES[(m[1] ?? '').toLowerCase()]) ?? 'application/octet-stream';
}

/** Options of {@link createS3Reporter}. */
export interface S3ReporterOptions {
  client: S3Client;
  bucket: string;
  /** The rendered key. */
  key: string;
  acl: string;
  contentType: string | undefined;
}

/** The S3 state report: PutObject with the configured ACL and content type. */
export function createS3Reporter(options: S3ReporterOptions): StateReporter {
  const contentType = options.contentType ?? guessContentType(options.key);
  return {
    key: options.key,
    async put(report) {
      await options.client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: options.key,
          Body: serializeReport(report),
          ACL: options.acl as ObjectCannedACL,
          ContentType: contentType,
        }),
      );
    },
  };
}
