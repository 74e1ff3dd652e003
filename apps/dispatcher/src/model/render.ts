import { renderNginxConfig } from '@kube-edge/nginx-render';
import { checkDirectives } from './health-check.js';
import type { DispatcherModel } from './types.js';

/**
 * Renders the model to nginx.conf text: nginx-render's output, plus the
 * nginx_upstream_check_module directives (which nginx-render does not model) inserted once at
 * the end of each checked upstream block. Pure and deterministic. Throws when an upstream block
 * cannot be found (a renderer layout change), rather than emitting a config without its checks.
 */
export function renderDispatcherConfig(model: DispatcherModel): string {
  const text = renderNginxConfig(model.nginx);
  if (model.healthChecks.size === 0) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  let pending: { indent: string; lines: string[] } | undefined;
  const found = new Set<string>();
  for (const line of lines) {
    const m = /^(\s*)upstream (\S+) \{$/.exec(line);
    if (m !== null) {
      const check = model.healthChecks.get(m[2]!);
      if (check !== undefined) {
        pending = { indent: m[1]!, lines: checkDirectives(check) };
        found.add(m[2]!);
      }
    } else if (pending !== undefined && line === `${pending.indent}}`) {
      const inner = `${pending.indent}    `;
      out.push(
        `${inner}# Upstream health check for nginx_upstream_check_module`,
        ...pending.lines.map((l) => inner + l),
      );
      pending = undefined;
    }
    out.push(line);
  }
  for (const id of model.healthChecks.keys()) {
    if (!found.has(id)) throw new Error(`upstream ${id} not found in the rendered config`);
  }
  return out.join('\n');
}
