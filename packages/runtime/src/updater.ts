import { errorMessage } from './errors.js';

/** The result of a health or readiness probe of one component. */
export interface ProbeResult {
  ok: boolean;
  /** Why it is not ok (or a short status when it is). */
  message?: string;
}

/**
 * The lifecycle every applying component shares (nginx, each load-balancer frontend, the status
 * writer): nothing is touched at `start`, each `update` makes the outside world match `model`,
 * `stop` undoes what must be undone (detach, drain, quit).
 *
 * Promises: `start` and `stop` are each called once, `stop` only after `start` resolved;
 * `update` is never called concurrently with itself (callers serialise) and must be idempotent:
 * the same model twice makes no further change. `health` and `readiness` never throw and may be
 * called at any time, concurrently with anything.
 */
export interface Updater<M> {
  /** A short name for logs and health reports, e.g. `nginx`, `elb`, `status`. */
  readonly name: string;
  start(): Promise<void>;
  /**
   * Makes the outside world match `model`. `signal` (when given) aborts once the caller starts
   * stopping: an update may then stop waiting for something slow (a deferred reload) and return.
   */
  update(model: M, signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  health(): ProbeResult | Promise<ProbeResult>;
  readiness(): ProbeResult | Promise<ProbeResult>;
}

/**
 * Asks each member for its `health` or `readiness`, one after another, and combines the answers:
 * ok when all are ok, else not ok with `name: message` of each failing member joined by `; `. A
 * probe that throws counts as not ok with the error's message. Never throws.
 */
export async function probeUpdaters(
  members: readonly Pick<Updater<never>, 'name' | 'health' | 'readiness'>[],
  kind: 'health' | 'readiness',
): Promise<ProbeResult> {
  const bad: string[] = [];
  for (const m of members) {
    let r: ProbeResult;
    try {
      r = await m[kind]();
    } catch (err) {
      r = { ok: false, message: errorMessage(err) };
    }
    if (!r.ok) bad.push(`${m.name}: ${r.message ?? 'not ok'}`);
  }
  return bad.length === 0 ? { ok: true } : { ok: false, message: bad.join('; ') };
}

/**
 * Composes updaters: starts and updates them in order, stops them in reverse order. A chain is
 * itself an Updater. `update` stops at the first failing member and rethrows its error, so a
 * later member (a frontend) never acts on a model an earlier one (nginx) refused. `stop` stops
 * every member even when one fails, then throws an AggregateError of the failures.
 */
export function createUpdaterChain<M>(name: string, members: readonly Updater<M>[]): Updater<M> {
  const started: Updater<M>[] = [];
  const probeAll = (kind: 'health' | 'readiness'): Promise<ProbeResult> => probeUpdaters(members, kind);
  return {
    name,
    async start() {
      for (const m of members) {
        await m.start();
        started.push(m);
      }
    },
    async update(model: M, signal?: AbortSignal) {
      for (const m of members) await m.update(model, signal);
    },
    async stop() {
      const failures: unknown[] = [];
      while (started.length > 0) {
        const m = started.pop()!;
        try {
          await m.stop();
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length > 0)
        throw new AggregateError(failures, `${name}: ${failures.length} updater(s) failed to stop`);
    },
    health: () => probeAll('health'),
    readiness: () => probeAll('readiness'),
  };
}
