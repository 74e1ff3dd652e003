import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  ConfigRefusedError,
  TerminalError,
  TransientError,
  createNoopLogger,
  createSerialRunner,
  createSystemClock,
  sleep,
  writeFileIfChanged,
  type Clock as RuntimeClock,
  type Logger,
  type TimerHandle,
} from '@kube-edge/runtime';
import {
  DEFAULT_NGINX_BINARY,
  ensureNginxDirs,
  nginxArgs,
  nginxPaths,
  testNginxConfigFile,
  type NginxPaths,
  type NginxTestResult,
} from './nginx-cli.js';
import { activeWorkerPids, listNginxChildren, waitUntilGone } from './proc.js';
import { parseStubStatus, type StubStatus } from './stub-status.js';

/** Time source and timers, injectable so tests can control them: runtime's `Clock`. */
export type Clock = RuntimeClock;

/** The real clock (runtime's `createSystemClock`). Its timers are unref'd: a pending reload never keeps a process alive on its own. */
export const systemClock: Clock = createSystemClock();

/** Options for {@link createNginxProcess}. */
export interface NginxProcessOptions {
  /** nginx binary; default `/usr/sbin/nginx`. */
  readonly binary?: string;
  /** Holds nginx.conf, the pid file, logs/ and tmp/ (see {@link NginxPaths}). Created if missing. */
  readonly workDir: string;
  readonly logger?: Logger;
  /** Where metrics are registered; a private registry when omitted. */
  readonly registry?: Registry;
  /** Prefix of every metric name; default `nginx_` (feed-ingress passes `feed_ingress_nginx_`). */
  readonly metricPrefix?: string;
  /** At most one reload per this many ms; changes in between are coalesced (feed's `--nginx-update-period`). Default 0. */
  readonly minReloadIntervalMs?: number;
  /** Wait this long after SIGQUIT before SIGTERM, and after SIGTERM before SIGKILL. Default 10000. */
  readonly stopTimeoutMs?: number;
  /** How long a reload may take to replace the workers before it counts as failed. Default 60000. */
  readonly reloadTimeoutMs?: number;
  /** How long nginx may take to start serving. Default 30000. */
  readonly startTimeoutMs?: number;
  /** A stub_status URL (e.g. `http://127.0.0.1:8081/basic_status`) to scrape into metrics; health then also requires the last scrape to succeed. */
  readonly statusUrl?: string;
  /** Scrape period; default 10000. */
  readonly scrapeIntervalMs?: number;
  readonly clock?: Clock;
}

/** What {@link NginxProcess.apply} did. */
export interface ApplyResult {
  /** False when the bytes equal the live config: nothing was written, tested or reloaded. */
  readonly changed: boolean;
  /** True when nginx was reloaded (and its workers replaced) before apply returned; false when the reload is pending behind the minimum interval. */
  readonly reloaded: boolean;
}

/** How the nginx master exited. */
export interface NginxExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/**
 * `nginx -t` refused a config. The live config and the running nginx are untouched. A
 * `ConfigRefusedError` (so terminal): a controller with `isolate` bisects the source objects.
 */
export class NginxConfigTestError extends ConfigRefusedError {
  /** nginx's own message. */
  readonly output: string;
  constructor(output: string) {
    super(
      `nginx rejected the config: ${output.split('\n').find((l) => /\[(emerg|alert|crit)\]/.test(l)) ?? output}`,
      { code: 'NGINX_CONFIG_INVALID' },
    );
    this.output = output;
  }
}

