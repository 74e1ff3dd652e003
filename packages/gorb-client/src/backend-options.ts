import type { GorbBackendMethod, GorbBackendOptions, GorbPulseType } from './types.js';

/** What {@link buildGorbBackendOptions} needs. */
export interface GorbBackendSpec {
  instanceIp: string;
  port: number;
  method: GorbBackendMethod;
  weight: number;
  healthCheckType: GorbPulseType;
  healthCheckInterval: string;
}

/**
 * The backend JSON feed sends to gorb (`PUT /service/{vsID}/{rsID}`), byte-compatible in shape: the
 * HTTP check is `GET /` expecting 404 (nginx's default server answers 404 for a request by IP), and
 * `expect` is a string because real gorb panics on a JSON number there. For `tcp` and `none` the
 * `args` object is still sent, with empty strings, as feed's struct had no `omitempty`. Pure.
 */
export function buildGorbBackendOptions(spec: GorbBackendSpec): Required<GorbBackendOptions> {
  const http = spec.healthCheckType === 'http';
  return {
    host: spec.instanceIp,
    port: spec.port,
    method: spec.method,
    weight: spec.weight,
    pulse: {
      type: spec.healthCheckType,
      args: http ? { method: 'GET', path: '/', expect: '404' } : { method: '', path: '', expect: '' },
      interval: spec.healthCheckInterval,
    },
  };
}

/** The backend ID feed registers for a virtual service: `node-<service>-<instanceIp>`. Pure. */
export function gorbBackendId(serviceName: string, instanceIp: string): string {
  return `node-${serviceName}-${instanceIp}`;
}
