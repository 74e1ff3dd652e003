import { ConfigError } from './errors.js';

/** Options for {@link parseDuration}. */
export interface ParseDurationOptions {
  /**
   * Unit of a bare number such as `30`: `'s'` (default) because most of the flags we re-implement
   * took whole seconds, `'ms'` for the few that took milliseconds.
   */
  bareUnit?: 's' | 'ms';
  /** The flag or env var the value came from, named in the error. */
  key?: string;
}

/** Options shared by the list and map parsers. */
export interface ParseListOptions {
  /** The flag or env var the value came from, named in the error. */
  key?: string;
}

/** Options for {@link parseCsv}. */
export interface ParseCsvOptions extends ParseListOptions {
  /**
   * Keep empty items (`'a,,b'` gives `['a', '', 'b']`). Default false: empty items are dropped,
   * so `''` is the empty list. Some original flags give an empty item a meaning (e.g. "matches
   * objects without a class"), hence the option.
   */
  keepEmpty?: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
const BARE_NUMBER = /^(\d+(?:\.\d*)?|\.\d+)$/;

function invalid(what: string, value: string, key: string | undefined, hint: string): ConfigError {
  const where = key === undefined ? '' : ` for ${key}`;
  return new ConfigError(`invalid ${what}${where}: ${JSON.stringify(value)} (${hint})`, {
    code: 'INVALID_VALUE',
    ...(key === undefined ? {} : { key }),
  });
}

/**
 * Parses a duration into milliseconds. Accepts Go's syntax (`500ms`, `30s`, `5m`, `1h30m`,
 * `1.5h`, also `ns`/`us`) and a bare non-negative number in `bareUnit` (seconds by default).
 * Negative durations are rejected: no flag of ours gives them a meaning. The result may be
 * fractional for sub-millisecond units. Pure; throws {@link ConfigError} naming `key`.
 */
export function parseDuration(value: string, options: ParseDurationOptions = {}): number {
  const text = value.trim();
  const hint =
    'expected e.g. 30s, 5m, 1h30m, 500ms or a number of ' +
    (options.bareUnit === 'ms' ? 'milliseconds' : 'seconds');
  if (text === '') throw invalid('duration', value, options.key, hint);
  if (BARE_NUMBER.test(text)) {
    return Number(text) * (options.bareUnit === 'ms' ? 1 : 1000);
  }
  let total = 0;
  let pos = 0;
  DURATION_PART.lastIndex = 0;
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const match = DURATION_PART.exec(text);
    if (match === null) throw invalid('duration', value, options.key, hint);
    const [whole, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
    pos += whole.length;
  }
  if (!Number.isFinite(total)) throw invalid('duration', value, options.key, hint);
  return total;
}

/**
 * Formats milliseconds the way {@link parseDuration} reads them back (`90000` → `1m30s`,
 * `1500` → `1.5s`, `250` → `250ms`, `0` → `0s`). Pure; used for help text and logs.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let out = '';
  const hours = Math.floor(rest / 3_600_000);
  if (hours > 0) {
    out += `${hours}h`;
    rest -= hours * 3_600_000;
  }
  const minutes = Math.floor(rest / 60_000);
  if (minutes > 0) {
    out += `${minutes}m`;
    rest -= minutes * 60_000;
  }
  if (rest > 0) out += `${Number((rest / 1000).toFixed(3))}s`;
  return out;
}

const SIZE = /^(\d+)([kmg]?)$/i;
const SIZE_FACTOR: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses an nginx-style size into bytes: a whole number optionally followed by `k`, `m` or `g`
 * (powers of 1024, case-insensitive): `'1024'`, `'512k'`, `'10m'`, `'1g'`. Pure; throws
 * {@link ConfigError} naming `key`.
 */
export function parseSize(value: string, options: ParseListOptions = {}): number {
  const match = SIZE.exec(value.trim());
  if (match === null) throw invalid('size', value, options.key, 'expected e.g. 1024, 512k, 10m or 1g');
  const bytes = Number(match[1]) * (SIZE_FACTOR[(match[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) throw invalid('size', value, options.key, 'too large');
  return bytes;
}

/** Formats bytes with the largest nginx unit that divides them exactly (`10485760` → `10m`). Pure. */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return String(bytes);
  for (const [unit, factor] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/**
 * Splits a comma-separated list, trimming each item. Empty items are dropped unless `keepEmpty`
 * (then `''` is still the empty list). Pure; never throws.
 */
export function parseCsv(value: string, options: ParseCsvOptions = {}): string[] {
  if (value.trim() === '') return [];
  const items = value.split(',').map((item) => item.trim());
  return options.keepEmpty === true ? items : items.filter((item) => item !== '');
}

/**
 * Parses `'a=b,c=d'` into `{ a: 'b', c: 'd' }`. Items are trimmed; each splits on its first
 * `=` (so values may contain `=` but not `,`); a value may be empty; a later duplicate key wins.
 * `''` is the empty map. Pure; throws {@link ConfigError} naming `key` for an item without `=`
 * or with an empty key.
 */
export function parseKeyValues(value: string, options: ParseListOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of parseCsv(value)) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw invalid('key=value list', value, options.key, `item ${JSON.stringify(item)} is not key=value`);
    // defineProperty, not assignment: a key named `__proto__` must stay a plain key.
    Object.defineProperty(out, item.slice(0, eq).trim(), {
      value: item.slice(eq + 1).trim(),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