/** A running nginx master under our control. */
export interface NginxProcess {
  /** The files nginx uses; render the model with `http.tempPathRoot = paths.tempDir`. */
  readonly paths: NginxPaths;
  /**
   * Test and install `initialConf`, start nginx in the foreground, and resolve once it serves
   * (pid file written after the listening sockets are open, and a worker running). Rejects with
   * {@link NginxConfigTestError} for a bad config, or an error carrying nginx's output if it
   * dies during start. Call once.
   */
  start(initialConf: string): Promise<void>;
  /**
   * Make `conf` live. Unchanged bytes: nothing happens. Otherwise the text is written to a temp
   * file, tested with `nginx -t` (a failure throws {@link NginxConfigTestError} and leaves the old
   * config serving), atomically renamed over nginx.conf, and a reload is made due: done now if
   * the minimum interval has passed, else coalesced into one later reload that always uses the
   * newest file. Safe to call concurrently: calls are serialised in call order.
   */
  apply(conf: string): Promise<ApplyResult>;
  /** `nginx -t` on `conf` without installing it. Non-blocking; safe to call concurrently. */
  test(conf: string): Promise<NginxTestResult>;
  /** Perform a pending reload now, ignoring the minimum interval. Resolves false when none was pending. */
  flush(): Promise<boolean>;
  /**
   * Resolves once the config of every `apply` called before it is served by every accepting
   * worker: any apply in progress finished, and a reload it made due (possibly deferred by the
   * minimum interval; this does not hurry it) has replaced the workers, so no worker of an older
   * generation still accepts connections (nginx closes a draining worker's listening sockets as
   * it starts shutting down; it may keep finishing requests on open connections). Resolves at
   * once when nothing is pending. Rejects when nginx stops or exits first, or after `timeoutMs`
   * (default: the minimum reload interval plus the reload timeout). Resolves early, without the
   * reload, when `signal` aborts (the caller is stopping). Non-blocking; safe to call concurrently.
   */
  reloaded(timeoutMs?: number, signal?: AbortSignal): Promise<void>;
  /**
   * SIGQUIT (graceful: workers finish their requests), then SIGTERM, then SIGKILL to the master
   * and every child it had, each after `stopTimeoutMs`. Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves when the nginx master exits, for whatever reason. Never rejects. */
  readonly exited: Promise<NginxExit>;
  /** True while nginx runs after a successful start (and, with `statusUrl`, the last scrape worked). Cheap, non-blocking. */
  healthy(): boolean;
  /** sha256 (hex) of the live config; empty before start. */
  configHash(): string;
  /** The master's pid, once spawned. */
  pid(): number | undefined;
  /** The pids of the serving workers (draining ones excluded). */
  workerPids(): Promise<number[]>;
}

/** An nginx master just spawned by a process manager in this process. */
export interface NginxSpawn {
  /** The master's pid (its workers are its direct children, in this process's process group). */
  readonly pid: number;
  /** Resolves when the master has exited (for whatever reason). Never rejects. */
  readonly exited: Promise<NginxExit>;
}

// Process-wide, so every copy of this module (and a test's setup file) shares one list.
const SPAWN_OBSERVERS = Symbol.for('kube-edge.nginx-render.spawn-observers');
type GlobalWithObservers = typeof globalThis & { [SPAWN_OBSERVERS]?: Set<(spawn: NginxSpawn) => void> };

function spawnObservers(): Set<(spawn: NginxSpawn) => void> {
  const g = globalThis as GlobalWithObservers;
  g[SPAWN_OBSERVERS] ??= new Set();
  return g[SPAWN_OBSERVERS];
}

/**
 * Calls `listener` with every nginx master any {@link NginxProcess} in this process spawns from
 * now on, synchronously right after the spawn (for test harnesses that must kill nginx if the
 * test process dies before the app stopped it). A listener that throws is ignored. Returns a
 * function that removes the listener (idempotent).
 */
