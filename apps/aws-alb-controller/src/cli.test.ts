import { describe, expect, it } from '@jest/globals';
import { ConfigError, type FlagSpec } from '@kube-edge/runtime';
import { controllerCli, planCli } from './cli.js';
import { buildConfig, ineffectiveFlags, parseListenAddress, validLabelSelector } from './config.js';

const defaults = { namespace: 'kube-system', identity: 'pod-1', customFilters: undefined };

function parse(args: string[], env: Record<string, string> = {}) {
  const r = controllerCli.parse(args, env);
  if (r.kind !== 'run') throw new Error(`expected a run, got ${r.kind}`);
  return r;
}

/** The original v0.7.2's flags (single dash) and env overrides. */
const V072 = [
  ['-api-server-base-url=http://127.0.0.1:8001', 'api-server-base-url', 'http://127.0.0.1:8001'],
  ['-polling-interval=1m', 'polling-interval', 60_000],
  ['-cf-custom-template=/x.yaml', 'cf-custom-template', '/x.yaml'],
  ['-creation-timeout=10m', 'creation-timeout', 600_000],
  ['-cert-polling-interval=1h', 'cert-polling-interval', 3_600_000],
  ['-disable-sni-support', 'disable-sni-support', true],
  ['-stack-termination-protection', 'stack-termination-protection', true],
  ['-cert-ttl-timeout=1h', 'cert-ttl-timeout', 3_600_000],
  ['-health-check-path=/healthz', 'health-check-path', '/healthz'],
  ['-health-check-port=8080', 'health-check-port', 8080],
  ['-target-port=8081', 'target-port', 8081],
  ['-health-check-interval=20s', 'health-check-interval', 20_000],
  ['-idle-connection-timeout=2m', 'idle-connection-timeout', 120_000],
  ['-metrics-address=:9090', 'metrics-address', ':9090'],
  ['-ingress-class-filter=skipper,', 'ingress-class-filter', ['skipper', '']],
  ['-controller-id=other', 'controller-id', 'other'],
  ['-max-certs-alb=10', 'max-certs-alb', 10],
] as const;

describe('command line', () => {
  it.each(V072)('reads the v0.7.2 flag %s and its --double-dash spelling', (arg, name, value) => {
    expect(parse([arg]).values[name]).toEqual(value);
    expect(parse([`-${arg}`]).values[name]).toEqual(value);
  });

  it.each([
    ['API_SERVER_BASE_URL', 'http://x:8001', 'api-server-base-url', 'http://x:8001'],
    ['POLLING_INTERVAL', '10s', 'polling-interval', 10_000],
    ['CREATION_TIMEOUT', '7m', 'creation-timeout', 420_000],
    ['CERT_POLLING_INTERVAL', '5m', 'cert-polling-interval', 300_000],
    ['AWS_REGION', 'eu-central-1', 'region', 'eu-central-1'],
    [
      'AWS_ALB_CONTROLLER_SSL_POLICY',
      'ELBSecurityPolicy-TLS-1-2-2017-01',
      'ssl-policy',
      'ELBSecurityPolicy-TLS-1-2-2017-01',
    ],
  ])('reads the env var %s', (env, text, name, value) => {
    expect(parse([], { [env]: text }).values[name as 'region']).toEqual(value);
  });

  it('has the original defaults', () => {
    const v = parse([]).values;
    expect(v).toMatchObject({
      'polling-interval': 30_000,
      'creation-timeout': 300_000,
      'cert-polling-interval': 1_800_000,
      'cert-ttl-timeout': 1_800_000,
      'health-check-path': '/kube-system/healthz',
      'health-check-port': 9999,
      'target-port': 9999,
      'health-check-interval': 10_000,
      'health-check-timeout': 5_000,
      'idle-connection-timeout': 60_000,
      'deregistration-delay-timeout': 300_000,
      'min-load-balancer-age': 360_000,
      'metrics-address': ':7979',
      'controller-id': 'kube-ingress-aws-controller',
      'max-certs-alb': 24,
      'ssl-policy': 'ELBSecurityPolicy-2016-08',
      'load-balancer-type': 'application',
      'ip-addr-type': 'ipv4',
      'alb-healthy-threshold-count': 5,
      'alb-unhealthy-threshold-count': 2,
      'nlb-healthy-threshold-count': 3,
    });
  });

  it('lists every flag and env var in --help', () => {
    const r = controllerCli.parse(['--help'], {});
    if (r.kind !== 'help') throw new Error('expected help');
    for (const [, name] of V072) expect(r.text).toContain(`--${name}`);
    for (const env of [
      'API_SERVER_BASE_URL',
      'POLLING_INTERVAL',
      'CREATION_TIMEOUT',
      'CERT_POLLING_INTERVAL',
      'AWS_REGION',
      'CUSTOM_FILTERS',
    ])
      expect(r.text).toContain(env);
    const p = planCli.parse(['--help'], {});
    expect(p.kind === 'help' && p.text).toContain('--aws-state');
  });

  it('shows every flag in --help with its default and env var', () => {
    const r = controllerCli.parse(['--help'], {});
    if (r.kind !== 'help') throw new Error('expected help');
    const lines = r.text.split('\n');
    for (const [name, spec] of Object.entries(controllerCli.spec.flags) as [string, FlagSpec][]) {
      const at = lines.findIndex((l) => l.trim().startsWith(`--${name}`));
      expect({ name, listed: at >= 0 }).toEqual({ name, listed: true });
      const text = lines.slice(at, at + 3).join(' ');
      expect({ name, default: /\[default: [^;\]]+/.test(text) }).toEqual({ name, default: true });
      if (spec.env !== false)
        expect({ name, env: /env: [A-Z0-9_]+\]/.test(text) }).toEqual({ name, env: true });
    }
  });

  it('warns that -cf-custom-template has no effect', () => {
    expect(parse(['-cf-custom-template=/t.yaml']).warnings.join()).toMatch(/never had an effect/);
  });
});

