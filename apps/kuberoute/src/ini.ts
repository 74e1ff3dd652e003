/**
 * The subset of Python `configparser`'s default dialect that kuberoute's config file uses (README,
 * "Configuration file"): `[section]` headers, `key = value` and `key: value`, full-line `#`/`;`
 * comments, case-insensitive keys, indented continuation lines, `[DEFAULT]` values inherited by
 * every section, and `BasicInterpolation` (`%(key)s`, `%%`). Not supported: inline comments
 * (configparser does not strip them either, so `a = 1 # x` is `1 # x` in both), keys without a
 * value, `ExtendedInterpolation` (`${section:key}`).
 */

/** A syntax error in the file, with its 1-based line. */
export class IniSyntaxError extends Error {
  override readonly name = 'IniSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** A parsed file: sections in file order (without `DEFAULT`) and the `[DEFAULT]` values. */
export interface IniFile {
  /** Section name (case kept, as configparser does) → raw values by lower-cased key. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Raw `[DEFAULT]` values by lower-cased key. */
  readonly defaults: ReadonlyMap<string, string>;
}

const SECTION = /^\[(.+)\]$/;
const OPTION = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/;

/**
 * Parses INI text. Throws {@link IniSyntaxError} for a key before any section, a line that is
 * neither header, option, comment nor continuation, and a duplicate section or key (configparser's
 * `strict` mode). Pure.
 */
export function parseIni(text: string): IniFile {
  const sections = new Map<string, Map<string, string>>();
  const defaults = new Map<string, string>();
  let current: Map<string, string> | undefined;
  let currentName = '';
  let lastKey: string | undefined;
  let lastIndent = 0;
  let pendingBlank = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const trimmed = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (trimmed === '') {
      if (lastKey !== undefined) pendingBlank += 1;
      return;
    }
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (current !== undefined && lastKey !== undefined && indent > lastIndent) {
      const before = current.get(lastKey) ?? '';
      const joined = before + '\n'.repeat(pendingBlank + 1) + trimmed;
      current.set(lastKey, before === '' && pendingBlank === 0 ? trimmed : joined);
      pendingBlank = 0;
      return;
    }
    pendingBlank = 0;
    const header = SECTION.exec(trimmed);
    if (header !== null) {
      const name = (header[1] ?? '').trim();
      if (name === 'DEFAULT') {
        current = defaults;
      } else {
        if (sections.has(name)) throw new IniSyntaxError(`section [${name}] appears twice`, lineNo);
        current = new Map();
        sections.set(name, current);
      }
      currentName = name;
      lastKey = undefined;
      return;
    }
    const option = OPTION.exec(trimmed);
    if (option === null) {
      throw new IniSyntaxError(
        current === undefined ? 'expected a [section] header' : `cannot parse ${JSON.stringify(trimmed)}`,
        lineNo,
      );
    }
    if (current === undefined) throw new IniSyntaxError('a key before any [section] header', lineNo);
    const key = (option[1] ?? '').trim().toLowerCase();
    if (current.has(key)) throw new IniSyntaxError(`key ${key} appears twice in [${currentName}]`, lineNo);
    current.set(key, (option[2] ?? '').trim());
    lastKey = key;
    lastIndent = indent;
  });
  return { sections, defaults };
}

/**
 * A section's values with `[DEFAULT]` merged in and `%(key)s` interpolation applied (looking up
 * keys in the same section, then `[DEFAULT]`; at most 10 levels, as configparser). Throws an
 * Error naming the key for a bad `%` sequence, a missing reference or a loop. Pure.
 */
export function sectionValues(file: IniFile, section: string): Map<string, string> | undefined {
  const own = file.sections.get(section);
  if (own === undefined) return undefined;
  const merged = new Map<string, string>([...file.defaults, ...own]);
  const out = new Map<string, string>();
  for (const key of merged.keys()) out.set(key, interpolate(merged, key, merged.get(key) ?? '', 1));
  return out;
}

/** Keys set in the section itself (not inherited from `[DEFAULT]`). */
export function ownKeys(file: IniFile, section: string): string[] {
  return [...(file.sections.get(section)?.keys() ?? [])];
}

function interpolate(values: ReadonlyMap<string, string>, key: string, value: string, depth: number): string {
  if (depth > 10) throw new Error(`interpolation of ${key} is too deep (a loop?)`);
  let out = '';
  let i = 0;
  while (i < value.length) {
    const pct = value.indexOf('%', i);
    if (pct < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, pct);
    const next = value[pct + 1];
    if (next === '%') {
      out += '%';
      i = pct + 2;
      continue;
    }
    const m = /^%\(([^)]+)\)s/.exec(value.slice(pct));
    if (m === null)
      throw new Error(`bad interpolation syntax in ${key}: '%' must be followed by '%' or '(name)s'`);
    const ref = (m[1] ?? '').toLowerCase();
    const refValue = values.get(ref);
    if (refValue === undefined) throw new Error(`${key} refers to %(${ref})s, which is not set`);
    out += interpolate(values, ref, refValue, depth + 1);
    i = pct + m[0].length;
  }
  return out;
}
