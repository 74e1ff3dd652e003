import { describe, expect, it } from '@jest/globals';
import { NginxSyntaxError, parseNginxConfig } from './lexer.js';
import { quoteArg } from './quote.js';

describe('parseNginxConfig', () => {
  it('reads directives, blocks and arguments', () => {
    expect(parseNginxConfig('a 1 2;\nb {\n  c "x y";\n}\n')).toEqual([
      { name: 'a', args: ['1', '2'], line: 1 },
      { name: 'b', args: [], line: 2, block: [{ name: 'c', args: ['x y'], line: 3 }] },
    ]);
  });

  it('treats # as a comment only at the start of a token', () => {
    const [d] = parseNginxConfig('a b#c # comment ; {\n;');
    expect(d).toMatchObject({ name: 'a', args: ['b#c'] });
  });

  it('keeps } inside a bare word and { after $', () => {
    expect(parseNginxConfig('a b} ${x}y;')[0]).toMatchObject({ args: ['b}', '${x}y'] });
  });

  it('unescapes \\" \\\\ and \\n but keeps other escapes', () => {
    expect(parseNginxConfig('a "q\\"b\\\\s\\n\\d";')[0]!.args).toEqual(['q"b\\s\n\\d']);
  });

  it('splits an if condition like nginx: a quote may be followed by )', () => {
    expect(parseNginxConfig('if ($a != "b") { return 403; }')[0]).toMatchObject({
      name: 'if',
      args: ['($a', '!=', 'b', ')'],
    });
  });

  it.each([
    ['a "b"c;', 'unexpected "c"'],
    ['a {', 'unexpected end of file'],
    ['}', 'unexpected "}"'],
    ['a b }', 'unexpected "}"'],
    [';', 'unexpected ";"'],
    ['a "b', 'unexpected end of file'],
  ])('rejects %j like nginx (%s)', (text, message) => {
    expect(() => parseNginxConfig(text)).toThrow(NginxSyntaxError);
    expect(() => parseNginxConfig(text)).toThrow(message);
  });
});

describe('quoteArg', () => {
  it.each([
    'plain',
    '',
    'a b',
    'a;b',
    'a{b}',
    'a#b',
    '#a',
    '"',
    '\\',
    '\\n',
    "it's",
    '$x',
    '${x}',
    'a\tb',
    'new\nline',
    '日本',
    '}',
    ')',
  ])('round-trips %j through the lexer as one argument', (value) => {
    const [d] = parseNginxConfig(`x ${quoteArg(value)};`);
    expect(d!.args).toEqual([value]);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(quoteArg('/foo/bar')).toBe('/foo/bar');
    expect(quoteArg('$host')).toBe('$host');
    expect(quoteArg('a;b')).toBe('"a;b"');
    expect(quoteArg('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});

describe('parseNginxConfig limits', () => {
  it('refuses a parameter longer than nginx 4096-byte buffer, like nginx', () => {
    expect(() => parseNginxConfig(`a "${'x'.repeat(5000)}";`)).toThrow('too long parameter');
    expect(() => parseNginxConfig(`a "${'x'.repeat(3000)}";`)).not.toThrow();
  });

  it('refuses a comment longer than the buffer', () => {
    expect(() => parseNginxConfig(`# ${'x'.repeat(5000)}\na b;`)).toThrow('too long parameter');
  });
});
