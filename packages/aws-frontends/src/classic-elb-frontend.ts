import {
  DeregisterInstancesFromLoadBalancerCommand,
  RegisterInstancesWithLoadBalancerCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  ConfigError,
  TransientError,
  createNoopLogger,
  createSerialRunner,
  sleep,
  type Logger,
  type ProbeResult,
  type Updater,
} from '@kube-edge/runtime';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from './clock.js';
import { checkTagSelector, findClassicElbFrontends, type FrontendLoadBalancer } from './discovery.js';
import type { InstanceIdentitySource } from './instance-metadata.js';
import { attachedGauge, type AttachedGauge } from './internal.js';

/** Options of {@link ClassicElbFrontend}. */
export interface ClassicElbFrontendOptions {
  /** The classic ELB client (region, credentials and retries are the caller's). */
  client: ElasticLoadBalancingClient;
  /** Where the instance id comes from, usually {@link createInstanceMetadataClient}. */
  instance: InstanceIdentitySource;
  /** `--elb-frontend-tag-value`: required, matched against `sky.uk/KubernetesClusterFrontend`. */
  frontendTagValue: string;
  /** `--ingress-class`, matched against `sky.uk/KubernetesClusterIngressClass`. Undefined: not checked. */
  ingressClass?: string | undefined;
  /** `--elb-expected-number`: how many ELBs must be attached. 0 (default) means "don't check". */
  expectedNumber?: number;
  /** `--drain-delay` in ms: the wait after deregistering on stop. Default 60000. */
  drainDelayMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Default a no-op logger. */
  logger?: Logger;
  /** Registry for the attached gauge. Default none (no metric). */
  registry?: Registry;
  /** Default `feed_ingress_frontends_attached`. */
  attachedMetricName?: string;
  /** Updater name in logs and probes. Default `elb`. */
  name?: string;
}

/**
 * Attaches this instance to the classic ELBs tagged for this frontend (one per scheme), as an
 * {@link Updater} placed after nginx in the chain: `start` touches nothing; the first `update`
 * (nginx already serves) discovers the ELBs and registers the instance id with each; later
 * updates cost nothing once attached, and a failed attach is retried in full by the next
 * update; `stop` deregisters and then waits the drain delay so in-flight connections finish
 * before nginx quits.
 */
export class ClassicElbFrontend implements Updater<unknown> {
  readonly name: string;
  readonly #o: Required<Pick<ClassicElbFrontendOptions, 'expectedNumber' | 'drainDelayMs'>> &
    ClassicElbFrontendOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #gauge: AttachedGauge;
  // One task at a time in call order, so `stop` waits for an in-flight `update` and then sees
  // everything it registered.
  readonly #serial = createSerialRunner();
  /** ELB name → description, for every ELB the instance was registered with and not yet removed from. */
  readonly #registered = new Map<string, FrontendLoadBalancer>();
  #attempted = false;
  #attached = false;
  #stopped = false;
  #instanceId: string | undefined;

