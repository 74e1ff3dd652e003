export { createNoopLogger, type Logger, type LogMeta } from './logger-types.js';
export {
  ConfigError,
  KubeEdgeError,
  TerminalError,
  TransientError,
  isTerminal,
  type KubeEdgeErrorOptions,
} from './errors.js';
export { createUpdaterChain, type ProbeResult, type Updater } from './updater.js';
