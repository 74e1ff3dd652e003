import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { DEFAULT_TIMESTAMP_TEMPLATE, parseConfig } from './config.js';

const examples = new URL('../../../examples/kuberoute/', import.meta.url);
const base = `[kuberoute]
kubeconfig_kind = serviceaccount
port = 8081
dns_backend = fakedns
domain_label = kuberoute_domain
name_label = kuberoute_name
failover_label = kuberoute_failover
quota_label = kuberoute_quota
namespaces = default
`;

function configError(text: string, options = {}): ConfigError {
  try {
    parseConfig(text, options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('parseConfig', () => {
  it('loads the Route53 example config', () => {
    const c = parseConfig(readFileSync(new URL('route53.config', examples), 'utf8'));
    expect(c).toMatchObject({
      kubeconfigKind: 'serviceaccount',
      port: 8081,
      dnsBackend: 'route53',
      labels: {
        domain: 'kuberoute_domain',
        name: 'kuberoute_name',
        failover: 'kuberoute_failover',
        quota: 'kuberoute_quota',
      },
      namespaces: ['default', 'edge'],
      route53: { accessKeyId: undefined, secretAccessKey: undefined },
      replacements: { cluster_id: 'prod-eu-1' },
      heartbeat: { nameTemplate: 'heartbeat-_TEMPLATE_START_cluster_id_TEMPLATE_END_' },
      s3report: {
        region: 'eu-central-1',
        bucket: 'statusreport-bucket',
        keyTemplate: '_TEMPLATE_START_cluster_id_TEMPLATE_END_/kuberoute.json',
        acl: 'private',
        contentType: 'application/json',
      },
    });
    expect(c.warnings).toEqual([]);
  });

  it('loads the SkyDNS example config', () => {
    const c = parseConfig(readFileSync(new URL('skydns.config', examples), 'utf8'));
    expect(c.skydns).toEqual({
      host: 'etcd.kube-system.svc',
      port: 2379,
      protocol: 'http',
      api: 'v3',
      prefix: '/skydns',
    });
  });

  it('loads the README example after fixing namespace, with a deprecation warning for the singular', () => {
    const readme = `[kuberoute]
kubeconfig_kind = serviceaccount
port = 8081
dns_backend = skydns
domain_label = kuberoute_domain
name_label = kuberoute_name
failover_label = kuberoute_failover
quota_label = kuberoute_quota
namespace = default

[skydns]
# host of the etcd instance that skydns uses,
# this is NOT THE SKYDNS HOST
host = etcd.server.url
port = 2379
protocol = http

[route53]
# this section will be ignored.
aws_access_key_id = 123456ABCDEF
aws_secret_access_key = abcdefghijk12334677246
`;
    const c = parseConfig(readme);
    expect(c.namespaces).toEqual(['default']);
    expect(c.skydns?.host).toBe('etcd.server.url');
    expect(c.route53).toBeUndefined();
    expect(c.warnings.join('\n')).toMatch(/namespace is deprecated/);
    expect(c.warnings.join('\n')).toMatch(/status gets not reported/);
  });

  it('applies the defaults of the original', () => {
    const c = parseConfig(
      `${base}[skydns]\n[s3report]\nbucket_name = b\nkey = k.json\n[heartbeat]\nname_template = hb\n`.replace(
        'fakedns',
        'skydns',
      ),
    );
    expect(c.skydns).toEqual({
      host: '127.0.0.1',
      port: 2379,
      protocol: 'https',
      api: 'v3',
      prefix: '/skydns',
    });
    expect(c.s3report).toMatchObject({
      region: 'eu-central-1',
      acl: 'private',
      contentType: undefined,
      accessKeyId: undefined,
    });
    expect(c.heartbeat).toEqual({ nameTemplate: 'hb', timestampTemplate: DEFAULT_TIMESTAMP_TEMPLATE });
  });

  it('lets --port override [kuberoute] port, and makes the key optional then', () => {
    expect(parseConfig(base, { port: 9000 }).port).toBe(9000);
    expect(parseConfig(base.replace('port = 8081\n', ''), { port: 9000 }).port).toBe(9000);
  });

  it('does not require a [fakedns] section but accepts an empty one', () => {
    expect(parseConfig(base).dnsBackend).toBe('fakedns');
    expect(parseConfig(`${base}[fakedns]\n`).dnsBackend).toBe('fakedns');
  });

  it('accepts [s3_report] as an alias with a warning', () => {
    const c = parseConfig(`${base}[s3_report]\nbucket_name = b\nkey = k\n`);
    expect(c.s3report?.bucket).toBe('b');
    expect(c.warnings.join()).toMatch(/s3_report/);
  });

  it('disables the report with one warning when bucket_name or key is missing', () => {
    const c = parseConfig(`${base}[s3report]\nbucket_name = b\n`);
    expect(c.s3report).toBeUndefined();
    expect(c.warnings).toEqual(['[s3report] needs bucket_name and key: status gets not reported']);
  });

  it('reads the kubernetes_url section with verify and CA', () => {
    const text = base.replace('serviceaccount', 'kubernetes_url');
    expect(
      parseConfig(`${text}[kubernetes_url]\nurl = https://127.0.0.1:8080\nverify = no\n`).kubernetesUrl,
    ).toEqual({
      url: 'https://127.0.0.1:8080',
      verify: false,
      certificateAuthority: undefined,
    });
    expect(
      parseConfig(`${text}[kubernetes_url]\nurl = https://k\ncertificate_authority = /var/lib/ssl/ca.crt\n`)
        .kubernetesUrl,
    ).toEqual({ url: 'https://k', verify: true, certificateAuthority: '/var/lib/ssl/ca.crt' });
  });

  it.each([
    ['no [kuberoute] section', '[route53]\n', '[kuberoute]'],
    ['a bad kubeconfig_kind', base.replace('serviceaccount', 'token'), '[kuberoute] kubeconfig_kind'],
    ['a missing port', base.replace('port = 8081\n', ''), '[kuberoute] port'],
    ['a non-numeric port', base.replace('8081', 'http'), '[kuberoute] port'],
    ['a bad dns_backend', base.replace('fakedns', 'bind'), '[kuberoute] dns_backend'],
    ['a missing label key', base.replace('quota_label = kuberoute_quota\n', ''), '[kuberoute] quota_label'],
    ['no namespaces', base.replace('namespaces = default\n', ''), '[kuberoute] namespaces'],
    [
      'an invalid namespace',
      base.replace('namespaces = default', 'namespaces = Default'),
      '[kuberoute] namespaces',
    ],
    ['route53 without its section', base.replace('fakedns', 'route53'), '[route53]'],
    [
      'an unknown [route53] key',
      `${base.replace('fakedns', 'route53')}[route53]\nregion = x\n`,
      '[route53] region',
    ],
    [
      'one AWS key without the other',
      `${base.replace('fakedns', 'route53')}[route53]\naws_access_key_id = a\n`,
      '[route53] aws_secret_access_key',
    ],
    ['a bad skydns port', `${base.replace('fakedns', 'skydns')}[skydns]\nport = x\n`, '[skydns] port'],
    [
      'a bad skydns protocol',
      `${base.replace('fakedns', 'skydns')}[skydns]\nprotocol = grpc\n`,
      '[skydns] protocol',
    ],
    ['kubeconfig without its section', base.replace('serviceaccount', 'kubeconfig'), '[kubeconfig]'],
    [
      'kubeconfig without filename',
      `${base.replace('serviceaccount', 'kubeconfig')}[kubeconfig]\n`,
      '[kubeconfig] filename',
    ],
    [
      'a bad verify',
      `${base.replace('serviceaccount', 'kubernetes_url')}[kubernetes_url]\nurl = http://k\nverify = maybe\n`,
      '[kubernetes_url] verify',
    ],
    [
      'a bad url',
      `${base.replace('serviceaccount', 'kubernetes_url')}[kubernetes_url]\nurl = k8s\n`,
      '[kubernetes_url] url',
    ],
    ['a broken interpolation', `${base}[replacements]\nx = %(y)s\n`, '[replacements]'],
    ['a syntax error', `${base}junk\n`, 'config'],
  ])('names the section and key for %s', (_what, text, key) => {
    const err = configError(text);
    expect(err.key).toBe(key);
    expect(err.message.startsWith(key === 'config' ? 'config file: line' : key)).toBe(true);
  });

  it('only warns about an unknown key in the section of a backend that is not active', () => {
    expect(parseConfig(`${base}[route53]\nregion = x\n`).warnings).toContain(
      '[route53] region: unknown key, ignored',
    );
  });

  it('warns about unknown keys outside the strict sections', () => {
    expect(parseConfig(`${base.replace('port = 8081', 'port = 8081\ninterval = 5')}`).warnings).toEqual([
      '[kuberoute] interval: unknown key, ignored',
      'no [s3report] section: status gets not reported',
    ]);
  });
});
