/** Pod-level nginx router driven by namespace and pod annotations, with API keys and per-host TLS; drop-in for 30x/dispatcher. */
export { cli, VERSION, withDefaultCommand, type CliValues } from './cli.js';
export {
  buildConfig,
  parseDefaultLocationReturn,
  type BuildConfigDeps,
  type DefaultLocationReturn,
  type DispatcherConfig,
  type DispatcherRunConfig,
  type RawConfigValues,
} from './config.js';
export {
  buildModel,
  isPodRoutable,
  podRoutes,
  upstreamName,
  DEFAULT_LOCATION_UPSTREAM,
  type BuildOptions,
  type ClusterState,
} from './model/build.js';
export { renderDispatcherConfig } from './model/render.js';
export { fnv1a32 } from './model/fnv.js';
export { parseLabelSelector, isQualifiedName, type LabelSelector } from './model/selector.js';
export {
  parseHostsAnnotation,
  decodePathsAnnotation,
  parseBasePath,
  parseTargetPath,
  isValidHost,
} from './model/annotations.js';
export { healthCheckFor } from './model/health-check.js';
export type * from './model/types.js';
export {
  run,
  renderFromFiles,
  stateFrom,
  type DispatcherApp,
  type DispatcherDeps,
  type DispatcherInformers,
} from './app.js';
export { prepareForRender } from './offline.js';
export {
  BACKENDS_PATH,
  BACKENDS_TOKEN_HEADER,
  LUA_NGINX_MODULES,
  LUA_REQUIRED_FILES,
  membershipOf,
  withLuaBalancer,
  type LuaModeOptions,
  type Membership,
  type UpstreamMode,
  type UpstreamModeChoice,
} from './lua-mode.js';
export { createBackendsClient, type BackendsClient, type BackendsClientOptions } from './backends-client.js';
export { decideUpstreamMode, type DispatcherNginxStep } from './nginx-step.js';
