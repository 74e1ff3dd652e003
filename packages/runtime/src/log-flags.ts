import {
  createLogger,
  type LogFormat,
  type LogLevel,
  type LoggerOptions,
  type ProcessLogger,
} from './logger.js';

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty', 'auto'];

/** What differs between the apps' `--log-level` and `--log-format` flags. */
export interface LogFlagsOptions {
  /** `--help` text of `--log-level`. */
  readonly levelDescription: string;
  /** `--help` text of `--log-format`. */
  readonly formatDescription: string;
  /** Default of `--log-format`. Default `json`. */
  readonly defaultFormat?: LogFormat;
}

/** The `--log-level` and `--log-format` flags, as {@link logFlags} returns them. */
// A type alias, not an interface: `defineCli` flag specs need an index signature.
export type LogFlags = {
  readonly 'log-level': {
    readonly type: 'enum';
    readonly choices: readonly LogLevel[];
    readonly default: LogLevel;
    readonly description: string;
  };
  readonly 'log-format': {
    readonly type: 'enum';
    readonly choices: readonly LogFormat[];
    readonly default: LogFormat;
    readonly description: string;
  };
};

/**
 * The log flags every kube-edge command line has, to spread into a `defineCli` flags spec:
 * `--log-level` (error, warn, info, debug; default info) and `--log-format` (json, pretty, auto;
 * default `defaultFormat`). Only the help texts and the format default differ between apps. Pure;
 * returns a new object each call.
 */
export function logFlags(options: LogFlagsOptions): LogFlags {
  return {
    'log-level': {
      type: 'enum',
      choices: LOG_LEVELS,
      default: 'info',
      description: options.levelDescription,
    },
    'log-format': {
      type: 'enum',
      choices: LOG_FORMATS,
      default: options.defaultFormat ?? 'json',
      description: options.formatDescription,
    },
  };
}

/** Parsed values of {@link logFlags}, plus the `--debug` / `--quiet` switches some apps keep. */
export interface LogFlagValues {
  readonly 'log-level': LogLevel;
  readonly 'log-format': LogFormat;
  /** `--debug`: wins over `--log-level` (and over `--quiet`). */
  readonly debug?: boolean;
  /** `--quiet`: `warn`, winning over `--log-level`. */
  readonly quiet?: boolean;
}

/**
 * The effective level of parsed log flags: `debug` when `--debug` is on, else `warn` when
 * `--quiet` is on, else `--log-level`. Pure.
 */
export function logLevelFromFlags(values: LogFlagValues): LogLevel {
  if (values.debug === true) return 'debug';
  if (values.quiet === true) return 'warn';
  return values['log-level'];
}

/**
 * The process logger for parsed log flags: {@link createLogger} with the level of
 * {@link logLevelFromFlags}, the `--log-format` and `name` as the `logger` field. `options` adds
 * anything else `createLogger` takes (a stream in tests).
 */
export function loggerFromFlags(
  values: LogFlagValues,
  name: string,
  options: Omit<LoggerOptions, 'level' | 'format' | 'name'> = {},
): ProcessLogger {
  return createLogger({ ...options, level: logLevelFromFlags(values), format: values['log-format'], name });
}
