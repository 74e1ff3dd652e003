/** IPVS forwarding methods gorb accepts for a backend (`nat` is gorb's default, `dr` feed's). */
export type GorbBackendMethod = 'nat' | 'dr' | 'tunnel' | 'ipip';

/** gorb pulse (health check) types. */
export type GorbPulseType = 'none' | 'tcp' | 'http';

/**
 * A virtual service as sent to and returned by gorb (`ServiceOptions`). `method` is the IPVS
 * scheduler (default `wrr`); `flags` is `|`-separated.
 */
export interface GorbServiceOptions {
  host?: string;
  port: number;
  protocol?: 'tcp' | 'udp';
  method?: string;
  persistent?: boolean;
  flags?: string;
}

/**
 * Pulse options of a backend. `args` is a free-form map: gorb reads numeric arguments from
 * strings, and a JSON number where it expects an int makes real gorb panic, so numeric values
 * (`expect`, `port`) go as strings.
 */
export interface GorbPulseOptions {
  type?: GorbPulseType;
  /** `<integer><unit>`, unit s/sec/seconds, m/min/minutes or h/hours; default `1m`. */
  interval?: string;
  args?: Record<string, string>;
}

/** A backend (real server) as sent to gorb (`BackendOptions`). */
export interface GorbBackendOptions {
  host: string;
  port: number;
  /** gorb makes a weight <= 0 on create into 100. */
  weight?: number;
  method?: GorbBackendMethod;
  pulse?: GorbPulseOptions;
}

/** `GET /service/{vsID}`: the stored options, the mean backend health and the backend IDs. */
export interface GorbServiceInfo {
  options: GorbServiceOptions;
  health: number;
  backends: string[];
}

/** Backend status as gorb reports it: 0 Up, 1 Down, 2 Removed. */
export type GorbBackendStatusCode = 0 | 1 | 2;

/** `GET /service/{vsID}/{rsID}`: the stored options (with `vsid`) and pulse metrics. */
export interface GorbBackendInfo {
  options: GorbBackendOptions & { vsid?: string };
  metrics: {
    status: GorbBackendStatusCode;
    /** Fraction of Up among the last 100 checks. */
    health: number;
    /** Go `time.Duration`: nanoseconds. */
    uptime: number;
  };
}
