import { createSystemClock, type Clock as RuntimeClock } from '@kube-edge/runtime';

/**
 * Time as the providers see it: runtime's `Clock` (the providers read only `now`, for cache
 * ages). Injected so tests can move it with runtime's `createFakeClock`.
 */
export type Clock = RuntimeClock;

/** The real clock (runtime's `createSystemClock`). Stateless; one instance can be shared. */
export const systemClock: Clock = createSystemClock();
