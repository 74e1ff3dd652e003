import { createNginxUpdater, type NginxUpdater } from '@kube-edge/nginx-render';
import type { Logger, Metrics } from '@kube-edge/runtime';
import type { DispatcherRunConfig } from './config.js';
import { renderDispatcherConfig } from './model/render.js';
import type { DispatcherModel } from './model/types.js';

/**
 * The dispatcher's nginx apply step: nginx-render's updater with the dispatcher's render, its
 * per-host TLS files (`<SSL_CERT_DIR>/<host>/…`, a host's files removed once a config without it
 * is live; `SSL_CERT`/`SSL_KEY` are never removed) and metric prefix `dispatcher_nginx_`.
 * `start` starts nginx with `initialModel` (the empty-cluster config), so nginx comes up and
 * answers its status path even while the API server is unreachable. A config nginx refuses makes
 * `update` throw `NginxConfigTestError` (terminal: the previous config keeps serving). `onFatal`
 * is called when nginx exits on its own.
 */
export function createDispatcherNginxStep(
  config: DispatcherRunConfig,
  deps: {
    logger: Logger;
    metrics: Metrics;
    initialModel: DispatcherModel;
    onFatal?: (reason: string) => void;
  },
): NginxUpdater<DispatcherModel> {
  return createNginxUpdater<DispatcherModel>({
    render: (m) => ({ config: renderDispatcherConfig(m), tlsFiles: m.sslFiles }),
    initialModel: deps.initialModel,
    workDir: config.nginxWorkDir,
    tlsDir: config.sslCertDir,
    tlsSubdirectories: true,
    ...(config.ssl !== undefined ? { keepFiles: [config.ssl.cert, config.ssl.key] } : {}),
    ...(config.nginxBinary !== undefined ? { binary: config.nginxBinary } : {}),
    logger: deps.logger,
    registry: deps.metrics.registry,
    metricPrefix: 'dispatcher_nginx_',
    stopTimeoutMs: config.nginxStopTimeoutMs ?? 10_000,
    summarize: (m) => ({ hosts: m.stats.hosts, upstreams: m.stats.upstreams, servers: m.stats.servers }),
    onUnexpectedExit: (exit) =>
      deps.onFatal?.(`nginx exited unexpectedly (code ${String(exit.code)}, signal ${String(exit.signal)})`),
  });
}
