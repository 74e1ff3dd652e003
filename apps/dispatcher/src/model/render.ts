import { renderNginxConfig } from '@kube-edge/nginx-render';
import type { DispatcherModel } from './types.js';

/**
 * Renders the model to nginx.conf text. The nginx_upstream_check_module directives are part of
 * the nginx model (`Upstream.healthCheck`), so this is nginx-render's output as is. Pure and
 * deterministic.
 */
export function renderDispatcherConfig(model: DispatcherModel): string {
  return renderNginxConfig(model.nginx);
}
