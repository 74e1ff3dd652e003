export { createNoopLogger, type Logger, type LogMeta } from './logger-types.js';
export {
  ConfigError,
  ConfigRefusedError,
  KubeEdgeError,
  TerminalError,
  TransientError,
  errorMessage,
  isTerminal,
  isTransient,
  type KubeEdgeErrorOptions,
} from './errors.js';
export {
  createLogger,
  parseLogLevel,
  redactFormat,
  type LogFormat,
  type LogLevel,
  type LoggerOptions,
  type ProcessLogger,
} from './logger.js';
export {
  DEFAULT_REDACT_KEYS,
  REDACTED,
  createRedactor,
  type Redactor,
  type RedactorOptions,
} from './redact.js';
export {
  createHealthServer,
  type CheckReport,
  type CheckResult,
  type HealthCheck,
  type HealthReport,
  type HealthServer,
  type HealthServerOptions,
  type ListenAddress,
  type RouteHandler,
} from './health-server.js';
export {
  FORCED_EXIT_CODE,
  createShutdown,
  type Shutdown,
  type ShutdownCallOptions,
  type ShutdownOptions,
  type SignalSource,
  type StepOptions,
  type StopStep,
} from './shutdown.js';
export {
  defineCli,
  isServiceLinkValue,
  normaliseSingleDashFlags,
  type Cli,
  type CliIo,
  type CliResult,
  type CliSpec,
  type CommandSpec,
  type Env,
  type FlagSpec,
  type FlagType,
  type FlagValue,
  type FlagValues,
  type FlagsSpec,
  type ParsedCli,
  type ValueSource,
} from './cli.js';
export {
  logFlags,
  logLevelFromFlags,
  loggerFromFlags,
  type LogFlagValues,
  type LogFlags,
  type LogFlagsOptions,
} from './log-flags.js';
export { describeFailure, type FailureReport } from './describe-failure.js';
export { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export {
  formatDuration,
  formatSize,
  parseCsv,
  parseDuration,
  parseKeyValues,
  parseSize,
  type ParseCsvOptions,
  type ParseDurationOptions,
  type ParseListOptions,
} from './parsers.js';
export { createUpdaterChain, probeUpdaters, type ProbeResult, type Updater } from './updater.js';
export { removeStaleFiles, resolveInside, writeFileIfChanged, type WriteFileOptions } from './files.js';
export { createSerialRunner, type SerialRunner } from './serial-runner.js';
export { createSystemClock, sleep, type Clock, type TimerHandle } from './clock.js';
export { createFakeClock, type FakeClock, type FakeClockOptions } from './fake-clock.js';
