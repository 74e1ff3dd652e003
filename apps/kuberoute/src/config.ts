import { ConfigError, errorMessage } from '@kube-edge/runtime';
import { IniSyntaxError, ownKeys, parseIni, sectionValues, type IniFile } from './ini.js';

/** How kuberoute reaches the Kubernetes API (`[kuberoute] kubeconfig_kind`). */
export type KubeconfigKind = 'serviceaccount' | 'kubeconfig' | 'kubernetes_url';
/** `[kuberoute] dns_backend`. */
export type DnsBackendKind = 'route53' | 'skydns' | 'fakedns';

/** `[skydns]`: the etcd that SkyDNS/CoreDNS reads (not the DNS server itself). */
export interface SkyDnsConfig {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  /** kube-edge: `api = v3` (default, CoreDNS) or `v2` (legacy SkyDNS). */
  api: 'v2' | 'v3';
  /** kube-edge: key prefix, default `/skydns`. */
  prefix: string;
}

/** `[s3report]` (or the README's `[s3_report]`). */
export interface S3ReportConfig {
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  region: string;
  bucket: string;
  /** A template (README, "Templating"). */
  keyTemplate: string;
  acl: string;
  /** Undefined: guessed from the key's extension. */
  contentType: string | undefined;
}

/** The whole configuration file, validated. */
export interface KuberouteConfig {
  kubeconfigKind: KubeconfigKind;
  /** `[kubeconfig] filename`, for `kubeconfig_kind = kubeconfig`. */
  kubeconfigFile: string | undefined;
  /** `[kubernetes_url]`, for `kubeconfig_kind = kubernetes_url`. */
  kubernetesUrl: { url: string; verify: boolean; certificateAuthority: string | undefined } | undefined;
  port: number;
  dnsBackend: DnsBackendKind;
  labels: { domain: string; name: string; failover: string; quota: string };
  namespaces: string[];
  route53: { accessKeyId: string | undefined; secretAccessKey: string | undefined } | undefined;
  skydns: SkyDnsConfig | undefined;
  replacements: Record<string, string>;
  s3report: S3ReportConfig | undefined;
  heartbeat: { nameTemplate: string; timestampTemplate: string } | undefined;
  /** Things to log once at start (deprecated spellings, disabled report). */
  warnings: string[];
}

/** The timestamp template the original used when `[heartbeat] timestamp_template` is absent. */
export const DEFAULT_TIMESTAMP_TEMPLATE = '_TEMPLATE_START_timestamp_TEMPLATE_END_.kuberoute.timestamp';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** `--port`: overrides `[kuberoute] port`. */
  port?: number | undefined;
}

const KNOWN: Record<string, readonly string[]> = {
  kuberoute: [
    'kubeconfig_kind',
    'port',
    'dns_backend',
    'domain_label',
    'name_label',
    'failover_label',
    'quota_label',
    'namespaces',
    'namespace',
  ],
  kubeconfig: ['filename'],
  kubernetes_url: ['url', 'verify', 'certificate_authority'],
  route53: ['aws_access_key_id', 'aws_secret_access_key'],
  skydns: ['host', 'port', 'protocol', 'api', 'prefix'],
  fakedns: [],
  s3report: [
    'aws_access_key_id',
    'aws_secret_access_key',
    'region_name',
    'bucket_name',
    'key',
    'acl',
    'content_type',
  ],
  heartbeat: ['name_template', 'timestamp_template'],
};
// The original passed the active backend section's keys as keyword arguments, so an unknown key
// crashed it: kube-edge names the key instead. Elsewhere an unknown key is only a warning.
const STRICT = new Set(['route53', 'skydns', 'fakedns']);