describe('buildConfig', () => {
  const config = (args: string[]) => buildConfig(parse(args).values, defaults);

  it.each([
    [['--idle-connection-timeout=0s'], '--idle-connection-timeout'],
    [['--idle-connection-timeout=4001s'], '--idle-connection-timeout'],
    [['--max-certs-alb=25'], '--max-certs-alb'],
    [['--creation-timeout=30s'], '--creation-timeout'],
    [['--health-check-port=0'], '--health-check-port'],
    [['--deregistration-delay-timeout=2h'], '--deregistration-delay-timeout'],
    [['--alb-healthy-threshold-count=11'], '--alb-healthy-threshold-count'],
    [['--aws-waf-web-acl-id=nope'], '--aws-waf-web-acl-id'],
    [['--metrics-address=7979'], '--metrics-address'],
    [['--health-check-path=healthz'], '--health-check-path'],
    [['--target-access-mode=AWSCNI'], '--target-cni-namespace'],
    [['--target-access-mode=AWSCNI', '--target-cni-namespace=kube-system'], '--target-cni-pod-labelselector'],
    [
      [
        '--target-access-mode=AWSCNI',
        '--target-cni-namespace=kube-system',
        '--target-cni-pod-labelselector=app in (a,',
      ],
      '--target-cni-pod-labelselector',
    ],
    [
      [
        '--target-access-mode=AWSCNI',
        '--target-cni-namespace=Kube_System',
        '--target-cni-pod-labelselector=a=b',
      ],
      '--target-cni-namespace',
    ],
    [['--cert-filter-tag=team'], '--cert-filter-tag'],
    [['--cert-filter-tag==edge'], '--cert-filter-tag'],
    [['--cloudwatch-alarms-config-map=alarms'], '--cloudwatch-alarms-config-map'],
    [['--cloudwatch-alarms-config-map=Kube/alarms'], '--cloudwatch-alarms-config-map'],
    [['--alb-http-target-port=70000'], '--alb-http-target-port'],
    [['--nlb-http-target-port=9998'], '--nlb-http-target-port'],
    [['--deny-internal-domains', '--internal-domains=a b'], '--internal-domains'],
    [['--deny-internal-domains', '--internal-domains=a,b,c,d,e,f'], '--internal-domains'],
    [
      ['--deny-internal-domains', '--deny-internal-domains-response-status-code=301'],
      '--deny-internal-domains-response-status-code',
    ],
    [
      ['--deny-internal-domains', `--deny-internal-domains-response=${'x'.repeat(1025)}`],
      '--deny-internal-domains-response',
    ],
  ])('refuses %j naming %s', (args, key) => {
    let err: unknown;
    try {
      config(args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
  });

  it('takes one certificate per load balancer with SNI off, and the listen address', () => {
    const c = config(['-disable-sni-support', '-metrics-address=127.0.0.1:7979']);
    expect(c.settings.certsPerLoadBalancer).toBe(1);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 7979 });
    expect(c.creationTimeoutMinutes).toBe(5);
    expect(c.leaderElection).toEqual({
      namespace: 'kube-system',
      name: 'aws-alb-controller',
      identity: 'pod-1',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it('refuses a malformed CUSTOM_FILTERS term at start, naming it', () => {
    expect(() => buildConfig(parse([]).values, { ...defaults, customFilters: 'tag:a=b oops' })).toThrow(
      /oops/,
    );
    expect(
      buildConfig(parse([]).values, { ...defaults, customFilters: 'tag:a=b,c tag-key=k' }).customFilters,
    ).toBe('tag:a=b,c tag-key=k');
  });

  it('takes AWSCNI with a namespace and a label selector, and the later template flags', () => {
    const c = config([
      '--target-access-mode=AWSCNI',
      '--target-cni-namespace=kube-system',
      '--target-cni-pod-labelselector=application=skipper-ingress',
      '--cert-filter-tag=team=edge',
      '--target-https',
      '--alb-http-target-port=9998',
      '--nlb-http-enabled',
      '--nlb-http-target-port=9997',
      '--deny-internal-domains',
      '--cloudwatch-alarms-config-map=kube-system/alb-alarms',
    ]);
    expect(c.cloudWatchAlarmsConfigMap).toEqual({ namespace: 'kube-system', name: 'alb-alarms' });
    expect(c.targetCni).toEqual({ namespace: 'kube-system', labelSelector: 'application=skipper-ingress' });
    expect(c.certFilterTag).toEqual({ key: 'team', value: 'edge' });
    expect(c.settings).toMatchObject({
      targetAccessMode: 'AWSCNI',
      targetHttps: true,
      albHttpTargetPort: 9998,
      nlbHttpTargetPort: 9997,
      denyInternalDomains: {
        domains: ['*.cluster.local'],
        body: 'Unauthorized',
        contentType: 'text/plain',
        statusCode: 401,
      },
    });
    const plain = config([]);
    expect(plain.targetCni).toBeUndefined();
    expect(plain.certFilterTag).toBeUndefined();
    expect(plain.settings.denyInternalDomains).toBeUndefined();
  });

  it('names the flags that have no effect with the others', () => {
    expect(ineffectiveFlags(parse(['--target-cni-namespace=kube-system']).values)).toEqual([
      '--target-cni-namespace has no effect without --target-access-mode=AWSCNI',
    ]);
    expect(
      ineffectiveFlags(parse(['--redirect-http-to-https', '--alb-http-target-port=9998']).values),
    ).toEqual([
      '--alb-http-target-port has no effect on ALBs with --redirect-http-to-https (port 80 redirects)',
    ]);
    expect(
      ineffectiveFlags(
        parse([
          '--target-access-mode=AWSCNI',
          '--target-cni-namespace=kube-system',
          '--target-cni-pod-labelselector=a=b',
        ]).values,
      ),
    ).toEqual([]);
  });

  it('warns that --disable-instrumented-http-client has no effect', () => {
    expect(parse(['--disable-instrumented-http-client']).warnings.join()).toMatch(/no effect/);
  });

  it.each([
    ['application=skipper-ingress', true],
    ['a=x,b==y,c!=z', true],
    ['app in (a, b),!legacy,tier', true],
    ['example.com/role notin (x)', true],
    ['a=', true],
    ['', false],
    ['a in (x', false],
    ['a=b=c', false],
    ['-a=b', false],
    ['a in ()', false],
  ])('checks the label selector %j (%s)', (selector, ok) => {
    expect(validLabelSelector(selector)).toBe(ok);
  });

  it('reads the class filter with an empty entry for classless ingresses', () => {
    expect(config(['-ingress-class-filter=skipper,']).parse.classFilter).toEqual(['skipper', '']);
    expect(config([]).parse.classFilter).toBeUndefined();
  });

  it.each([
    [':7979', { host: undefined, port: 7979 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['[::1]:7979', { host: '::1', port: 7979 }],
  ])('parses the listen address %s', (a, want) => {
    expect(parseListenAddress(a)).toEqual(want);
  });
});
