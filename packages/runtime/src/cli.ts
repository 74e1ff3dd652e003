import yargs from 'yargs';
import { describeFailure } from './describe-failure.js';
import { ConfigError, errorMessage } from './errors.js';
import { formatDuration, formatSize, parseCsv, parseDuration, parseKeyValues, parseSize } from './parsers.js';

interface FlagBase {
  /** One line for `--help`. */
  description: string;
  /**
   * The environment variable read when the flag is not given. A string names it exactly (the
   * originals' names differ: `NGINX_WORKER_PROCESSES`, `POLLING_INTERVAL`); `false` means none,
   * even with the CLI's `envPrefix`. Unset: `<envPrefix>_<FLAG_IN_UPPER_SNAKE>` when the CLI
   * has an `envPrefix`, otherwise none.
   */
  env?: string | false;
  /** A one-letter alias, e.g. `v` for `-v`. */
  alias?: string;
  /** Parsing fails when no flag, env var or default gives a value. */
  required?: boolean;
  /** Shown in help; giving the flag adds this text to the result's `warnings`. */
  deprecated?: string;
}

/** A flag of one of the supported types. The `default` is the parsed value (milliseconds, bytes, …). */
export type FlagSpec =
  | (FlagBase & { type: 'string'; default?: string })
  | (FlagBase & { type: 'number'; default?: number; /** Reject fractions. */ integer?: boolean })
  | (FlagBase & { type: 'boolean'; default?: boolean })
  | (FlagBase & {
      type: 'duration';
      /** Milliseconds. */
      default?: number;
      /** Unit of a bare number (see `parseDuration`). Default seconds. */
      bareUnit?: 's' | 'ms';
    })
  | (FlagBase & { type: 'size'; /** Bytes. */ default?: number })
  | (FlagBase & { type: 'csv'; default?: readonly string[]; /** See `parseCsv`. */ keepEmpty?: boolean })
  | (FlagBase & { type: 'map'; default?: Readonly<Record<string, string>> })
  | (FlagBase & { type: 'enum'; choices: readonly string[]; default?: string });

/** The types a flag can have. */
export type FlagType = FlagSpec['type'];

/** Flags by kebab-case name (without the leading `--`). */
export type FlagsSpec = Readonly<Record<string, FlagSpec>>;

/** A subcommand: its description and its own flags (added to the root flags). */
export interface CommandSpec {
  description: string;
  flags?: FlagsSpec;
}

/** A whole command line: root flags shared by every command, and optional subcommands. */
export interface CliSpec {
  /** The program name, shown in usage lines. */
  name: string;
  /** Printed by `--version`. Without it `--version` is an unknown flag. */
  version?: string;
  description?: string;
  /** Prefix for automatic env var names, e.g. `FEED_INGRESS` gives `FEED_INGRESS_NGINX_WORKERS`. */
  envPrefix?: string;
  flags?: FlagsSpec;
  /** When present, exactly one command must be given. */
  commands?: Readonly<Record<string, CommandSpec>>;
}

/** The parsed type of one flag. */
export type FlagValue<F> = F extends { type: 'string' }
  ? string
  : F extends { type: 'number' | 'duration' | 'size' }
    ? number
    : F extends { type: 'boolean' }
      ? boolean
      : F extends { type: 'csv' }
        ? string[]
        : F extends { type: 'map' }
          ? Record<string, string>
          : F extends { type: 'enum'; choices: readonly (infer C)[] }
            ? C
            : never;

// Booleans, lists and maps always have a value (false, [], {}); other flags only with a default
// or when required.
type AlwaysSet<F> = F extends { type: 'boolean' | 'csv' | 'map' }
  ? true
  : F extends { default: unknown }
    ? true
    : F extends { required: true }
      ? true
      : false;

/** Parsed values by flag name. */
export type FlagValues<S> = {
  -readonly [K in keyof S]: AlwaysSet<S[K]> extends true ? FlagValue<S[K]> : FlagValue<S[K]> | undefined;
};

