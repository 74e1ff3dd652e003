import type { Logger, LogMeta, ProbeResult, Updater } from '@kube-edge/runtime';
import { createNoopLogger } from '@kube-edge/runtime';
import { Histogram, type Registry } from 'prom-client';
import {
  NginxConfigTestError,
  createNginxProcess,
  systemClock,
  type Clock,
  type NginxExit,
  type NginxProcess,
} from './process.js';
import { removeStaleTlsFiles, writeTlsFiles, type TlsFile } from './tls-files.js';

/** What an app's render function gives the updater for one model. */
export interface NginxRendered {
  /** The whole nginx.conf text (e.g. `renderNginxConfig(model.nginx)`). */
  readonly config: string;
  /** Every TLS file the config references; files under `tlsDir` not listed here are stale. */
  readonly tlsFiles: readonly TlsFile[];
}

/** Lifecycle notes of the nginx updater, in order. */
export type NginxUpdaterEvent = 'nginx-started' | 'nginx-stopping' | 'nginx-stopped';

/** Options of {@link createNginxUpdater}. */
export interface NginxUpdaterOptions<M> {
  /** Pure: the model as nginx.conf text plus the TLS files it needs. Called once per start/update. */
  readonly render: (model: M) => NginxRendered;
  /** Holds nginx.conf, pid, logs and temp files (see `nginxPaths`). Owned by this updater. */
  readonly workDir: string;
  /** Where the TLS files go (created 0700). Owned by this updater: anything stale in it is removed. */
  readonly tlsDir: string;
  /**
   * Files under `tlsDir` that are not the model's but must stay (e.g. a default certificate the
   * user keeps there): never removed as stale.
   */
  readonly keepFiles?: readonly string[];
  /** Allow TLS files one directory level under `tlsDir` (`<tlsDir>/<host>/…`). Default false. */
  readonly tlsSubdirectories?: boolean;
  /** nginx binary; default `/usr/sbin/nginx`. */
  readonly binary?: string;
  /**
   * When set, `start` starts nginx with this model's config (e.g. an empty cluster, so nginx
   * always comes up and serves its status page before the caches sync). When unset, `start`
   * touches nothing and the first `update` starts nginx with the first full config.
   */
  readonly initialModel?: M;
  /**
   * At most one reload per this many ms, changes in between coalesced. Default 0. An `update`
   * whose reload this defers resolves only once that reload is done (see `servedTimeoutMs`).
   */
  readonly minReloadIntervalMs?: number;
  /**
   * How long `update` waits for its config to be served by every accepting worker (a deferred
   * reload included) before it rejects with a `TransientError` (the loop retries; the config stays
   * installed and its reload due). Default: `minReloadIntervalMs` plus the process manager's
   * reload timeout (60 s).
   */
  readonly servedTimeoutMs?: number;
  /** A stub_status URL scraped into metrics; health then also needs the last scrape to succeed. */
  readonly statusUrl?: string;
  /** Graceful stop budget before escalating to SIGTERM (and again to SIGKILL). Default 10000. */
  readonly stopTimeoutMs?: number;
  /** Prefix of the process manager's metrics; default `nginx_` (e.g. `feed_ingress_nginx_`). */
  readonly metricPrefix?: string;
  /** Default: a no-op logger. Logs go to a child with `component: nginx`. */
  readonly logger?: Logger;
  /** Where metrics are registered; a private registry when omitted. */
  readonly registry?: Registry;
  /** Extra fields for the `nginx config applied` log line (e.g. host and upstream counts). Never secrets. */
  readonly summarize?: (model: M) => LogMeta;
  /**
   * Called when nginx exits on its own (not through `stop`), or was spawned but failed to start
   * serving: the process manager cannot start it twice, so the app should shut down.
   */
  readonly onUnexpectedExit?: (exit: NginxExit) => void;
  /** Lifecycle notes (for tests and start-order checks). */
  readonly onEvent?: (name: NginxUpdaterEvent) => void;
  readonly clock?: Clock;
}

/** nginx as an `Updater<M>`, with a way to reach the process. */
export interface NginxUpdater<M> extends Updater<M> {
  /** The process manager (pids, config hash, flush). */
  readonly process: NginxProcess;
  /** The last config text nginx accepted ('' before nginx started). */
  lastConfig(): string;
  /**
   * Tests a model without applying it: renders it, writes its TLS files (only changed bytes; the
   * live config does not use them until a reload) and runs `nginx -t` on the config in a temp
   * file. Never writes nginx.conf, never reloads, removes nothing; works before nginx started.
   * Rejects with the renderer's `NginxModelError` or an {@link NginxConfigTestError} (both
   * `ConfigRefusedError`s: the controller loop's `isolate` bisects on them), or with the error of
   * an `nginx -t` that could not run. Safe to call concurrently with itself.
   */
  check(model: M): Promise<void>;
}

/**
 * nginx as an `Updater<M>`. `start` starts nginx with `initialModel` when given, else touches
 * nothing. Each `update` renders the model, writes its TLS files (only changed bytes), then
 * starts nginx with the config (first time) or applies it (tested with `nginx -t` before it
 * replaces the live file, reloads rate limited, identical bytes cost nothing). `update` resolves
 * only once the config is served: every accepting worker runs it, no worker of an older
 * generation still accepts (a rate-limited reload is waited for, so a pass can take up to
 * `minReloadIntervalMs`; the wait is `<metricPrefix>reload_wait_seconds` and logged when it
 * reaches a second; past `servedTimeoutMs` it rejects with a `TransientError`). Once the config
 * is served, TLS files it no longer references are removed (best effort: a failure is logged at
 * warn and retried on the next update, since the config is live either way). A config nginx refuses throws
 * `NginxConfigTestError` (a `TerminalError`), leaves the previous config serving, and removes
 * nothing. `stop` quits gracefully (SIGQUIT, then escalation); idempotent. `health`/`readiness`
 * are false until nginx serves, and after it exited on its own. Calls to start/update/stop must
 * not overlap (the controller loop serialises them); probes may be called at any time. `check`
 * tests a model the same way without applying it (for the controller loop's `isolate`).
 */
