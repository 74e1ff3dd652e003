/** Options shared by kube-edge's error classes. */
export interface KubeEdgeErrorOptions {
  /** A stable machine-readable code, e.g. `INVALID_FLAG` or `AWS_THROTTLED`. */
  code?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class: a message, a stable `code`, and the `cause`. */
export class KubeEdgeError extends Error {
  readonly code: string;
  constructor(message: string, options: KubeEdgeErrorOptions = {}, defaultCode = 'ERROR') {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? defaultCode;
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
}

/** True for errors a work queue should not retry. */
export function isTerminal(err: unknown): boolean {
  return err instanceof TerminalError || err instanceof ConfigError;
}

/** True for errors worth retrying with backoff. */
export function isTransient(err: unknown): boolean {
  return err instanceof TransientError;
}
