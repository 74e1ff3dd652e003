import type { KubeStatus } from './types.js';
import { errorMessage } from '@kube-edge/runtime';

/** Error thrown by the store API and by request handling; carries the Status object the REST API answers. */
export class KubeApiError extends Error {
  /** HTTP status code (404, 409, 410, 422, ...). */
  readonly code: number;
  /** Status reason (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, ...). */
  readonly reason: string;
  /** The full Status object. */
  readonly status: KubeStatus;
  constructor(status: KubeStatus) {
    super(status.message);
    this.name = 'KubeApiError';
    this.code = status.code;
    this.reason = status.reason;
    this.status = status;
  }
}

/** The object a failure concerns, as Status `details` names it (resource plural, not kind). */
export interface StatusTarget {
  group: string;
  resource: string;
  name?: string;
}

/** A field error for 422 Invalid. */
export interface FieldCause {
  reason:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueNotSupported';
  message: string;
  field: string;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Builds a Failure Status object. */
export function makeStatus(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/** The reason a real API server pairs with an HTTP status code. */
export function reasonForCode(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

function qualified(t: StatusTarget): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

function details(t: StatusTarget): NonNullable<KubeStatus['details']> {
  // The real server omits an empty group (core kinds).
  const d: NonNullable<KubeStatus['details']> = {
    ...(t.group === '' ? {} : { group: t.group }),
    kind: t.resource,
  };
  if (t.name !== undefined) d.name = t.name;
  return d;
}

/** 404 NotFound: `pods "x" not found`. */
export function notFound(t: StatusTarget): KubeApiError {
  return new KubeApiError(
    makeStatus(404, 'NotFound', `${qualified(t)} "${t.name ?? ''}" not found`, details(t)),
  );
}

/** 404 for a path the server does not serve. */
export function pathNotFound(): KubeApiError {
  return new KubeApiError(
    makeStatus(404, 'NotFound', 'the server could not find the requested resource', {}),
  );
}

/** 409 AlreadyExists. */
export function alreadyExists(t: StatusTarget): KubeApiError {
  return new KubeApiError(
    makeStatus(409, 'AlreadyExists', `${qualified(t)} "${t.name ?? ''}" already exists`, details(t)),
  );
}

/** 409 Conflict on a stale resourceVersion (or a failed precondition, with `message`). */
export function conflict(t: StatusTarget, message?: string): KubeApiError {
  const text =
    message ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new KubeApiError(
    makeStatus(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": ${text}`,
      details(t),
    ),
  );
}

/** 422 Invalid with field causes, worded like the real server. */
export function invalid(kind: string, group: string, name: string, causes: FieldCause[]): KubeApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${kind} "${name}" is invalid: ${list.length === 1 ? (list[0] ?? '') : `[${list.join(', ')}]`}`;
  return new KubeApiError(
    makeStatus(422, 'Invalid', message, { name, ...(group === '' ? {} : { group }), kind, causes }),
  );
}

/** 410 Expired: the resourceVersion is older than the history. */
export function expired(message: string): KubeApiError {
  return new KubeApiError(makeStatus(410, 'Expired', message));
}

/** 400 BadRequest. */
export function badRequest(message: string): KubeApiError {
  return new KubeApiError(makeStatus(400, 'BadRequest', message));
}

/** 403 Forbidden. */
export function forbidden(t: StatusTarget, message: string): KubeApiError {
  return new KubeApiError(
    makeStatus(403, 'Forbidden', `${qualified(t)} "${t.name ?? ''}" is forbidden: ${message}`, details(t)),
  );
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): KubeApiError {
  return new KubeApiError(
    makeStatus(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    ),
  );
}

/** 415 UnsupportedMediaType. */
export function unsupportedMediaType(message: string): KubeApiError {
  return new KubeApiError(makeStatus(415, 'UnsupportedMediaType', message));
}

/** 500 InternalError wrapping an unexpected failure. */
export function internalError(err: unknown): KubeApiError {
  const message = errorMessage(err);
  return new KubeApiError(
    makeStatus(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ reason: 'UnexpectedServerResponse', message }],
    }),
  );
}
