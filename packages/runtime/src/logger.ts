import winston from 'winston';
import { ConfigError } from './errors.js';
import type { LogMeta, Logger } from './logger-types.js';
import { DEFAULT_REDACT_KEYS, createRedactor, type Redactor } from './redact.js';

/** The levels every kube-edge logger understands, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Output format: `auto` writes `pretty` when the stream is a TTY and `json` otherwise. */
export type LogFormat = 'json' | 'pretty' | 'auto';

const LEVELS: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Options for {@link createLogger}. Every field is optional. */
export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Default `auto`. */
  format?: LogFormat;
  /** Written as the `logger` field of every line, e.g. the app name. Default none. */
  name?: string;
  /** Key names hidden in addition to {@link DEFAULT_REDACT_KEYS} (same matching rules). */
  redactKeys?: readonly string[];
  /** Where lines go. Default `process.stdout`. */
  stream?: NodeJS.WritableStream;
  /** Fields added to every line. */
  meta?: LogMeta;
  /** Clock for the `timestamp` field. Default `() => new Date()`. */
  now?: () => Date;
  /** Colour the level in `pretty` output. Default: when the stream is a TTY. */
  colors?: boolean;
}

/** A root {@link Logger} that can also be flushed when the process stops. */
export interface ProcessLogger extends Logger {
  /** The level this logger was created with. */
  readonly level: LogLevel;
  /**
   * Flushes pending lines and stops writing (the stream itself is left open). Later log calls,
   * from this logger or its children, are dropped. Idempotent; resolves once flushed.
   */
  close(): Promise<void>;
}

/**
 * Parses a log level name, ignoring case and surrounding space (`warning` is read as `warn`).
 * Pure; throws {@link ConfigError} naming `key` (default `log-level`) for anything else.
 */
export function parseLogLevel(value: string, key = 'log-level'): LogLevel {
  const v = value.trim().toLowerCase();
  const level = v === 'warning' ? 'warn' : v;
  if (level in LEVELS) return level as LogLevel;
  throw new ConfigError(
    `invalid log level for ${key}: ${JSON.stringify(value)} (expected one of error, warn, info, debug)`,
    {
      code: 'INVALID_VALUE',
      key,
    },
  );
}

// Keys the line itself owns; a caller's field of the same name is kept under `fields.<key>`.
const RESERVED = new Set(['level', 'message', 'timestamp', 'logger']);

/**
 * A winston format that replaces the value of every secret-named field of a log entry with
 * `"[REDACTED]"` (nested keys too, case-insensitive; see {@link DEFAULT_REDACT_KEYS}) and turns
 * Errors, Dates, Maps and cycles into plain data. `keys` replaces the default list. Use it
 * before any output format. Never throws.
 */
export function redactFormat(keys: readonly string[] = DEFAULT_REDACT_KEYS): winston.Logform.Format {
  return redactWith(createRedactor({ keys }));
}

function redactWith(redact: Redactor): winston.Logform.Format {
  return winston.format((info) => {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (key !== 'level' && key !== 'message') fields[key] = info[key];
    }
    const clean = redact(fields) as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (key in clean) info[key] = clean[key];
      else delete info[key];
    }
    return info;
  })();
}

const COLOURS: Readonly<Record<string, string>> = {
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  debug: '\x1b[90m',
};

function renderFormat(
  pretty: boolean,
  colours: boolean,
  name: string | undefined,
  now: () => Date,
): winston.Logform.Format {
  const MESSAGE = Symbol.for('message');
  return winston.format((info) => {
    const time = now().toISOString();
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (key !== 'level' && key !== 'message') fields[key] = info[key];
    }
    const message = typeof info.message === 'string' ? info.message : String(info.message);
    let line: string;
    if (pretty) {
      const lvl = info.level.toUpperCase().padEnd(5);
      const shown = colours ? `${COLOURS[info.level] ?? ''}${lvl}\x1b[0m` : lvl;
      const tail = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`)
        .join(' ');
      const stack = stacksOf(fields);
      line = `${time.slice(11, 23)} ${shown} ${name === undefined ? '' : `[${name}] `}${message}${tail === '' ? '' : ` ${tail}`}${stack}`;
    } else {
      line = JSON.stringify({
        timestamp: time,
        level: info.level,
        ...(name === undefined ? {} : { logger: name }),
        message,
        ...fields,
      });
    }
    (info as unknown as Record<symbol, unknown>)[MESSAGE] = line;
    return info;
  })();
}

// In a terminal a stack is easier to read on its own lines than inside an escaped JSON string.
function stacksOf(fields: Record<string, unknown>): string {
  let out = '';
  for (const value of Object.values(fields)) {
    if (typeof value === 'object' && value !== null && 'stack' in value && typeof value.stack === 'string') {
      out += `\n${value.stack.replace(/^/gm, '    ')}`;
    }
  }
  return out;
}

function toFields(meta: LogMeta): LogMeta {
  const out: LogMeta = {};
  for (const [key, value] of Object.entries(meta)) {
    out[RESERVED.has(key) ? `fields.${key}` : key] = value;
  }
  return out;
}

/**
 * Creates the process's root logger on winston: one JSON object per line in production, a
 * readable line in a terminal. Every line has `timestamp`, `level`, `logger` (when `name` is
 * set), `message` and the metadata; secret-named fields are redacted at any depth; an Error in
 * the metadata (e.g. `{ err }`) is written with name, message, code, stack, cause and its own
 * fields. Logging never throws and never waits; lines reach the stream in order.
 */
export function createLogger(options: LoggerOptions = {}): ProcessLogger {
  const stream = options.stream ?? process.stdout;
  const isTty = (stream as { isTTY?: boolean }).isTTY === true;
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isTty);
  const level = options.level ?? 'info';
  const redact = createRedactor({ keys: [...DEFAULT_REDACT_KEYS, ...(options.redactKeys ?? [])] });
  const sink = winston.createLogger({
    levels: LEVELS,
    level,
    exitOnError: false,
    format: winston.format.combine(
      redactWith(redact),
      renderFormat(pretty, options.colors ?? isTty, options.name, options.now ?? (() => new Date())),
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
  // winston re-emits transport errors (e.g. EPIPE on a closed stdout); unheard, an 'error' event
  // would crash the process over a log line.
  sink.on('error', () => undefined);
  let closed: Promise<void> | undefined;

  const make = (base: LogMeta): Logger => {
    const write = (lvl: LogLevel, message: string, meta?: LogMeta): void => {
      if (closed !== undefined || LEVELS[lvl] > LEVELS[level]) return;
      try {
        sink.log({ ...toFields(base), ...toFields(meta ?? {}), level: lvl, message });
      } catch {
        // A logger that throws turns a log line into an outage; dropping the line is the lesser harm.
      }
    };
    return {
      error: (message, meta) => write('error', message, meta),
      warn: (message, meta) => write('warn', message, meta),
      info: (message, meta) => write('info', message, meta),
      debug: (message, meta) => write('debug', message, meta),
      child: (meta) => make({ ...base, ...meta }),
    };
  };

  const root = make(options.meta ?? {});
  return {
    ...root,
    level,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        sink.once('finish', () => resolve());
        sink.end();
      });
      return closed;
    },
  };
}