export function observeNginxSpawns(listener: (spawn: NginxSpawn) => void): () => void {
  const observers = spawnObservers();
  observers.add(listener);
  return () => {
    observers.delete(listener);
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

class NginxProcessImpl implements NginxProcess {
  readonly paths: NginxPaths;
  readonly exited: Promise<NginxExit>;
  private resolveExited!: (e: NginxExit) => void;
  private readonly binary: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly minInterval: number;
  private readonly stopTimeout: number;
  private readonly reloadTimeout: number;
  private readonly startTimeout: number;
  private readonly scrapeInterval: number;
  private readonly statusUrl: string | undefined;
  private child: ChildProcess | undefined;
  private running = false;
  private started = false;
  private stopping = false;
  private hash = '';
  private reloadDue = false;
  /** Callers of reloaded() waiting for the due reload: settled after each reload attempt and at stop. */
  private reloadWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private lastReloadAt = Number.NEGATIVE_INFINITY;
  private reloadTimer: TimerHandle | undefined;
  private scrapeTimer: TimerHandle | undefined;
  private scrapeOk = true;
  private tmpCounter = 0;
  private readonly runner = createSerialRunner();
  private readonly output: string[] = [];
  private readonly m: {
    reloads: Counter;
    reloadFailures: Counter;
    reloadDuration: Histogram;
    testFailures: Counter;
    configHash: Gauge<'hash'>;
    up: Gauge;
    connections: Gauge<'state'>;
    accepted: Counter;
    handled: Counter;
    requests: Counter;
  };
  // stub_status's last totals, so each scrape adds what nginx counted since (see scrape()).
  private lastStub: { accepts: number; handled: number; requests: number } | undefined;

  constructor(options: NginxProcessOptions) {
    this.paths = nginxPaths(options.workDir);
    this.binary = options.binary ?? DEFAULT_NGINX_BINARY;
    this.logger = options.logger ?? createNoopLogger();
    this.clock = options.clock ?? systemClock;
    this.minInterval = options.minReloadIntervalMs ?? 0;
    this.stopTimeout = options.stopTimeoutMs ?? 10_000;
    this.reloadTimeout = options.reloadTimeoutMs ?? 60_000;
    this.startTimeout = options.startTimeoutMs ?? 30_000;
    this.scrapeInterval = options.scrapeIntervalMs ?? 10_000;
    this.statusUrl = options.statusUrl;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const registers = [options.registry ?? new Registry()];
    const p = options.metricPrefix ?? 'nginx_';
    this.m = {
      reloads: new Counter({
        name: `${p}reloads_total`,
        help: 'nginx reloads (SIGHUP with workers replaced).',
        registers,
      }),
      reloadFailures: new Counter({
        name: `${p}reload_failures_total`,
        help: 'Reloads whose workers were not replaced in time, or whose signal failed.',
        registers,
      }),
      reloadDuration: new Histogram({
        name: `${p}reload_duration_seconds`,
        help: 'Time from SIGHUP until new workers replaced the old ones.',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
      testFailures: new Counter({
        name: `${p}config_test_failures_total`,
        help: 'Configs refused by nginx -t.',
        registers,
      }),
      configHash: new Gauge({
        name: `${p}config_hash_info`,
        help: 'Always 1; the label is the sha256 of the live nginx.conf.',
        labelNames: ['hash'],
        registers,
      }),
      up: new Gauge({ name: `${p}up`, help: '1 while the nginx master runs.', registers }),
      connections: new Gauge({
        name: `${p}connections`,
        help: 'stub_status connections by state (active, reading, writing, waiting).',
        labelNames: ['state'],
        registers,
      }),
      accepted: new Counter({
        name: `${p}connections_accepted_total`,
        help: 'Client connections nginx accepted (stub_status).',
        registers,
      }),
      handled: new Counter({
        name: `${p}connections_handled_total`,
        help: 'Client connections nginx handled (stub_status).',
        registers,
      }),
      requests: new Counter({
        name: `${p}http_requests_total`,
        help: 'Client requests nginx received (stub_status).',
        registers,
      }),
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.runner.run(fn);
  }

  private setHash(hash: string): void {
    this.hash = hash;
    this.m.configHash.reset();
    this.m.configHash.set({ hash }, 1);
  }

  async test(conf: string): Promise<NginxTestResult> {
    await ensureNginxDirs(this.paths);
    const tmp = `${this.paths.confPath}.test-${process.pid}-${++this.tmpCounter}`;
    await writeFile(tmp, conf);
    try {
      return await testNginxConfigFile({ binary: this.binary, paths: this.paths, confPath: tmp });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Write (when the bytes differ from the file), test and rename into place. The live file is only ever replaced by a tested one. */
  private async install(conf: string): Promise<void> {
    await ensureNginxDirs(this.paths);
    // The temp file sits beside nginx.conf, so relative includes resolve the same way in the test.
    await writeFileIfChanged(this.paths.confPath, conf, {
      beforeRename: async (tmp) => {
        const result = await testNginxConfigFile({ binary: this.binary, paths: this.paths, confPath: tmp });
        if (!result.ok) {
          this.m.testFailures.inc();
          this.logger.warn('nginx config refused by nginx -t', { output: result.output });
          throw new NginxConfigTestError(result.output);
        }
      },
    });
  }

  start(initialConf: string): Promise<void> {
    return this.serial(async () => {
      if (this.child) throw new TerminalError('nginx was already started', { code: 'NGINX_ALREADY_STARTED' });
      await this.install(initialConf);
      await rm(this.paths.pidPath, { force: true });
      const child = spawn(this.binary, nginxArgs(this.paths), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      this.running = true;
      if (child.pid !== undefined) {
        const spawned: NginxSpawn = { pid: child.pid, exited: this.exited };
        for (const observe of spawnObservers()) {
          try {
            observe(spawned);
          } catch {
            // An observer's failure is its own.
          }
        }
      }
      this.m.up.set(1);
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          this.output.push(line);
          if (this.output.length > 50) this.output.shift();
          this.logger.warn('nginx output', { line });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', (err) => {
        this.output.push(String(err));
        this.onExit(null, null);
      });
      child.on('exit', (code, signal) => this.onExit(code, signal));
      try {
        await this.waitUntilServing(child);
      } catch (err) {
        if (this.running) await this.killMasterAndWorkers(child);
        throw err;
      }
      this.started = true;
      this.setHash(sha256(initialConf));
      this.logger.info('nginx started', { pid: child.pid, configHash: this.hash });
      if (this.statusUrl !== undefined) this.scheduleScrape(0);
    });
  }

  private onExit(code: number | null, signal: string | null): void {
    if (!this.running) return;
    this.running = false;
    this.settleWaiters(new TerminalError('nginx exited before the reload', { code: 'NGINX_NOT_RUNNING' }));
    this.m.up.set(0);
    if (this.reloadTimer !== undefined) this.reloadTimer.cancel();
    if (this.scrapeTimer !== undefined) this.scrapeTimer.cancel();
    this.reloadTimer = this.scrapeTimer = undefined;
    if (this.stopping) this.logger.info('nginx stopped', { code, signal });
    else this.logger.error('nginx exited unexpectedly', { code, signal, output: this.output.slice(-10) });
    this.resolveExited({ code, signal });
  }

  private sleep(ms: number): Promise<void> {
    return sleep(this.clock, ms);
  }

  private async waitUntilServing(child: ChildProcess): Promise<void> {
    const deadline = this.clock.now() + this.startTimeout;
    for (;;) {
      if (!this.running)
        throw new TerminalError(`nginx exited during start: ${this.output.slice(-5).join(' | ')}`, {
          code: 'NGINX_START_FAILED',
        });
      // nginx writes the pid file after opening its listening sockets; a worker means it accepts.
      const pid = await readFile(this.paths.pidPath, 'utf8').catch(() => '');
      if (Number(pid.trim()) === child.pid && activeWorkerPids(await listNginxChildren(child.pid)).length > 0)
        return;
      if (this.clock.now() > deadline)
        throw new TransientError('nginx did not start serving in time', { code: 'NGINX_START_TIMEOUT' });
      await this.sleep(10);
    }
  }

  apply(conf: string): Promise<ApplyResult> {
    return this.serial(async () => {
      if (!this.started || !this.running)
        throw new TerminalError('nginx is not running', { code: 'NGINX_NOT_RUNNING' });
      const hash = sha256(conf);
      if (hash === this.hash) return { changed: false, reloaded: false };
      await this.install(conf);
      this.setHash(hash);
      this.reloadDue = true;
      const wait = this.lastReloadAt + this.minInterval - this.clock.now();
      if (wait <= 0 && this.reloadTimer === undefined) {
        await this.reload();
        return { changed: true, reloaded: true };
      }
      this.scheduleReload(Math.max(wait, 0));
      return { changed: true, reloaded: false };
    });
  }

  private scheduleReload(ms: number): void {
    if (this.reloadTimer !== undefined || this.stopping || !this.running) return;
    this.reloadTimer = this.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.serial(async () => {
        if (!this.reloadDue || this.stopping || !this.running) return;
        await this.reload().catch((err: unknown) =>
          this.logger.error('nginx reload failed', { error: String(err) }),
        );
      });
    }, ms);
  }

  async reloaded(
    timeoutMs: number = this.minInterval + this.reloadTimeout,
    signal?: AbortSignal,
  ): Promise<void> {
    // Past every apply called before this (the serial runner keeps call order).
    await this.serial(() => Promise.resolve());
    if (!this.reloadDue || signal?.aborted === true) return;
    if (this.stopping)
      throw new TerminalError('nginx stopped before the reload', { code: 'NGINX_NOT_RUNNING' });
    if (!this.running) throw new TerminalError('nginx is not running', { code: 'NGINX_NOT_RUNNING' });
    await new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.reloadWaiters = this.reloadWaiters.filter((w) => w !== waiter);
        reject(new TransientError('nginx did not reload in time', { code: 'NGINX_RELOAD_TIMEOUT' }));
      }, timeoutMs);
      const onAbort = (): void => {
        this.reloadWaiters = this.reloadWaiters.filter((w) => w !== waiter);
        waiter.resolve();
      };
      const waiter = {
        resolve: () => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: Error) => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.reloadWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Settles reloaded() callers: resolved when the last reload left nothing due, else rejected with `err`. */
  private settleWaiters(err?: Error): void {
    if (this.reloadDue && err === undefined) return;
    const waiters = this.reloadWaiters;
    this.reloadWaiters = [];
    for (const w of waiters) {
      if (this.reloadDue || err !== undefined) w.reject(err ?? new Error('nginx reload still due'));
      else w.resolve();
    }
  }

  flush(): Promise<boolean> {
    return this.serial(async () => {
      if (this.reloadTimer !== undefined) this.reloadTimer.cancel();
      this.reloadTimer = undefined;
      if (!this.reloadDue || !this.running) return false;
      await this.reload();
      return true;
    });
  }

  /** SIGHUP the master and wait until none of the previous serving workers is still serving. */
  private async reload(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running)
      throw new TerminalError('nginx is not running', { code: 'NGINX_NOT_RUNNING' });
    this.reloadDue = false;
    const before = new Set(activeWorkerPids(await listNginxChildren(pid)));
    const started = this.clock.now();
    this.lastReloadAt = started;
    try {
      process.kill(pid, 'SIGHUP');
      for (;;) {
        if (!this.running)
          throw new TerminalError('nginx exited during reload', { code: 'NGINX_NOT_RUNNING' });
        const now = activeWorkerPids(await listNginxChildren(pid));
        if (now.length > 0 && now.every((w) => !before.has(w))) break;
        if (this.clock.now() - started > this.reloadTimeout) {
          throw new TransientError('nginx did not replace its workers after SIGHUP', {
            code: 'NGINX_RELOAD_TIMEOUT',
          });
        }
        await this.sleep(10);
      }
    } catch (err) {
      this.m.reloadFailures.inc();
      // Keep the change: retry after the interval rather than lose it.
      this.reloadDue = true;
      this.scheduleReload(Math.max(this.minInterval, 1000));
      throw err;
    }
    const seconds = (this.clock.now() - started) / 1000;
    // A failed reload above keeps its waiters: the retry (or their timeout) settles them.
    this.settleWaiters();
    this.m.reloads.inc();
    this.m.reloadDuration.observe(seconds);
    this.logger.info('nginx reloaded', { configHash: this.hash, seconds });
  }

  private scheduleScrape(ms: number): void {
    if (!this.running || this.stopping || this.statusUrl === undefined) return;
    this.scrapeTimer = this.clock.setTimeout(() => {
      void this.scrape().finally(() => this.scheduleScrape(this.scrapeInterval));
    }, ms);
  }

  private async scrape(): Promise<void> {
    if (this.statusUrl === undefined) return;
    let status: StubStatus;
    try {
      const res = await fetch(this.statusUrl, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      status = parseStubStatus(body);
    } catch (err) {
      if (this.scrapeOk)
        this.logger.warn('nginx stub_status scrape failed', { url: this.statusUrl, error: String(err) });
      this.scrapeOk = false;
      return;
    }
    this.scrapeOk = true;
    this.m.connections.set({ state: 'active' }, status.active);
    this.m.connections.set({ state: 'reading' }, status.reading);
    this.m.connections.set({ state: 'writing' }, status.writing);
    this.m.connections.set({ state: 'waiting' }, status.waiting);
    // stub_status totals survive reloads but restart from 0 with a new master: add the growth
    // since the last scrape, or the whole new total after a drop, so the counters never go down.
    const last = this.lastStub;
    const grow = (now: number, before: number | undefined): number =>
      before === undefined || now < before ? now : now - before;
    this.m.accepted.inc(grow(status.accepts, last?.accepts));
    this.m.handled.inc(grow(status.handled, last?.handled));
    this.m.requests.inc(grow(status.requests, last?.requests));
    this.lastStub = { accepts: status.accepts, handled: status.handled, requests: status.requests };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.stopping = true;
    this.settleWaiters(new TerminalError('nginx stopped before the reload', { code: 'NGINX_NOT_RUNNING' }));
    if (this.reloadTimer !== undefined) this.reloadTimer.cancel();
    if (this.scrapeTimer !== undefined) this.scrapeTimer.cancel();
    this.reloadTimer = this.scrapeTimer = undefined;
    for (const signal of ['SIGQUIT', 'SIGTERM'] as const) {
      if (!this.running) break;
      child.kill(signal);
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => this.clock.setTimeout(() => resolve(true), this.stopTimeout)),
      ]);
      if (!timedOut) break;
      this.logger.warn('nginx did not stop in time, escalating', { signal });
    }
    if (this.running) await this.killMasterAndWorkers(child);
    await this.exited;
  }

  /**
   * SIGKILL the master and then its workers: a SIGKILLed master cannot stop them, and orphaned
   * workers would keep serving (and holding the listening sockets) with no one to stop them.
   */
  private async killMasterAndWorkers(child: ChildProcess): Promise<void> {
    const pid = child.pid;
    const workers = pid === undefined ? [] : (await listNginxChildren(pid)).map((w) => w.pid);
    child.kill('SIGKILL');
    await this.exited;
    for (const w of workers) {
      try {
        process.kill(w, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // SIGKILL is asynchronous: stop() promises none is left serving, so wait (bounded) until
    // the kernel has taken them down.
    const left = await waitUntilGone(workers, 5000);
    if (left.length > 0) this.logger.warn('nginx workers still alive after SIGKILL', { pids: left });
  }

  healthy(): boolean {
    return this.started && this.running && (this.statusUrl === undefined || this.scrapeOk);
  }

  configHash(): string {
    return this.hash;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  async workerPids(): Promise<number[]> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return [];
    return activeWorkerPids(await listNginxChildren(pid));
  }
}

/**
 * Create (but do not start) an nginx process manager. Nothing runs until `start`. The instance
 * owns its work directory: two managers must not share one.
 */
export function createNginxProcess(options: NginxProcessOptions): NginxProcess {
  return new NginxProcessImpl(options);
}
