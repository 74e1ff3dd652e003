import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { controllerCli, planCli } from './cli.js';
import { buildConfig } from './config.js';

const DEFAULTS = { namespace: 'kube-system', identity: 'pod-1' };

function parse(argv: string[], env: Record<string, string> = {}) {
  const r = controllerCli.parse(argv, env);
  if (r.kind !== 'run') throw new Error(`expected a run, got ${r.kind}`);
  return r.values;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError thrown');
}

describe('controller flags', () => {
  it("reads a feed-dns manifest's single-dash flags unchanged, with feed's defaults", () => {
    const v = parse([
      '-r53-hosted-zone=Z1',
      '-elb-label-value',
      'blue',
      '-debug',
      '-cname-ttl',
      '1m',
      '-pushgateway-interval',
      '30',
    ]);
    expect(v['r53-hosted-zone']).toEqual(['Z1']);
    expect(v['elb-label-value']).toBe('blue');
    expect(v.debug).toBe(true);
    expect(v['cname-ttl']).toBe(60_000);
    expect(v['pushgateway-interval']).toBe(30_000);
    expect(v['health-port']).toBe(12082);
    expect(v['resync-period']).toBe(15 * 60_000);
    expect(v['elb-region']).toBe('eu-west-1');
    expect(v['aws-api-retries']).toBe(5);
  });

  it('takes several hosted zones, repeated or comma-separated, and from the environment', () => {
    expect(
      parse(['-r53-hosted-zone', 'Z1', '--r53-hosted-zone=Z2,apps.example.com'])['r53-hosted-zone'],
    ).toEqual(['Z1', 'Z2', 'apps.example.com']);
    expect(parse([], { FEED_DNS_R53_HOSTED_ZONE: 'Z9' })['r53-hosted-zone']).toEqual(['Z9']);
  });

  it('lists every flag with its default in --help, and mentions the plan command', () => {
    const help = controllerCli.helpText();
    for (const name of Object.keys(controllerCli.spec.flags)) expect(help).toContain(`--${name}`);
    expect(help).toContain('default: 12082');
    expect(help).toContain('feed-dns plan');
    const r = controllerCli.parse(['--help'], {});
    expect(r.kind).toBe('help');
    const planHelp = planCli.helpText();
    for (const name of Object.keys(planCli.spec.flags)) expect(planHelp).toContain(`--${name}`);
  });
});

describe('buildConfig', () => {
  it('builds the ELB-tag configuration with leader election from the environment defaults', () => {
    const c = buildConfig(
      parse(['-r53-hosted-zone=Z1', '-r53-hosted-zone=Z1', '-elb-label-value=blue', '-aws-api-retries=2']),
      DEFAULTS,
    );
    expect(c.zones).toEqual(['Z1']);
    expect(c.frontends).toEqual({ kind: 'elb-tags', frontendTagValue: 'blue' });
    expect(c.awsMaxAttempts).toBe(3);
    expect(c.cnameTtlSeconds).toBe(300);
    expect(c.logLevel).toBe('info');
    expect(c.leaderElection).toMatchObject({ namespace: 'kube-system', identity: 'pod-1', name: 'feed-dns' });
    expect(
      buildConfig(parse(['-r53-hosted-zone=Z1', '-elb-label-value=blue', '--no-leader-elect']), DEFAULTS)
        .leaderElection,
    ).toBeUndefined();
  });

  it("takes either static hostname alone (the source's behaviour, not the help text's)", () => {
    const c = buildConfig(parse(['-r53-hosted-zone=Z1', '-external-hostname=pub.lb.example.net']), DEFAULTS);
    expect(c.frontends).toEqual({ kind: 'static', internal: undefined, external: 'pub.lb.example.net' });
  });

  it.each([
    [['-elb-label-value=blue'], '--r53-hosted-zone'],
    [['-r53-hosted-zone=Z1'], '--elb-label-value'],
    [['-r53-hosted-zone=Z1', '-elb-label-value=blue', '-alb-names=a,b'], '--alb-names'],
    [
      ['-r53-hosted-zone=Z1', '-elb-label-value=blue', '-internal-hostname=x.example.net'],
      '--internal-hostname',
    ],
    [['-r53-hosted-zone=Z1', '-internal-hostname=http://x'], '--internal-hostname'],
    [
      ['-r53-hosted-zone=Z1', '-elb-label-value=blue', '-include-classless-ingresses'],
      '--include-classless-ingresses',
    ],
    [['-r53-hosted-zone=Z1', '-elb-label-value=blue', '-max-delete-share=1.5'], '--max-delete-share'],
    [['-r53-hosted-zone=Z1', '-elb-label-value=blue', '-cname-ttl=100ms'], '--cname-ttl'],
  ])('refuses %j naming %s', (argv, key) => {
    expect(configError(() => buildConfig(parse(argv), DEFAULTS)).key).toBe(key);
  });

  it('refuses an unknown single-dash flag, naming it', () => {
    expect(configError(() => controllerCli.parse(['-r53-hosted-zon=Z1'], {})).code).toBe('UNKNOWN_FLAG');
  });
});
