import { describe, expect, it } from '@jest/globals';
import { captureLogger, type CapturedLogLine } from './capture-logger.js';

describe('captureLogger', () => {
  it("keeps every level's lines in order, a child's with its bindings merged (the line's own meta winning), in the given array", () => {
    const lines: CapturedLogLine[] = [];
    const log = captureLogger(lines);
    log.info('one', { a: 1 });
    const child = log.child({ component: 'x', a: 2 });
    child.warn('two');
    child.child({ b: 3 }).error('three', { a: 4 });
    log.debug('four');
    expect(log.lines).toBe(lines);
    expect(lines).toEqual([
      { level: 'info', message: 'one', meta: { a: 1 } },
      { level: 'warn', message: 'two', meta: { component: 'x', a: 2 } },
      { level: 'error', message: 'three', meta: { component: 'x', a: 4, b: 3 } },
      { level: 'debug', message: 'four', meta: {} },
    ]);
    expect(captureLogger().lines).toEqual([]);
  });
});
