/** Runs async tasks one at a time, in call order. See {@link createSerialRunner}. */
export interface SerialRunner {
  /**
   * Queues `task` behind every task queued before it and resolves or rejects with its outcome.
   * A task starts only after the previous one settled, whether it resolved or rejected: one
   * failure never blocks or fails the tasks behind it. Non-blocking; callable concurrently.
   */
  run<T>(task: () => Promise<T> | T): Promise<T>;
  /** Resolves once every task queued so far has settled. Never rejects. */
  idle(): Promise<void>;
}

/**
 * A runner that executes async tasks one at a time in call order (a mutex for async code):
 * e.g. one Route53 write per zone at a time, or nginx's start/apply/stop never overlapping.
 * Holds no timers; an idle runner keeps nothing alive.
 */
export function createSerialRunner(): SerialRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      const next = tail.then(task, task);
      tail = next.catch(() => undefined);
      return next;
    },
    idle(): Promise<void> {
      return tail.then(() => undefined);
    },
  };
}
