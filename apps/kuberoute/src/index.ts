/** kuberoute: DNS records (Route53, SkyDNS on etcd) for labelled NodePort services, with failover, quota and S3 state reports; drop-in for schneevonmorgen/kuberoute. */
export { parseIni, sectionValues, ownKeys, IniSyntaxError, type IniFile } from './ini.js';
export {
  parseConfig,
  parseInteger,
  DEFAULT_TIMESTAMP_TEMPLATE,
  type KuberouteConfig,
  type ParseConfigOptions,
  type SkyDnsConfig,
  type S3ReportConfig,
  type KubeconfigKind,
  type DnsBackendKind,
} from './config.js';
export { renderTemplate, TEMPLATE_START, TEMPLATE_END, type RenderResult } from './template.js';
export {
  computeRecords,
  decide,
  isValidHostName,
  sortIps,
  RECORD_TTL,
  type Decision,
  type DecisionRule,
  type ModelConfig,
  type ObjectRef,
  type RecordsResult,
  type ServiceRecord,
  type Skipped,
  type SkipReason,
} from './model/records.js';
export {
  desiredByDomain,
  heartbeatTimestamp,
  type DomainDesired,
  type HeartbeatTemplates,
} from './model/desired.js';
export {
  reportNodes,
  reportServices,
  serializeReport,
  type StateReport,
  type ReportNode,
  type ReportService,
} from './model/report.js';
export {
  createRoute53Backend,
  createSkyDnsBackend,
  createFakeDnsBackend,
  createEtcdV2SkyDnsBackend,
  fakeDnsLine,
  type DnsBackend,
} from './backends.js';
export {
  createS3Reporter,
  guessContentType,
  type StateReporter,
  type S3ReporterOptions,
} from './s3-report.js';
export {
  createReconcileStep,
  type ReconcileStep,
  type ReconcileStepOptions,
  type ReconcileResult,
  type ReconcileOutcome,
} from './reconciler.js';
export { buildModel, toSkippedObject, type KuberouteModel, type ModelInput } from './build.js';
export {
  run,
  type KuberouteApp,
  type KuberouteAppConfig,
  type KuberouteDeps,
  type KuberouteInformers,
} from './app.js';
export { UPDATED_TEXT, HEALTHY_TEXT, replyFor, addKuberouteRoutes } from './routes.js';
export {
  kubeClientFor,
  kubeConfigFor,
  kubernetesUrlKubeconfig,
  createBackend,
  createReporter,
  type ClientDeps,
} from './clients.js';
export { cli, planCli, VERSION } from './cli.js';
export { planText } from './plan.js';
