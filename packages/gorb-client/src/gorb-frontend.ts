import {
  ConfigError,
  TerminalError,
  TransientError,
  createNoopLogger,
  createSystemClock,
  errorMessage,
  sleep,
  type Clock,
  type Logger,
  type Metrics,
  type ProbeResult,
  type Updater,
} from '@kube-edge/runtime';
import type { Gauge } from 'prom-client';
import { buildGorbBackendOptions, gorbBackendId } from './backend-options.js';
import { GorbApiError } from './errors.js';
import {
  GORB_DEFAULTS,
  parseGorbBackendMethod,
  parseGorbBackendWeight,
  parseGorbHealthCheckType,
  parseGorbInstanceIp,
  parseGorbPulseInterval,
  parseGorbServicesDefinition,
  parseGorbVips,
  type GorbServiceDefinition,
} from './flags.js';
import { createGorbClient, type GorbClient } from './gorb-client.js';
import { createLoopbackVipManager, type VipManager } from './loopback-vip-manager.js';
import type { GorbBackendMethod, GorbBackendOptions, GorbPulseType } from './types.js';

/** Options of {@link GorbFrontend}. Every field has feed's default; see the README's table. */
export interface GorbFrontendOptions {
  /** `--gorb-endpoint`. Default `http://127.0.0.1:80`. Ignored when `client` is given. */
  endpoint?: string;
  /** A ready client (tests, or shared settings). Default: one made from `endpoint`, closed on stop. */
  client?: GorbClient;
  /** `--gorb-ingress-instance-ip`: the backend address registered. Default `127.0.0.1`. */
  instanceIp?: string;
  /** `--gorb-services-definition`, parsed. Default `http-proxy:80`, `https-proxy:443`. */
  services?: readonly GorbServiceDefinition[];
  /** `--gorb-backend-method`. Default `dr`. */
  backendMethod?: GorbBackendMethod;
  /** `--gorb-backend-weight`. Default 1000. */
  backendWeight?: number;
  /** `--gorb-backend-healthcheck-type`. Default `http` (`GET /` expecting 404). */
  healthCheckType?: GorbPulseType;
  /** `--gorb-backend-healthcheck-interval`, in gorb's grammar. Default `1s`. */
  healthCheckInterval?: string;
  /** `--gorb-management-loopback`. Default true. */
  manageLoopback?: boolean;
  /** `--gorb-vip-loadbalancer`, parsed. Default `['127.0.0.1']`. */
  vips?: readonly string[];
  /** `--gorb-interface-proc-fs-path`. Default `/host-ipv4-proc/`. */
  interfaceProcFsPath?: string;
  /** Default: {@link createLoopbackVipManager} over `vips` and `interfaceProcFsPath`. */
  vipManager?: VipManager;
  /** `--drain-delay`, in ms: how long to wait at weight 0 before deleting. Default 60000. */
  drainDelayMs?: number;
  /** Per-attempt timeout of the client made from `endpoint`. Default 2000 ms. */
  requestTimeoutMs?: number;
  /** Attempts per request of the client made from `endpoint`. Default 3. */
  maxAttempts?: number;
  /** runtime's `Clock`, for the drain delay and the made client's retries. Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** When given, `<prefix>_gorb_frontends_attached` (1 once registered, 0 after stop) is kept there. */
  metrics?: Metrics;
}

type Phase = 'new' | 'started' | 'stopping' | 'stopped';

/**
 * feed's gorb frontend as an {@link Updater} (differences from feed: see the README): registers
 * this node as backend `node-<service>-<instanceIp>` of every configured gorb virtual service, and
 * drains it on stop. The virtual services themselves must already exist in gorb (an operator or a
 * gorb store creates them); this frontend never creates or deletes services.
 *
 * - `start` touches nothing.
 * - `update` (each one, idempotent; not concurrently with itself): ensures the loopback VIPs when
 *   loopback management is on (rejecting with code `GORB_VIP_FAILED`, registering nothing, if
 *   that fails: a DR backend without its VIP drops traffic), then for each service `GET`s the backend and `PUT`s it on 404, so a
 *   gorb that restarted empty is re-populated on the next update. A failed existence check is
 *   logged and the `PUT` tried anyway; a 409 on the `PUT` means it is there. Failures of every
 *   service are collected and rejected together as a {@link TransientError} (cause an
 *   AggregateError of {@link GorbApiError}s) after all services were tried.
 * - `stop` (once; waits for an update in flight): `PATCH`es each backend to weight 0, waits the
 *   drain delay if at least one drain succeeded, removes the VIPs, `DELETE`s each backend (404
 *   counts as done), and rejects with the collected failures. Nothing is done if no update ever
 *   ran. A backend that gorb's pulse saw Down during the drain can get its weight restored by
 *   gorb's recovery logic before the DELETE; the DELETE removes it regardless.
 * - `health`: gorb answers `GET /service` with 200. `readiness`: healthy, registered by a
 *   successful update, and not stopping. Neither throws.
 */
