import type { Logger, LogMeta } from '@kube-edge/runtime';

/** A logger that keeps every line. */
export interface RecordingLogger extends Logger {
  readonly lines: { level: string; message: string; meta: LogMeta }[];
}

export function createRecordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const make = (base: LogMeta): Logger => ({
    error: (message, meta) => lines.push({ level: 'error', message, meta: { ...base, ...meta } }),
    warn: (message, meta) => lines.push({ level: 'warn', message, meta: { ...base, ...meta } }),
    info: (message, meta) => lines.push({ level: 'info', message, meta: { ...base, ...meta } }),
    debug: (message, meta) => lines.push({ level: 'debug', message, meta: { ...base, ...meta } }),
    child: (meta) => make({ ...base, ...meta }),
  });
  return Object.assign(make({}), { lines });
}

/** Resolves to the rejection reason; fails if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
