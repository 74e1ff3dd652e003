/**
 * Key names whose values never reach a log line. Matched at any depth, ignoring case, `-` and `_`
 * (so `apiKey`, `api_key` and `API-KEY` are one name), also as a suffix (so `apiKey` hides
 * `X-Api-Key` and `x_routing_api_key`, `token` hides `bearerToken`) and in the plural (`apiKeys`,
 * `tokens`, `secrets`): over-hiding a log field
 * costs less than leaking a credential. A dotted entry such as `tls.key` matches that path of
 * keys at any depth, so a `key` under `tls` is hidden while other `key`s (queue keys, cache
 * keys) stay visible.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'password',
  'passwd',
  'secret',
  'token',
  'apiKey',
  'privateKey',
  'secretAccessKey',
  'tls.key',
]);

/** What {@link createRedactor} replaces a secret value with. */
export const REDACTED = '[REDACTED]';

/** Options for {@link createRedactor}. */
export interface RedactorOptions {
  /** Key names to hide, replacing the defaults; see {@link DEFAULT_REDACT_KEYS} for matching. */
  keys?: readonly string[];
  /** Nesting depth beyond which values become `"[Truncated]"`. Default 8. */
  maxDepth?: number;
}

/**
 * Turns any value into plain JSON-safe data with secrets replaced by {@link REDACTED}. Never
 * mutates its input and never throws.
 */
export type Redactor = (value: unknown) => unknown;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Builds a {@link Redactor}. Errors become `{ name, message, code?, stack, cause?, ...own
 * enumerable fields }` (message and stack are kept; secret-named fields inside are hidden);
 * Dates become ISO strings, bigints strings, Maps objects, Sets arrays, Buffers a length note,
 * functions and symbols are dropped, cycles become `"[Circular]"`. Pure.
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const single = new Set<string>();
  const paths: string[][] = [];
  for (const key of options.keys ?? DEFAULT_REDACT_KEYS) {
    const parts = key.split('.').map(normalise);
    if (parts.some((part) => part === '')) continue;
    if (parts.length === 1) single.add(parts[0] ?? '');
    else paths.push(parts);
  }
  const maxDepth = options.maxDepth ?? 8;

  const isSecret = (trail: readonly string[]): boolean => {
    const last = trail[trail.length - 1];
    if (last === undefined) return false;
    // A plural (`apiKeys`, `tokens`) holds several of the same secrets.
    const singular = last.endsWith('s') ? last.slice(0, -1) : last;
    for (const name of single) if (last.endsWith(name) || singular.endsWith(name)) return true;
    return paths.some(
      (path) =>
        path.length <= trail.length &&
        path.every((part, i) => part === trail[trail.length - path.length + i]),
    );
  };

  const visit = (value: unknown, trail: string[], seen: Set<object>): unknown => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol')
      return undefined;
    if (seen.has(value)) return '[Circular]';
    if (trail.length >= maxDepth) return '[Truncated]';
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
    if (value instanceof URL) return value.toString();
    seen.add(value);
    try {
      const entries = (source: Iterable<[string, unknown]>): Record<string, unknown> => {
        const out: Record<string, unknown> = {};
        for (const [key, inner] of source) {
          const child = [...trail, normalise(key)];
          const clean = isSecret(child) ? REDACTED : visit(inner, child, seen);
          if (clean !== undefined)
            Object.defineProperty(out, key, {
              value: clean,
              enumerable: true,
              writable: true,
              configurable: true,
            });
        }
        return out;
      };
      if (Array.isArray(value) || value instanceof Set) {
        return [...(value as Iterable<unknown>)].map((item) => visit(item, trail, seen) ?? null);
      }
      if (value instanceof Map) {
        return entries([...value.entries()].map(([k, v]): [string, unknown] => [String(k), v]));
      }
      if (value instanceof Error) {
        const err = value as Error & { code?: unknown };
        const head: Record<string, unknown> = { name: err.name, message: err.message };
        if (err.code !== undefined) head.code = visit(err.code, [...trail, 'code'], seen);
        head.stack = err.stack;
        if (err.cause !== undefined) head.cause = visit(err.cause, [...trail, 'cause'], seen);
        const rest = entries(
          Object.entries(err).filter(([key]) => !['name', 'message', 'code', 'stack', 'cause'].includes(key)),
        );
        return { ...head, ...rest };
      }
      return entries(Object.entries(value));
    } catch {
      return '[Unserialisable]';
    } finally {
      seen.delete(value);
    }
  };

  return (value) => visit(value, [], new Set());
}