export class GorbFrontend<M = unknown> implements Updater<M> {
  readonly name = 'gorb';
  readonly #client: GorbClient;
  readonly #ownsClient: boolean;
  readonly #backends: { service: string; id: string; body: Required<GorbBackendOptions> }[];
  readonly #vipManager: VipManager | undefined;
  readonly #drainDelayMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #attachedGauge: Gauge | undefined;
  #phase: Phase = 'new';
  #updated = false;
  #attached = false;
  #inFlight: Promise<void> | undefined;

  /**
   * Validates every option and builds the backend bodies. Synchronous; makes no request. Throws
   * {@link ConfigError} naming the feed flag at fault.
   */
  constructor(options: GorbFrontendOptions = {}) {
    const instanceIp = parseGorbInstanceIp(options.instanceIp ?? GORB_DEFAULTS.instanceIp);
    const services = options.services ?? parseGorbServicesDefinition(GORB_DEFAULTS.servicesDefinition);
    if (services.length === 0) {
      throw new ConfigError('--gorb-services-definition is empty', {
        code: 'INVALID_FLAG',
        key: 'gorb-services-definition',
      });
    }
    // Re-validate structured input too: the app may have built it without the parser.
    parseGorbServicesDefinition(services.map((s) => `${s.name}:${s.port}`).join(','));
    const method = parseGorbBackendMethod(options.backendMethod ?? GORB_DEFAULTS.backendMethod);
    const weight = parseGorbBackendWeight(options.backendWeight ?? GORB_DEFAULTS.backendWeight);
    const healthCheckType = parseGorbHealthCheckType(
      options.healthCheckType ?? GORB_DEFAULTS.healthCheckType,
    );
    const healthCheckInterval = parseGorbPulseInterval(
      options.healthCheckInterval ?? GORB_DEFAULTS.healthCheckInterval,
    );
    const drainDelayMs = options.drainDelayMs ?? GORB_DEFAULTS.drainDelayMs;
    if (!Number.isFinite(drainDelayMs) || drainDelayMs < 0) {
      throw new ConfigError('--drain-delay must not be negative', {
        code: 'INVALID_FLAG',
        key: 'drain-delay',
      });
    }
    this.#backends = services.map((s) => ({
      service: s.name,
      id: gorbBackendId(s.name, instanceIp),
      body: buildGorbBackendOptions({
        instanceIp,
        port: s.port,
        method,
        weight,
        healthCheckType,
        healthCheckInterval,
      }),
    }));
    this.#logger = (options.logger ?? createNoopLogger()).child({ updater: 'gorb' });
    this.#clock = options.clock ?? createSystemClock();
    this.#drainDelayMs = drainDelayMs;
    if (options.manageLoopback ?? GORB_DEFAULTS.manageLoopback) {
      this.#vipManager =
        options.vipManager ??
        createLoopbackVipManager({
          vips: options.vips ?? parseGorbVips(GORB_DEFAULTS.vipLoadbalancer),
          procPath: options.interfaceProcFsPath ?? GORB_DEFAULTS.interfaceProcFsPath,
          logger: this.#logger,
        });
    }
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      const clientOptions: Parameters<typeof createGorbClient>[0] = {
        endpoint: options.endpoint ?? GORB_DEFAULTS.endpoint,
        clock: this.#clock,
        logger: this.#logger,
      };
      if (options.requestTimeoutMs !== undefined) clientOptions.timeoutMs = options.requestTimeoutMs;
      if (options.maxAttempts !== undefined) clientOptions.maxAttempts = options.maxAttempts;
      this.#client = createGorbClient(clientOptions);
      this.#ownsClient = true;
    }
    this.#attachedGauge = options.metrics?.gauge(
      'gorb_frontends_attached',
      'Whether this node is registered with gorb (1) or not (0).',
    );
  }

  /** The backend IDs this frontend registers, one per virtual service. Pure. */
  get backendIds(): string[] {
    return this.#backends.map((b) => b.id);
  }

  /** Registers nothing: the node attaches only after nginx serves its first config (first update). */
  start(): Promise<void> {
    if (this.#phase !== 'new') return Promise.reject(new TerminalError('gorb frontend started twice'));
    this.#phase = 'started';
    this.#logger.info('gorb frontend started', {
      endpoint: this.#client.endpoint,
      backends: this.backendIds,
    });
    return Promise.resolve();
  }

  /** See the class comment. The model is not read: the registration does not depend on it. */
  update(_model: M): Promise<void> {
    if (this.#phase !== 'started') {
      return Promise.reject(new TerminalError(`gorb frontend cannot update when ${this.#phase}`));
    }
    const run = this.#register();
    this.#inFlight = run.catch(() => undefined);
    return run;
  }

  async #register(): Promise<void> {
    this.#updated = true;
    if (this.#vipManager !== undefined) {
      try {
        await this.#vipManager.ensure();
      } catch (err) {
        // With direct routing a node without the VIP on lo drops what IPVS sends it: registering
        // now would black-hole traffic, so nothing is registered until the VIPs are in place.
        throw new TransientError('gorb: cannot ensure the loopback VIPs; not registering', {
          code: 'GORB_VIP_FAILED',
          cause: err,
        });
      }
    }
    const failures: unknown[] = [];
    let added = 0;
    for (const b of this.#backends) {
      try {
        let exists = false;
        try {
          const current = await this.#client.getBackend(b.service, b.id);
          exists = current !== undefined;
          // Up (status 0) at another weight: a predecessor pod was killed mid-drain (weight 0,
          // before its DELETE). Without this the node would stay at weight 0 until gorb restarts.
          // A Down backend is left alone: gorb's pulse stashed its weight and restores it itself.
          if (
            current !== undefined &&
            current.metrics.status === 0 &&
            current.options.weight !== b.body.weight
          ) {
            await this.#client.updateBackend(b.service, b.id, { ...b.body });
            this.#logger.info('restored gorb backend weight', {
              service: b.service,
              backend: b.id,
              from: current.options.weight,
              to: b.body.weight,
            });
          }
        } catch (err) {
          // feed only logs a failed existence check; the PUT below then reports the real problem.
          this.#logger.warn('gorb backend existence check failed', {
            service: b.service,
            backend: b.id,
            err,
          });
        }
        if (exists) continue;
        try {
          await this.#client.createBackend(b.service, b.id, b.body);
          added += 1;
          this.#logger.info('registered gorb backend', { service: b.service, backend: b.id });
        } catch (err) {
          // A retried PUT whose first attempt got through answers 409: the backend is there.
          if (!(err instanceof GorbApiError && err.statusCode === 409)) throw err;
          this.#logger.debug('gorb backend already registered', { service: b.service, backend: b.id });
        }
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) {
      this.#logger.warn('gorb registration failed', { failed: failures.length, added });
      throw new TransientError(
        `gorb: ${failures.length} registration step(s) failed: ${messages(failures)}`,
        {
          code: 'GORB_REGISTRATION_FAILED',
          cause: new AggregateError(failures),
        },
      );
    }
    if (!this.#attached) this.#logger.info('attached to gorb', { backends: this.backendIds });
    this.#attached = true;
    this.#attachedGauge?.set(1);
  }

  /** See the class comment. Idempotent: a second call resolves at once. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') return;
    const wasStarted = this.#phase === 'started';
    this.#phase = 'stopping';
    await this.#inFlight;
    try {
      if (wasStarted && this.#updated) await this.#drainAndDetach();
      else this.#logger.info('gorb frontend stopped before any registration; nothing to detach');
    } finally {
      this.#phase = 'stopped';
      this.#attached = false;
      this.#attachedGauge?.set(0);
      if (this.#ownsClient) await this.#client.close();
    }
  }

  async #drainAndDetach(): Promise<void> {
    const failures: unknown[] = [];
    let drained = 0;
    for (const b of this.#backends) {
      try {
        await this.#client.updateBackend(b.service, b.id, { ...b.body, weight: 0 });
        drained += 1;
      } catch (err) {
        if (!(err instanceof GorbApiError && err.statusCode === 404)) failures.push(err);
      }
    }
    if (drained > 0) {
      this.#logger.info('drained gorb backends to weight 0, waiting the drain delay', {
        drained,
        drainDelayMs: this.#drainDelayMs,
      });
      await sleep(this.#clock, this.#drainDelayMs);
    } else {
      // Nothing is at weight 0, so waiting would not move traffic anywhere.
      this.#logger.warn('no gorb backend drained; skipping the drain delay', { failed: failures.length });
    }
    if (this.#vipManager !== undefined) {
      try {
        await this.#vipManager.remove();
      } catch (err) {
        failures.push(err);
      }
    }
    for (const b of this.#backends) {
      try {
        await this.#client.deleteBackend(b.service, b.id);
        this.#logger.info('removed gorb backend', { service: b.service, backend: b.id });
      } catch (err) {
        if (!(err instanceof GorbApiError && err.statusCode === 404)) failures.push(err);
      }
    }
    if (failures.length > 0) {
      throw new TransientError(`gorb: ${failures.length} detach step(s) failed: ${messages(failures)}`, {
        code: 'GORB_DETACH_FAILED',
        cause: new AggregateError(failures),
      });
    }
    this.#logger.info('detached from gorb', { backends: this.backendIds });
  }

  /** `GET /service` answers 200. One attempt, bounded by the request timeout; never throws. */
  async health(): Promise<ProbeResult> {
    const s = await this.#client.status();
    return s.ok ? { ok: true } : { ok: false, message: s.message ?? 'gorb is not answering' };
  }

  /** Healthy, attached by a successful update, and not stopping. Never throws. */
  async readiness(): Promise<ProbeResult> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped')
      return { ok: false, message: 'gorb frontend is stopping' };
    if (!this.#attached) return { ok: false, message: 'not registered with gorb yet' };
    return this.health();
  }
}

function messages(errors: unknown[]): string {
  return errors.map(errorMessage).join('; ');
}
