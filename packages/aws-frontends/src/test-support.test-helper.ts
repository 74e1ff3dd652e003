import type { Logger, LogMeta } from '@kube-edge/runtime';
import type { Clock } from './clock.js';

/** A clock whose sleeps return at once, advance `now`, and are recorded. */
export interface FakeClock extends Clock {
  readonly sleeps: number[];
  advance(ms: number): void;
}

export function createFakeClock(start = 1_700_000_000_000): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

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
