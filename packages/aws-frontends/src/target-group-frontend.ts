import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
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
import { checkTagSelector, findElbv2FrontendsWithTargetGroups } from './discovery.js';
import type { InstanceIdentity, InstanceIdentitySource } from './instance-metadata.js';
import { attachedGauge, type AttachedGauge } from './internal.js';

/**
 * Which target groups to join.
 * - `load-balancer-tags` (feed's `nlb`): every target group of each ELBv2 load balancer tagged
 *   `sky.uk/KubernetesClusterFrontend=<frontendTagValue>` (and the class tag when
 *   `ingressClass` is set), one load balancer per scheme. `expectedNumber` counts load
 *   balancers; 0 (default) means "don't check".
 * - `target-group-names` (feed's `alb`): the named target groups; all must be joined.
 */
export type TargetGroupSelection =
  | {
      kind: 'load-balancer-tags';
      frontendTagValue: string;
      ingressClass?: string | undefined;
      expectedNumber?: number;
    }
  | { kind: 'target-group-names'; names: readonly string[] };

/** Options of {@link TargetGroupFrontend}. */
export interface TargetGroupFrontendOptions {
  /** The ELBv2 client (region, credentials and retries are the caller's). */
  client: ElasticLoadBalancingV2Client;
  /** Where the instance id and private IP come from, usually {@link createInstanceMetadataClient}. */
  instance: InstanceIdentitySource;
  select: TargetGroupSelection;
  /**
   * Wait after deregistering on stop, in ms. Default 60000 for `load-balancer-tags`
   * (`--drain-delay`) and 300000 for `target-group-names` (`--alb-target-group-deregistration-delay`).
   */
  drainDelayMs?: number;
  /**
   * Readiness waits this long after a successful attach, because NLB registration and health
   * checks take minutes (feed #243). Default 300000 for `load-balancer-tags`, 0 for names.
   */
  readinessDelayMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Default a no-op logger. */
  logger?: Logger;
  /** Registry for the attached gauge. Default none. */
  registry?: Registry;
  /** Default `feed_ingress_frontends_attached` (tags) or `feed_ingress_alb_frontends_attached` (names). */
  attachedMetricName?: string;
  /** Updater name in logs and probes. Default `nlb` (tags) or `alb` (names). */
  name?: string;
}

interface Registration {
  arn: string;
  targetId: string;
  loadBalancer: string | undefined;
}

function targetFor(tg: TargetGroup, identity: InstanceIdentity): string | undefined {
  if (tg.TargetType === 'ip') return identity.privateIp;
  if (tg.TargetType === 'instance' || tg.TargetType === undefined) return identity.instanceId;
  return undefined;
}

/**
 * Attaches this instance to ELBv2 target groups (NLB by load balancer tags, ALB by target
 * group names) as an {@link Updater} placed after nginx: `start` touches nothing; the first
 * `update` registers the instance (by private IP in `ip` target groups, by instance id in
 * `instance` ones); a failed attach is retried in full by the next update; once attached,
 * updates cost nothing; `stop` deregisters and waits the drain delay.
 */
export class TargetGroupFrontend implements Updater<unknown> {
  readonly name: string;
  readonly #o: TargetGroupFrontendOptions;
  readonly #byTags: boolean;
  readonly #drainDelayMs: number;
  readonly #readinessDelayMs: number;
  readonly #expectedNumber: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #gauge: AttachedGauge;
  // One task at a time in call order, so `stop` waits for an in-flight `update` and then sees
  // everything it registered.
  readonly #serial = createSerialRunner();
  /** Target group ARN → what was registered there and not yet removed. */
  readonly #registered = new Map<string, Registration>();
  /** Load balancers whose every target group is registered (tags mode). */
  #attachedLoadBalancers = 0;
  #attempted = false;
  #attachedAt: number | undefined;
  #stopped = false;