export function createNginxUpdater<M>(options: NginxUpdaterOptions<M>): NginxUpdater<M> {
  const log = (options.logger ?? createNoopLogger()).child({ component: 'nginx' });
  const onEvent = options.onEvent ?? (() => undefined);
  const tlsOptions = { subdirectories: options.tlsSubdirectories ?? false };
  const proc = createNginxProcess({
    workDir: options.workDir,
    logger: log,
    ...(options.binary !== undefined ? { binary: options.binary } : {}),
    ...(options.registry !== undefined ? { registry: options.registry } : {}),
    ...(options.metricPrefix !== undefined ? { metricPrefix: options.metricPrefix } : {}),
    ...(options.minReloadIntervalMs !== undefined
      ? { minReloadIntervalMs: options.minReloadIntervalMs }
      : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
    ...(options.statusUrl !== undefined ? { statusUrl: options.statusUrl } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  const waitSeconds = new Histogram({
    name: `${options.metricPrefix ?? 'nginx_'}reload_wait_seconds`,
    help: 'Time an update waited after installing its config until every accepting nginx worker served it (rate-limited reload included)',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120],
    registers: options.registry !== undefined ? [options.registry] : [],
  });
  const clock = options.clock ?? systemClock;
  let started = false;
  let stopping = false;
  let exitedUnexpectedly: string | undefined;
  let last = '';

  const health = (): ProbeResult => {
    if (exitedUnexpectedly !== undefined) return { ok: false, message: exitedUnexpectedly };
    if (!started) return { ok: false, message: 'nginx not started: waiting for the first full config' };
    return proc.healthy() ? { ok: true } : { ok: false, message: 'nginx not healthy' };
  };

  const writeTls = async (files: readonly TlsFile[]): Promise<void> => {
    const tls = await writeTlsFiles(options.tlsDir, files, tlsOptions);
    if (tls.written.length > 0) log.info('wrote tls files', { count: tls.written.length });
  };

  const keep = (options.keepFiles ?? []).map((path) => ({ path, content: '' }));
  const removeStale = async (files: readonly TlsFile[]): Promise<void> => {
    // Best effort: the new config is live either way, so a file that cannot be removed (a
    // read-only mount) is reported and tried again next time rather than failing the update.
    try {
      const removed = await removeStaleTlsFiles(options.tlsDir, [...files, ...keep]);
      if (removed.length > 0) log.info('removed stale tls files', { count: removed.length });
    } catch (err) {
      log.warn('could not remove stale tls files', { err });
    }
  };

  const startWith = async (rendered: NginxRendered): Promise<void> => {
    await writeTls(rendered.tlsFiles);
    try {
      await proc.start(rendered.config);
    } catch (err) {
      // A refused config leaves nothing running and a later call may try again; but once the
      // process was spawned (it died or never served, e.g. a port in use), the process manager
      // cannot start it again, so the app must restart (liveness alone would not notice).
      if (proc.pid() !== undefined) {
        exitedUnexpectedly = 'nginx failed to start';
        log.error('nginx failed to start', { err });
        options.onUnexpectedExit?.({ code: null, signal: null });
      }
      throw err;
    }
    started = true;
    last = rendered.config;
    onEvent('nginx-started');
    void proc.exited.then((exit) => {
      if (stopping) return;
      exitedUnexpectedly = `nginx exited (code ${String(exit.code)}, signal ${String(exit.signal)})`;
      log.error('nginx exited unexpectedly', { code: exit.code, signal: exit.signal });
      options.onUnexpectedExit?.(exit);
    });
    await removeStale(rendered.tlsFiles);
  };

  return {
    name: 'nginx',
    process: proc,
    lastConfig: () => last,
    async start() {
      if (options.initialModel !== undefined) await startWith(options.render(options.initialModel));
    },
    async update(model, signal) {
      const rendered = options.render(model);
      if (!started) {
        await startWith(rendered);
        return;
      }
      await writeTls(rendered.tlsFiles);
      const result = await proc.apply(rendered.config);
      last = rendered.config;
      if (result.changed)
        log.info('nginx config applied', {
          reloaded: result.reloaded,
          hash: proc.configHash().slice(0, 12),
          ...options.summarize?.(model),
        });
      // Served means no worker of an older generation still accepts: wait for a reload the
      // rate limit deferred (apply already waited for one it did at once). Also after an
      // unchanged apply, whose config a previous update may have left due.
      const waitStart = clock.now();
      await proc.reloaded(options.servedTimeoutMs, signal);
      // Stopping: the reload is still due, so old files may still be read; leave them.
      if (signal?.aborted === true) return;
      const waited = (clock.now() - waitStart) / 1000;
      if (result.changed) waitSeconds.observe(waited);
      if (waited >= 1) log.info('nginx config served after a deferred reload', { seconds: waited });
      await removeStale(rendered.tlsFiles);
    },
    async check(model) {
      const rendered = options.render(model);
      await writeTls(rendered.tlsFiles);
      const result = await proc.test(rendered.config);
      if (!result.ok) throw new NginxConfigTestError(result.output);
    },
    async stop() {
      stopping = true;
      onEvent('nginx-stopping');
      await proc.stop();
      onEvent('nginx-stopped');
    },
    health,
    readiness: health,
  };
}
