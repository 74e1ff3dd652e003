import { describe, expect, it } from '@jest/globals';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('resolves with the value once the check stops throwing', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return calls;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  it('treats false as not yet, and undefined as success (assertion-style checks)', async () => {
    let calls = 0;
    await expect(eventually(() => ++calls >= 2, { intervalMs: 1 })).resolves.toBe(true);
    expect(calls).toBe(2);
    await expect(eventually(() => undefined)).resolves.toBeUndefined();
  });

  it('rejects with the last error itself after the timeout', async () => {
    let calls = 0;
    const last = await eventually(
      () => {
        calls += 1;
        throw new Error(`attempt ${calls}`);
      },
      { timeoutMs: 30, intervalMs: 5 },
    ).catch((err: unknown) => err);
    expect(calls).toBeGreaterThan(1);
    expect(last).toEqual(new Error(`attempt ${calls}`));
  });

  it('names what it waited for, keeping the last error as the cause', async () => {
    const err = await eventually(
      () => {
        throw new Error('still 503');
      },
      { timeoutMs: 10, intervalMs: 5, what: 'nginx to serve' },
    ).catch((e: unknown) => e as Error);
    expect(err.message).toBe('timed out after 10 ms waiting for nginx to serve');
    expect(err.cause).toEqual(new Error('still 503'));
    await expect(eventually(() => false, { timeoutMs: 10, intervalMs: 5, what: 'x' })).rejects.toThrow(
      'timed out after 10 ms waiting for x',
    );
  });
});
