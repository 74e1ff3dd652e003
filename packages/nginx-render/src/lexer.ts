/** One parsed directive: its name, its arguments as nginx sees them, and its block if any. */
export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly NginxDirective[];
  /** 1-based line of the directive's last token. */
  readonly line: number;
}

/** Thrown by {@link parseNginxConfig} where nginx itself would report a syntax error. */
export class NginxSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`${message} in line ${line}`);
    this.name = 'NginxSyntaxError';
    this.line = line;
  }
}

type Stop = 'statement' | 'block-start' | 'block-end' | 'eof';

const NGX_CONF_BUFFER = 4096;

/**
 * A re-implementation of nginx 1.22's configuration lexer (ngx_conf_read_token) and block
 * structure, used by tests to check that rendered text means exactly the directives the model
 * asked for. It follows nginx's rules: `#` starts a comment only at the start of a token; in a
 * bare word `}` is part of the word, and `{` is too right after `$`; after a closing quote
 * only whitespace, `;`, `{` or `)` may follow; a token or comment must fit nginx's 4096-byte
 * read buffer; `\"`, `\'` and `\\` unescape to the character and
 * `\t`, `\r`, `\n` to control characters, any other `\x` stays as written. Pure, linear.
 */
export function parseNginxConfig(text: string): NginxDirective[] {
  let pos = 0;
  let line = 1;

  // nginx reads the file through a 4096-byte buffer; a token (or comment) that does not fit,
  // counted from its first byte to the byte that ends it, is "too long parameter".
  function checkLength(from: number, to: number): void {
    if (to - from > NGX_CONF_BUFFER / 4 && Buffer.byteLength(text.slice(from, to)) > NGX_CONF_BUFFER) {
      throw new NginxSyntaxError('too long parameter', line);
    }
  }

  function readStatement(): { words: string[]; stop: Stop } {
    const words: string[] = [];
    let lastSpace = true;
    let needSpace = false;
    let sharpComment = false;
    let quoted = false;
    let sQuoted = false;
    let dQuoted = false;
    let variable = false;
    let start = 0;
    for (;;) {
      if (pos >= text.length) {
        if (words.length > 0 || !lastSpace)
          throw new NginxSyntaxError('unexpected end of file, expecting ";" or "}"', line);
        return { words, stop: 'eof' };
      }
      const ch = text[pos++]!;
      if (ch === '\n') {
        line++;
        if (sharpComment) {
          sharpComment = false;
          checkLength(start, pos);
        }
      }
      if (sharpComment) continue;
      if (quoted) {
        quoted = false;
        continue;
      }
      if (needSpace) {
        if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === ';') return { words, stop: 'statement' };
        if (ch === '{') return { words, stop: 'block-start' };
        if (ch === ')') {
          lastSpace = true;
          needSpace = false;
        } else throw new NginxSyntaxError(`unexpected "${ch}"`, line);
      }
      if (lastSpace) {
        start = pos - 1;
        if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') continue;
        switch (ch) {
          case ';':
          case '{':
            if (words.length === 0) throw new NginxSyntaxError(`unexpected "${ch}"`, line);
            return { words, stop: ch === ';' ? 'statement' : 'block-start' };
          case '}':
            if (words.length !== 0) throw new NginxSyntaxError('unexpected "}"', line);
            return { words, stop: 'block-end' };
          case '#':
            sharpComment = true;
            continue;
          case '\\':
            quoted = true;
            lastSpace = false;
            continue;
          case '"':
            start++;
            dQuoted = true;
            lastSpace = false;
            continue;
          case "'":
            start++;
            sQuoted = true;
            lastSpace = false;
            continue;
          case '$':
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
      } else {
        if (ch === '{' && variable) continue;
        variable = false;
        if (ch === '\\') {
          quoted = true;
          continue;
        }
        if (ch === '$') {
          variable = true;
          continue;
        }
        let found = false;
        if (dQuoted) {
          if (ch === '"') {
            dQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (sQuoted) {
          if (ch === "'") {
            sQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === ';' || ch === '{') {
          lastSpace = true;
          found = true;
        }
        if (found) {
          checkLength(start, pos);
          words.push(unescape(text.slice(start, pos - 1)));
          if (ch === ';') return { words, stop: 'statement' };
          if (ch === '{') return { words, stop: 'block-start' };
        }
      }
    }
  }

  function parseBlock(depth: number): NginxDirective[] {
    const out: NginxDirective[] = [];
    for (;;) {
      const { words, stop } = readStatement();
      if (stop === 'eof') {
        if (depth > 0) throw new NginxSyntaxError('unexpected end of file, expecting "}"', line);
        return out;
      }
      if (stop === 'block-end') {
        if (depth === 0) throw new NginxSyntaxError('unexpected "}"', line);
        return out;
      }
      const [name, ...args] = words as [string, ...string[]];
      const at = line;
      if (stop === 'block-start') out.push({ name, args, block: parseBlock(depth + 1), line: at });
      else out.push({ name, args, line: at });
    }
  }

  return parseBlock(0);
}

function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const n = raw[i + 1];
      if (n === '"' || n === "'" || n === '\\') {
        out += n;
        i++;
        continue;
      }
      if (n === 't' || n === 'r' || n === 'n') {
        out += n === 't' ? '\t' : n === 'r' ? '\r' : '\n';
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}
