// Imports nothing at run time, so a command line can spread these flags without loading the
// Kubernetes client (`--help` and flag errors stay fast); `@kube-edge/k8s-watch/leader-election-flags`
// exports this file alone.
import type { ControllerLeaderElection } from './controller.js';

/** What differs between the apps' leader-election flags. */
export interface LeaderElectionFlagsOptions {
  /** Default of `--leader-elect-name`, the Lease's name (usually the app's). */
  readonly defaultName: string;
  /** `--help` text of `--leader-elect`: what only the Lease holder does in this app. */
  readonly description: string;
  /**
   * `--help` text of `--leader-elect-namespace`, which should say where the app's namespace
   * default comes from. Default: `$POD_NAMESPACE`, the service account's namespace, or `default`.
   */
  readonly namespaceDescription?: string;
  /** Include `--leader-elect-identity`. Default true. */
  readonly identity?: boolean;
  /** Include `--leader-elect-lease-duration`, `-renew-deadline` and `-retry-period`. Default true. */
  readonly timings?: boolean;
}

type Flag<T extends string, D = undefined> = D extends undefined
  ? { readonly type: T; readonly description: string }
  : { readonly type: T; readonly default: D; readonly description: string };

/** `--leader-elect`, `--leader-elect-namespace` and `--leader-elect-name`. */
export type BaseLeaderElectionFlags = {
  readonly 'leader-elect': Flag<'boolean', boolean>;
  readonly 'leader-elect-namespace': Flag<'string'>;
  readonly 'leader-elect-name': Flag<'string', string>;
};

/** `--leader-elect-identity`. */
export type LeaderElectionIdentityFlag = {
  readonly 'leader-elect-identity': Flag<'string'>;
};

/** `--leader-elect-lease-duration`, `--leader-elect-renew-deadline`, `--leader-elect-retry-period`. */
export type LeaderElectionTimingFlags = {
  readonly 'leader-elect-lease-duration': Flag<'duration', number>;
  readonly 'leader-elect-renew-deadline': Flag<'duration', number>;
  readonly 'leader-elect-retry-period': Flag<'duration', number>;
};

/** The flags {@link leaderElectionFlags} returns for options `O`. */
export type LeaderElectionFlags<O extends LeaderElectionFlagsOptions = LeaderElectionFlagsOptions> =
  BaseLeaderElectionFlags &
    (O extends { readonly identity: false } ? Record<never, never> : LeaderElectionIdentityFlag) &
    (O extends { readonly timings: false } ? Record<never, never> : LeaderElectionTimingFlags);

/**
 * The Lease leader-election flags of a kube-edge controller, to spread into a `defineCli` flags
 * spec: `--leader-elect` (default true; `--no-leader-elect` for one replica),
 * `--leader-elect-namespace`, `--leader-elect-name` (default `defaultName`),
 * `--leader-elect-identity` and the Lease timings (15s lease, 10s renew deadline, 2s retry, as
 * client-go's). Only the help texts, the Lease name and which flags exist differ between apps.
 * Pure; returns a new object each call.
 */
export function leaderElectionFlags<const O extends LeaderElectionFlagsOptions>(
  options: O,
): LeaderElectionFlags<O> {
  return {
    'leader-elect': { type: 'boolean', default: true, description: options.description },
    'leader-elect-namespace': {
      type: 'string',
      description:
        options.namespaceDescription ??
        "Namespace of the Lease. Default: $POD_NAMESPACE, the service account's namespace, or default.",
    },
    'leader-elect-name': { type: 'string', default: options.defaultName, description: 'Name of the Lease.' },
    ...(options.identity === false
      ? {}
      : {
          'leader-elect-identity': {
            type: 'string',
            description: "This replica's identity in the Lease. Default: $POD_NAME or the host name.",
          },
        }),
    ...(options.timings === false
      ? {}
      : {
          'leader-elect-lease-duration': {
            type: 'duration',
            default: 15_000,
            description: 'How long a Lease not renewed stays valid for the other replicas.',
          },
          'leader-elect-renew-deadline': {
            type: 'duration',
            default: 10_000,
            description: 'A leader that could not renew for this long stops writing.',
          },
          'leader-elect-retry-period': {
            type: 'duration',
            default: 2_000,
            description: 'Time between attempts to take or renew the Lease.',
          },
        }),
  } as LeaderElectionFlags<O>;
}

/** Parsed values of {@link leaderElectionFlags} (the optional ones when the app has them). */
export interface LeaderElectionFlagValues {
  readonly 'leader-elect': boolean;
  readonly 'leader-elect-namespace': string | undefined;
  readonly 'leader-elect-name': string;
  readonly 'leader-elect-identity'?: string | undefined;
  readonly 'leader-elect-lease-duration'?: number;
  readonly 'leader-elect-renew-deadline'?: number;
  readonly 'leader-elect-retry-period'?: number;
}

/** Where the Lease namespace and the identity come from when their flags are not given. */
export interface LeaderElectionDefaults {
  /** E.g. `$POD_NAMESPACE` or the service account's namespace; undefined: `default`. */
  readonly namespace: string | undefined;
  /** E.g. `$POD_NAME` or the host name. */
  readonly identity: string;
}

/**
 * The controller loop's `leaderElection` option from parsed {@link leaderElectionFlags}:
 * undefined with `--no-leader-elect`; otherwise the Lease in `--leader-elect-namespace` (else
 * `defaults.namespace`, else `default`) named `--leader-elect-name`, held as
 * `--leader-elect-identity` (else `defaults.identity`), with the timings given. Pure.
 */
export function leaderElectionFromFlags(
  values: LeaderElectionFlagValues,
  defaults: LeaderElectionDefaults,
): ControllerLeaderElection | undefined {
  if (!values['leader-elect']) return undefined;
  const leaseDurationMs = values['leader-elect-lease-duration'];
  const renewDeadlineMs = values['leader-elect-renew-deadline'];
  const retryPeriodMs = values['leader-elect-retry-period'];
  return {
    namespace: values['leader-elect-namespace'] ?? defaults.namespace ?? 'default',
    name: values['leader-elect-name'],
    identity: values['leader-elect-identity'] ?? defaults.identity,
    ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
    ...(renewDeadlineMs === undefined ? {} : { renewDeadlineMs }),
    ...(retryPeriodMs === undefined ? {} : { retryPeriodMs }),
  };
}
