import type { ControllerLeaderElection } from '@kube-edge/k8s-watch';
import { leaderElectionFromFlags } from '@kube-edge/k8s-watch/leader-election-flags';
import { ConfigError, logLevelFromFlags, type LogLevel } from '@kube-edge/runtime';
import type { controllerCli } from './cli.js';
import type { ClassFilter } from './model/entries.js';

type ControllerValues = Extract<ReturnType<typeof controllerCli.parse>, { kind: 'run' }>['values'];

/** Where the load balancers (or static hostnames) records point at come from. */
export type FrontendSource =
  | { kind: 'elb-tags'; frontendTagValue: string }
  | { kind: 'nlb-tags'; frontendTagValue: string }
  | { kind: 'alb-names'; names: string[] }
  | { kind: 'static'; internal: string | undefined; external: string | undefined };

/** The controller's whole configuration, built from flags by {@link buildConfig}. */
export interface FeedDnsConfig {
  /** Hosted zone ids or domains; at least one. */
  zones: string[];
  frontends: FrontendSource;
  region: string;
  /** SDK attempts per call = retries + 1. */
  awsMaxAttempts: number;
  /** Seconds, for static-mode CNAMEs. */
  cnameTtlSeconds: number;
  classFilter: ClassFilter | undefined;
  maxDeleteShare: number;
  resyncPeriodMs: number;
  healthPort: number;
  /** Interface of the health server. Default `0.0.0.0`; tests use 127.0.0.1. */
  healthHost?: string;
  dryRun: boolean;
  logLevel: LogLevel;
  pushgateway: { url: string; intervalMs: number } | undefined;
  /** Const labels on every metric (`-pushgateway-label`). */
  metricLabels: Record<string, string>;
  leaderElection: ControllerLeaderElection | undefined;
  /** Least time between two reconcile passes (coalescing). Default 1000 ms. */
  minPassIntervalMs?: number;
  /** Quiet time after a change before a pass. Default 100 ms (feed flushed every 50 ms). */
  quietMs?: number;
}

/** What {@link buildConfig} needs besides the flags: the environment's defaults (read by main.ts). */
export interface ConfigDefaults {
  /** `$POD_NAMESPACE` or the kubeconfig/service account namespace. */
  namespace: string | undefined;
  /** `$POD_NAME` or the host name. */
  identity: string;
}

/** Checks a static CNAME target: a host name, not a URL or an address with a port. Pure. */
function checkHostname(value: string | undefined, key: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (
    !/^(?=.{1,253}\.?$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.?$/.test(
      v,
    )
  ) {
    throw new ConfigError(`${key} must be a host name, got ${JSON.stringify(value)}`, { key });
  }
  return v;
}

/** Checks and turns the delete share into a number in [0, 1]. Pure. */
export function checkDeleteShareFlag(value: number): number {
  if (!(value >= 0 && value <= 1))
    throw new ConfigError('--max-delete-share must be between 0 and 1', { key: '--max-delete-share' });
  return value;
}

/** The class filter from the flags, or undefined when no class was given. Pure. */
export function classFilterFrom(
  ingressClass: string | undefined,
  includeClassless: boolean,
): ClassFilter | undefined {
  if (ingressClass === undefined || ingressClass === '') {
    if (includeClassless)
      throw new ConfigError('--include-classless-ingresses needs --ingress-class', {
        key: '--include-classless-ingresses',
      });
    return undefined;
  }
  return { ingressClass, includeClassless };
}

/**
 * The frontend source from the flags: exactly one of `-elb-label-value`, `-nlb-label-value`,
 * `-alb-names`, or the static hostnames. Throws ConfigError naming the flag. Pure.
 */
export function frontendSourceFrom(v: {
  elbLabelValue: string | undefined;
  nlbLabelValue: string | undefined;
  albNames: readonly string[];
  internalHostname: string | undefined;
  externalHostname: string | undefined;
}): FrontendSource {
  const internal = checkHostname(v.internalHostname, '--internal-hostname');
  const external = checkHostname(v.externalHostname, '--external-hostname');
  const modes: FrontendSource[] = [];
  if (v.elbLabelValue !== undefined && v.elbLabelValue !== '')
    modes.push({ kind: 'elb-tags', frontendTagValue: v.elbLabelValue });
  if (v.nlbLabelValue !== undefined && v.nlbLabelValue !== '')
    modes.push({ kind: 'nlb-tags', frontendTagValue: v.nlbLabelValue });
  if (v.albNames.length > 0) modes.push({ kind: 'alb-names', names: [...v.albNames] });
  if (internal !== undefined || external !== undefined) modes.push({ kind: 'static', internal, external });
  const [mode, ...more] = modes;
  if (mode === undefined) {
    throw new ConfigError(
      'one of --elb-label-value, --nlb-label-value, --alb-names, --internal-hostname or --external-hostname is required',
      { key: '--elb-label-value' },
    );
  }
  if (more.length > 0) {
    throw new ConfigError(
      'give only one of --elb-label-value, --nlb-label-value, --alb-names and the static hostnames',
      { key: `--${more[0]?.kind === 'static' ? 'internal-hostname' : (more[0]?.kind ?? '')}` },
    );
  }
  return mode;
}

/** Checks the zone flags: at least one, none empty. Pure. */
export function checkZones(zones: readonly string[]): string[] {
  const out = zones.map((z) => z.trim()).filter((z) => z !== '');
  if (out.length === 0)
    throw new ConfigError(
      '--r53-hosted-zone is required (a zone id or domain; repeat it for several zones)',
      {
        key: '--r53-hosted-zone',
      },
    );
  return [...new Set(out)];
}

/**
 * Builds the controller configuration from parsed flags. Throws ConfigError naming the flag for
 * every inconsistency feed-dns exited on (no zone, no frontend, ELB and ALB together) and for
 * kube-edge's own checks. Pure.
 */
export function buildConfig(values: ControllerValues, defaults: ConfigDefaults): FeedDnsConfig {
  const retries = values['aws-api-retries'];
  if (retries < 0)
    throw new ConfigError('--aws-api-retries must not be negative', { key: '--aws-api-retries' });
  const port = values['health-port'];
  if (port < 0 || port > 65535)
    throw new ConfigError('--health-port must be a port number', { key: '--health-port' });
  const ttl = Math.round(values['cname-ttl'] / 1000);
  if (ttl < 1 || ttl > 2_147_483_647)
    throw new ConfigError('--cname-ttl must be at least 1s', { key: '--cname-ttl' });
  return {
    zones: checkZones(values['r53-hosted-zone']),
    frontends: frontendSourceFrom({
      elbLabelValue: values['elb-label-value'],
      nlbLabelValue: values['nlb-label-value'],
      albNames: values['alb-names'],
      internalHostname: values['internal-hostname'],
      externalHostname: values['external-hostname'],
    }),
    region: values['elb-region'],
    awsMaxAttempts: retries + 1,
    cnameTtlSeconds: ttl,
    classFilter: classFilterFrom(values['ingress-class'], values['include-classless-ingresses']),
    maxDeleteShare: checkDeleteShareFlag(values['max-delete-share']),
    resyncPeriodMs: values['resync-period'],
    healthPort: port,
    dryRun: values['dry-run'],
    logLevel: logLevelFromFlags(values),
    pushgateway:
      values.pushgateway === undefined || values.pushgateway === ''
        ? undefined
        : { url: values.pushgateway, intervalMs: values['pushgateway-interval'] },
    metricLabels: values['pushgateway-label'],
    leaderElection: leaderElectionFromFlags(values, defaults),
  };
}
