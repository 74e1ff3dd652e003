export { nginxBinary, etcdBinary, NGINX_CANDIDATES, ETCD_CANDIDATES } from './binaries.js';
export {
  startNginx,
  nginxTest,
  type NginxProcess,
  type NginxTestResult,
  type StartNginxOptions,
} from './nginx.js';
export {
  nginxConfig,
  nginxPrelude,
  prepareNginxConfig,
  NGINX_TEMP_PATHS,
  PREFIX_PLACEHOLDER,
  type NginxConfigParts,
  type NginxPrelude,
  type PreparedNginxConfig,
} from './nginx-config.js';
export { etcdCallCounts, startEtcd, type EtcdProcess, type StartEtcdOptions } from './etcd.js';
export { withLogsOnFailure, type LogSource } from './with-logs.js';
export {
  trackedChildCount,
  trackPid,
  spawnTracked,
  type TrackPidOptions,
  type TrackedSpawn,
} from './child-registry.js';
export {
  startSourceMain,
  type SourceMain,
  type SourceMainRun,
  type StartSourceMainOptions,
} from './source-main.js';
export { childPids, processCpuSeconds, processRssMiB, processFdCount } from './proc-fs.js';