/** Where a flag's value came from. */
export type ValueSource = 'flag' | 'env' | 'default' | 'unset';

type Empty = Record<never, never>;
type RootFlags<S> = S extends { flags: infer F } ? F : Empty;
type CommandFlags<C> = C extends { flags: infer F } ? F : Empty;

interface ParsedBase<F> {
  kind: 'run';
  values: FlagValues<F>;
  /** Where each flag's value came from, e.g. to log the effective configuration at start. */
  sources: Record<keyof F, ValueSource>;
  /** Deprecation notes for deprecated flags that were given. */
  warnings: string[];
  /**
   * What the parse ignored, for the app to log (at debug) once its logger exists: env vars that
   * hold a Kubernetes service link (`tcp://10.0.0.1:8081`) rather than a flag value.
   */
  notes: string[];
}

/** A successful parse: the command (when the CLI has commands) and typed values of its flags. */
export type ParsedCli<S extends CliSpec> = S extends { commands: infer Cs }
  ? {
      [K in keyof Cs & string]: ParsedBase<RootFlags<S> & CommandFlags<Cs[K]>> & { command: K };
    }[keyof Cs & string]
  : ParsedBase<RootFlags<S>> & { command: undefined };

/** What `parse` returns: a run, or a request for help or the version (with the text to print). */
export type CliResult<S extends CliSpec> =
  ParsedCli<S> | { kind: 'help'; text: string } | { kind: 'version'; text: string };

/** Environment variables, e.g. `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where {@link Cli.parseOrExit} writes and how it exits. */
export interface CliIo {
  /** Default `process.stdout`. */
  stdout?: { write(text: string): unknown };
  /** Default `process.stderr`. */
  stderr?: { write(text: string): unknown };
  /** Default `process.exit`. */
  exit?: (code: number) => never;
}

/** A defined command line. Parsing is pure: no process access, no exit. */
export interface Cli<S extends CliSpec> {
  readonly spec: S;
  /**
   * Parses arguments (without the node and script paths) with precedence flag > env var >
   * default. Single-dash long flags (`-name`, `-name=value`) are read as `--name` (see
   * {@link normaliseSingleDashFlags}); an env var holding a Kubernetes service link is ignored
   * and listed in `notes` (see {@link isServiceLinkValue}). Throws {@link ConfigError} for an unknown flag, command or argument, a missing
   * value, a bad value or a missing required flag; the error's `key` is the flag (`--name`), or
   * `command`, and its message names the env var when the bad value came from one. A later
   * repeat of a flag wins, except for csv and map flags, whose repeats are joined. Synchronous,
   * pure, safe to call concurrently.
   */
  parse(argv: readonly string[], env?: Env): CliResult<S>;
  /** The help text: the root's, or a command's (its flags plus the root flags). Pure. */
  helpText(command?: string): string;
  /**
   * For `main.ts`: parses; prints help or the version to stdout and exits 0; prints a
   * {@link ConfigError} and a help hint to stderr and exits 2; otherwise returns the result.
   * Other errors propagate.
   */
  parseOrExit(argv: readonly string[], env: Env, io?: CliIo): ParsedCli<S>;
}

