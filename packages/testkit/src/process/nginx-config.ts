/** The placeholder in a config given to the nginx launcher that is replaced by the prefix directory. */
export const PREFIX_PLACEHOLDER = '{{PREFIX}}';

/** The `*_temp_path` directives of the http block; their compiled-in defaults are root-owned `/var/lib/nginx/*`. */
export const NGINX_TEMP_PATHS: readonly string[] = [
  'client_body_temp_path',
  'proxy_temp_path',
  'fastcgi_temp_path',
  'uwsgi_temp_path',
  'scgi_temp_path',
];

/** Directives that keep nginx's files under `prefix`, split by the context they belong to. */
export interface NginxPrelude {
  /** Main-context lines: `pid`, `error_log` (level notice, so reloads show in `logs()`). */
  main: string;
  /** http-context lines: the five `*_temp_path`s and `access_log`. */
  http: string;
}

/**
 * Returns the directives that keep every file nginx writes under `prefix` (default the
 * `{{PREFIX}}` placeholder, which the launcher replaces). Pure. The launcher adds any of these
 * the config leaves out, so callers need them only to place them differently.
 */
export function nginxPrelude(prefix: string = PREFIX_PLACEHOLDER): NginxPrelude {
  return {
    main: [`pid ${prefix}/nginx.pid;`, `error_log ${prefix}/logs/error.log notice;`].join('\n'),
    http: [
      ...NGINX_TEMP_PATHS.map((name) => `${name} ${prefix}/${name.replace(/_path$/, '')};`),
      `access_log ${prefix}/logs/access.log;`,
    ].join('\n'),
  };
}

/** Parts of a minimal nginx.conf for {@link nginxConfig}. */
export interface NginxConfigParts {
  /** Contents of the http block (servers, upstreams, maps...). */
  http: string;
  /** Extra main-context lines. Default none. */
  main?: string;
  /** Contents of the events block. Default `worker_connections 256;`. */
  events?: string;
}

/**
 * Builds a complete nginx.conf around `parts.http`: one worker, the {@link nginxPrelude} with the
 * `{{PREFIX}}` placeholder, and an events block. Pure.
 */
export function nginxConfig(parts: NginxConfigParts): string {
  const prelude = nginxPrelude();
  const indent = (text: string): string =>
    text
      .split('\n')
      .map((line) => (line === '' ? line : `  ${line}`))
      .join('\n');
  return [
    'worker_processes 1;',
    prelude.main,
    ...(parts.main === undefined ? [] : [parts.main]),
    'events {',
    indent(parts.events ?? 'worker_connections 256;'),
    '}',
    'http {',
    indent(prelude.http),
    indent(parts.http),
    '}',
    '',
  ].join('\n');
}

/** A config ready for the nginx binary: its text and the `-g` global directives to pass. */
export interface PreparedNginxConfig {
  text: string;
  /** Value for `-g`, or `''` when nothing needs adding. */
  globalDirectives: string;
}

// Comments blanked out with spaces, so offsets in the result match the original text.
function blankComments(config: string): string {
  return config.replace(/#[^\n]*/g, (comment) => ' '.repeat(comment.length));
}

function hasDirective(code: string, name: string): boolean {
  return new RegExp(`(^|[;{}\\s])${name}\\s`).test(code);
}

/**
 * Makes a config safe to run without root-owned paths: replaces `{{PREFIX}}` with `prefix`,
 * and for each prelude directive the config does not mention, adds it (`pid`, `error_log` and
 * `daemon off` through `-g`; temp paths and `access_log` right after `http {`). Pure. Throws
 * if the config says `daemon on` (the launcher needs nginx in the foreground, as its child).
 */
export function prepareNginxConfig(config: string, prefix: string): PreparedNginxConfig {
  let text = config.split(PREFIX_PLACEHOLDER).join(prefix);
  const code = blankComments(text);
  const daemon = /(^|[;{}\s])daemon\s+(\w+)\s*;/.exec(code);
  if (daemon?.[2] === 'on') {
    throw new Error(
      'nginx config says `daemon on;`: the launcher runs nginx in the foreground, use `daemon off;`',
    );
  }
  const prelude = nginxPrelude(prefix);
  const globals: string[] = [];
  if (daemon === null) globals.push('daemon off;');
  const [pidLine = '', errorLogLine = ''] = prelude.main.split('\n');
  if (!hasDirective(code, 'pid')) globals.push(pidLine);
  if (!hasDirective(code, 'error_log')) globals.push(errorLogLine);

  const httpBlock = /(^|[;{}\s])http\s*\{/.exec(code);
  if (httpBlock !== null) {
    const missing = prelude.http.split('\n').filter((line) => !hasDirective(code, line.split(' ')[0] ?? ''));
    if (missing.length > 0) {
      const at = httpBlock.index + httpBlock[0].length;
      text = `${text.slice(0, at)}\n  ${missing.join('\n  ')}\n${text.slice(at)}`;
    }
  }
  return { text, globalDirectives: globals.join(' ') };
}
