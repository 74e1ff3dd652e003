export {
  startGorbServer,
  type GorbServer,
  type GorbServerBackendState,
  type GorbServerOptions,
  type GorbServerRequest,
  type GorbServerServiceState,
  type GorbServerState,
} from './gorb-server.js';
export type {
  GorbServerBackendOptions,
  GorbServerPulseOptions,
  GorbServerServiceOptions,
} from './gorb-options.js';
export type { GorbPulseStatus } from './pulse-probe.js';
export { parseGorbInterval } from './interval.js';
