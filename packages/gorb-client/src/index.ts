/** Typed REST client for gorb (IPVS), the GorbFrontend that registers this node as a backend, and loopback VIP management. */
export { createGorbClient, type GorbClient, type GorbClientOptions, type GorbStatus } from './gorb-client.js';
export { GorbApiError } from './errors.js';
export { GorbFrontend, type GorbFrontendOptions } from './gorb-frontend.js';
export {
  createExecFileRunner,
  createLoopbackVipManager,
  type CommandResult,
  type CommandRunner,
  type LoopbackVipManagerOptions,
  type VipManager,
} from './loopback-vip-manager.js';
export { buildGorbBackendOptions, gorbBackendId, type GorbBackendSpec } from './backend-options.js';
export {
  GORB_DEFAULTS,
  parseGorbBackendMethod,
  parseGorbBackendWeight,
  parseGorbHealthCheckType,
  parseGorbInstanceIp,
  parseGorbPulseInterval,
  parseGorbServicesDefinition,
  parseGorbVips,
  type GorbServiceDefinition,
} from './flags.js';
export type {
  GorbBackendInfo,
  GorbBackendMethod,
  GorbBackendOptions,
  GorbBackendStatusCode,
  GorbPulseOptions,
  GorbPulseType,
  GorbServiceInfo,
  GorbServiceOptions,
} from './types.js';
