import { describe, expect, it } from '@jest/globals';
import type { LogMeta, Logger } from '@kube-edge/runtime';
import type { EventRecorder } from '@kube-edge/k8s-watch';
import { createRedactingEventRecorder, createRedactingLogger, redactSecrets } from './redact.js';

function memory(out: { message: string; meta?: LogMeta }[]): Logger {
  const make = (base: LogMeta): Logger => ({
    error: (message, meta) => void out.push({ message, meta: { ...base, ...meta } }),
    warn: (message, meta) => void out.push({ message, meta: { ...base, ...meta } }),
    info: (message, meta) => void out.push({ message, meta: { ...base, ...meta } }),
    debug: (message, meta) => void out.push({ message, meta: { ...base, ...meta } }),
    child: (meta) => make({ ...base, ...meta }),
  });
  return make({});
}

describe('redaction by value', () => {
  it('replaces every occurrence, longest value first', () => {
    expect(redactSecrets('a secret-long and secret', ['secret-long', 'secret'])).toBe(
      'a REDACTED and REDACTED',
    );
  });

  it('redacts the message, nested metadata, Error messages and stacks, and children', () => {
    const out: { message: string; meta?: LogMeta }[] = [];
    let secrets: readonly string[] = [];
    const log = createRedactingLogger(memory(out), () => secrets);
    secrets = ['c2VjcmV0LWtleQ=='];
    const err = new Error('nginx: if ($h != "c2VjcmV0LWtleQ==")');
    log.warn('saw c2VjcmV0LWtleQ==', { output: { lines: ['x c2VjcmV0LWtleQ== y'] }, err, n: 1 });
    log.child({ component: 'nginx' }).info('line', { line: 'GET /?k=c2VjcmV0LWtleQ==' });
    const text = JSON.stringify(out, (_k, v: unknown) =>
      v instanceof Error ? { message: v.message, stack: v.stack } : v,
    );
    expect(text).not.toContain('c2VjcmV0LWtleQ==');
    expect(out[0]!.message).toBe('saw REDACTED');
    expect(out[0]!.meta?.n).toBe(1);
    expect((out[0]!.meta?.err as Error).message).toBe('nginx: if ($h != "REDACTED")');
    expect(out[0]!.meta?.err).toBeInstanceOf(Error);
    expect(out[1]!.meta).toMatchObject({ component: 'nginx', line: 'GET /?k=REDACTED' });
    // The original error is left as it was.
    expect(err.message).toContain('c2VjcmV0LWtleQ==');
  });

  it('passes lines without a secret through unchanged', () => {
    const out: { message: string; meta?: LogMeta }[] = [];
    const meta = { a: { b: 'plain' } };
    createRedactingLogger(memory(out), () => ['c2VjcmV0LWtleQ==']).info('ok', meta);
    expect(out[0]!.meta?.a).toBe(meta.a);
  });
});

describe('createRedactingEventRecorder', () => {
  it('records Events with every secret value replaced in the reason and the message', async () => {
    const recorded: [string, string][] = [];
    const inner: EventRecorder = {
      record: (_o, _t, reason, message) => void recorded.push([reason, message]),
      flush: () => Promise.resolve(),
      stats: () => ({ created: 0, updated: 0, dropped: 0, failed: 0 }),
    };
    const key = 'c2VjcmV0LWFwaS1rZXktMTIzNDU2';
    const r = createRedactingEventRecorder(inner, () => [key]);
    r.record(
      { kind: 'Secret', name: 'routing', namespace: 'a' },
      'Warning',
      'ConfigRefused',
      `nginx: invalid "${key}"`,
    );
    r.record({ kind: 'Pod', name: 'p', namespace: 'a' }, 'Warning', 'InvalidPathEntry', 'no secret here');
    await r.flush();
    expect(recorded).toEqual([
      ['ConfigRefused', 'nginx: invalid "REDACTED"'],
      ['InvalidPathEntry', 'no secret here'],
    ]);
  });
});
