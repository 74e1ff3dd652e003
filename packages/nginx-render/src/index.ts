/** Injection-proof nginx.conf model, validation and renderer, an nginx process manager that reloads safely, and the nginx apply step (updater, TLS files) the nginx apps share. */
export type * from './model.js';
export * from './validate.js';
export {
  validateConfig,
  validateUpstreamHealthCheck,
  validateUpstream,
  validateLocation,
  MAX_UPSTREAM_MAX_CONNS,
  assertValidConfig,
  NginxModelError,
  MAX_TOKEN_LENGTH,
  type ValidationIssue,
} from './validate-config.js';
export { renderNginxConfig, sealServer } from './render.js';
export { quoteArg, exprText, DOLLAR_VARIABLE } from './quote.js';
export { parseNginxConfig, NginxSyntaxError, type NginxDirective } from './lexer.js';
export {
  createNginxProcess,
  observeNginxSpawns,
  systemClock,
  NginxConfigTestError,
  type ApplyResult,
  type NginxSpawn,
  type Clock,
  type NginxExit,
  type NginxProcess,
  type NginxProcessOptions,
} from './process.js';
export {
  DEFAULT_NGINX_BINARY,
  nginxArgs,
  nginxPaths,
  testNginxConfigFile,
  type NginxPaths,
  type NginxTestResult,
} from './nginx-cli.js';
export {
  writeTlsFiles,
  removeStaleTlsFiles,
  type TlsFile,
  type TlsWriteOptions,
  type TlsWriteResult,
} from './tls-files.js';
export {
  createNginxUpdater,
  type NginxRendered,
  type NginxUpdater,
  type NginxUpdaterEvent,
  type NginxUpdaterOptions,
} from './nginx-updater.js';
export { parseStubStatus, type StubStatus } from './stub-status.js';
// The worker check behind NginxProcess.reloaded(), for tools watching an nginx they did not start.
export { listNginxChildren, activeWorkerPids, type WorkerInfo } from './proc.js';
export { NGINX_BUILTIN_VARIABLES, NGINX_VARIABLE_PREFIXES, isKnownVariable } from './variables.js';
