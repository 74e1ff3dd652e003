import { createSystemClock, type Clock as RuntimeClock } from '@kube-edge/runtime';

/**
 * Time as the frontends see it: `now` for the readiness delay, timers for the drain delay.
 * runtime's `Clock`, so tests can run a 60 s drain in no time and still assert it happened.
 */
export type Clock = RuntimeClock;

/** The real clock (runtime's `createSystemClock`). Stateless; one instance can be shared. */
export const systemClock: Clock = createSystemClock();
