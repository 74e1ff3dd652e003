import { parseCustomFilters } from '@kube-edge/aws-frontends';
import type { ControllerLeaderElection } from '@kube-edge/k8s-watch';
import { leaderElectionFromFlags } from '@kube-edge/k8s-watch/leader-election-flags';
import { ConfigError, logLevelFromFlags, type LogLevel } from '@kube-edge/runtime';
import { SSL_POLICIES, type controllerCli, type planCli } from './cli.js';
import type { ParseOptions } from './model/ingresses.js';
import { validWafWebAclId } from './model/ingresses.js';
import type { PlanSettings } from './model/desired.js';

type ControllerValues = Extract<ReturnType<typeof controllerCli.parse>, { kind: 'run' }>['values'];
type PlanValues = Extract<ReturnType<typeof planCli.parse>, { kind: 'run' }>['values'];
/** The flags the controller and the offline plan share. */
export type ModelValues = Pick<ControllerValues & PlanValues, keyof ControllerValues & keyof PlanValues>;

/** The settings that do not depend on AWS discovery (cluster id, VPC, subnets, security group). */
export type StaticSettings = Omit<PlanSettings, 'clusterId' | 'vpcId' | 'subnets' | 'securityGroup'>;

/** The controller's whole configuration, built from flags by {@link buildConfig}. */
export interface AlbControllerConfig {
  parse: ParseOptions;
  settings: StaticSettings;
  /** `--cluster-id`; undefined: from the instance's tags. */
  clusterId: string | undefined;
  vpcId: string | undefined;
  /** `CUSTOM_FILTERS` as given (parsed once the cluster id is known). */
  customFilters: string | undefined;
  region: string | undefined;
  awsMaxAttempts: number;
  pollingIntervalMs: number;
  creationTimeoutMinutes: number;
  certPollingIntervalMs: number;
  blacklistCertificateArns: string[];
  /** `--cert-filter-tag`: only certificates with this tag; undefined: every certificate. */
  certFilterTag: { key: string; value: string } | undefined;
  /** `--cloudwatch-alarms-config-map` (`namespace/name`); undefined: no alarms. */
  cloudWatchAlarmsConfigMap: { namespace: string; name: string } | undefined;
  /** `--target-access-mode=AWSCNI`: whose pod IPs go into the (ip) target groups; else undefined. */
  targetCni: { namespace: string; labelSelector: string } | undefined;
  minLoadBalancerAgeMs: number;
  terminationProtection: boolean;
  http: { host: string | undefined; port: number };
  logLevel: LogLevel;
  leaderElection: ControllerLeaderElection | undefined;
  /** The loop's batching of changes (tests make it quick); default the loop's. */
  trigger?: { quietMs: number; maxWaitMs: number; minIntervalMs: number };
}

/** The environment's defaults for {@link buildConfig} (read by main.ts). */
export interface ConfigDefaults {
  /** `$POD_NAMESPACE` or the kubeconfig/service account namespace. */
  namespace: string | undefined;
  /** `$POD_NAME` or the host name. */
  identity: string;
  /** `$CUSTOM_FILTERS`. */
  customFilters: string | undefined;
}

function range(value: number, min: number, max: number, key: string, unit = ''): number {
  if (!(value >= min && value <= max))
    throw new ConfigError(`${key} must be between ${min}${unit} and ${max}${unit}, got ${value}${unit}`, {
      key,
    });
  return value;
}

const seconds = (ms: number): number => Math.round(ms / 1000);

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * True when `selector` is a Kubernetes label selector: comma-separated `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (v1,v2)` and `key notin (v1,v2)` terms. Pure.
 */
export function validLabelSelector(selector: string): boolean {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0 || depth > 1) return false;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0) return false;
  terms.push(current);
  return terms.every((raw) => {
    const t = raw.trim();
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t);
    if (set !== null)
      return (
        LABEL_KEY.test(set[1] ?? '') &&
        (set[3] ?? '').split(',').every((v) => v.trim() !== '' && LABEL_VALUE.test(v.trim()))
      );
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(t);
    if (eq !== null) return LABEL_KEY.test(eq[1] ?? '') && LABEL_VALUE.test(eq[3] ?? '');
    return LABEL_KEY.test(t.replace(/^!\s*/, ''));
  });
}

