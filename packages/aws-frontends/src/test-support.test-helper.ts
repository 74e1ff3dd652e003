import type { Clock, Logger, LogMeta, TimerHandle } from '@kube-edge/runtime';

/**
 * A runtime `Clock` whose timers (and so `sleep(clock, ms)`) fire on the next turn of the event
 * loop, moving `now` forward by their delay; each delay is recorded in `sleeps`. For asserting
 * drain delays without waiting them out (runtime's `createFakeClock` would need an `advance`).
 */
export interface InstantClock extends Clock {
  readonly sleeps: number[];
  advance(ms: number): void;
}

export function createInstantClock(start = 1_700_000_000_000): InstantClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    setTimeout: (fn, ms): TimerHandle => {
      sleeps.push(ms);
      let cancelled = false;
      setImmediate(() => {
        if (cancelled) return;
        t += Math.max(0, ms);
        fn();
      });
      return { cancel: () => void (cancelled = true) };
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
