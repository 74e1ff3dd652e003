import type { Container, HealthCheck, PodObject, Probe } from './types.js';

// The check path goes inside a quoted check_http_send string: no quotes, `$`, `;`, backslashes or spaces.
const CHECK_PATH = /^\/[A-Za-z0-9\-._~%!&'()*+,=:@/]*$/;

function resolvePort(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  if (typeof port !== 'string' || port === '') return undefined;
  if (/^[0-9]+$/.test(port)) return resolvePort(Number(port), container);
  // A named port (the original emitted port=0 here, spec §3.2): resolve it against the container.
  const named = container.ports?.find((p) => p.name === port);
  return named?.containerPort !== undefined ? resolvePort(named.containerPort, container) : undefined;
}

/**
 * The nginx_upstream_check_module check for a route on `containerPort`: from the readiness
 * probe, else the liveness probe, of the container declaring that port. Probe defaults are the
 * API server's (timeout 1 s, period 10 s, success 1, failure 3). Undefined when there is no
 * probe or its port or path cannot be used. Pure.
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
  if (![base.timeoutMs, base.intervalMs, base.rise, base.fall].every((n) => Number.isInteger(n) && n > 0))
    return undefined;
  if (probe.httpGet !== undefined) {
    const port = resolvePort(probe.httpGet.port, container);
    const path = probe.httpGet.path ?? '/';
    if (port === undefined || !CHECK_PATH.test(path)) return undefined;
    return { type: 'http', ...base, port, path };
  }
  if (probe.tcpSocket !== undefined) {
    const port = resolvePort(probe.tcpSocket.port, container);
    return port === undefined ? undefined : { type: 'tcp', ...base, port };
  }
  if (probe.exec !== undefined) return { type: 'tcp', ...base, port: containerPort };
  return undefined;
}

/** The directives of one check, in the module's syntax. Pure. */
export function checkDirectives(c: HealthCheck): string[] {
  const lines = [
    `check interval=${c.intervalMs} rise=${c.rise} fall=${c.fall} timeout=${c.timeoutMs} port=${c.port} type=${c.type};`,
  ];
  if (c.type === 'http') {
    lines.push(
      `check_http_send "GET ${c.path ?? '/'} HTTP/1.0\\r\\n\\r\\n";`,
      'check_http_expect_alive http_2xx;',
    );
  }
  return lines;
}
