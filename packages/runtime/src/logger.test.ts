import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, TransientError } from './errors.js';
import { createLogger, parseLogLevel, type LoggerOptions } from './logger.js';

class Capture extends Writable {
  readonly chunks: string[] = [];
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    done();
  }
  get lines(): string[] {
    return this.chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '');
  }
  json(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const fixedNow = (): Date => new Date('2026-01-02T03:04:05.678Z');

function setup(options: LoggerOptions = {}): { out: Capture; log: ReturnType<typeof createLogger> } {
  const out = new Capture();
  const log = createLogger({ format: 'json', now: fixedNow, stream: out, ...options });
  return { out, log };
}

describe('createLogger', () => {
  it('writes one JSON object per line with timestamp, level, logger name, message and metadata', async () => {
    const { out, log } = setup({ name: 'feed-ingress' });
    log.info('reconciled', { ingresses: 3 });
    await log.close();
    expect(out.json()).toEqual([
      {
        timestamp: '2026-01-02T03:04:05.678Z',
        level: 'info',
        logger: 'feed-ingress',
        message: 'reconciled',
        ingresses: 3,
      },
    ]);
  });

  it('writes lines synchronously, in call order', () => {
    const { out, log } = setup();
    log.info('one');
    log.warn('two');
    expect(out.json().map((l) => l.message)).toEqual(['one', 'two']);
  });

  it('drops lines below the configured level', async () => {
    const { out, log } = setup({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    await log.close();
    expect(out.json().map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('redacts secret fields at the top level, nested, case-insensitively and by dotted path', async () => {
    const { out, log } = setup();
    log.info('request', {
      Authorization: 'Bearer abc',
      headers: { 'X-Api-Key': 'k1', accept: 'json' },
      aws: { credentials: { secretAccessKey: 's3', accessKeyId: 'AKIA' } },
      user: { PASSWORD: 'hunter2', name: 'bob' },
      list: [{ token: 't' }],
      tls: { key: 'PEM', cert: 'CERT' },
      queue: { key: 'default/web' },
    });
    await log.close();
    const [line] = out.json();
    expect(line).toMatchObject({
      Authorization: '[REDACTED]',
      headers: { 'X-Api-Key': '[REDACTED]', accept: 'json' },
      aws: { credentials: { secretAccessKey: '[REDACTED]', accessKeyId: 'AKIA' } },
      user: { PASSWORD: '[REDACTED]', name: 'bob' },
      list: [{ token: '[REDACTED]' }],
      tls: { key: '[REDACTED]', cert: 'CERT' },
      queue: { key: 'default/web' },
    });
    expect(out.chunks.join('')).not.toMatch(/Bearer abc|hunter2|s3"|PEM|"k1"/);
  });

  it('redacts plural forms of secret names, which hold several secrets', async () => {
    const { out, log } = setup();
    log.info('routes', {
      apiKeys: ['k1', 'k2'],
      tokens: { a: 't1' },
      Passwords: ['p1'],
      keys: ['default/web'],
    });
    await log.close();
    expect(out.json()[0]).toMatchObject({
      apiKeys: '[REDACTED]',
      tokens: '[REDACTED]',
      Passwords: '[REDACTED]',
      keys: ['default/web'],
    });
    expect(out.chunks.join('')).not.toMatch(/k1|k2|t1|p1/);
  });

  it('redacts extra keys given in options as well as the defaults', async () => {
    const { out, log } = setup({ redactKeys: ['sessionCookie'] });
    log.info('x', { session_cookie: 'c', password: 'p', other: 'o' });
    await log.close();
    expect(out.json()[0]).toMatchObject({ session_cookie: '[REDACTED]', password: '[REDACTED]', other: 'o' });
  });

  it('does not modify the caller’s metadata while redacting', async () => {
    const { log } = setup();
    const meta = { auth: { token: 'secret' } };
    log.info('x', meta);
    await log.close();
    expect(meta.auth.token).toBe('secret');
  });

  it('serialises an Error with name, message, code, stack and cause, and redacts secret fields on it', async () => {
    const { out, log } = setup();
    const cause = new Error('socket hang up');
    const err = Object.assign(new TransientError('list failed', { code: 'K8S_LIST', cause }), {
      request: { headers: { authorization: 'Bearer xyz' } },
    });
    log.error('reconcile failed', { err });
    await log.close();
    const line = out.json()[0] as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({
      name: 'TransientError',
      message: 'list failed',
      code: 'K8S_LIST',
      cause: { name: 'Error', message: 'socket hang up' },
      request: { headers: { authorization: '[REDACTED]' } },
    });
    expect(line.err.stack).toEqual(expect.stringContaining('TransientError: list failed'));
    expect((line.err.cause as { stack: string }).stack).toEqual(expect.stringContaining('socket hang up'));
  });

  it('child loggers add their metadata to every line and per-call metadata wins', async () => {
    const { out, log } = setup({ meta: { app: 'feed' } });
    const child = log.child({ component: 'nginx', attempt: 1 }).child({ attempt: 2 });
    child.info('reloaded', { attempt: 3 });
    child.info('reloaded again');
    await log.close();
    expect(out.json()).toEqual([
      expect.objectContaining({ app: 'feed', component: 'nginx', attempt: 3 }),
      expect.objectContaining({ app: 'feed', component: 'nginx', attempt: 2 }),
    ]);
  });

  it('keeps a caller field named like a reserved one under fields.<name> instead of overwriting the line', async () => {
    const { out, log } = setup();
    log.info('constant message', { message: 'user text', level: 'x' });
    await log.close();
    expect(out.json()[0]).toMatchObject({
      message: 'constant message',
      level: 'info',
      'fields.message': 'user text',
      'fields.level': 'x',
    });
  });

  it('survives cycles, bigints, Maps, Dates and throwing getters without throwing', async () => {
    const { out, log } = setup();
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const hostile = {
      get boom(): string {
        throw new Error('getter');
      },
    };
    expect(() =>
      log.info('odd', { cyclic, n: 10n, m: new Map([['k', 'v']]), d: new Date(0), hostile }),
    ).not.toThrow();
    await log.close();
    expect(out.json()[0]).toMatchObject({
      cyclic: { name: 'a', self: '[Circular]' },
      n: '10',
      m: { k: 'v' },
      d: '1970-01-01T00:00:00.000Z',
      hostile: '[Unserialisable]',
    });
  });

  it('writes readable lines in pretty format, still redacted, with the stack on its own lines', async () => {
    const { out, log } = setup({ format: 'pretty', name: 'dns', colors: false });
    log.warn('skipped', { ingress: 'default/web', password: 'p', err: new Error('bad host') });
    await log.close();
    const text = out.chunks.join('');
    expect(text).toMatch(
      /^03:04:05\.678 WARN {2}\[dns\] skipped ingress=default\/web password=\[REDACTED\] err=/,
    );
    expect(text).toMatch(/\n {4}Error: bad host\n {4}\s+at /);
    expect(text).not.toContain('"p"');
  });

  it('auto format writes JSON to a non-TTY stream and pretty lines to a TTY', async () => {
    const plain = new Capture();
    const tty = Object.assign(new Capture(), { isTTY: true });
    const a = createLogger({ stream: plain, now: fixedNow });
    const b = createLogger({ stream: tty, now: fixedNow, colors: false });
    a.info('hello');
    b.info('hello');
    await Promise.all([a.close(), b.close()]);
    expect(JSON.parse(plain.lines[0]!)).toMatchObject({ message: 'hello' });
    expect(tty.lines[0]).toBe('03:04:05.678 INFO  hello');
  });

  it('drops lines logged after close, from the root and its children, without throwing', async () => {
    const { out, log } = setup();
    const child = log.child({ c: 1 });
    await log.close();
    await log.close();
    expect(() => {
      log.info('late');
      child.error('late child');
    }).not.toThrow();
    expect(out.lines).toEqual([]);
  });
});

describe('parseLogLevel', () => {
  it.each([
    ['info', 'info'],
    [' DEBUG ', 'debug'],
    ['Warning', 'warn'],
    ['error', 'error'],
  ] as const)('reads %j as %s', (input, level) => {
    expect(parseLogLevel(input)).toBe(level);
  });

  it('throws a ConfigError naming the key for an unknown level', () => {
    expect(() => parseLogLevel('verbose', 'LOG_LEVEL')).toThrow(ConfigError);
    try {
      parseLogLevel('verbose', 'LOG_LEVEL');
    } catch (err) {
      expect(err).toMatchObject({ key: 'LOG_LEVEL', message: expect.stringContaining('LOG_LEVEL') });
    }
  });
});
