/** Structured metadata attached to a log line. Values are serialised as JSON. */
export type LogMeta = Record<string, unknown>;

/**
 * The logger every kube-edge library takes. Messages are constant strings; variable data goes
 * in `meta`. Implementations never throw and never block on I/O.
 */
export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  /** A logger that adds `meta` to every line it writes. */
  child(meta: LogMeta): Logger;
}

/** A logger that drops everything: the default for library code given no logger. */
export function createNoopLogger(): Logger {
  const noop: Logger = {
    error: () => undefined,
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    child: () => noop,
  };
  return noop;
}