function fail(section: string, key: string | undefined, message: string, cause?: unknown): never {
  const where = key === undefined ? `[${section}]` : `[${section}] ${key}`;
  throw new ConfigError(`${where}: ${message}`, { key: where, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Parses and validates the kuberoute config file text (README, "Configuration file"). Throws a
 * {@link ConfigError} whose `key` names the section and key at fault (`[kuberoute] port`). Pure.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): KuberouteConfig {
  let file: IniFile;
  try {
    file = parseIni(text);
  } catch (err) {
    if (err instanceof IniSyntaxError)
      throw new ConfigError(`config file: ${err.message}`, { key: 'config', cause: err });
    throw err;
  }
  const warnings: string[] = [];
  const section = (name: string): Map<string, string> | undefined => {
    try {
      return sectionValues(file, name);
    } catch (err) {
      return fail(name, undefined, errorMessage(err), err);
    }
  };
  const activeBackend = file.sections.get('kuberoute')?.get('dns_backend');
  for (const [name, keys] of Object.entries(KNOWN)) {
    const known = new Set(keys);
    for (const key of ownKeys(file, name)) {
      if (known.has(key)) continue;
      if (STRICT.has(name) && name === activeBackend) fail(name, key, 'unknown key');
      warnings.push(`[${name}] ${key}: unknown key, ignored`);
    }
  }

  const kr = section('kuberoute');
  if (kr === undefined) fail('kuberoute', undefined, 'section is missing');
  const required = (sec: Map<string, string>, name: string, key: string): string => {
    const v = sec.get(key);
    if (v === undefined || v === '') fail(name, key, 'is required');
    return v;
  };

  const kind = required(kr, 'kuberoute', 'kubeconfig_kind');
  if (kind !== 'serviceaccount' && kind !== 'kubeconfig' && kind !== 'kubernetes_url') {
    fail(
      'kuberoute',
      'kubeconfig_kind',
      `must be serviceaccount, kubeconfig or kubernetes_url, not ${JSON.stringify(kind)}`,
    );
  }
  let kubeconfigFile: string | undefined;
  let kubernetesUrl: KuberouteConfig['kubernetesUrl'];
  if (kind === 'kubeconfig') {
    const s = section('kubeconfig');
    if (s === undefined)
      fail('kubeconfig', undefined, 'section is required with kubeconfig_kind = kubeconfig');
    kubeconfigFile = required(s, 'kubeconfig', 'filename');
  } else if (kind === 'kubernetes_url') {
    const s = section('kubernetes_url');
    if (s === undefined)
      fail('kubernetes_url', undefined, 'section is required with kubeconfig_kind = kubernetes_url');
    const url = required(s, 'kubernetes_url', 'url');
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch (err) {
      fail('kubernetes_url', 'url', `is not an http(s) URL: ${JSON.stringify(url)}`, err);
    }
    const verify = parseBool(s.get('verify') ?? 'true');
    if (verify === undefined) fail('kubernetes_url', 'verify', 'must be yes, on, true, no, off or false');
    const ca = s.get('certificate_authority');
    kubernetesUrl = { url, verify, certificateAuthority: ca === '' ? undefined : ca };
  }

  let port = options.port;
  if (port === undefined) {
    const raw = kr.get('port');
    if (raw === undefined || raw === '') fail('kuberoute', 'port', 'is required unless --port is given');
    port = parseInteger(raw);
    if (port === undefined) fail('kuberoute', 'port', `is not a number: ${JSON.stringify(raw)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail('kuberoute', 'port', `is out of range: ${port}`);

  const backend = required(kr, 'kuberoute', 'dns_backend');
  if (backend !== 'route53' && backend !== 'skydns' && backend !== 'fakedns') {
    fail('kuberoute', 'dns_backend', `must be route53, skydns or fakedns, not ${JSON.stringify(backend)}`);
  }
  const labels = {
    domain: required(kr, 'kuberoute', 'domain_label'),
    name: required(kr, 'kuberoute', 'name_label'),
    failover: required(kr, 'kuberoute', 'failover_label'),
    quota: required(kr, 'kuberoute', 'quota_label'),
  };
  let nsText = kr.get('namespaces');
  if (nsText === undefined && kr.get('namespace') !== undefined) {
    nsText = kr.get('namespace');
    warnings.push('[kuberoute] namespace is deprecated: write namespaces (a comma-separated list)');
  }
  if (nsText === undefined) fail('kuberoute', 'namespaces', 'is required');
  const namespaces = nsText
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (namespaces.length === 0) fail('kuberoute', 'namespaces', 'lists no namespace');
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
      fail('kuberoute', 'namespaces', `${JSON.stringify(ns)} is not a namespace name`);
  }

  let route53: KuberouteConfig['route53'];
  let skydns: SkyDnsConfig | undefined;
  if (backend === 'route53') {
    const s = section('route53');
    if (s === undefined) fail('route53', undefined, 'section is required with dns_backend = route53');
    route53 = credentials(s, 'route53');
  } else if (backend === 'skydns') {
    const s = section('skydns');
    if (s === undefined) fail('skydns', undefined, 'section is required with dns_backend = skydns');
    const rawPort = s.get('port') ?? '2379';
    const etcdPort = parseInteger(rawPort);
    if (etcdPort === undefined || etcdPort < 1 || etcdPort > 65535)
      fail('skydns', 'port', `is not a port: ${JSON.stringify(rawPort)}`);
    const protocol = s.get('protocol') ?? 'https';
    if (protocol !== 'http' && protocol !== 'https') fail('skydns', 'protocol', 'must be http or https');
    const api = (s.get('api') ?? 'v3').toLowerCase();
    if (api !== 'v2' && api !== 'v3') fail('skydns', 'api', 'must be v2 or v3');
    const prefix = s.get('prefix') ?? '/skydns';
    if (!/^\/[A-Za-z0-9_./-]*$/.test(prefix)) fail('skydns', 'prefix', 'must be an absolute key path');
    const host = s.get('host') ?? '127.0.0.1';
    if (host === '' || /[/\s]/.test(host))
      fail('skydns', 'host', `is not a host name: ${JSON.stringify(host)}`);
    skydns = { host, port: etcdPort, protocol, api, prefix };
  }

  const replacements: Record<string, string> = {};
  for (const [k, v] of section('replacements') ?? new Map<string, string>()) replacements[k] = v;

  let s3report: S3ReportConfig | undefined;
  let s3 = section('s3report');
  let s3Name = 's3report';
  if (s3 === undefined && file.sections.has('s3_report')) {
    s3 = section('s3_report');
    s3Name = 's3_report';
    warnings.push(
      '[s3_report] is read as [s3report] (the README spelling; the original read only [s3report])',
    );
  }
  if (s3 === undefined) {
    warnings.push('no [s3report] section: status gets not reported');
  } else {
    const bucket = s3.get('bucket_name') ?? '';
    const key = s3.get('key') ?? '';
    if (bucket === '' || key === '') {
      warnings.push(`[${s3Name}] needs bucket_name and key: status gets not reported`);
    } else {
      const creds = credentials(s3, s3Name);
      const contentType = s3.get('content_type');
      s3report = {
        ...creds,
        region: s3.get('region_name') || 'eu-central-1',
        bucket,
        keyTemplate: key,
        acl: s3.get('acl') || 'private',
        contentType: contentType === '' ? undefined : contentType,
      };
    }
  }

  let heartbeat: KuberouteConfig['heartbeat'];
  const hb = section('heartbeat');
  const nameTemplate = hb?.get('name_template');
  if (hb !== undefined && nameTemplate !== undefined && nameTemplate !== '') {
    heartbeat = {
      nameTemplate,
      timestampTemplate: hb.get('timestamp_template') || DEFAULT_TIMESTAMP_TEMPLATE,
    };
  }

  return {
    kubeconfigKind: kind,
    kubeconfigFile,
    kubernetesUrl,
    port,
    dnsBackend: backend,
    labels,
    namespaces,
    route53,
    skydns,
    replacements,
    s3report,
    heartbeat,
    warnings,
  };
}

function credentials(
  s: Map<string, string>,
  name: string,
): { accessKeyId: string | undefined; secretAccessKey: string | undefined } {
  const id = s.get('aws_access_key_id') || undefined;
  const secret = s.get('aws_secret_access_key') || undefined;
  if ((id === undefined) !== (secret === undefined)) {
    fail(
      name,
      id === undefined ? 'aws_access_key_id' : 'aws_secret_access_key',
      'give both aws_access_key_id and aws_secret_access_key, or neither (default credential chain)',
    );
  }
  return { accessKeyId: id, secretAccessKey: secret };
}

/** configparser's booleans as the original accepted them for `verify`. */
function parseBool(v: string): boolean | undefined {
  const l = v.trim().toLowerCase();
  if (l === 'yes' || l === 'on' || l === 'true') return true;
  if (l === 'no' || l === 'off' || l === 'false') return false;
  return undefined;
}

/** Python `int()` of a decimal string: optional sign, surrounding blanks, `_` between digits. */
export function parseInteger(v: string): number | undefined {
  const t = v.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  const n = Number(t.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}