const FLAG_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// What Kubernetes injects for every Service in the pod's namespace (`<SERVICE>_PORT`,
// `<SERVICE>_PORT_<port>_<PROTO>`): a Service named like the app gives e.g.
// `KUBEROUTE_PORT=tcp://10.0.0.1:8081`, which is the automatic env name of `--port`.
const SERVICE_LINK = /^(tcp|udp|sctp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
// A Go-style single-dash long flag (`-r53-hosted-zone=Z1`, `-debug`), as feed v1.x command lines
// give them.
const SINGLE_DASH = /^-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(=.*)?$/s;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_FLAGS = new Set(['help', 'version']);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface ResolvedFlag {
  name: string;
  spec: FlagSpec;
  env: string | undefined;
}

function resolveFlags(cli: CliSpec, flags: FlagsSpec | undefined, where: string): ResolvedFlag[] {
  return Object.entries(flags ?? {}).map(([name, spec]) => {
    if (!FLAG_NAME.test(name))
      throw new TypeError(`${where}: flag name ${JSON.stringify(name)} is not kebab-case`);
    if (RESERVED_FLAGS.has(name)) throw new TypeError(`${where}: --${name} is built in`);
    if (spec.alias !== undefined && !/^[a-zA-Z]$/.test(spec.alias)) {
      throw new TypeError(`${where}: alias of --${name} must be one letter`);
    }
    let env: string | undefined;
    if (typeof spec.env === 'string') env = spec.env;
    else if (spec.env === undefined && cli.envPrefix !== undefined) {
      env = `${cli.envPrefix}_${name.toUpperCase().replace(/-/g, '_')}`;
    }
    if (env !== undefined && !ENV_NAME.test(env))
      throw new TypeError(`${where}: invalid env var name ${env}`);
    if (spec.type === 'enum' && spec.default !== undefined && !spec.choices.includes(spec.default)) {
      throw new TypeError(`${where}: default of --${name} is not one of its choices`);
    }
    return { name, spec, env };
  });
}

function formatDefault(spec: FlagSpec): string | undefined {
  if (spec.default === undefined) {
    if (spec.type === 'boolean') return 'false';
    if (spec.type === 'csv' || spec.type === 'map') return '""';
    return undefined;
  }
  switch (spec.type) {
    case 'duration':
      return formatDuration(spec.default);
    case 'size':
      return formatSize(spec.default);
    case 'csv':
      return spec.default.length === 0 ? '""' : spec.default.join(',');
    case 'map': {
      const text = Object.entries(spec.default)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return text === '' ? '""' : text;
    }
    case 'string':
      return spec.default === '' ? '""' : spec.default;
    default:
      return String(spec.default);
  }
}

function placeholder(spec: FlagSpec): string {
  switch (spec.type) {
    case 'boolean':
      return '';
    case 'enum':
      return ` <${spec.choices.join('|')}>`;
    case 'csv':
      return ' <a,b,...>';
    case 'map':
      return ' <k=v,...>';
    default:
      return ` <${spec.type}>`;
  }
}

function describeFlags(flags: readonly ResolvedFlag[]): string {
  return flags
    .map(({ name, spec, env }) => {
      const head = `  ${spec.alias === undefined ? '' : `-${spec.alias}, `}--${name}${placeholder(spec)}`;
      const notes: string[] = [];
      const def = formatDefault(spec);
      if (spec.required === true) notes.push('required');
      else notes.push(def === undefined ? 'default: none' : `default: ${def}`);
      if (env !== undefined) notes.push(`env: ${env}`);
      if (spec.deprecated !== undefined) notes.push(`deprecated: ${spec.deprecated}`);
      return `${head}\n      ${spec.description} [${notes.join('; ')}]`;
    })
    .join('\n');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function suggest(word: string, candidates: Iterable<string>, prefix: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${prefix}${best}?)`;
}

function parseBoolean(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return undefined;
}

function convert(flag: ResolvedFlag, raw: string, from: string): unknown {
  const { spec } = flag;
  const key = `--${flag.name}`;
  const bad = (hint: string): ConfigError =>
    new ConfigError(`invalid value for ${from}: ${JSON.stringify(raw)} (${hint})`, {
      code: 'INVALID_VALUE',
      key,
    });
  const rethrow = (fn: () => unknown): unknown => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigError) {
        throw new ConfigError(err.message, { code: err.code, key, cause: err });
      }
      throw err;
    }
  };
  switch (spec.type) {
    case 'string':
      return raw;
    case 'number': {
      // Decimal only: Number() would also take `0x10`, `0b1` and `Infinity`.
      const n = DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw bad('expected a number');
      if (spec.integer === true && !Number.isInteger(n)) throw bad('expected a whole number');
      return n;
    }
    case 'boolean': {
      const b = parseBoolean(raw);
      if (b === undefined) throw bad('expected true or false');
      return b;
    }
    case 'duration':
      return rethrow(() =>
        parseDuration(raw, {
          key: from,
          ...(spec.bareUnit === undefined ? {} : { bareUnit: spec.bareUnit }),
        }),
      );
    case 'size':
      return rethrow(() => parseSize(raw, { key: from }));
    case 'csv':
      return parseCsv(raw, { keepEmpty: spec.keepEmpty === true });
    case 'map':
      return rethrow(() => parseKeyValues(raw, { key: from }));
    case 'enum':
      if (!spec.choices.includes(raw)) throw bad(`expected one of ${spec.choices.join(', ')}`);
      return raw;
  }
}

function implicitDefault(spec: FlagSpec): unknown {
  if (spec.default !== undefined) {
    if (spec.type === 'csv') return [...spec.default];
    if (spec.type === 'map') return { ...spec.default };
    return spec.default;
  }
  if (spec.type === 'boolean') return false;
  if (spec.type === 'csv') return [];
  if (spec.type === 'map') return {};
  return undefined;
}

/**
 * True when `value` is a Kubernetes service-link URL (`tcp://10.0.0.1:8081`, also `udp://` and
 * `sctp://`, IPv6 in brackets): what Kubernetes puts in `<SERVICE>_PORT` env vars. An env var
 * holding one is never read as a flag value. Pure.
 */
export function isServiceLinkValue(value: string): boolean {
  return SERVICE_LINK.test(value.trim());
}

/**
 * Rewrites Go-style single-dash long flags to `--` form, the one rule every kube-edge command line
 * applies (so feed v1.x manifests work unchanged): `-name` and `-name=value` become `--name` and
 * `--name=value` when `name` is in `longNames` (or is `no-` plus one of them). Another `-word` of
 * two or more letters is also rewritten, so it is reported as the unknown flag `--word` with a
 * suggestion, unless every letter of it is in `aliases` (a cluster of one-letter flags such as
 * `-vq` stays one). One-letter flags, negative numbers, `-` and everything after `--` are left
 * alone. Pure.
 */
export function normaliseSingleDashFlags(
  argv: readonly string[],
  longNames: ReadonlySet<string>,
  aliases: ReadonlySet<string> = new Set(),
): string[] {
  const out: string[] = [];
  let rest = false;
  for (const token of argv) {
    if (rest || token === '--') {
      rest = true;
      out.push(token);
      continue;
    }
    const name = SINGLE_DASH.exec(token)?.[1];
    if (name === undefined || name.length < 2) {
      out.push(token);
      continue;
    }
    const known = longNames.has(name) || (name.startsWith('no-') && longNames.has(name.slice(3)));
    const cluster = !name.includes('-') && [...name].every((c) => aliases.has(c));
    out.push(known || !cluster ? `-${token}` : token);
  }
  return out;
}

/**
 * Defines a command line over yargs: typed flags (string, number, boolean, duration, size, csv,
 * map, enum) each with a default, a description and an env var, and optional subcommands with
 * their own flags. Throws `TypeError` for an inconsistent spec (a programming error): a flag name
 * that is not kebab-case, a command flag that repeats a root flag, a duplicate alias, an enum
 * default outside its choices. Pure; the returned {@link Cli} keeps no state between parses.
 */
export function defineCli<const S extends CliSpec>(spec: S): Cli<S> {
  const root = resolveFlags(spec, spec.flags, spec.name);
  const commands = new Map<string, { spec: CommandSpec; flags: ResolvedFlag[] }>();
  const everyFlag = new Map<string, FlagSpec>(root.map((f) => [f.name, f.spec]));
  const checkAliases = (flags: readonly ResolvedFlag[], where: string): void => {
    const seen = new Set<string>(['h']);
    for (const f of flags) {
      if (f.spec.alias === undefined) continue;
      if (seen.has(f.spec.alias)) throw new TypeError(`${where}: alias -${f.spec.alias} is used twice`);
      seen.add(f.spec.alias);
    }
  };
  checkAliases(root, spec.name);
  for (const [name, command] of Object.entries(spec.commands ?? {})) {
    if (!FLAG_NAME.test(name))
      throw new TypeError(`${spec.name}: command name ${JSON.stringify(name)} is not kebab-case`);
    const flags = resolveFlags(spec, command.flags, `${spec.name} ${name}`);
    for (const f of flags) {
      if (root.some((r) => r.name === f.name))
        throw new TypeError(`${spec.name} ${name}: --${f.name} is already a root flag`);
      const other = everyFlag.get(f.name);
      // The command is found before its flags are known, so a name must take a value in every
      // command or in none.
      if (other !== undefined && (other.type === 'boolean') !== (f.spec.type === 'boolean')) {
        throw new TypeError(`${spec.name} ${name}: --${f.name} is boolean in one command and not in another`);
      }
      everyFlag.set(f.name, f.spec);
    }
    checkAliases([...root, ...flags], `${spec.name} ${name}`);
    commands.set(name, { spec: command, flags });
  }
  const hasCommands = spec.commands !== undefined;
  const longNames = new Set<string>([
    ...everyFlag.keys(),
    'help',
    ...(spec.version === undefined ? [] : ['version']),
  ]);
  const aliases = new Set<string>(['h']);
  for (const f of everyFlag.values()) if (f.alias !== undefined) aliases.add(f.alias);

  const helpText = (command?: string): string => {
    const cmd = command === undefined ? undefined : commands.get(command);
    const lines: string[] = [];
    if (cmd !== undefined && command !== undefined) {
      lines.push(`Usage: ${spec.name} ${command} [flags]`, '', cmd.spec.description);
      if (cmd.flags.length > 0) lines.push('', 'Flags:', describeFlags(cmd.flags));
      lines.push('', 'Global flags:', describeFlags(root));
    } else {
      lines.push(`Usage: ${spec.name}${hasCommands ? ' <command>' : ''} [flags]`);
      if (spec.description !== undefined) lines.push('', spec.description);
      if (hasCommands) {
        const width = Math.max(...[...commands.keys()].map((k) => k.length));
        lines.push('', 'Commands:');
        for (const [name, c] of commands) lines.push(`  ${name.padEnd(width)}  ${c.spec.description}`);
      }
      lines.push('', hasCommands ? 'Global flags:' : 'Flags:', describeFlags(root));
    }
    lines.push('  -h, --help\n      Show this help.');
    if (spec.version !== undefined) lines.push('  --version\n      Print the version.');
    if (hasCommands && cmd === undefined)
      lines.push('', `Run '${spec.name} <command> --help' for a command's own flags.`);
    return `${lines.join('\n')}\n`;
  };

  // Finds the command word and checks what yargs would silently accept: a value-taking flag with
  // no value (`--port --debug`), and a boolean given a non-boolean value (`--debug=maybe`).
  const scan = (argv: readonly string[]): { command: string | undefined; positionals: string[] } => {
    const positionals: string[] = [];
    const byAlias = new Map<string, [string, FlagSpec]>();
    for (const [name, f] of everyFlag) if (f.alias !== undefined) byAlias.set(f.alias, [name, f]);
    for (let i = 0; i < argv.length; i++) {
      const token = argv[i] ?? '';
      if (token === '--') {
        positionals.push(...argv.slice(i + 1));
        break;
      }
      if (!token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
        positionals.push(token);
        continue;
      }
      let name: string;
      let inlineValue: string | undefined;
      let flag: FlagSpec | undefined;
      if (token.startsWith('--')) {
        const eq = token.indexOf('=');
        name = eq < 0 ? token.slice(2) : token.slice(2, eq);
        inlineValue = eq < 0 ? undefined : token.slice(eq + 1);
        flag = everyFlag.get(name);
        if (flag === undefined && name.startsWith('no-') && everyFlag.get(name.slice(3))?.type === 'boolean')
          continue;
      } else {
        if (token.length !== 2) continue;
        const hit = byAlias.get(token.slice(1));
        if (hit === undefined) continue;
        [name, flag] = hit;
      }
      if (flag === undefined) continue;
      if (flag.type === 'boolean') {
        if (inlineValue !== undefined && parseBoolean(inlineValue) === undefined) {
          throw new ConfigError(
            `invalid value for --${name}: ${JSON.stringify(inlineValue)} (expected true or false)`,
            {
              code: 'INVALID_VALUE',
              key: `--${name}`,
            },
          );
        }
        continue;
      }
      if (inlineValue !== undefined) continue;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        throw new ConfigError(`flag --${name} needs a value`, { code: 'MISSING_VALUE', key: `--${name}` });
      }
      i += 1;
    }
    return { command: hasCommands ? positionals[0] : undefined, positionals };
  };

  const parse = (given: readonly string[], env: Env = {}): CliResult<S> => {
    const argv = normaliseSingleDashFlags(given, longNames, aliases);
    const { command, positionals } = scan(argv);
    const cmd = command === undefined ? undefined : commands.get(command);
    const flags = [...root, ...(cmd?.flags ?? [])];

    let y = yargs([...argv])
      .exitProcess(false)
      .help(false)
      .version(false)
      .locale('en')
      .parserConfiguration({
        'camel-case-expansion': false,
        'dot-notation': false,
        'parse-numbers': false,
        'parse-positional-numbers': false,
        'boolean-negation': true,
        'duplicate-arguments-array': true,
        'flatten-duplicate-arrays': true,
        'greedy-arrays': false,
      })
      .option('help', { type: 'boolean', alias: 'h' });
    if (spec.version !== undefined) y = y.option('version', { type: 'boolean' });
    for (const f of flags) {
      y = y.option(f.name, {
        type: f.spec.type === 'boolean' ? 'boolean' : 'string',
        ...(f.spec.alias === undefined ? {} : { alias: f.spec.alias }),
      });
    }
    let args: Record<string, unknown>;
    try {
      args = y.parseSync();
    } catch (err) {
      throw new ConfigError(`invalid arguments: ${errorMessage(err)}`, {
        code: 'INVALID_ARGS',
        cause: err,
      });
    }

    const known = new Set<string>([
      '_',
      '$0',
      'help',
      'h',
      ...(spec.version === undefined ? [] : ['version']),
    ]);
    for (const f of flags) {
      known.add(f.name);
      if (f.spec.alias !== undefined) known.add(f.spec.alias);
    }
    const unknown = Object.keys(args).filter((k) => !known.has(k));
    const wantsHelp = args.help === true;
    if (unknown.length > 0 && !wantsHelp) {
      const first = unknown[0] ?? '';
      // Name it as it was typed: `--q` and `-q` both arrive as the key `q`.
      const typedLong = argv.some(
        (t) =>
          t === `--${first}` ||
          t.startsWith(`--${first}=`) ||
          t === `--no-${first}` ||
          t.startsWith(`--no-${first}=`),
      );
      const shown = first.length > 1 || typedLong ? `--${first}` : `-${first}`;
      const owners = [...commands].filter(([, c]) => c.flags.some((f) => f.name === first)).map(([n]) => n);
      const detail =
        owners.length > 0
          ? ` (it belongs to ${owners.map((o) => `'${spec.name} ${o}'`).join(', ')})`
          : suggest(
              first,
              flags.map((f) => f.name),
              '--',
            );
      const where = command !== undefined && cmd !== undefined ? ` for '${spec.name} ${command}'` : '';
      throw new ConfigError(`unknown flag ${shown}${where}${detail}`, { code: 'UNKNOWN_FLAG', key: shown });
    }
    if (hasCommands && command !== undefined && cmd === undefined) {
      throw new ConfigError(
        `unknown command ${JSON.stringify(command)}${suggest(command, commands.keys(), '')} (commands: ${[...commands.keys()].join(', ')})`,
        { code: 'UNKNOWN_COMMAND', key: 'command' },
      );
    }
    if (wantsHelp) return { kind: 'help', text: helpText(command) };
    if (spec.version !== undefined && args.version === true)
      return { kind: 'version', text: `${spec.name} ${spec.version}\n` };
    if (hasCommands && command === undefined) {
      throw new ConfigError(`a command is required (one of ${[...commands.keys()].join(', ')})`, {
        code: 'MISSING_COMMAND',
        key: 'command',
      });
    }
    const extra = positionals.slice(hasCommands ? 1 : 0);
    if (extra.length > 0) {
      throw new ConfigError(`unexpected argument ${JSON.stringify(extra[0])}`, {
        code: 'UNEXPECTED_ARGUMENT',
        key: 'argument',
      });
    }

    const values: Record<string, unknown> = {};
    const sources: Record<string, ValueSource> = {};
    const warnings: string[] = [];
    const notes: string[] = [];
    for (const f of flags) {
      const given = args[f.name];
      let envText = f.env === undefined ? undefined : env[f.env];
      if (given === undefined && envText !== undefined && isServiceLinkValue(envText)) {
        notes.push(
          `ignored env ${f.env} (for --${f.name}): it holds a Kubernetes service link (${envText.trim()}), not a flag value`,
        );
        envText = undefined;
      }
      if (given !== undefined) {
        const list = (Array.isArray(given) ? given : [given]) as (string | boolean)[];
        const from = `--${f.name}`;
        if (f.spec.type !== 'boolean' && list.some((item) => typeof item === 'boolean')) {
          throw new ConfigError(`flag --${f.name} needs a value`, { code: 'MISSING_VALUE', key: from });
        }
        if (f.spec.type === 'csv' || f.spec.type === 'map') {
          const parts = list.map((item) => convert(f, String(item), from));
          values[f.name] =
            f.spec.type === 'csv' ? (parts as string[][]).flat() : Object.assign({}, ...(parts as object[]));
        } else {
          const last = list[list.length - 1];
          values[f.name] = typeof last === 'boolean' ? last : convert(f, String(last), from);
        }
        sources[f.name] = 'flag';
        if (f.spec.deprecated !== undefined) warnings.push(`--${f.name} is deprecated: ${f.spec.deprecated}`);
      } else if (envText !== undefined && envText !== '') {
        values[f.name] = convert(f, envText, `--${f.name} (from env ${f.env})`);
        sources[f.name] = 'env';
        if (f.spec.deprecated !== undefined)
          warnings.push(`${f.env} (--${f.name}) is deprecated: ${f.spec.deprecated}`);
      } else {
        const fallback = implicitDefault(f.spec);
        values[f.name] = fallback;
        sources[f.name] = fallback === undefined ? 'unset' : 'default';
        if (fallback === undefined && f.spec.required === true) {
          throw new ConfigError(
            `missing required flag --${f.name}${f.env === undefined ? '' : ` (or env ${f.env})`}`,
            {
              code: 'MISSING_FLAG',
              key: `--${f.name}`,
            },
          );
        }
      }
    }
    return { kind: 'run', command, values, sources, warnings, notes } as unknown as CliResult<S>;
  };

  return {
    spec,
    parse,
    helpText,
    parseOrExit(argv, env, io = {}) {
      const stdout = io.stdout ?? process.stdout;
      const stderr = io.stderr ?? process.stderr;
      const exit = io.exit ?? ((code: number): never => process.exit(code));
      let result: CliResult<S>;
      try {
        result = parse(argv, env);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const failure = describeFailure(
          err,
          spec.name,
          `${spec.name}${hasCommands ? ' <command>' : ''} --help`,
        );
        stderr.write(failure.text);
        return exit(failure.exitCode);
      }
      if (result.kind === 'help' || result.kind === 'version') {
        stdout.write(result.text);
        return exit(0);
      }
      return result;
    },
  };
}
