import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { parseGorbInterval } from './interval.js';

/** A virtual service as the gorb test server stores and echoes it (gorb's ServiceOptions). */
export interface GorbServerServiceOptions {
  host: string;
  port: number;
  protocol: string;
  method: string;
  persistent: boolean;
  flags: string;
}

/** A backend's pulse (health check) options as stored: `args` is echoed exactly as sent. */
export interface GorbServerPulseOptions {
  type: string;
  interval: string;
  args: Record<string, unknown> | null;
}

/** A backend as the gorb test server stores and echoes it (gorb's BackendOptions). */
export interface GorbServerBackendOptions {
  host: string;
  port: number;
  weight: number;
  method: string;
  pulse: GorbServerPulseOptions;
  vsid: string;
}

/** The messages and statuses of gorb's error values (kobolog `core` package). */
export const GORB_ERRORS = {
  ipvs: { status: 500, message: 'error while calling into IPVS' },
  exists: { status: 409, message: 'specified object already exists' },
  notFound: { status: 404, message: 'unable to locate specified object' },
} as const;

/** An error the handlers turn into `{"error": message}` with `status`. */
export class GorbFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GorbFailure';
  }
}

const badRequest = (message: string): GorbFailure => new GorbFailure(400, message);

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq']);
const SERVICE_FLAGS = new Set(['sh-fallback', 'sh-port', 'flag-1', 'flag-2', 'flag-3']);
const FORWARDING_METHODS = new Set(['nat', 'dr', 'tunnel', 'ipip']);
const PULSE_TYPES = new Set(['none', 'tcp', 'http']);

