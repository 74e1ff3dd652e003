import { createNoopLogger, type Logger } from './logger-types.js';

/** Something that emits signals: `process` in an app, an EventEmitter in tests. */
export type SignalSource = {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
};

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  /** Default: a no-op logger. */
  logger?: Logger;
  /** Called once with the final exit code. Default `process.exit` (only apps should rely on it). */
  exit?: (code: number) => void;
  /** Signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /** Where to listen for signals. Default `process`. */
  processLike?: SignalSource;
  /** Timeout of a step added without its own. Default 10000 ms. */
  defaultStepTimeoutMs?: number;
}

/** Options for {@link Shutdown.addStep}. */
export interface StepOptions {
  /** How long the step may run before it is abandoned. Default: `defaultStepTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * A stop step. It receives a signal that aborts when the step times out, so it can give up
 * early; a step that ignores it keeps running in the background while the next steps start.
 */
export type StopStep = (signal: AbortSignal) => Promise<void> | void;

/** Options for {@link Shutdown.shutdown}. */
export interface ShutdownCallOptions {
  /**
   * Exit code when every step finished, e.g. 1 when the app stops because something fatal
   * happened. Default 0. A failed step makes a 0 into 1; a non-zero code is kept.
   */
  exitCode?: number;
}

/** Graceful stop: ordered steps run once on SIGTERM/SIGINT (or on demand), then exit. */
export interface Shutdown {
  /**
   * Registers a stop step. Steps run in reverse order of registration (last started, first
   * stopped), one at a time. A step added once stopping has begun is not run (it is logged).
   * Not idempotent: adding a function twice runs it twice.
   */
  addStep(name: string, step: StopStep, options?: StepOptions): void;
  /** Starts listening for the signals. Idempotent. */
  install(): void;
  /** Stops listening for the signals. Idempotent. */
  uninstall(): void;
  /**
   * Runs the steps once, in reverse order; a step that throws or times out is logged and the
   * rest still run. Then calls `exit` with the code it resolves: `exitCode` (default 0), or 1 if
   * that was 0 and a step failed. Idempotent: later calls return the first call's promise.
   * While it runs, another of the signals calls `exit(130)` at once, no further step starts, and
   * the promise resolves 130.
   */
  shutdown(reason: string, options?: ShutdownCallOptions): Promise<number>;
  /** True once `shutdown` has been called, e.g. to fail readiness while stopping. */
  readonly stopping: boolean;
}

interface Step {
  name: string;
  run: StopStep;
  timeoutMs: number;
}

/** Exit code when a second signal cuts the shutdown short (128 + SIGINT, as shells report it). */
export const FORCED_EXIT_CODE = 130;

async function runStep(step: Step, logger: Logger): Promise<boolean> {
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), step.timeoutMs);
    });
    const outcome = await Promise.race([Promise.resolve().then(() => step.run(controller.signal)), timeout]);
    const durationMs = Math.round(performance.now() - started);
    if (outcome === 'timeout') {
      controller.abort(new Error(`stop step ${step.name} timed out after ${step.timeoutMs}ms`));
      logger.error('stop step timed out', { step: step.name, timeoutMs: step.timeoutMs });
      return false;
    }
    logger.info('stop step finished', { step: step.name, durationMs });
    return true;
  } catch (err) {
    logger.error('stop step failed', { step: step.name, err });
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates the process's graceful-stop coordinator. Nothing listens until `install()`. The first
 * signal starts {@link Shutdown.shutdown}; a second one while stopping exits at once with
 * {@link FORCED_EXIT_CODE}. `exit` is called at most once.
 */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const logger = options.logger ?? createNoopLogger();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const source: SignalSource = options.processLike ?? process;
  const defaultTimeoutMs = options.defaultStepTimeoutMs ?? 10_000;
  const steps: Step[] = [];
  let running: Promise<number> | undefined;
  let installed = false;
  let exitedWith: number | undefined;

  const exitOnce = (code: number): void => {
    if (exitedWith !== undefined) return;
    exitedWith = code;
    exit(code);
  };

  const shutdown = (reason: string, call: ShutdownCallOptions = {}): Promise<number> => {
    running ??= (async () => {
      logger.info('shutdown started', { reason, steps: steps.length });
      let failed = 0;
      for (const step of [...steps].reverse()) {
        if (exitedWith !== undefined) break;
        if (!(await runStep(step, logger))) failed += 1;
      }
      const base = call.exitCode ?? 0;
      const code = base === 0 && failed > 0 ? 1 : base;
      logger.info('shutdown finished', { reason, failedSteps: failed, exitCode: exitedWith ?? code });
      exitOnce(code);
      return exitedWith ?? code;
    })();
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running !== undefined) {
      logger.warn('second signal while stopping, exiting now', { signal });
      exitOnce(FORCED_EXIT_CODE);
      return;
    }
    void shutdown(signal);
  };

  return {
    addStep(name, step, stepOptions = {}) {
      if (running !== undefined) {
        logger.warn('stop step added while stopping, not run', { step: name });
        return;
      }
      steps.push({ name, run: step, timeoutMs: stepOptions.timeoutMs ?? defaultTimeoutMs });
    },
    install() {
      if (installed) return;
      installed = true;
      for (const signal of signals) source.on(signal, onSignal);
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      for (const signal of signals) source.off(signal, onSignal);
    },
    shutdown,
    get stopping() {
      return running !== undefined;
    },
  };
}
