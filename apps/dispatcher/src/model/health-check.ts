import { validateUpstreamHealthCheck, type UpstreamHealthCheck } from '@kube-edge/nginx-render';
import type { Container, HealthCheck, PodObject, Probe } from './types.js';

function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  if (typeof port !== 'string' || port === '') return undefined;
  if (/^[0-9]+$/.test(port)) return resolvePort(Number(port), container);
  // A named port (the original emitted port=0 here): resolve it against the container.
  const named = container.ports?.find((p) => p.name === port);
  return named?.containerPort !== undefined ? resolvePort(named.containerPort, container) : undefined;
}

/**
 * The nginx_upstream_check_module check for a route on `containerPort`: from the readiness
 * probe, else the liveness probe, of the container declaring that port. Probe defaults are the
 * API server's (timeout 1 s, period 10 s, success 1, failure 3). Undefined when there is no
 * probe or its port or path cannot be used (nginx-render's own check validation decides, so
 * whatever this returns renders). Pure.
 */
export function healthCheckFor(pod: PodObject, containerPort: number): HealthCheck | undefined {
  const container = pod.spec?.containers?.find((c) =>
    c.ports?.some((p) => p.containerPort === containerPort),
  );
  if (container === undefined) return undefined;
  const probe: Probe | undefined = container.readinessProbe ?? container.livenessProbe;
  if (probe === undefined) return undefined;
  const base = {
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    intervalMs: (probe.periodSeconds ?? 10) * 1000,
    rise: probe.successThreshold ?? 1,
    fall: probe.failureThreshold ?? 3,
  };
  let check: UpstreamHealthCheck | undefined;
  if (probe.httpGet !== undefined) {
    const port = resolvePort(probe.httpGet.port, container);
    if (port !== undefined) check = { type: 'http', ...base, port, path: probe.httpGet.path ?? '/' };
  } else if (probe.tcpSocket !== undefined) {
    const port = resolvePort(probe.tcpSocket.port, container);
    if (port !== undefined) check = { type: 'tcp', ...base, port };
  } else if (probe.exec !== undefined) check = { type: 'tcp', ...base, port: containerPort };
  return check !== undefined && validateUpstreamHealthCheck(check).length === 0 ? check : undefined;
}
