import { KubeEdgeError } from '@kube-edge/runtime';

/**
 * A gorb request that failed: either gorb answered a status other than 200 (`statusCode` set,
 * `gorbMessage` holding gorb's `{"error": ...}` text when present), or no answer arrived
 * (`statusCode` undefined: connection refused or reset, timeout). `retryable` is true for 5xx
 * and connection failures, the cases the client itself retries; when you see one, the retries
 * were exhausted. Classify by `statusCode`/`retryable`/`code`, never by message.
 */
export class GorbApiError extends KubeEdgeError {
  readonly method: string;
  readonly path: string;
  readonly statusCode: number | undefined;
  readonly gorbMessage: string | undefined;
  readonly #retryable: boolean;
  constructor(init: {
    method: string;
    path: string;
    statusCode?: number;
    gorbMessage?: string;
    cause?: unknown;
  }) {
    const { method, path, statusCode, gorbMessage } = init;
    const what =
      statusCode === undefined
        ? 'no response'
        : `HTTP ${statusCode}${gorbMessage === undefined ? '' : `: ${gorbMessage}`}`;
    super(`gorb ${method} ${path} failed (${what})`, { code: codeFor(statusCode), cause: init.cause });
    this.method = method;
    this.path = path;
    this.statusCode = statusCode;
    this.gorbMessage = gorbMessage;
    this.#retryable = statusCode === undefined || statusCode >= 500;
  }

  /** True for 5xx and connection failures (retries were exhausted); false for other statuses. */
  override get retryable(): boolean {
    return this.#retryable;
  }
}

function codeFor(status: number | undefined): string {
  if (status === undefined) return 'GORB_UNREACHABLE';
  if (status === 404) return 'GORB_NOT_FOUND';
  if (status === 409) return 'GORB_EXISTS';
  if (status >= 500) return 'GORB_SERVER_ERROR';
  if (status >= 400) return 'GORB_BAD_REQUEST';
  return 'GORB_UNEXPECTED_STATUS';
}
