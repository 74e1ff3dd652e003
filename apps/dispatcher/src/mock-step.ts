import { createHash } from 'node:crypto';
import type { ControllerStep } from '@kube-edge/k8s-watch';
import type { NginxConfig } from '@kube-edge/nginx-render';
import type { Logger } from '@kube-edge/runtime';
import { renderDispatcherConfig } from './model/render.js';
import type { DispatcherModel } from './model/types.js';
import { REDACTED, redactSecrets } from './redact.js';

export { REDACTED };

/** The nginx model with every API key (header check value) replaced by {@link REDACTED}. Pure. */
export function redactApiKeys(nginx: NginxConfig): NginxConfig {
  return {
    ...nginx,
    servers: nginx.servers.map((server) => ({
      ...server,
      locations: server.locations.map((location) =>
        location.headerCheck === undefined
          ? location
          : { ...location, headerCheck: { ...location.headerCheck, value: REDACTED } },
      ),
    })),
  };
}

/** The mock-mode apply step, with the config it last rendered. */
export interface MockStep extends ControllerStep<DispatcherModel> {
  /** The last rendered config, API keys included ('' before the first update). Never logged. */
  lastConfig(): string;
}

/**
 * The apply step of mock mode (the original's out-of-cluster mode): renders the config and, when
 * it changed, logs it at info with the API keys redacted (by field, and then every secret value
 * of the model wherever it appears), with the hash and size of the real text. Never starts nginx or writes a file. Always healthy and ready; `update` is idempotent.
 */
export function createMockStep(logger: Logger): MockStep {
  let last = '';
  const ok = { ok: true };
  return {
    name: 'mock',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    health: () => ok,
    readiness: () => ok,
    lastConfig: () => last,
    update(model) {
      const text = renderDispatcherConfig(model);
      if (text !== last) {
        last = text;
        logger.info('config (mock mode: nginx is not run; API keys redacted)', {
          hash: createHash('sha256').update(text).digest('hex').slice(0, 12),
          bytes: Buffer.byteLength(text),
          hosts: model.stats.hosts,
          upstreams: model.stats.upstreams,
          servers: model.stats.servers,
          config: redactSecrets(
            renderDispatcherConfig({ ...model, nginx: redactApiKeys(model.nginx) }),
            model.secrets,
          ),
        });
      }
      return Promise.resolve();
    },
  };
}
