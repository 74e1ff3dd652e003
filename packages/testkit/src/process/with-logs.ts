import { errorMessage } from '@kube-edge/runtime';

/** Anything whose logs help explain a failed test: an nginx or etcd process, or a function. */
export type LogSource = { logs(): string | Promise<string> } | (() => string | Promise<string>);

/**
 * Runs `body`; if it throws, rethrows an Error whose message adds the logs of `sources` (so a
 * failing jest test shows what nginx or etcd said), with the original error as `cause`.
 * Resolves with `body`'s result otherwise. Non-blocking; reads logs only on failure.
 */
export async function withLogsOnFailure<T>(sources: LogSource[], body: () => Promise<T> | T): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const logs: string[] = [];
    for (const source of sources) {
      try {
        logs.push(await (typeof source === 'function' ? source() : source.logs()));
      } catch (logError) {
        logs.push(`(logs unavailable: ${errorMessage(logError)})`);
      }
    }
    const message = errorMessage(error);
    const wrapped = new Error(`${message}\n--- process logs ---\n${logs.join('\n')}`, { cause: error });
    if (error instanceof Error && error.stack !== undefined) {
      wrapped.stack = `${wrapped.message}\n${error.stack.split('\n').slice(1).join('\n')}`;
    }
    throw wrapped;
  }
}
