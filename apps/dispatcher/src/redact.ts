import type { EventRecorder } from '@kube-edge/k8s-watch';
import type { LogMeta, Logger } from '@kube-edge/runtime';

/** What stands in for every secret value in logged text. */
export const REDACTED = 'REDACTED';

/**
 * `text` with every occurrence of every value of `secrets` replaced by {@link REDACTED}.
 * Value-based, so a secret is hidden wherever it appears (a rendered config, nginx's output, an
 * error message), not only under a known field name. Give `secrets` longest first (as
 * `DispatcherModel.secrets` is) so a whole value is replaced before any part of it. Pure.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '' && out.includes(s)) out = out.replaceAll(s, REDACTED);
  return out;
}

function redactValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const props: Record<string, unknown> = {};
    let changed = false;
    for (const key of [...Object.getOwnPropertyNames(value), 'message', 'stack']) {
      const v = (value as unknown as Record<string, unknown>)[key];
      const r = redactValue(v, secrets, depth + 1);
      props[key] = r;
      if (r !== v) changed = true;
    }
    if (!changed) return value;
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const [k, v] of Object.entries(props))
      Object.defineProperty(copy, k, {
        value: v,
        enumerable: k !== 'stack' && k !== 'message',
        writable: true,
      });
    return copy;
  }
  if (Array.isArray(value)) {
    const r = value.map((v) => redactValue(v, secrets, depth + 1));
    return r.some((v, i) => v !== value[i]) ? r : value;
  }
  if (Buffer.isBuffer(value)) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = redactValue(v, secrets, depth + 1);
    out[k] = r;
    if (r !== v) changed = true;
  }
  return changed ? out : value;
}

/**
 * A logger that replaces every value of `secrets()` (read at each call, so it follows the
 * latest model) in the message and in every string of the metadata, Error messages and stacks
 * included, before handing the line to `logger`. Lines without a secret pass through unchanged.
 * Children redact too.
 */
export function createRedactingLogger(logger: Logger, secrets: () => readonly string[]): Logger {
  const wrap =
    (write: (message: string, meta?: LogMeta) => void) =>
    (message: string, meta?: LogMeta): void => {
      const s = secrets();
      if (s.length === 0) return write(message, meta);
      const m = redactSecrets(message, s);
      if (meta === undefined) return write(m);
      write(m, redactValue(meta, s, 0) as LogMeta);
    };
  return {
    error: wrap((m, meta) => logger.error(m, meta)),
    warn: wrap((m, meta) => logger.warn(m, meta)),
    info: wrap((m, meta) => logger.info(m, meta)),
    debug: wrap((m, meta) => logger.debug(m, meta)),
    child: (meta) => createRedactingLogger(logger.child(redactValue(meta, secrets(), 0) as LogMeta), secrets),
  };
}

/**
 * An Event recorder that replaces every value of `secrets()` in the reason and message before
 * recording: an Event quoting nginx's refusal of a config (a skipped object's `ConfigRefused`)
 * may quote a directive value such as an API key, and Events are readable by anyone who may read
 * the namespace's Events.
 */
export function createRedactingEventRecorder(
  recorder: EventRecorder,
  secrets: () => readonly string[],
): EventRecorder {
  return {
    record: (object, type, reason, message) => {
      const s = secrets();
      recorder.record(object, type, redactSecrets(reason, s), redactSecrets(message, s));
    },
    flush: () => recorder.flush(),
    stats: () => recorder.stats(),
  };
}