  /** Validates options; throws ConfigError naming the bad option. Performs no I/O. */
  constructor(options: TargetGroupFrontendOptions) {
    const sel = options.select;
    this.#byTags = sel.kind === 'load-balancer-tags';
    if (sel.kind === 'load-balancer-tags') {
      checkTagSelector(sel, 'nlb-frontend-tag-value');
      this.#expectedNumber = sel.expectedNumber ?? 0;
      if (!Number.isInteger(this.#expectedNumber) || this.#expectedNumber < 0) {
        throw new ConfigError('expected number of load balancers must be a whole number ≥ 0', {
          key: 'nlb-expected-number',
        });
      }
    } else {
      if (sel.names.length === 0 || sel.names.some((n) => n.trim() === '')) {
        throw new ConfigError('at least one target group name is required, none empty', {
          key: 'alb-target-group-names',
        });
      }
      this.#expectedNumber = new Set(sel.names).size;
    }
    this.#drainDelayMs = options.drainDelayMs ?? (this.#byTags ? 60_000 : 300_000);
    this.#readinessDelayMs = options.readinessDelayMs ?? (this.#byTags ? 300_000 : 0);
    if (!(this.#drainDelayMs >= 0)) throw new ConfigError('drain delay must be ≥ 0', { key: 'drain-delay' });
    if (!(this.#readinessDelayMs >= 0))
      throw new ConfigError('readiness delay must be ≥ 0', { key: 'readiness-delay' });
    this.#o = options;
    this.name = options.name ?? (this.#byTags ? 'nlb' : 'alb');
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? createNoopLogger()).child({ frontend: this.name });
    this.#gauge = attachedGauge(
      options.registry,
      options.attachedMetricName ??
        (this.#byTags ? 'feed_ingress_frontends_attached' : 'feed_ingress_alb_frontends_attached'),
      this.#byTags
        ? 'Number of load balancers this instance is attached to.'
        : 'Number of ALB target groups this instance is attached to.',
    );
  }

  /** ARNs of the target groups the instance is registered in, sorted. Never blocks. */
  attachedTargetGroups(): string[] {
    return [...this.#registered.keys()].sort();
  }

  /** Does nothing: nothing may be attached before nginx serves. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Attaches on the first call and on each later call until an attach succeeds; a no-op once
   * attached or after `stop`. Rejects with the metadata client's or the SDK's error (after the
   * SDK's own retries) when identity or discovery fails (e.g. TargetGroupNotFoundException for a
   * missing name), with TransientError naming the failing target group ARNs when a registration
   * fails or a target type is neither `ip` nor `instance`, and with TransientError when the
   * number attached differs from what is expected. Idempotent; serialised with itself and `stop`.
   */
  update(_model?: unknown): Promise<void> {
    return this.#serial.run(async () => {
      if (this.#stopped || this.#attachedAt !== undefined) return;
      this.#attempted = true;
      const identity = await this.#o.instance.identity();
      const wanted = await this.#discover();
      if (wanted.length === 0)
        this.#logger.warn('no target group matched; nothing to attach', { select: this.#o.select });
      const failures: { arn: string; err: unknown }[] = [];
      await Promise.all(
        wanted.map(async ({ tg, loadBalancer }) => {
          const arn = tg.TargetGroupArn ?? '';
          const targetId = targetFor(tg, identity);
          if (targetId === undefined) {
            failures.push({ arn, err: new Error(`unsupported target type ${tg.TargetType ?? ''}`) });
            return;
          }
          try {
            await this.#o.client.send(
              new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: targetId }] }),
            );
            this.#registered.set(arn, { arn, targetId, loadBalancer });
          } catch (err) {
            failures.push({ arn, err });
          }
        }),
      );
      const failedArns = new Set(failures.map((f) => f.arn));
      const lbs = new Set(wanted.map((w) => w.loadBalancer));
      // A load balancer counts as attached when all its target groups took the instance.
      this.#attachedLoadBalancers = [...lbs].filter((lb) =>
        wanted.every((w) => w.loadBalancer !== lb || !failedArns.has(w.tg.TargetGroupArn ?? '')),
      ).length;
      const count = this.#byTags ? this.#attachedLoadBalancers : this.#registered.size;
      this.#gauge.set(count);
      if (failures.length > 0) {
        const arns = [...failedArns].sort();
        this.#logger.warn('registering with target groups failed; retrying on the next update', {
          failed: arns,
          err: failures[0]?.err,
        });
        throw new TransientError(`failed to register with target group(s) ${arns.join(', ')}`, {
          code: 'TARGET_REGISTER_FAILED',
          cause: new AggregateError(failures.map((f) => f.err)),
        });
      }
      if (this.#expectedNumber > 0 && count !== this.#expectedNumber) {
        throw new TransientError(
          `expected ${this.#expectedNumber} ${this.#byTags ? 'load balancer(s)' : 'target group(s)'} but attached ${count}`,
          {
            code: 'TARGET_EXPECTED_NUMBER',
          },
        );
      }
      this.#attachedAt = this.#clock.now();
      this.#logger.info('attached to target groups', {
        targetGroups: this.attachedTargetGroups(),
        readinessDelayMs: this.#readinessDelayMs,
      });
    });
  }

  async #discover(): Promise<{ tg: TargetGroup; loadBalancer: string | undefined }[]> {
    const sel = this.#o.select;
    if (sel.kind === 'load-balancer-tags') {
      const found = await findElbv2FrontendsWithTargetGroups(this.#o.client, {
        ...sel,
        logger: this.#logger,
      });
      return [...found.values()].flatMap(({ loadBalancer, targetGroups }) =>
        targetGroups.map((tg) => ({ tg, loadBalancer: loadBalancer.name })),
      );
    }
    const out = await this.#o.client.send(
      new DescribeTargetGroupsCommand({ Names: [...new Set(sel.names)] }),
    );
    return (out.TargetGroups ?? []).map((tg) => ({ tg, loadBalancer: undefined }));
  }

  /**
   * Deregisters from every target group it registered in, then waits the drain delay on the
   * clock. `load-balancer-tags`: waits only if at least one deregistration succeeded (feed
   * #234), then rejects if any failed. `target-group-names`: failures are logged, not thrown,
   * and it always waits (feed's ALB). When nothing was ever registered it resolves at once:
   * there is nothing to drain (feed slept anyway). Waits for an in-flight update first.
   */
  stop(): Promise<void> {
    return this.#serial.run(async () => {
      this.#stopped = true;
      const regs = [...this.#registered.values()];
      if (regs.length === 0) {
        this.#logger.info('nothing attached; skipping deregistration and drain');
        return;
      }
      const results = await Promise.allSettled(
        regs.map(async (r) => {
          await this.#o.client.send(
            new DeregisterTargetsCommand({ TargetGroupArn: r.arn, Targets: [{ Id: r.targetId }] }),
          );
          this.#registered.delete(r.arn);
        }),
      );
      const failed = regs.filter((_, i) => results[i]?.status === 'rejected').map((r) => r.arn);
      const causes = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      this.#gauge.set(this.#byTags ? 0 : this.#registered.size);
      if (failed.length > 0)
        this.#logger.warn('deregistering from target groups failed', { failed, err: causes[0] });
      if (!this.#byTags || failed.length < regs.length) {
        this.#logger.info('deregistered from target groups; waiting for the drain delay', {
          drainDelayMs: this.#drainDelayMs,
        });
        await sleep(this.#clock, this.#drainDelayMs);
      }
      if (this.#byTags && failed.length > 0) {
        throw new TransientError(`failed to deregister from target group(s) ${failed.join(', ')}`, {
          code: 'TARGET_DEREGISTER_FAILED',
          cause: new AggregateError(causes),
        });
      }
    });
  }

  /**
   * Healthy until the first attach attempt; afterwards unhealthy only when an expected number
   * is set (names: always the number of names; tags: `expectedNumber`, 0 = don't check) and a
   * different number is attached. Never throws.
   */
  health(): ProbeResult {
    if (!this.#attempted) return { ok: true, message: 'not attached yet' };
    const count = this.#byTags ? this.#attachedLoadBalancers : this.#registered.size;
    if (this.#expectedNumber > 0 && count !== this.#expectedNumber) {
      return {
        ok: false,
        message: `expected ${this.#expectedNumber} ${this.#byTags ? 'load balancer(s)' : 'target group(s)'}, attached ${count}`,
      };
    }
    return { ok: true, message: `attached to ${this.#registered.size} target group(s)` };
  }

  /**
   * Not ready until registration was attempted; then {@link health}, and, when a readiness delay
   * is set, also attached for at least that long (measured on the injected clock). Never throws.
   */
  readiness(): ProbeResult {
    if (!this.#attempted) return { ok: false, message: 'registration not attempted yet' };
    const h = this.health();
    if (!h.ok || this.#readinessDelayMs === 0) return h;
    if (this.#attachedAt === undefined) return { ok: false, message: 'not attached yet' };
    const waited = this.#clock.now() - this.#attachedAt;
    if (waited < this.#readinessDelayMs)
      return {
        ok: false,
        message: `attached ${Math.floor(waited / 1000)}s ago; ready after ${Math.ceil(this.#readinessDelayMs / 1000)}s`,
      };
    return h;
  }
}
