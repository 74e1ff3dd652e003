export { startApiServer } from './server.js';
export { KubeApiError } from './errors.js';
export { parseManifests, readManifests } from './seed.js';
export type {
  ApiServer,
  ApiServerFaults,
  ApiServerOptions,
  ApiStore,
  FailMatch,
  KubeObject,
  KubeStatus,
  RequestRecord,
} from './types.js';
