import { describe, expect, it } from '@jest/globals';
import {
  defineCli,
  isServiceLinkValue,
  normaliseSingleDashFlags,
  type CliResult,
  type CliSpec,
  type ParsedCli,
} from './cli.js';
import { ConfigError } from './errors.js';

// A cut-down feed-ingress: root flags shared by every command, per-command flags.
const feed = defineCli({
  name: 'feed-ingress',
  version: '1.2.3',
  description: 'nginx ingress controller',
  envPrefix: 'FEED_INGRESS',
  flags: {
    debug: { type: 'boolean', description: 'Debug logging.' },
    'nginx-workers': {
      type: 'number',
      integer: true,
      default: 1,
      description: 'worker_processes.',
      env: 'NGINX_WORKER_PROCESSES',
    },
    'resync-period': { type: 'duration', default: 15 * 60_000, description: 'Informer resync.' },
    'pushgateway-interval': {
      type: 'duration',
      default: 60_000,
      description: 'Seconds between pushes.',
      env: false,
    },
    'ingress-class': { type: 'string', required: true, description: 'Ingress class to adopt.' },
    'nginx-trusted-frontends': { type: 'csv', description: 'CIDRs for set_real_ip_from.' },
    'pushgateway-label': { type: 'map', description: 'Labels added to every metric.' },
    'client-max-body-size': { type: 'size', default: 1024 ** 2, description: 'client_max_body_size.' },
    'nginx-loglevel': {
      type: 'enum',
      choices: ['debug', 'info', 'warn', 'error'],
      default: 'warn',
      description: 'error_log level.',
    },
    'ingress-allow': {
      type: 'csv',
      keepEmpty: true,
      default: ['0.0.0.0/0'],
      description: 'Default allow list.',
    },
    'ingress-strip-path': { type: 'boolean', default: true, description: 'Default for sky.uk/strip-path.' },
    kubeconfig: { type: 'string', alias: 'k', description: 'Empty means in-cluster.' },
  },
  commands: {
    elb: {
      description: 'Attach to classic ELBs.',
      flags: {
        'elb-label-value': { type: 'string', default: '', description: 'ELB tag value to match.' },
        'drain-delay': { type: 'duration', default: 60_000, description: 'Wait after detaching.' },
        'elb-expected-number': {
          type: 'number',
          default: 0,
          description: 'ELBs expected.',
          deprecated: 'no effect since v2',
        },
      },
    },
    static: { description: 'No frontend.' },
    render: {
      description: 'Print nginx.conf.',
      flags: { 'manifests-dir': { type: 'string', required: true, description: 'Where manifests are.' } },
    },
  },
});

type FeedResult = CliResult<typeof feed.spec>;

