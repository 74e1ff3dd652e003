import { isIPv4, isIP } from 'node:net';
import { ConfigError } from '@kube-edge/runtime';
import type { GorbBackendMethod, GorbPulseType } from './types.js';

/** One entry of `--gorb-services-definition`: a gorb virtual service ID and the port to register. */
export interface GorbServiceDefinition {
  name: string;
  port: number;
}

/** feed's defaults for its `gorb` flags, which kube-edge keeps (the README's option table lists them). */
export const GORB_DEFAULTS = {
  /** `--gorb-endpoint`. A stock gorb listens on :4672; feed's default assumes another deployment. */
  endpoint: 'http://127.0.0.1:80',
  /** `--gorb-ingress-instance-ip`. */
  instanceIp: '127.0.0.1',
  /** `--gorb-services-definition`. */
  servicesDefinition: 'http-proxy:80,https-proxy:443',
  /** `--gorb-backend-method`. */
  backendMethod: 'dr',
  /** `--gorb-backend-weight`. Large enough that gorb's health scaling does not truncate it to 0 (gorb#47). */
  backendWeight: 1000,
  /** `--gorb-vip-loadbalancer`. */
  vipLoadbalancer: '127.0.0.1',
  /** `--gorb-management-loopback`. */
  manageLoopback: true,
  /** `--gorb-interface-proc-fs-path`. */
  interfaceProcFsPath: '/host-ipv4-proc/',
  /** `--gorb-backend-healthcheck-interval`. */
  healthCheckInterval: '1s',
  /** `--gorb-backend-healthcheck-type`. */
  healthCheckType: 'http',
  /** `--drain-delay`, in ms. */
  drainDelayMs: 60_000,
} as const;

const config = (message: string, key: string): ConfigError =>
  new ConfigError(message, { code: 'INVALID_FLAG', key });

const SERVICE_NAME = /^[^/\s:,]+$/;

/**
 * Parses `--gorb-services-definition`: a CSV of `name:port` (e.g. `http-proxy:80,https-proxy:443`).
 * Pure; throws {@link ConfigError} naming the flag on an empty list, a malformed entry, a port
 * outside 1–65535 or a repeated name. Spaces around entries are ignored.
 */
export function parseGorbServicesDefinition(
  value: string,
  key = 'gorb-services-definition',
): GorbServiceDefinition[] {
  const out: GorbServiceDefinition[] = [];
  const entries = value.split(',').map((e) => e.trim());
  if (entries.length === 1 && entries[0] === '') throw config(`--${key} is empty`, key);
  for (const entry of entries) {
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = m?.[1];
    const port = m?.[2] === undefined ? NaN : Number.parseInt(m[2], 10);
    if (name === undefined || !SERVICE_NAME.test(name) || !(port >= 1 && port <= 65535)) {
      throw config(`--${key} entry ${JSON.stringify(entry)} is not name:port`, key);
    }
    if (out.some((d) => d.name === name)) throw config(`--${key} names ${JSON.stringify(name)} twice`, key);
    out.push({ name, port });
  }
  return out;
}

/**
 * Parses `--gorb-vip-loadbalancer`: a CSV of IPv4 addresses. Pure; throws {@link ConfigError}
 * on an empty list or anything that is not an IPv4 address, so no user string reaches `ip`.
 */
export function parseGorbVips(value: string, key = 'gorb-vip-loadbalancer'): string[] {
  const vips = value.split(',').map((v) => v.trim());
  if (vips.length === 1 && vips[0] === '') throw config(`--${key} is empty`, key);
  for (const vip of vips) {
    if (!isIPv4(vip)) throw config(`--${key} entry ${JSON.stringify(vip)} is not an IPv4 address`, key);
  }
  return vips;
}

const INTERVAL = /^[+-]?\d+(s|sec|seconds|m|min|minutes|h|hours)$/i;

/**
 * Checks `--gorb-backend-healthcheck-interval` against gorb's interval grammar
 * (`<integer><unit>`, unit s/sec/seconds/m/min/minutes/h/hours, positive; Go forms such as
 * `1m30s` or `500ms` are rejected by gorb), so a bad value fails at start-up instead of as a 400
 * at registration. Pure; returns the value unchanged or throws {@link ConfigError}.
 */
export function parseGorbPulseInterval(value: string, key = 'gorb-backend-healthcheck-interval'): string {
  if (!INTERVAL.test(value) || Number.parseInt(value, 10) <= 0) {
    throw config(`--${key} ${JSON.stringify(value)} is not a gorb interval such as 1s, 5sec or 1m`, key);
  }
  return value;
}

/** Parses `--gorb-backend-healthcheck-type`: `http`, `tcp` or `none`. Pure; throws {@link ConfigError}. */
export function parseGorbHealthCheckType(
  value: string,
  key = 'gorb-backend-healthcheck-type',
): GorbPulseType {
  if (value === 'http' || value === 'tcp' || value === 'none') return value;
  throw config(`--${key} must be http, tcp or none, got ${JSON.stringify(value)}`, key);
}

/** Parses `--gorb-backend-method`: `dr`, `nat`, `tunnel` or `ipip`. Pure; throws {@link ConfigError}. */
export function parseGorbBackendMethod(value: string, key = 'gorb-backend-method'): GorbBackendMethod {
  if (value === 'dr' || value === 'nat' || value === 'tunnel' || value === 'ipip') return value;
  throw config(`--${key} must be dr, nat, tunnel or ipip, got ${JSON.stringify(value)}`, key);
}

/** Checks `--gorb-ingress-instance-ip` is an IP address. Pure; throws {@link ConfigError}. */
export function parseGorbInstanceIp(value: string, key = 'gorb-ingress-instance-ip'): string {
  if (isIP(value) === 0) throw config(`--${key} ${JSON.stringify(value)} is not an IP address`, key);
  return value;
}

/** Checks `--gorb-backend-weight` is an integer from 1 to 2^31-1. Pure; throws {@link ConfigError}. */
export function parseGorbBackendWeight(value: number, key = 'gorb-backend-weight'): number {
  if (!Number.isInteger(value) || value < 1 || value > 2147483647) {
    throw config(`--${key} must be a positive integer, got ${value}`, key);
  }
  return value;
}
