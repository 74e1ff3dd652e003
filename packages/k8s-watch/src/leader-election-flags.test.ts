import { describe, expect, it } from '@jest/globals';
import { defineCli } from '@kube-edge/runtime';
import { leaderElectionFlags, leaderElectionFromFlags } from './leader-election-flags.js';

const full = defineCli({
  name: 'app',
  envPrefix: 'APP',
  flags: leaderElectionFlags({ defaultName: 'app-lease', description: 'Only the leader writes.' }),
});

function parse(argv: string[], env: Record<string, string> = {}) {
  const result = full.parse(argv, env);
  if (result.kind !== 'run') throw new Error(result.kind);
  return result.values;
}

describe('leaderElectionFlags', () => {
  it('defaults to a Lease named by the app with client-go timings', () => {
    expect(parse([])).toEqual({
      'leader-elect': true,
      'leader-elect-namespace': undefined,
      'leader-elect-name': 'app-lease',
      'leader-elect-identity': undefined,
      'leader-elect-lease-duration': 15_000,
      'leader-elect-renew-deadline': 10_000,
      'leader-elect-retry-period': 2_000,
    });
  });

  it('lists the flags with the help texts given', () => {
    const help = full.helpText();
    expect(help).toContain(
      '--leader-elect\n      Only the leader writes. [default: true; env: APP_LEADER_ELECT]',
    );
    expect(help).toContain(
      "--leader-elect-namespace <string>\n      Namespace of the Lease. Default: $POD_NAMESPACE, the service account's namespace, or default.",
    );
    expect(help).toContain('--leader-elect-name <string>\n      Name of the Lease. [default: app-lease;');
    expect(help).toContain('--leader-elect-retry-period <duration>');
  });

  it('leaves out the identity and timing flags when asked', () => {
    const flags = leaderElectionFlags({
      defaultName: 'n',
      description: 'd',
      namespaceDescription: 'Namespace of the Lease. Default: $POD_NAMESPACE, else default.',
      identity: false,
      timings: false,
    });
    expect(Object.keys(flags)).toEqual(['leader-elect', 'leader-elect-namespace', 'leader-elect-name']);
    expect(flags['leader-elect-namespace'].description).toBe(
      'Namespace of the Lease. Default: $POD_NAMESPACE, else default.',
    );
  });
});

describe('leaderElectionFromFlags', () => {
  const defaults = { namespace: 'pod-ns', identity: 'pod-1' };

  it('is undefined with --no-leader-elect', () => {
    expect(leaderElectionFromFlags(parse(['--no-leader-elect']), defaults)).toBeUndefined();
  });

  it('takes namespace and identity from the defaults unless given', () => {
    expect(leaderElectionFromFlags(parse([]), defaults)).toEqual({
      namespace: 'pod-ns',
      name: 'app-lease',
      identity: 'pod-1',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(
      leaderElectionFromFlags(
        parse([
          '--leader-elect-namespace=ops',
          '--leader-elect-identity=me',
          '--leader-elect-name=l',
          '--leader-elect-lease-duration=30s',
        ]),
        defaults,
      ),
    ).toMatchObject({ namespace: 'ops', identity: 'me', name: 'l', leaseDurationMs: 30_000 });
  });

  it('falls back to namespace default, and leaves out timings the app has no flags for', () => {
    expect(
      leaderElectionFromFlags(
        { 'leader-elect': true, 'leader-elect-namespace': undefined, 'leader-elect-name': 'nd' },
        { namespace: undefined, identity: 'host' },
      ),
    ).toEqual({ namespace: 'default', name: 'nd', identity: 'host' });
  });
});
