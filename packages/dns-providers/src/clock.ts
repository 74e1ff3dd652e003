/** Time as the providers see it: only `now`, for cache ages. Injected so tests can move it. */
export interface Clock {
  /** Milliseconds since the epoch. Never blocks. */
  now(): number;
}

/** The real clock (`Date.now()`). Stateless; one instance can be shared. */
export const systemClock: Clock = { now: () => Date.now() };