// encoding/json matches keys exactly first, then case-insensitively.
function field(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function unmarshalError(v: unknown, struct: string, key: string, goType: string): GorbFailure {
  const what = typeof v === 'number' ? `number ${v}` : typeName(v);
  return badRequest(`json: cannot unmarshal ${what} into Go struct field ${struct}.${key} of type ${goType}`);
}

function str(obj: Record<string, unknown>, struct: string, key: string): string {
  const v = field(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw unmarshalError(v, struct, key, 'string');
  return v;
}

function int(
  obj: Record<string, unknown>,
  struct: string,
  key: string,
  goType: string,
  min: number,
  max: number,
): number {
  const v = field(obj, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw unmarshalError(v, struct, key, goType);
  return v;
}

function bool(obj: Record<string, unknown>, struct: string, key: string): boolean {
  const v = field(obj, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw unmarshalError(v, struct, key, 'bool');
  return v;
}

/** Parses a request body as encoding/json would into a struct; 400 on anything but an object. */
export function decodeObject(raw: string, goType: string): Record<string, unknown> {
  if (raw.trim() === '') throw badRequest('EOF');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch (err) {
    throw badRequest(err instanceof Error ? err.message : 'invalid JSON');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest(`json: cannot unmarshal ${typeName(parsed)} into Go value of type ${goType}`);
  }
  return parsed as Record<string, unknown>;
}

async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family === 4 || family === 6) return { address: host, family };
  try {
    const r = await lookup(host);
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (err) {
    throw badRequest(`lookup ${host}: ${err instanceof Error ? err.message : 'failed'}`);
  }
}

/** The address family of a stored (already resolved) host. */
export function familyOf(host: string): 4 | 6 {
  return isIP(host) === 6 ? 6 : 4;
}

/**
 * Decodes and validates a `PUT /service/{vsID}` body with gorb's defaults: protocol `tcp`,
 * scheduler `wrr`, host the server's default address. An unknown scheduler is refused by the
 * kernel, so it is a 500 (IPVS) rather than a 400.
 */
export async function parseServiceOptions(
  body: Record<string, unknown>,
  defaultHost: string,
): Promise<GorbServerServiceOptions> {
  const S = 'ServiceOptions';
  const host = str(body, S, 'host');
  const port = int(body, S, 'port', 'uint16', 0, 65535);
  const protocol = str(body, S, 'protocol').toLowerCase() || 'tcp';
  const method = str(body, S, 'method') || 'wrr';
  const persistent = bool(body, S, 'persistent');
  const flags = str(body, S, 'flags');
  if (port === 0) throw badRequest('endpoint information is missing');
  if (protocol !== 'tcp' && protocol !== 'udp') throw badRequest('specified protocol is unknown');
  if (flags !== '') {
    for (const f of flags.split('|'))
      if (!SERVICE_FLAGS.has(f)) throw badRequest('specified flag is unknown');
  }
  const resolved = host === '' ? { address: defaultHost } : await resolveHost(host);
  if (!SCHEDULERS.has(method)) throw new GorbFailure(GORB_ERRORS.ipvs.status, GORB_ERRORS.ipvs.message);
  return { host: resolved.address, port, protocol, method, persistent, flags };
}

/**
 * Decodes and validates a `PUT /service/{vsID}/{rsID}` body with gorb's defaults: weight <= 0
 * becomes 100, method `nat`, no pulse means `{type: tcp, interval: 1m}`.
 */
export async function parseBackendOptions(
  body: Record<string, unknown>,
  vsId: string,
): Promise<GorbServerBackendOptions> {
  const B = 'BackendOptions';
  const host = str(body, B, 'host');
  const port = int(body, B, 'port', 'uint16', 0, 65535);
  const weightRaw = int(body, B, 'weight', 'int32', -2147483648, 2147483647);
  const method = str(body, B, 'method').toLowerCase() || 'nat';
  const pulse = parsePulse(field(body, 'pulse'));
  if (host === '' || port === 0) throw badRequest('endpoint information is missing');
  if (!FORWARDING_METHODS.has(method)) throw badRequest('specified forwarding method is unknown');
  const resolved = await resolveHost(host);
  return {
    host: resolved.address,
    port,
    weight: weightRaw <= 0 ? 100 : weightRaw,
    method,
    pulse,
    vsid: vsId,
  };
}

/** Reads only the weight of a `PATCH /service/{vsID}/{rsID}` body (gorb ignores the rest). */
export function parsePatchWeight(body: Record<string, unknown>): number {
  return int(body, 'BackendOptions', 'weight', 'int32', -2147483648, 2147483647);
}

function parsePulse(v: unknown): GorbServerPulseOptions {
  const P = 'Options';
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
    throw unmarshalError(v, 'BackendOptions', 'pulse', 'pulse.Options');
  }
  const obj = (v ?? {}) as Record<string, unknown>;
  const type = str(obj, P, 'type').toLowerCase() || 'tcp';
  const interval = str(obj, P, 'interval') || '1m';
  const argsRaw = field(obj, 'args');
  if (argsRaw !== undefined && argsRaw !== null && (typeof argsRaw !== 'object' || Array.isArray(argsRaw))) {
    throw unmarshalError(argsRaw, P, 'args', 'util.DynamicMap');
  }
  if (!PULSE_TYPES.has(type)) throw badRequest('specified pulse type is unknown');
  const ms = parseGorbInterval(interval);
  if (ms === undefined) throw badRequest('invalid interval format');
  if (ms <= 0) throw badRequest('pulse interval must be positive');
  return { type, interval, args: (argsRaw ?? null) as Record<string, unknown> | null };
}

/**
 * Reads a pulse argument the way gorb's DynamicMap does: a value of the default's type is used
 * as is; a string of digits (the empty string included, which gives 0) is converted; anything else,
 * or a missing key, gives the default. Real gorb panics on a JSON number where an int is expected
 * (the type assertion sees a float64); this emulation accepts it instead (a test server that panics
 * would hide the client's other behaviour), so a client sending numbers is not caught here: the
 * test server's request log is the place to assert that numbers are sent as strings.
 */
export function pulseArg<T extends string | number>(
  args: Record<string, unknown> | null,
  key: string,
  def: T,
): T {
  if (args === null || !(key in args)) return def;
  const v = args[key];
  if (typeof def === 'string') return (typeof v === 'string' ? v : def) as T;
  if (typeof v === 'number') return v as T;
  if (typeof v === 'string' && /^\d*$/.test(v)) return (v === '' ? 0 : Number.parseInt(v, 10)) as T;
  return def;
}
