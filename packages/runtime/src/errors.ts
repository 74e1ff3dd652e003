/** Options shared by kube-edge's error classes. */
export interface KubeEdgeErrorOptions {
  /** A stable machine-readable code, e.g. `INVALID_FLAG` or `AWS_THROTTLED`. */
  code?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class: a message, a stable `code`, the `cause`, and whether retrying can help.
 * Subclasses classify themselves through {@link KubeEdgeError.retryable}; the controller loop
 * and work queues read it through {@link isTerminal} and {@link isTransient}.
 */
export class KubeEdgeError extends Error {
  readonly code: string;
  constructor(message: string, options: KubeEdgeErrorOptions = {}, defaultCode = 'ERROR') {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? defaultCode;
  }

  /** True when the same work may succeed later (the default for an unclassified failure). */
  get retryable(): boolean {
    return true;
  }
}

/** Bad configuration: the process exits at start, naming the offending flag or key. */
export class ConfigError extends KubeEdgeError {
  /** The flag, environment variable or config key at fault, when there is one. */
  readonly key: string | undefined;
  constructor(message: string, options: KubeEdgeErrorOptions & { key?: string } = {}) {
    super(message, options, 'CONFIG');
    this.key = options.key;
  }

  override get retryable(): boolean {
    return false;
  }
}

/** A failure worth retrying with backoff (network, throttling, conflicts). */
export class TransientError extends KubeEdgeError {
  constructor(message: string, options: KubeEdgeErrorOptions = {}) {
    super(message, options, 'TRANSIENT');
  }
}

/** A failure that retrying will not fix: log it, count it, do not retry. */
export class TerminalError extends KubeEdgeError {
  constructor(message: string, options: KubeEdgeErrorOptions = {}) {
    super(message, options, 'TERMINAL');
  }

  override get retryable(): boolean {
    return false;
  }
}

/**
 * A target refused a whole configuration because of what is in it (nginx's `nginx -t`, a
 * renderer's validation of the model): terminal like any {@link TerminalError}, and in addition a
 * statement that some source objects may be at fault. A controller run with `isolate` (k8s-watch's
 * `runController`) answers it by bisecting the source objects with the step's `check`, skipping
 * the offenders and applying the rest. Throw it only when a different set of objects can make the
 * refusal go away; a refusal that comes from flags or the environment is a plain
 * `TerminalError`/`ConfigError` (the bisection would find it global anyway, at the cost of a check).
 */
export class ConfigRefusedError extends TerminalError {
  constructor(message: string, options: KubeEdgeErrorOptions = {}) {
    super(message, {
      code: options.code ?? 'CONFIG_REFUSED',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
  }
}

/**
 * True for errors a work queue or the controller loop must not retry: `TerminalError`,
 * `ConfigError`, and any other {@link KubeEdgeError} that classifies itself as not retryable
 * (e.g. a Kubernetes API 403 or 422). Unknown errors are not terminal.
 */
export function isTerminal(err: unknown): boolean {
  return err instanceof KubeEdgeError && !err.retryable;
}

/**
 * True for errors known to be worth retrying with backoff: `TransientError` and any other
 * {@link KubeEdgeError} that classifies itself as retryable (e.g. a Kubernetes API 409, 429 or
 * 5xx). Unknown errors are retried too, but are not "known transient".
 */
export function isTransient(err: unknown): boolean {
  return err instanceof KubeEdgeError && err.retryable;
}

/**
 * A human-readable message for anything thrown: an `Error`'s `message`, otherwise `String(err)`.
 * Never throws (a value whose `toString` throws gives `'[unprintable error]'`).
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return '[unprintable error]';
  }
}
