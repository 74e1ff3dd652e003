export { startApiServer } from './server.js';
export { KubeApiError } from './errors.js';
export { parseManifests, readManifests } from './seed.js';
export { ROUTEGROUP_CRD_FILE } from './crd-files.js';
export type {
  ApiServer,
  ApiServerFaults,
  ApiServerHandle,
  ApiServerOptions,
  ApiStore,
  FailMatch,
  KubeObject,
  KubeStatus,
  RequestRecord,
} from './types.js';
export {
  startRealApiServer,
  realApiServerAvailable,
  mintServiceAccountToken,
  applyObjects,
  adminRequest,
  rbacObjects,
  RBAC_KINDS,
  type RealApiServer,
  type RealApiServerOptions,
  type RealApiServerAvailability,
  type ServiceAccountCredentials,
} from './real-server.js';
export { renderChart, helmAvailable, type RenderChartOptions } from './chart.js';
export {
  findKubeApiServer,
  findHelm,
  findEtcd,
  findRepoRoot,
  type KubeToolsLookup,
  type BinaryLookup,
} from './binaries.js';
export {
  startRealApiAsChart,
  selectedApi,
  KUBE_EDGE_API_ENV,
  type RealApiAsChart,
  type RealApiAsChartOptions,
  type SelectedApi,
} from './chart-rbac.js';
