import { describe, expect, it } from '@jest/globals';
import { createSerialRunner } from './serial-runner.js';

describe('createSerialRunner', () => {
  it('runs tasks one at a time in call order, never overlapping', async () => {
    const runner = createSerialRunner();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ticks: number) => async (): Promise<string> => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([
      runner.run(task('a', 5)),
      runner.run(task('b', 1)),
      runner.run(task('c', 3)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('rejects with the failing task error and still runs the tasks behind it', async () => {
    const runner = createSerialRunner();
    const failed = runner.run(() => Promise.reject(new Error('boom')));
    const sync = runner.run(() => 42);
    const thrown = runner.run(() => {
      throw new Error('sync boom');
    });
    await expect(failed).rejects.toThrow('boom');
    await expect(sync).resolves.toBe(42);
    await expect(thrown).rejects.toThrow('sync boom');
  });

  it('idle resolves once every queued task has settled, even a failed one', async () => {
    const runner = createSerialRunner();
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void runner.run(async () => {
      await gate;
      done.push('a');
    });
    void runner.run(() => Promise.reject(new Error('x'))).catch(() => undefined);
    const idle = runner.idle().then(() => done.push('idle'));
    await Promise.resolve();
    expect(done).toEqual([]);
    release();
    await idle;
    expect(done).toEqual(['a', 'idle']);
  });
});
