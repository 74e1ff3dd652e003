import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import { COMMANDS, ROOT_FLAGS, allFlagNames, feedIngressCli, fromFeedV1Args } from './cli.js';
import { configFromArgs, modelConfigFromArgs } from './config.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const BASE = ['--ingress-class=edge', '--ingress-port=8080'];

function parseRun(argv: string[], env: Record<string, string> = {}) {
  const r = feedIngressCli.parse(argv, env);
  if (r.kind !== 'run' || r.command === 'render') throw new Error(`not a run: ${r.kind}`);
  return r;
}

describe('feed-ingress --help', () => {
  it('lists every root flag with its default and env var', () => {
    const text = feedIngressCli.helpText('static');
    for (const [name, spec] of Object.entries(ROOT_FLAGS)) {
      const line = text.split('\n').findIndex((l) => new RegExp(`^  (-[a-z], )?--${name}( |$)`).test(l));
      expect(line).toBeGreaterThanOrEqual(0);
      const notes = text.split('\n')[line + 1] ?? '';
      expect(notes).toMatch(/default: |required/);
      const env =
        'env' in spec && typeof spec.env === 'string'
          ? spec.env
          : `FEED_INGRESS_${name.toUpperCase().replace(/-/g, '_')}`;
      expect(notes).toContain(`env: ${env}`);
    }
  });

  it("lists every subcommand flag in that subcommand's help", () => {
    for (const [command, spec] of Object.entries(COMMANDS)) {
      const text = feedIngressCli.helpText(command);
      for (const name of Object.keys(spec.flags)) expect(text).toContain(`--${name}`);
    }
  });

  it('says that Merlin is gone', () => {
    expect(feedIngressCli.helpText()).toMatch(/Merlin in v6/);
    expect(() => feedIngressCli.parse(['merlin', ...BASE], {})).toThrow(ConfigError);
  });

  it('prints the version', () => {
    expect(feedIngressCli.parse(['--version'], {})).toEqual({
      kind: 'version',
      text: expect.stringContaining('0.1.0'),
    });
  });
});

describe('feed v1.x command lines', () => {
  // A feed v1.x Deployment's args: Go flags with one dash, the frontend chosen by a flag.
  const v1 = [
    '-ingress-port=8080',
    '-ingress-health-port=8081',
    '-ingress-class',
    'edge',
    '-registration-frontend-type=elb',
    '-elb-frontend-tag-value=dev',
    '-drain-delay=30s',
    '-nginx-workers',
    '2',
    '-debug',
  ];

  it('reads single-dash flags and -registration-frontend-type as the subcommand', () => {
    const r = parseRun(fromFeedV1Args(v1));
    expect(r.command).toBe('elb');
    const v = r.values as Record<string, unknown>;
    expect([
      v['ingress-port'],
      v['ingress-health-port'],
      v['ingress-class'],
      v['elb-frontend-tag-value'],
      v['drain-delay'],
      v['nginx-workers'],
      v.debug,
    ]).toEqual([8080, 8081, 'edge', 'dev', 30_000, 2, true]);
  });

  it('reads single-dash flags with a v2+ subcommand too', () => {
    const r = parseRun(['static', '-ingress-class=edge', '-ingress-port', '8080']);
    expect([r.command, r.values['ingress-class'], r.values['ingress-port']]).toEqual([
      'static',
      'edge',
      8080,
    ]);
  });

  it.each([
    [
      ['-registration-frontend-type', 'gorb', '-debug'],
      ['gorb', '-debug'],
    ],
    [['--registration-frontend-type=alb'], ['alb']],
    [
      ['-debug', 'static'],
      ['-debug', 'static'],
    ],
    [
      ['--', '-registration-frontend-type=elb'],
      ['--', '-registration-frontend-type=elb'],
    ],
  ])('fromFeedV1Args(%j) is %j', (argv, expected) => {
    expect(fromFeedV1Args(argv)).toEqual(expected);
  });

  it('refuses v1 merlin by its command name', () => {
    expect(() =>
      feedIngressCli.parse(fromFeedV1Args(['-registration-frontend-type=merlin', ...BASE])),
    ).toThrow(/unknown command "merlin"/);
  });
});

describe('README', () => {
  it('names every flag', () => {
    const missing = allFlagNames().filter((f) => !README.includes(`--${f}`));
    expect(missing).toEqual([]);
  });

  it('names every subcommand', () => {
    for (const c of Object.keys(COMMANDS)) expect(README).toContain(`feed-ingress ${c}`);
  });
});

