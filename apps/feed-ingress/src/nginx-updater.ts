import { createNginxProcess, renderNginxConfig, type NginxProcess } from '@kube-edge/nginx-render';
import type { Logger, ProbeResult, Updater } from '@kube-edge/runtime';
import type { Registry } from 'prom-client';
import type { FeedModel } from './model/index.js';
import { removeStaleTlsFiles, writeTlsFiles } from './tls-files.js';

/** Options of {@link createNginxUpdater}. */
export interface NginxUpdaterOptions {
  readonly binary: string;
  readonly workDir: string;
  /** Directory of the model's TLS files (`FeedModelConfig.nginx.tlsDir`). */
  readonly tlsDir: string;
  /** `--nginx-update-period`: at most one reload per period. */
  readonly updatePeriodMs: number;
  /** nginx's stub_status URL, scraped into metrics (health then needs the scrape to work). */
  readonly statusUrl?: string;
  /** Graceful stop budget before escalating to SIGTERM (and again to SIGKILL). */
  readonly stopTimeoutMs?: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Called when nginx exits on its own (not through `stop`): the app then shuts down (spec §7, feed v6.1). */
  readonly onUnexpectedExit?: (exit: { code: number | null; signal: string | null }) => void;
  /** Lifecycle notes for tests (`nginx-started`, `nginx-stopping`, `nginx-stopped`). */
  readonly onEvent?: (name: string) => void;
}

/** The nginx member of the updater chain, with a way to reach the process for tests. */
export interface NginxUpdater extends Updater<FeedModel> {
  /** The process manager (for pids, config hash and flush in tests). */
  readonly process: NginxProcess;
  /** The last rendered config text ('' before the first update). */
  lastConfig(): string;
}

/**
 * nginx as an `Updater<FeedModel>` (spec/feed.md §7): `start` touches nothing; the first
 * `update` (after the caches synced) writes the TLS files, renders, tests and starts nginx with
 * that full config; later updates write TLS files, then apply (test before swap, reload rate
 * limited, byte-identical configs cost nothing), then remove stale TLS files. `stop` quits
 * gracefully (SIGQUIT, then escalation). Never called concurrently (the chain serialises).
 */
export function createNginxUpdater(options: NginxUpdaterOptions): NginxUpdater {
  const log = options.logger.child({ component: 'nginx' });
  const onEvent = options.onEvent ?? (() => undefined);
  const proc = createNginxProcess({
    binary: options.binary,
    workDir: options.workDir,
    logger: log,
    registry: options.registry,
    metricPrefix: 'feed_ingress_nginx_',
    minReloadIntervalMs: options.updatePeriodMs,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    ...(options.statusUrl !== undefined ? { statusUrl: options.statusUrl } : {}),
  });
  let started = false;
  let stopping = false;
  let exitedUnexpectedly: string | undefined;
  let last = '';
  const health = (): ProbeResult => {
    if (exitedUnexpectedly !== undefined) return { ok: false, message: exitedUnexpectedly };
    if (!started) return { ok: false, message: 'nginx not started: waiting for the first full config' };
    return proc.healthy() ? { ok: true } : { ok: false, message: 'nginx not healthy' };
  };
  return {
    name: 'nginx',
    process: proc,
    lastConfig: () => last,
    start: () => Promise.resolve(),
    async update(model) {
      const conf = renderNginxConfig(model.nginx);
      const tls = await writeTlsFiles(options.tlsDir, model.tlsFiles);
      if (tls.written.length > 0) log.info('wrote tls files', { count: tls.written.length });
      if (!started) {
        try {
          await proc.start(conf);
        } catch (err) {
          // A refused config leaves nothing running and the next update may try again; but once
          // the process was spawned (it died or never served, e.g. a port in use), the process
          // manager cannot start it again, so the controller must restart (liveness would not).
          if (proc.pid() !== undefined) {
            exitedUnexpectedly = 'nginx failed to start';
            log.error('nginx failed to start', { err });
            options.onUnexpectedExit?.({ code: null, signal: null });
          }
          throw err;
        }
        started = true;
        onEvent('nginx-started');
        void proc.exited.then((exit) => {
          if (stopping) return;
          exitedUnexpectedly = `nginx exited (code ${String(exit.code)}, signal ${String(exit.signal)})`;
          log.error('nginx exited unexpectedly', { code: exit.code, signal: exit.signal });
          options.onUnexpectedExit?.(exit);
        });
      } else {
        const result = await proc.apply(conf);
        if (result.changed)
          log.info('nginx config applied', {
            reloaded: result.reloaded,
            hash: proc.configHash().slice(0, 12),
          });
      }
      last = conf;
      const removed = await removeStaleTlsFiles(options.tlsDir, model.tlsFiles);
      if (removed.length > 0) log.info('removed stale tls files', { count: removed.length });
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
