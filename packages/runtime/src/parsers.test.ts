import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './errors.js';
import { formatDuration, formatSize, parseCsv, parseDuration, parseKeyValues, parseSize } from './parsers.js';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30.5s', 90_500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['0s', 0],
    ['1500us', 1.5],
    ['2000000ns', 2],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('reads a bare number as seconds by default and as milliseconds when asked', () => {
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('2.5')).toBe(2500);
    expect(parseDuration('250', { bareUnit: 'ms' })).toBe(250);
  });

  it.each(['', 'abc', '-5s', '5x', '1h 30m', 's', '10s5', '1e3s'])(
    'rejects %j with a ConfigError naming the flag',
    (input) => {
      const err = configErrorOf(() => parseDuration(input, { key: '--resync-period' }));
      expect(err.key).toBe('--resync-period');
      expect(err.message).toContain('--resync-period');
      expect(err.message).toContain(JSON.stringify(input));
    },
  );

  it('round-trips through formatDuration', () => {
    for (const ms of [0, 250, 1500, 30_000, 90_000, 300_000, 5_400_000, 3_600_000 + 1]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(15 * 60_000)).toBe('15m');
  });
});

describe('parseSize', () => {
  it.each([
    ['1024', 1024],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['10m', 10 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['0', 0],
  ])('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['', '1.5m', '10mb', '-1', 'k', '10 m x'])(
    'rejects %j with a ConfigError naming the flag',
    (input) => {
      expect(configErrorOf(() => parseSize(input, { key: 'NGINX_MAX_CLIENT_BODY_SIZE' })).key).toBe(
        'NGINX_MAX_CLIENT_BODY_SIZE',
      );
    },
  );

  it('formats with the largest exact unit', () => {
    expect(formatSize(10 * 1024 ** 2)).toBe('10m');
    expect(formatSize(1536)).toBe('1536');
    expect(formatSize(2048)).toBe('2k');
    expect(formatSize(0)).toBe('0');
  });
});

describe('parseCsv', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    [' a , b ', ['a', 'b']],
    ['a,,b,', ['a', 'b']],
    ['', []],
    ['  ', []],
  ])('splits %j into %j', (input, list) => {
    expect(parseCsv(input)).toEqual(list);
  });

  it('keeps empty items when asked, since some flags give them a meaning', () => {
    expect(parseCsv('nginx,', { keepEmpty: true })).toEqual(['nginx', '']);
    expect(parseCsv('', { keepEmpty: true })).toEqual([]);
  });
});

describe('parseKeyValues', () => {
  it.each([
    ['a=b,c=d', { a: 'b', c: 'd' }],
    [' a = b , c=', { a: 'b', c: '' }],
    ['token=abc==', { token: 'abc==' }],
    ['a=1,a=2', { a: '2' }],
    ['', {}],
  ])('reads %j as %j', (input, map) => {
    expect(parseKeyValues(input)).toEqual(map);
  });

  it.each(['a', 'a=b,c', '=b'])('rejects %j with a ConfigError naming the flag', (input) => {
    const err = configErrorOf(() => parseKeyValues(input, { key: '--pushgateway-label' }));
    expect(err.key).toBe('--pushgateway-label');
    expect(err.message).toContain('--pushgateway-label');
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const map = parseKeyValues('__proto__=x');
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map)).toEqual(['__proto__']);
  });
});