describe('configFromArgs', () => {
  it('requires --ingress-class (feed v2+)', () => {
    expect(() => configFromArgs(parseRun(['static', '--ingress-port=8080']), 'h')).toThrow(
      /--ingress-class is required/,
    );
  });

  it("requires an http or https port (feed v3+), treating feed's -1 as unset", () => {
    expect(() => configFromArgs(parseRun(['static', '--ingress-class=edge']), 'h')).toThrow(
      /http or https port/,
    );
    expect(() =>
      configFromArgs(parseRun(['static', '--ingress-class=edge', '--ingress-port=-1']), 'h'),
    ).toThrow(/http or https port/);
    expect(
      configFromArgs(parseRun(['static', '--ingress-class=edge', '--ingress-https-port=8443']), 'h').model
        .ingressHttpsPort,
    ).toBe(8443);
  });

  it('reads every flag from its env var when not given', () => {
    const c = configFromArgs(
      parseRun(['static'], {
        FEED_INGRESS_INGRESS_CLASS: 'edge',
        FEED_INGRESS_INGRESS_PORT: '9090',
        FEED_INGRESS_NGINX_WORKERS: '3',
        POD_NAME: 'pod-1',
      }),
      'h',
    );
    expect(c.model.ingressClass).toBe('edge');
    expect(c.model.ingressPort).toBe(9090);
    expect(c.model.nginx.workers).toBe(3);
    expect(c.leaderElection.identity).toBe('pod-1');
  });

  it('keeps feed defaults', () => {
    const c = configFromArgs(parseRun(['elb', ...BASE, '--elb-frontend-tag-value=blue']), 'host-1');
    expect(c.model.defaultAllow).toEqual(['0.0.0.0/0']);
    expect(c.model.ingressHealthPort).toBe(8081);
    expect(c.healthPort).toBe(12082);
    expect(c.resyncMs).toBe(15 * 60_000);
    expect(c.nginx.updatePeriodMs).toBe(30_000);
    expect(c.model.nginx).toMatchObject({
      workers: 1,
      workerConnections: 1024,
      keepaliveSeconds: 60,
      backendKeepaliveCount: 512,
      defaultBackendTimeoutSeconds: 60,
    });
    expect(c.frontend).toEqual({
      kind: 'elb',
      region: 'eu-west-1',
      frontendTagValue: 'blue',
      expectedNumber: 0,
      drainDelayMs: 60_000,
    });
    expect(c.leaderElection).toEqual({
      enabled: true,
      namespace: 'default',
      name: 'feed-ingress-edge',
      identity: 'host-1',
    });
  });

  it('an empty --ingress-allow is an empty default list, not [""] (feed rendered `allow ;`)', () => {
    expect(configFromArgs(parseRun(['static', ...BASE, '--ingress-allow=']), 'h').model.defaultAllow).toEqual(
      [],
    );
  });

  it('joins the legacy single namespace selector with the list, and rejects a malformed one', () => {
    const c = configFromArgs(
      parseRun([
        'static',
        ...BASE,
        '--ingress-controller-namespace-selector=team=a',
        '--ingress-controller-namespace-selectors=env=prod,tier=edge',
      ]),
      'h',
    );
    expect(c.model.namespaceSelectors).toEqual([
      { name: 'team', value: 'a' },
      { name: 'env', value: 'prod' },
      { name: 'tier', value: 'edge' },
    ]);
    expect(() =>
      configFromArgs(parseRun(['static', ...BASE, '--ingress-controller-namespace-selectors=team']), 'h'),
    ).toThrow(ConfigError);
  });

  it('accepts --drain-delay on gorb (feed v2+ forgot to register it) and validates gorb flags', () => {
    const c = configFromArgs(parseRun(['gorb', ...BASE, '--drain-delay=15s']), 'h');
    expect(c.frontend).toMatchObject({
      kind: 'gorb',
      drainDelayMs: 15_000,
      services: [
        { name: 'http-proxy', port: 80 },
        { name: 'https-proxy', port: 443 },
      ],
      healthCheckType: 'http',
    });
    expect(() =>
      configFromArgs(parseRun(['gorb', ...BASE, '--gorb-backend-healthcheck-type=udp']), 'h'),
    ).toThrow(/gorb-backend-healthcheck-type/);
  });

  it('requires the frontend selector of each AWS subcommand', () => {
    expect(() => configFromArgs(parseRun(['elb', ...BASE]), 'h')).toThrow(/--elb-frontend-tag-value/);
    expect(() => configFromArgs(parseRun(['nlb', ...BASE]), 'h')).toThrow(/--nlb-frontend-tag-value/);
    expect(() => configFromArgs(parseRun(['alb', ...BASE]), 'h')).toThrow(/--alb-target-group-names/);
  });

  it('refuses at start a flag value nginx would refuse, naming the flag', () => {
    const err = (() => {
      try {
        configFromArgs(parseRun(['static', ...BASE, '--ingress-allow=10.0.0.0/8,not-a-cidr']), 'h');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('--ingress-allow');
    expect(() => configFromArgs(parseRun(['static', ...BASE, '--ingress-health-port=8080']), 'h')).toThrow(
      /must differ/,
    );
  });

  it('refuses OpenTracing flags it cannot honour', () => {
    expect(() =>
      configFromArgs(parseRun(['static', ...BASE, '--nginx-opentracing-plugin-path=/x.so']), 'h'),
    ).toThrow(/OpenTracing/);
  });

  it('puts the TLS and temp dirs under the nginx work dir', () => {
    const r = feedIngressCli.parse(['render', '-f', 'a.yaml', '--nginx-workdir=/w'], {});
    if (r.kind !== 'run') throw new Error('not a run');
    const m = modelConfigFromArgs(r);
    expect(m.nginx).toMatchObject({ workDir: '/w', tlsDir: '/w/tls', tempPathRoot: '/w/tmp' });
  });
});
