// A Logger for tests that keeps every line, so a test can assert what was logged.
import type { Logger, LogMeta } from '@kube-edge/runtime';

/** One line a {@link captureLogger} kept: its level, message and meta (a child's bindings merged in). */
export interface CapturedLogLine {
  level: string;
  message: string;
  meta: LogMeta;
}

/**
 * A Logger that appends every line, its children's included (their bindings merged into `meta`,
 * the line's own meta winning), to `lines` (default: a new array), also exposed as `.lines`.
 */
export function captureLogger(
  lines: CapturedLogLine[] = [],
  base: LogMeta = {},
): Logger & { lines: CapturedLogLine[] } {
  const at =
    (level: string) =>
    (message: string, meta: LogMeta = {}): void => {
      lines.push({ level, message, meta: { ...base, ...meta } });
    };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => captureLogger(lines, { ...base, ...meta }),
  };
}
