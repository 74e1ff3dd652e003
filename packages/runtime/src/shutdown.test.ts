import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { LogMeta, Logger } from './logger-types.js';
import { FORCED_EXIT_CODE, createShutdown, type ShutdownOptions } from './shutdown.js';

interface Line {
  level: string;
  message: string;
  meta: LogMeta;
}

function memoryLogger(lines: Line[]): Logger {
  const make = (base: LogMeta): Logger => ({
    error: (message, meta) => lines.push({ level: 'error', message, meta: { ...base, ...meta } }),
    warn: (message, meta) => lines.push({ level: 'warn', message, meta: { ...base, ...meta } }),
    info: (message, meta) => lines.push({ level: 'info', message, meta: { ...base, ...meta } }),
    debug: (message, meta) => lines.push({ level: 'debug', message, meta: { ...base, ...meta } }),
    child: (meta) => make({ ...base, ...meta }),
  });
  return make({});
}

function setup(options: Partial<ShutdownOptions> = {}) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const lines: Line[] = [];
  const shutdown = createShutdown({
    logger: memoryLogger(lines),
    exit: (code) => exits.push(code),
    processLike: signals,
    ...options,
  });
  return { signals, exits, lines, shutdown };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('createShutdown', () => {
  it('runs stop steps in reverse order of registration, then exits 0', async () => {
    const { exits, shutdown } = setup();
    const order: string[] = [];
    shutdown.addStep('nginx', () => {
      order.push('nginx');
    });
    shutdown.addStep('elb', async () => {
      await sleep(5);
      order.push('elb');
    });
    shutdown.addStep('health-server', () => {
      order.push('health-server');
    });
    await expect(shutdown.shutdown('test')).resolves.toBe(0);
    expect(order).toEqual(['health-server', 'elb', 'nginx']);
    expect(exits).toEqual([0]);
  });

  it('abandons a slow step at its timeout, aborts its signal, runs the rest and exits 1', async () => {
    const { exits, lines, shutdown } = setup();
    const order: string[] = [];
    let aborted: unknown;
    shutdown.addStep('first-registered', () => {
      order.push('first-registered');
    });
    shutdown.addStep(
      'slow-drain',
      (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            resolve();
          });
        }),
      { timeoutMs: 50 },
    );
    shutdown.addStep('last-registered', () => {
      order.push('last-registered');
    });
    const started = Date.now();
    await expect(shutdown.shutdown('test')).resolves.toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(order).toEqual(['last-registered', 'first-registered']);
    expect(aborted).toBeInstanceOf(Error);
    expect(exits).toEqual([1]);
    expect(lines).toContainEqual({
      level: 'error',
      message: 'stop step timed out',
      meta: { step: 'slow-drain', timeoutMs: 50 },
    });
  });

  it('uses the default step timeout for steps without their own', async () => {
    const { shutdown } = setup({ defaultStepTimeoutMs: 20 });
    shutdown.addStep('hangs', () => new Promise<void>(() => undefined));
    await expect(shutdown.shutdown('test')).resolves.toBe(1);
  });

  it('logs a throwing or rejecting step, runs the others and exits 1', async () => {
    const { exits, lines, shutdown } = setup();
    const ran: string[] = [];
    shutdown.addStep('after', () => {
      ran.push('after');
    });
    shutdown.addStep('rejects', () => Promise.reject(new Error('detach failed')));
    shutdown.addStep('throws', () => {
      throw new Error('sync throw');
    });
    await expect(shutdown.shutdown('test')).resolves.toBe(1);
    expect(ran).toEqual(['after']);
    expect(exits).toEqual([1]);
    expect(lines.filter((l) => l.message === 'stop step failed').map((l) => l.meta.step)).toEqual([
      'throws',
      'rejects',
    ]);
  });

  it('keeps a non-zero exit code given by the caller', async () => {
    const { exits, shutdown } = setup();
    await expect(shutdown.shutdown('informer lost', { exitCode: 2 })).resolves.toBe(2);
    expect(exits).toEqual([2]);
  });

  it('runs the steps once when shutdown is called twice, returning the same promise', async () => {
    const { exits, shutdown } = setup();
    let runs = 0;
    shutdown.addStep('count', () => {
      runs += 1;
    });
    const a = shutdown.shutdown('one');
    const b = shutdown.shutdown('two');
    expect(b).toBe(a);
    await a;
    expect(runs).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('starts on SIGTERM once installed, and reports stopping', async () => {
    const { signals, exits, shutdown } = setup();
    let stopped = false;
    shutdown.addStep('s', () => {
      stopped = true;
    });
    signals.emit('SIGTERM', 'SIGTERM');
    await sleep(10);
    expect(stopped).toBe(false);
    shutdown.install();
    shutdown.install();
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(shutdown.stopping).toBe(false);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.stopping).toBe(true);
    await shutdown.shutdown('ignored: already running');
    expect(stopped).toBe(true);
    expect(exits).toEqual([0]);
  });

  it('exits 130 at once on a second signal, starts no further step and exits only once', async () => {
    const { signals, exits, shutdown } = setup();
    const ran: string[] = [];
    shutdown.addStep('never-started', () => {
      ran.push('never-started');
    });
    let release: () => void = () => undefined;
    shutdown.addStep('blocking', () => new Promise<void>((resolve) => (release = resolve)));
    shutdown.install();
    signals.emit('SIGINT', 'SIGINT');
    const done = shutdown.shutdown('same run');
    await sleep(5);
    expect(exits).toEqual([]);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([FORCED_EXIT_CODE]);
    release();
    await expect(done).resolves.toBe(FORCED_EXIT_CODE);
    expect(ran).toEqual([]);
    expect(exits).toEqual([FORCED_EXIT_CODE]);
  });

  it('stops listening after uninstall', () => {
    const { signals, shutdown } = setup({ signals: ['SIGTERM', 'SIGHUP'] });
    shutdown.install();
    expect(signals.listenerCount('SIGHUP')).toBe(1);
    shutdown.uninstall();
    expect(signals.listenerCount('SIGHUP')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('does not run a step added after stopping began', async () => {
    const { lines, shutdown } = setup();
    let ran = false;
    const done = shutdown.shutdown('test');
    shutdown.addStep('late', () => {
      ran = true;
    });
    await done;
    expect(ran).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', meta: { step: 'late' } }));
  });
});
