import { isIP } from 'node:net';
import {
  ElasticLoadBalancingClient,
  type ElasticLoadBalancingClientConfig,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  ElasticLoadBalancingV2Client,
  type ElasticLoadBalancingV2ClientConfig,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ClassicElbFrontend,
  TargetGroupFrontend,
  createInstanceMetadataClient,
  findClassicElbFrontends,
  findElbv2Frontends,
  type InstanceIdentitySource,
} from '@kube-edge/aws-frontends';
import { GorbFrontend, type GorbClient, type VipManager } from '@kube-edge/gorb-client';
import type { Logger, Metrics, Updater } from '@kube-edge/runtime';
import type { FrontendConfig } from './config.js';

/** A `status.loadBalancer.ingress` address: a hostname or an IP. */
export interface StatusAddress {
  hostname?: string;
  ip?: string;
}

/** Scheme (`internal`, `internet-facing`) → address to publish; resolved once, lazily. */
export type StatusAddressSource = () => Promise<ReadonlyMap<string, StatusAddress>>;

/** Injectable outside-world pieces of the frontends (tests pass fakes; production leaves them unset). */
export interface FrontendDeps {
  /** Spread into every AWS client's config (endpoint, credentials, request handler, retries). */
  readonly awsClientConfig?: Partial<ElasticLoadBalancingClientConfig & ElasticLoadBalancingV2ClientConfig>;
  /** Instance identity (default: IMDSv2 at 169.254.169.254). */
  readonly instance?: InstanceIdentitySource;
  /** gorb REST client (default: made from `--gorb-endpoint`). */
  readonly gorbClient?: GorbClient;
  /** Loopback VIP manager for gorb (default: iproute2). */
  readonly vipManager?: VipManager;
  /** Sleep used for drain delays of the static frontend. Default real timers. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What {@link createFrontend} returns: the Updater that attaches the node, and where status addresses come from. */
export interface Frontend {
  readonly updater: Updater<unknown>;
  /** Undefined when this frontend publishes no Ingress status (alb, gorb: as in feed). */
  readonly statusAddresses: StatusAddressSource | undefined;
}

/** A value that parses as an IP goes into `ip`, anything else into `hostname` (feed's GenerateLoadBalancerStatus). */
export function statusAddress(value: string): StatusAddress {
  return isIP(value) !== 0 ? { ip: value } : { hostname: value };
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The `static` frontend: attaches nothing; on stop it waits the drain delay (kube-edge addition,
 * default 0) so an external load balancer can notice failing readiness before nginx quits.
 * Records when it detached and drained, which the rolling-restart test checks.
 */
export class StaticFrontend implements Updater<unknown> {
  readonly name = 'static';
  readonly #drainDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onEvent: (name: string) => void;
  #updated = false;
  constructor(options: {
    drainDelayMs: number;
    sleep?: (ms: number) => Promise<void>;
    onEvent?: (name: string) => void;
  }) {
    this.#drainDelayMs = options.drainDelayMs;
    this.#sleep = options.sleep ?? realSleep;
    this.#onEvent = options.onEvent ?? (() => undefined);
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  update(): Promise<void> {
    if (!this.#updated) this.#onEvent('frontend-attached');
    this.#updated = true;
    return Promise.resolve();
  }
  async stop(): Promise<void> {
    this.#onEvent('frontend-detached');
    this.#onEvent('drain-started');
    if (this.#drainDelayMs > 0) await this.#sleep(this.#drainDelayMs);
    this.#onEvent('drain-finished');
  }
  health() {
    return { ok: true };
  }
  readiness() {
    return this.#updated ? { ok: true } : { ok: false, message: 'no update yet' };
  }
}

/**
 * Builds the frontend of one subcommand. Constructs clients but makes no request; throws
 * ConfigError for bad options (e.g. an empty tag value).
 */
export function createFrontend(
  config: FrontendConfig,
  options: {
    ingressClass: string;
    logger: Logger;
    metrics: Metrics;
    deps?: FrontendDeps;
    onEvent?: (name: string) => void;
  },
): Frontend {
  const { logger, metrics, deps = {} } = options;
  const registry = metrics.registry;
  const instance = (): InstanceIdentitySource => deps.instance ?? createInstanceMetadataClient();
  const log = logger.child({ component: 'frontend' });
  switch (config.kind) {
    case 'elb': {
      const client = new ElasticLoadBalancingClient({ region: config.region, ...deps.awsClientConfig });
      const updater = new ClassicElbFrontend({
        client,
        instance: instance(),
        frontendTagValue: config.frontendTagValue,
        ingressClass: options.ingressClass,
        expectedNumber: config.expectedNumber,
        drainDelayMs: config.drainDelayMs,
        logger: log,
        registry,
      });
      const statusAddresses: StatusAddressSource = async () => {
        const lbs = await findClassicElbFrontends(client, {
          frontendTagValue: config.frontendTagValue,
          ingressClass: options.ingressClass,
          logger: log,
        });
        return new Map([...lbs].map(([scheme, lb]) => [scheme, statusAddress(lb.dnsName)]));
      };
      return { updater, statusAddresses };
    }
    case 'nlb': {
      const client = new ElasticLoadBalancingV2Client({ region: config.region, ...deps.awsClientConfig });
      const updater = new TargetGroupFrontend({
        client,
        instance: instance(),
        select: {
          kind: 'load-balancer-tags',
          frontendTagValue: config.frontendTagValue,
          ingressClass: options.ingressClass,
          expectedNumber: config.expectedNumber,
        },
        drainDelayMs: config.drainDelayMs,
        readinessDelayMs: config.readinessDelayMs,
        logger: log,
        registry,
      });
      const statusAddresses: StatusAddressSource = async () => {
        const lbs = await findElbv2Frontends(client, {
          frontendTagValue: config.frontendTagValue,
          ingressClass: options.ingressClass,
          logger: log,
        });
        return new Map([...lbs].map(([scheme, lb]) => [scheme, statusAddress(lb.dnsName)]));
      };
      return { updater, statusAddresses };
    }
    case 'alb': {
      const client = new ElasticLoadBalancingV2Client({ region: config.region, ...deps.awsClientConfig });
      const updater = new TargetGroupFrontend({
        client,
        instance: instance(),
        select: { kind: 'target-group-names', names: config.targetGroupNames },
        drainDelayMs: config.drainDelayMs,
        logger: log,
        registry,
      });
      return { updater, statusAddresses: undefined };
    }
    case 'gorb': {
      const updater = new GorbFrontend({
        endpoint: config.endpoint,
        instanceIp: config.instanceIp,
        services: config.services,
        backendMethod: config.backendMethod,
        backendWeight: config.backendWeight,
        healthCheckType: config.healthCheckType,
        healthCheckInterval: config.healthCheckInterval,
        manageLoopback: config.manageLoopback,
        vips: config.vips,
        interfaceProcFsPath: config.interfaceProcFsPath,
        drainDelayMs: config.drainDelayMs,
        logger: log,
        metrics,
        ...(deps.gorbClient !== undefined ? { client: deps.gorbClient } : {}),
        ...(deps.vipManager !== undefined ? { vipManager: deps.vipManager } : {}),
      });
      return { updater, statusAddresses: undefined };
    }
    case 'static': {
      const updater = new StaticFrontend({
        drainDelayMs: config.drainDelayMs,
        ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}),
        ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
      });
      // kube-edge fix: only schemes whose hostname flag is set get a status.
      const map = new Map<string, StatusAddress>();
      if (config.internalHostname !== '') map.set('internal', statusAddress(config.internalHostname));
      if (config.externalHostname !== '') map.set('internet-facing', statusAddress(config.externalHostname));
      return { updater, statusAddresses: map.size === 0 ? undefined : () => Promise.resolve(map) };
    }
  }
}