  /** Validates options; throws ConfigError naming the bad option. Performs no I/O. */
  constructor(options: ClassicElbFrontendOptions) {
    checkTagSelector(options, 'elb-frontend-tag-value');
    const expectedNumber = options.expectedNumber ?? 0;
    const drainDelayMs = options.drainDelayMs ?? 60_000;
    if (!Number.isInteger(expectedNumber) || expectedNumber < 0)
      throw new ConfigError('expected number of ELBs must be a whole number ≥ 0', {
        key: 'elb-expected-number',
      });
    if (!(drainDelayMs >= 0)) throw new ConfigError('drain delay must be ≥ 0', { key: 'drain-delay' });
    this.#o = { ...options, expectedNumber, drainDelayMs };
    this.name = options.name ?? 'elb';
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? createNoopLogger()).child({ frontend: this.name });
    this.#gauge = attachedGauge(
      options.registry,
      options.attachedMetricName ?? 'feed_ingress_frontends_attached',
      'Number of load balancers this instance is attached to.',
    );
  }

  /** Names of the ELBs the instance is registered with, sorted. Never blocks. */
  attachedLoadBalancers(): string[] {
    return [...this.#registered.keys()].sort();
  }

  /** Does nothing: nothing may be attached before nginx serves. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Attaches on the first call (and on each later call until an attach succeeds); a no-op once
   * attached or after `stop`. Rejects with the metadata client's error or the SDK's error
   * (after the SDK's own retries) when identity or discovery fails, and with TransientError when
   * a registration fails or when `expectedNumber > 0` and a different number of ELBs was
   * attached. Idempotent; calls are serialised with each other and with `stop`.
   */
  update(_model?: unknown): Promise<void> {
    return this.#serial.run(async () => {
      if (this.#stopped || this.#attached) return;
      this.#attempted = true;
      const { instanceId } = await this.#o.instance.identity();
      this.#instanceId = instanceId;
      const elbs = await findClassicElbFrontends(this.#o.client, { ...this.#o, logger: this.#logger });
      if (elbs.size === 0)
        this.#logger.warn('no ELB carries the frontend tags; nothing to attach', {
          frontendTagValue: this.#o.frontendTagValue,
          ingressClass: this.#o.ingressClass,
        });
      const results = await Promise.allSettled(
        [...elbs.values()].map(async (lb) => {
          await this.#o.client.send(
            new RegisterInstancesWithLoadBalancerCommand({
              LoadBalancerName: lb.name,
              Instances: [{ InstanceId: instanceId }],
            }),
          );
          this.#registered.set(lb.name, lb);
          return lb.name;
        }),
      );
      this.#gauge.set(this.#registered.size);
      const failed = [...elbs.values()]
        .filter((_, i) => results[i]?.status === 'rejected')
        .map((lb) => lb.name);
      if (failed.length > 0) {
        const causes = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        this.#logger.warn('registering with ELBs failed; retrying on the next update', {
          failed,
          instanceId,
          err: causes[0],
        });
        throw new TransientError(`failed to register ${instanceId} with ELB(s) ${failed.join(', ')}`, {
          code: 'ELB_REGISTER_FAILED',
          cause: new AggregateError(causes),
        });
      }
      if (this.#o.expectedNumber > 0 && this.#registered.size !== this.#o.expectedNumber) {
        throw new TransientError(
          `expected ${this.#o.expectedNumber} ELB(s) but attached ${this.#registered.size}`,
          { code: 'ELB_EXPECTED_NUMBER' },
        );
      }
      this.#attached = true;
      this.#logger.info('attached to ELBs', { loadBalancers: this.attachedLoadBalancers(), instanceId });
    });
  }

  /**
   * Deregisters the instance from every ELB it registered with. If any deregistration fails it
   * rejects at once, without the drain wait (as feed does: the instance is still in service
   * there, so waiting would not drain it). Otherwise waits `drainDelayMs` on the clock. When
   * nothing was ever registered there is nothing to drain and it resolves at once (feed slept
   * anyway). Waits for an in-flight update first; later updates do nothing.
   */
  stop(): Promise<void> {
    return this.#serial.run(async () => {
      this.#stopped = true;
      const instanceId = this.#instanceId;
      if (this.#registered.size === 0 || instanceId === undefined) {
        this.#logger.info('nothing attached; skipping deregistration and drain');
        return;
      }
      const lbs = [...this.#registered.keys()];
      const results = await Promise.allSettled(
        lbs.map(async (name) => {
          await this.#o.client.send(
            new DeregisterInstancesFromLoadBalancerCommand({
              LoadBalancerName: name,
              Instances: [{ InstanceId: instanceId }],
            }),
          );
          this.#registered.delete(name);
        }),
      );
      this.#gauge.set(this.#registered.size);
      const failed = lbs.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length > 0) {
        const causes = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        throw new TransientError(`failed to deregister ${instanceId} from ELB(s) ${failed.join(', ')}`, {
          code: 'ELB_DEREGISTER_FAILED',
          cause: new AggregateError(causes),
        });
      }
      this.#logger.info('deregistered from ELBs; waiting for the drain delay', {
        loadBalancers: lbs,
        drainDelayMs: this.#o.drainDelayMs,
      });
      await sleep(this.#clock, this.#o.drainDelayMs);
    });
  }

  /**
   * Healthy until the first attach attempt; afterwards unhealthy only when `expectedNumber > 0`
   * and a different number of ELBs is attached (kube-edge: 0 means "don't check", where feed
   * reported unhealthy). Never throws.
   */
  health(): ProbeResult {
    if (!this.#attempted) return { ok: true, message: 'not attached yet' };
    const n = this.#registered.size;
    if (this.#o.expectedNumber > 0 && n !== this.#o.expectedNumber) {
      return { ok: false, message: `expected ${this.#o.expectedNumber} ELB(s), attached ${n}` };
    }
    return { ok: true, message: `attached to ${n} ELB(s)` };
  }

  /** Not ready until registration has been attempted; then the same as {@link health}. Never throws. */
  readiness(): ProbeResult {
    if (!this.#attempted) return { ok: false, message: 'registration not attempted yet' };
    return this.health();
  }
}