/** `--internal-domains` and the response flags, checked against what an ALB listener rule takes. */
function denyInternalDomains(v: ModelValues): StaticSettings['denyInternalDomains'] {
  if (!v['deny-internal-domains']) return undefined;
  const key = '--internal-domains';
  const domains = v['internal-domains'].map((d) => d.trim()).filter((d) => d !== '');
  if (domains.length === 0 || domains.length > 5)
    throw new ConfigError(`${key} must name 1 to 5 host patterns with --deny-internal-domains`, { key });
  for (const d of domains)
    if (!/^[A-Za-z0-9*?.-]{1,128}$/.test(d))
      throw new ConfigError(`${key}: ${JSON.stringify(d)} is not a host pattern (letters, digits, - . * ?)`, {
        key,
      });
  const body = v['deny-internal-domains-response'];
  if (body.length > 1024)
    throw new ConfigError('--deny-internal-domains-response must be at most 1024 characters', {
      key: '--deny-internal-domains-response',
    });
  const statusCode = v['deny-internal-domains-response-status-code'];
  if (!/^[245]\d\d$/.test(String(statusCode)))
    throw new ConfigError('--deny-internal-domains-response-status-code must be a 2XX, 4XX or 5XX code', {
      key: '--deny-internal-domains-response-status-code',
    });
  return { domains, body, contentType: v['deny-internal-domains-response-content-type'], statusCode };
}

function optionalPort(value: number | undefined, key: string): number | undefined {
  return value === undefined || value === 0 ? undefined : range(value, 1, 65535, key);
}

/**
 * The settings the model and template take, from the flags the controller and `plan` share.
 * Every range the original checked is checked here, and the ones it silently ignored too
 * (`--idle-connection-timeout` out of 1s..4000s is an error, not a silent 0). Throws ConfigError
 * naming the flag. Pure.
 */