function run(argv: string[], env: Record<string, string> = {}): ParsedCli<typeof feed.spec> {
  const result: FeedResult = feed.parse(argv, env);
  if (result.kind !== 'run') throw new Error(`expected a run, got ${result.kind}`);
  return result;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const base = ['--ingress-class', 'internal'];

describe('defineCli parse: precedence', () => {
  it('takes a flag over its env var over its default', () => {
    expect(run(['static', ...base]).values['nginx-workers']).toBe(1);
    expect(run(['static', ...base]).sources['nginx-workers']).toBe('default');

    const fromEnv = run(['static', ...base], { NGINX_WORKER_PROCESSES: '4' });
    expect(fromEnv.values['nginx-workers']).toBe(4);
    expect(fromEnv.sources['nginx-workers']).toBe('env');

    const fromFlag = run(['static', ...base, '--nginx-workers', '8'], { NGINX_WORKER_PROCESSES: '4' });
    expect(fromFlag.values['nginx-workers']).toBe(8);
    expect(fromFlag.sources['nginx-workers']).toBe('flag');
  });

  it('reads automatic env names from the prefix, and none for a flag with env: false', () => {
    const r = run(['static', ...base], {
      FEED_INGRESS_RESYNC_PERIOD: '30s',
      FEED_INGRESS_PUSHGATEWAY_INTERVAL: '5',
    });
    expect(r.values['resync-period']).toBe(30_000);
    expect(r.values['pushgateway-interval']).toBe(60_000);
    expect(run(['static'], { FEED_INGRESS_INGRESS_CLASS: 'from-env' }).values['ingress-class']).toBe(
      'from-env',
    );
  });

  it('lets a flag set a boolean to false over an env var that sets it true', () => {
    expect(run(['static', ...base], { FEED_INGRESS_DEBUG: 'true' }).values.debug).toBe(true);
    expect(run(['static', ...base, '--debug=false'], { FEED_INGRESS_DEBUG: 'true' }).values.debug).toBe(
      false,
    );
    expect(run(['static', ...base, '--no-ingress-strip-path']).values['ingress-strip-path']).toBe(false);
    expect(run(['static', ...base]).values['ingress-strip-path']).toBe(true);
  });

  it('treats an empty env var as unset', () => {
    expect(run(['static', ...base], { NGINX_WORKER_PROCESSES: '' }).values['nginx-workers']).toBe(1);
  });
});

describe('defineCli parse: Kubernetes service-link env vars', () => {
  // A Service named like the app makes Kubernetes inject `<APP>_PORT=tcp://<ip>:<port>` and
  // `<APP>_PORT_<port>_TCP=…`, which are the automatic env names of `--port`-like flags.
  const kuberoute = defineCli({
    name: 'kuberoute',
    envPrefix: 'KUBEROUTE',
    flags: {
      port: { type: 'number', integer: true, description: 'Port.' },
      host: { type: 'string', default: '0.0.0.0', description: 'Host.' },
    },
  });
  const links = {
    KUBEROUTE_PORT: 'tcp://10.0.0.1:8081',
    KUBEROUTE_PORT_8081_TCP: 'tcp://10.0.0.1:8081',
    KUBEROUTE_PORT_8081_TCP_ADDR: '10.0.0.1',
    KUBEROUTE_PORT_8081_TCP_PORT: '8081',
    KUBEROUTE_PORT_8081_TCP_PROTO: 'tcp',
    KUBEROUTE_SERVICE_HOST: '10.0.0.1',
    KUBEROUTE_SERVICE_PORT: '8081',
  };

  it('ignores an env var holding a service link, noting it, so the flag keeps its default', () => {
    const r = kuberoute.parse([], links);
    expect(r.kind === 'run' && r.values.port).toBeUndefined();
    expect(r.kind === 'run' && r.sources.port).toBe('unset');
    expect(r.kind === 'run' && r.notes).toEqual([
      'ignored env KUBEROUTE_PORT (for --port): it holds a Kubernetes service link (tcp://10.0.0.1:8081), not a flag value',
    ]);
    const host = kuberoute.parse([], { KUBEROUTE_HOST: 'udp://[fd00::1]:53' });
    expect(host.kind === 'run' && host.values.host).toBe('0.0.0.0');
    expect(host.kind === 'run' && host.notes).toHaveLength(1);
  });

  it('still reads a real value from the same env var, and a flag over a service link without a note', () => {
    const r = kuberoute.parse([], { KUBEROUTE_PORT: '9000' });
    expect(r.kind === 'run' && r.values.port).toBe(9000);
    const flag = kuberoute.parse(['--port', '9001'], links);
    expect(flag.kind === 'run' && [flag.values.port, flag.notes]).toEqual([9001, []]);
  });

  it('still refuses a service link given as a flag value (exit 2 path)', () => {
    const err = configError(() => kuberoute.parse(['--port', 'tcp://10.0.0.1:8081']));
    expect([err.code, err.key]).toEqual(['INVALID_VALUE', '--port']);
  });

  it.each([
    ['tcp://10.0.0.1:8081', true],
    ['udp://10.0.0.10:53', true],
    ['sctp://svc.ns:9', true],
    [' tcp://[fd00::1]:443 ', true],
    ['http://10.0.0.1:8081', false],
    ['tcp://10.0.0.1', false],
    ['tcp://10.0.0.1:8081/path', false],
    ['8081', false],
  ])('isServiceLinkValue(%j) is %j', (value, expected) => {
    expect(isServiceLinkValue(value)).toBe(expected);
  });
});

describe('defineCli parse: single-dash long flags (feed v1.x command lines)', () => {
  it('reads -name value and -name=value as --name, for root and command flags and booleans', () => {
    const r = run(['elb', '-ingress-class', 'internal', '-nginx-workers=3', '-debug', '-drain-delay', '5s']);
    if (r.command !== 'elb') throw new Error('expected elb');
    expect([
      r.values['ingress-class'],
      r.values['nginx-workers'],
      r.values.debug,
      r.values['drain-delay'],
    ]).toEqual(['internal', 3, true, 5000]);
    expect(run(['static', ...base, '-no-ingress-strip-path']).values['ingress-strip-path']).toBe(false);
    expect(feed.parse(['-help']).kind).toBe('help');
    expect(feed.parse(['-version']).kind).toBe('version');
  });

  it('reports an unknown single-dash word by its name with a suggestion, not as a bundle of letters', () => {
    const err = configError(() => feed.parse(['static', ...base, '-nginx-wrkers=3']));
    expect(err.message).toBe(
      "unknown flag --nginx-wrkers for 'feed-ingress static' (did you mean --nginx-workers?)",
    );
  });

  it.each([
    [['-r53-hosted-zone=Z1'], ['--r53-hosted-zone=Z1']],
    [
      ['-r53-hosted-zone', 'Z1'],
      ['--r53-hosted-zone', 'Z1'],
    ],
    [['-debug'], ['--debug']],
    [['-debug=false'], ['--debug=false']],
    [['-no-debug'], ['--no-debug']],
    [['--debug'], ['--debug']],
    [
      ['-f', 'x.yaml'],
      ['-f', 'x.yaml'],
    ],
    [['-h'], ['-h']],
    [['-fv'], ['-fv']],
    [['-fz'], ['--fz']],
    [['-nonsense'], ['--nonsense']],
    [['-x'], ['-x']],
    [['-'], ['-']],
    [
      ['-max-delete-share', '-1'],
      ['--max-delete-share', '-1'],
    ],
    [
      ['--', '-debug'],
      ['--', '-debug'],
    ],
    [
      ['plan', '-filename=a.yaml'],
      ['plan', '--filename=a.yaml'],
    ],
  ])('normaliseSingleDashFlags(%j) is %j', (argv, expected) => {
    const names = new Set(['r53-hosted-zone', 'debug', 'max-delete-share', 'filename']);
    expect(normaliseSingleDashFlags(argv, names, new Set(['f', 'v', 'h']))).toEqual(expected);
  });

  it('keeps a cluster of one-letter aliases a cluster', () => {
    const cli = defineCli({
      name: 'x',
      flags: {
        verbose: { type: 'boolean', alias: 'v', description: 'v' },
        quiet: { type: 'boolean', alias: 'q', description: 'q' },
      },
    });
    const r = cli.parse(['-vq']);
    expect(r.kind === 'run' && [r.values.verbose, r.values.quiet]).toEqual([true, true]);
  });
});

describe('defineCli parse: types', () => {
  it('infers each value type from the spec', () => {
    const r = run(['elb', ...base]);
    // Compile-time checks: typecheck fails if inference regresses.
    const workers: number = r.values['nginx-workers'];
    const level: 'debug' | 'info' | 'warn' | 'error' = r.values['nginx-loglevel'];
    const frontends: string[] = r.values['nginx-trusted-frontends'];
    const labels: Record<string, string> = r.values['pushgateway-label'];
    const kubeconfig: string | undefined = r.values.kubeconfig;
    const cls: string = r.values['ingress-class'];
    // @ts-expect-error kubeconfig has no default, so it may be undefined
    const notAlwaysSet: string = r.values.kubeconfig;
    if (r.command === 'elb') {
      const drain: number = r.values['drain-delay'];
      expect(drain).toBe(60_000);
    }
    // @ts-expect-error drain-delay is not a flag of every command
    expect(r.values['drain-delay']).toBe(60_000);
    expect([workers, level, frontends, labels, kubeconfig, cls, notAlwaysSet]).toEqual([
      1,
      'warn',
      [],
      {},
      undefined,
      'internal',
      undefined,
    ]);
  });
});

describe('defineCli parse: values', () => {
  it('parses every flag type and command flags after or before the command word', () => {
    const r = run([
      '--debug',
      '--drain-delay=90s',
      'elb',
      ...base,
      '--resync-period',
      '5m',
      '--nginx-trusted-frontends',
      '10.0.0.0/8, 172.16.0.0/12',
      '--pushgateway-label',
      'env=prod,team=edge',
      '--client-max-body-size',
      '10m',
      '--nginx-loglevel',
      'error',
      '-k',
      '/tmp/kubeconfig',
    ]);
    expect(r.command).toBe('elb');
    if (r.command !== 'elb') throw new Error('narrowing');
    expect(r.values).toEqual({
      debug: true,
      'nginx-workers': 1,
      'resync-period': 300_000,
      'pushgateway-interval': 60_000,
      'ingress-class': 'internal',
      'nginx-trusted-frontends': ['10.0.0.0/8', '172.16.0.0/12'],
      'pushgateway-label': { env: 'prod', team: 'edge' },
      'client-max-body-size': 10 * 1024 ** 2,
      'nginx-loglevel': 'error',
      'ingress-allow': ['0.0.0.0/0'],
      'ingress-strip-path': true,
      kubeconfig: '/tmp/kubeconfig',
      'elb-label-value': '',
      'drain-delay': 90_000,
      'elb-expected-number': 0,
    });
    expect(r.warnings).toEqual([]);
  });

  it('joins repeated csv and map flags, and lets a repeated scalar flag take the last value', () => {
    const r = run([
      'static',
      ...base,
      '--pushgateway-label',
      'a=1',
      '--pushgateway-label=b=2',
      '--nginx-trusted-frontends',
      '10.0.0.0/8',
      '--nginx-trusted-frontends',
      '192.168.0.0/16',
      '--nginx-workers=2',
      '--nginx-workers=3',
    ]);
    expect(r.values['pushgateway-label']).toEqual({ a: '1', b: '2' });
    expect(r.values['nginx-trusted-frontends']).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(r.values['nginx-workers']).toBe(3);
  });

  it('keeps an empty list item for a csv flag with keepEmpty', () => {
    expect(run(['static', ...base, '--ingress-allow', 'nginx,']).values['ingress-allow']).toEqual([
      'nginx',
      '',
    ]);
    expect(run(['static', ...base, '--ingress-allow=']).values['ingress-allow']).toEqual([]);
  });

  it('gives booleans, lists and maps an implicit default, and leaves other flags without one undefined', () => {
    const r = run(['static', ...base]);
    expect(r.values.debug).toBe(false);
    expect(r.values['nginx-trusted-frontends']).toEqual([]);
    expect(r.values['pushgateway-label']).toEqual({});
    expect(r.values.kubeconfig).toBeUndefined();
    expect(r.sources.kubeconfig).toBe('unset');
  });

  it('reports a deprecated flag that was given', () => {
    const r = run(['elb', ...base, '--elb-expected-number', '2']);
    expect(r.warnings).toEqual(['--elb-expected-number is deprecated: no effect since v2']);
  });

  it('accepts a negative number as a value', () => {
    const cli = defineCli({ name: 'x', flags: { port: { type: 'number', default: -1, description: 'p' } } });
    const r = cli.parse(['--port', '-1']);
    expect(r.kind === 'run' && r.values.port).toBe(-1);
  });
});

describe('defineCli parse: errors name the flag', () => {
  it('rejects an unknown flag, naming it and suggesting a close one', () => {
    const err = configError(() => feed.parse(['static', ...base, '--nginx-wrkers', '3']));
    expect(err.key).toBe('--nginx-wrkers');
    expect(err.message).toBe(
      "unknown flag --nginx-wrkers for 'feed-ingress static' (did you mean --nginx-workers?)",
    );
    expect(err.code).toBe('UNKNOWN_FLAG');
  });

  it('rejects an unknown one-letter flag, named as it was typed', () => {
    expect(configError(() => feed.parse(['static', ...base, '-z'])).key).toBe('-z');
    expect(configError(() => feed.parse(['static', ...base, '--z=1'])).key).toBe('--z');
  });

  it('rejects another command’s flag, saying which command it belongs to', () => {
    const err = configError(() => feed.parse(['static', ...base, '--drain-delay', '5s']));
    expect(err.key).toBe('--drain-delay');
    expect(err.message).toContain("belongs to 'feed-ingress elb'");
  });

  it('names the flag for a bad flag value, and the env var too when it came from one', () => {
    const fromFlag = configError(() => feed.parse(['static', ...base, '--resync-period', '5 minutes']));
    expect(fromFlag.key).toBe('--resync-period');
    expect(fromFlag.message).toContain('--resync-period');

    const fromEnv = configError(() =>
      feed.parse(['static', ...base], { FEED_INGRESS_RESYNC_PERIOD: 'soon' }),
    );
    expect(fromEnv.key).toBe('--resync-period');
    expect(fromEnv.message).toContain('FEED_INGRESS_RESYNC_PERIOD');
    expect(fromEnv.message).toContain('"soon"');
  });

  it.each([
    [['--nginx-workers', 'two'], '--nginx-workers'],
    [['--nginx-workers', '1.5'], '--nginx-workers'],
    [['--nginx-workers', '0x10'], '--nginx-workers'],
    [['--nginx-workers=Infinity'], '--nginx-workers'],
    [['--nginx-workers='], '--nginx-workers'],
    [['--client-max-body-size', '10mb'], '--client-max-body-size'],
    [['--nginx-loglevel', 'verbose'], '--nginx-loglevel'],
    [['--pushgateway-label', 'novalue'], '--pushgateway-label'],
    [['--debug=maybe'], '--debug'],
    [['--nginx-workers'], '--nginx-workers'],
    [['--kubeconfig', '--debug'], '--kubeconfig'],
    [['--no-kubeconfig'], '--kubeconfig'],
  ])('rejects %j naming %s', (args, key) => {
    expect(configError(() => feed.parse(['static', ...base, ...args])).key).toBe(key);
  });

  it('rejects a bad boolean env var', () => {
    expect(
      configError(() => feed.parse(['static', ...base], { FEED_INGRESS_DEBUG: 'maybe' })).message,
    ).toContain('FEED_INGRESS_DEBUG');
  });

  it('requires required flags, naming the env var that could set them', () => {
    const err = configError(() => feed.parse(['static']));
    expect(err.key).toBe('--ingress-class');
    expect(err.message).toBe('missing required flag --ingress-class (or env FEED_INGRESS_INGRESS_CLASS)');
    expect(configError(() => feed.parse(['render', ...base])).key).toBe('--manifests-dir');
  });

  it('requires a known command and rejects extra arguments', () => {
    expect(configError(() => feed.parse([...base])).key).toBe('command');
    const unknown = configError(() => feed.parse(['rendr', ...base]));
    expect(unknown.key).toBe('command');
    expect(unknown.message).toContain('did you mean render?');
    expect(configError(() => feed.parse(['static', 'extra', ...base])).message).toBe(
      'unexpected argument "extra"',
    );
  });
});

describe('defineCli help and version', () => {
  it('returns the root help listing commands and every root flag with its default and env var', () => {
    const r = feed.parse(['--help']);
    expect(r.kind).toBe('help');
    const text = r.kind === 'help' ? r.text : '';
    expect(text).toContain('Usage: feed-ingress <command> [flags]');
    expect(text).toMatch(/ {2}elb {5}Attach to classic ELBs\./);
    expect(text).toContain(
      '  --nginx-workers <number>\n      worker_processes. [default: 1; env: NGINX_WORKER_PROCESSES]',
    );
    expect(text).toContain(
      '  --resync-period <duration>\n      Informer resync. [default: 15m; env: FEED_INGRESS_RESYNC_PERIOD]',
    );
    expect(text).toContain(
      '  --pushgateway-interval <duration>\n      Seconds between pushes. [default: 1m]',
    );
    expect(text).toContain('[required; env: FEED_INGRESS_INGRESS_CLASS]');
    expect(text).toContain('--client-max-body-size <size>\n      client_max_body_size. [default: 1m;');
    expect(text).toContain('--nginx-loglevel <debug|info|warn|error>');
    expect(text).toContain('-k, --kubeconfig <string>\n      Empty means in-cluster. [default: none;');
    expect(text).toContain(
      '--pushgateway-label <k=v,...>\n      Labels added to every metric. [default: "";',
    );
    for (const flag of Object.keys(feed.spec.flags)) expect(text).toContain(`--${flag}`);
  });

  it('returns a command’s help with its own flags and the global ones', () => {
    const r = feed.parse(['elb', '--help', '--unknown-is-ignored-with-help']);
    const text = r.kind === 'help' ? r.text : '';
    expect(text).toContain('Usage: feed-ingress elb [flags]');
    expect(text).toContain(
      '--drain-delay <duration>\n      Wait after detaching. [default: 1m; env: FEED_INGRESS_DRAIN_DELAY]',
    );
    expect(text).toContain('deprecated: no effect since v2');
    expect(text).toContain('--nginx-workers');
    expect(feed.helpText('elb')).toBe(text);
  });

  it('returns the version', () => {
    expect(feed.parse(['--version'])).toEqual({ kind: 'version', text: 'feed-ingress 1.2.3\n' });
  });

  it('treats --version as unknown when the CLI has no version', () => {
    const cli = defineCli({ name: 'tool', flags: {} });
    expect(configError(() => cli.parse(['--version'])).key).toBe('--version');
  });
});

describe('defineCli without commands', () => {
  const dispatcher = defineCli({
    name: 'dispatcher',
    flags: {
      port: { type: 'number', default: 80, env: 'PORT', description: 'HTTP port.' },
      'nginx-enable-health-checks': {
        type: 'boolean',
        env: 'NGINX_ENABLE_HEALTH_CHECKS',
        description: 'Upstream checks.',
      },
    },
  });

  it('reads exact env var names and has no command', () => {
    const r = dispatcher.parse([], { PORT: '8080', NGINX_ENABLE_HEALTH_CHECKS: 'TRUE' });
    expect(r).toMatchObject({
      kind: 'run',
      command: undefined,
      values: { port: 8080, 'nginx-enable-health-checks': true },
    });
  });

  it('rejects a positional argument', () => {
    expect(configError(() => dispatcher.parse(['serve'])).key).toBe('argument');
  });
});

describe('defineCli parseOrExit', () => {
  class Exit extends Error {
    constructor(readonly code: number) {
      super(`exit ${code}`);
    }
  }
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t) },
        exit: (code: number): never => {
          throw new Exit(code);
        },
      },
    };
  };

  it('prints a ConfigError with a help hint to stderr and exits 2', () => {
    const t = io();
    expect(() => feed.parseOrExit(['static', '--bogus'], {}, t.io)).toThrow(new Exit(2));
    expect(t.err.join('')).toBe(
      "feed-ingress: unknown flag --bogus for 'feed-ingress static'\nRun 'feed-ingress <command> --help' for usage.\n",
    );
  });

  it('prints help to stdout and exits 0', () => {
    const t = io();
    expect(() => feed.parseOrExit(['--help'], {}, t.io)).toThrow(new Exit(0));
    expect(t.out.join('')).toBe(feed.helpText());
  });

  it('returns the parsed result otherwise', () => {
    const t = io();
    expect(feed.parseOrExit(['static', ...base], {}, t.io)).toMatchObject({ command: 'static' });
  });
});

describe('defineCli spec checks', () => {
  it.each<[string, CliSpec]>([
    ['a camelCase flag', { name: 'x', flags: { camelCase: { type: 'string', description: '' } } }],
    ['a reserved flag', { name: 'x', flags: { help: { type: 'boolean', description: '' } } }],
    [
      'a command flag that repeats a root flag',
      {
        name: 'x',
        flags: { a: { type: 'string', description: '' } },
        commands: { c: { description: '', flags: { a: { type: 'string', description: '' } } } },
      },
    ],
    [
      'an enum default outside its choices',
      { name: 'x', flags: { e: { type: 'enum', choices: ['a'], default: 'b', description: '' } } },
    ],
    [
      'a duplicate alias',
      {
        name: 'x',
        flags: {
          a: { type: 'string', alias: 'v', description: '' },
          b: { type: 'string', alias: 'v', description: '' },
        },
      },
    ],
  ])('throws a TypeError for %s', (_what, spec) => {
    expect(() => defineCli(spec)).toThrow(TypeError);
  });
});