export function modelSettings(v: ModelValues): { parse: ParseOptions; settings: StaticSettings } {
  const maxCerts = range(v['max-certs-alb'], 1, 24, '--max-certs-alb');
  const waf = v['aws-waf-web-acl-id'];
  if (waf !== undefined && waf !== '' && !validWafWebAclId(waf))
    throw new ConfigError('--aws-waf-web-acl-id must be a WAF classic web ACL id or an arn:aws:wafv2: ARN', {
      key: '--aws-waf-web-acl-id',
    });
  if (v['load-balancer-type'] === 'network' && waf !== undefined && waf !== '')
    throw new ConfigError('--aws-waf-web-acl-id needs ALBs; it cannot go with --load-balancer-type=network', {
      key: '--aws-waf-web-acl-id',
    });
  const bucket = v['logs-s3-bucket'];
  if (bucket !== undefined && bucket !== '' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new ConfigError('--logs-s3-bucket must be an S3 bucket name', { key: '--logs-s3-bucket' });
  for (const [k, val] of Object.entries(v['additional-stack-tags'])) {
    if (k.startsWith('aws:') || k.length > 128 || val.length > 256)
      throw new ConfigError(`--additional-stack-tags: ${k} is not a tag key the controller may set`, {
        key: '--additional-stack-tags',
      });
  }
  const ingressClasses = v['ingress-class-filter'];
  const nlbHttpTargetPort = optionalPort(v['nlb-http-target-port'], '--nlb-http-target-port');
  if (nlbHttpTargetPort !== undefined && !v['nlb-http-enabled'])
    throw new ConfigError('--nlb-http-target-port needs --nlb-http-enabled', {
      key: '--nlb-http-target-port',
    });
  return {
    parse: {
      classFilter: ingressClasses.length === 0 ? undefined : ingressClasses.map((c) => c.trim()),
      clusterLocalDomain: v['cluster-local-domain'],
      defaultType: v['load-balancer-type'],
      defaultIpAddressType: v['ip-addr-type'],
      sslPolicies: SSL_POLICIES,
    },
    settings: {
      controllerId: v['controller-id'],
      additionalStackTags: v['additional-stack-tags'],
      certsPerLoadBalancer: v['disable-sni-support'] ? 1 : maxCerts,
      certTtlMs: v['cert-ttl-timeout'],
      defaultWafWebAclId: waf === '' ? undefined : waf,
      defaultSslPolicy: v['ssl-policy'],
      sslPolicy: v['ssl-policy'],
      healthCheckPath: checkPath(v['health-check-path']),
      healthCheckPort: range(v['health-check-port'], 1, 65535, '--health-check-port'),
      healthCheckIntervalSeconds: range(
        seconds(v['health-check-interval']),
        5,
        300,
        '--health-check-interval',
        's',
      ),
      healthCheckTimeoutSeconds: range(
        seconds(v['health-check-timeout']),
        2,
        120,
        '--health-check-timeout',
        's',
      ),
      albHealthyThresholdCount: range(
        v['alb-healthy-threshold-count'],
        2,
        10,
        '--alb-healthy-threshold-count',
      ),
      albUnhealthyThresholdCount: range(
        v['alb-unhealthy-threshold-count'],
        2,
        10,
        '--alb-unhealthy-threshold-count',
      ),
      nlbHealthyThresholdCount: range(
        v['nlb-healthy-threshold-count'],
        2,
        10,
        '--nlb-healthy-threshold-count',
      ),
      targetPort: range(v['target-port'], 1, 65535, '--target-port'),
      idleTimeoutSeconds: range(
        seconds(v['idle-connection-timeout']),
        1,
        4000,
        '--idle-connection-timeout',
        's',
      ),
      deregistrationDelaySeconds: range(
        seconds(v['deregistration-delay-timeout']),
        0,
        3600,
        '--deregistration-delay-timeout',
        's',
      ),
      targetAccessMode: v['target-access-mode'],
      redirectHttpToHttps: v['redirect-http-to-https'],
      nlbCrossZone: v['nlb-cross-zone'],
      nlbHttpEnabled: v['nlb-http-enabled'],
      nlbZoneAffinity: v['nlb-zone-affinity'],
      logsS3Bucket: bucket === '' ? undefined : bucket,
      logsS3Prefix: v['logs-s3-prefix'],
      targetHttps: v['target-https'],
      albHttpTargetPort: optionalPort(v['alb-http-target-port'], '--alb-http-target-port'),
      nlbHttpTargetPort,
      denyInternalDomains: denyInternalDomains(v),
    },
  };
}

function checkPath(path: string): string {
  if (!/^\/[\x21-\x7e]{0,1023}$/.test(path))
    throw new ConfigError('--health-check-path must be an absolute path of printable characters', {
      key: '--health-check-path',
    });
  return path;
}

/**
 * Flags given that have no effect with the others (logged at start, so none is ignored silently):
 * the AWSCNI pod selection without `--target-access-mode=AWSCNI`, and a separate HTTP target port
 * on ALBs whose port 80 redirects to HTTPS. Pure.
 */
export function ineffectiveFlags(v: ControllerValues): string[] {
  const out: string[] = [];
  if (v['target-access-mode'] !== 'AWSCNI')
    for (const f of ['target-cni-namespace', 'target-cni-pod-labelselector'] as const)
      if (v[f] !== undefined && v[f] !== '')
        out.push(`--${f} has no effect without --target-access-mode=AWSCNI`);
  const albHttp = v['alb-http-target-port'];
  if (v['redirect-http-to-https'] && albHttp !== undefined && albHttp !== 0)
    out.push(
      '--alb-http-target-port has no effect on ALBs with --redirect-http-to-https (port 80 redirects)',
    );
  return out;
}

/** `host:port` of `--metrics-address` (`:7979` listens on every interface). Pure. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(address.trim());
  const port = Number(m?.[2]);
  if (m === null || !(port >= 0 && port <= 65535))
    throw new ConfigError(`--metrics-address must be [host]:port, got ${JSON.stringify(address)}`, {
      key: '--metrics-address',
    });
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port };
}

/**
 * Builds the controller configuration from parsed flags and the environment's defaults. Throws
 * ConfigError naming the flag. Pure.
 */
export function buildConfig(v: ControllerValues, d: ConfigDefaults): AlbControllerConfig {
  const { parse, settings } = modelSettings(v);
  if (!(v['polling-interval'] > 0))
    throw new ConfigError('--polling-interval must be positive', { key: '--polling-interval' });
  if (!(v['creation-timeout'] >= 60_000))
    throw new ConfigError('--creation-timeout must be at least 1m', { key: '--creation-timeout' });
  if (!(v['cert-polling-interval'] > 0))
    throw new ConfigError('--cert-polling-interval must be positive', { key: '--cert-polling-interval' });
  let targetCni: AlbControllerConfig['targetCni'];
  if (v['target-access-mode'] === 'AWSCNI') {
    const namespace = (v['target-cni-namespace'] ?? '').trim();
    const labelSelector = (v['target-cni-pod-labelselector'] ?? '').trim();
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
      throw new ConfigError('--target-cni-namespace must name a namespace with --target-access-mode=AWSCNI', {
        key: '--target-cni-namespace',
      });
    if (labelSelector === '' || !validLabelSelector(labelSelector))
      throw new ConfigError(
        `--target-cni-pod-labelselector must be a label selector with --target-access-mode=AWSCNI, got ${JSON.stringify(labelSelector)}`,
        { key: '--target-cni-pod-labelselector' },
      );
    targetCni = { namespace, labelSelector };
  }
  const cwAlarms = v['cloudwatch-alarms-config-map'];
  let cloudWatchAlarmsConfigMap: AlbControllerConfig['cloudWatchAlarmsConfigMap'];
  if (cwAlarms !== undefined && cwAlarms !== '') {
    const m = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$/.exec(cwAlarms);
    if (m === null)
      throw new ConfigError(
        `--cloudwatch-alarms-config-map must be namespace/name, got ${JSON.stringify(cwAlarms)}`,
        { key: '--cloudwatch-alarms-config-map' },
      );
    cloudWatchAlarmsConfigMap = { namespace: m[1] ?? '', name: m[3] ?? '' };
  }
  const filterTag = v['cert-filter-tag'];
  let certFilterTag: AlbControllerConfig['certFilterTag'];
  if (filterTag !== undefined && filterTag !== '') {
    const m = /^([^=]{1,128})=([^=]{0,256})$/.exec(filterTag);
    if (m === null || (m[1] ?? '').trim() === '')
      throw new ConfigError(`--cert-filter-tag must be key=value, got ${JSON.stringify(filterTag)}`, {
        key: '--cert-filter-tag',
      });
    certFilterTag = { key: m[1] ?? '', value: m[2] ?? '' };
  }
  // A malformed CUSTOM_FILTERS term is an error now, naming the term (the cluster id of the
  // default filters is only known later; it does not matter for the syntax).
  parseCustomFilters(d.customFilters, 'syntax-check');
  const retries = v['aws-api-retries'];
  if (!(retries >= 0 && retries <= 20))
    throw new ConfigError('--aws-api-retries must be between 0 and 20', { key: '--aws-api-retries' });
  return {
    parse,
    settings,
    clusterId: v['cluster-id'] === '' ? undefined : v['cluster-id'],
    vpcId: v['vpc-id'] === '' ? undefined : v['vpc-id'],
    customFilters: d.customFilters,
    region: v.region === '' ? undefined : v.region,
    awsMaxAttempts: retries + 1,
    pollingIntervalMs: v['polling-interval'],
    creationTimeoutMinutes: Math.max(1, Math.round(v['creation-timeout'] / 60_000)),
    certPollingIntervalMs: v['cert-polling-interval'],
    blacklistCertificateArns: v['blacklist-certificate-arns'],
    certFilterTag,
    cloudWatchAlarmsConfigMap,
    targetCni,
    minLoadBalancerAgeMs: v['min-load-balancer-age'],
    terminationProtection: v['stack-termination-protection'],
    http: parseListenAddress(v['metrics-address']),
    logLevel: logLevelFromFlags(v),
    leaderElection: leaderElectionFromFlags(v, d),
  };
}
