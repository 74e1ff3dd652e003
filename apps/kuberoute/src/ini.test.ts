import { describe, expect, it } from '@jest/globals';
import { IniSyntaxError, ownKeys, parseIni, sectionValues } from './ini.js';

const get = (text: string, section: string): Record<string, string> =>
  Object.fromEntries(sectionValues(parseIni(text), section) ?? []);

describe('parseIni (configparser dialect)', () => {
  it('reads key = value and key: value, trimming blanks around both', () => {
    expect(get('[a]\nx = 1\ny:2\n  \nz =   three words  \n', 'a')).toEqual({
      x: '1',
      y: '2',
      z: 'three words',
    });
  });

  it('splits on the first = or : so values may contain either', () => {
    expect(get('[a]\nurl = https://h:8080/x\nb: c=d\n', 'a')).toEqual({ url: 'https://h:8080/x', b: 'c=d' });
  });

  it('lower-cases keys but keeps section names and values as written', () => {
    const f = parseIni('[Kuberoute]\nDNS_Backend = Route53\n');
    expect([...f.sections.keys()]).toEqual(['Kuberoute']);
    expect(get('[Kuberoute]\nDNS_Backend = Route53\n', 'Kuberoute')).toEqual({ dns_backend: 'Route53' });
  });

  it('skips full-line # and ; comments, also indented ones, and keeps inline text as configparser does', () => {
    expect(get('# top\n[a]\n; c\n  # indented\nx = 1 # not a comment\n', 'a')).toEqual({
      x: '1 # not a comment',
    });
  });

  it('joins indented continuation lines with newlines, keeping inner blank lines', () => {
    expect(get('[a]\nx = one\n  two\n\n  three\ny = 2\n', 'a')).toEqual({ x: 'one\ntwo\n\nthree', y: '2' });
    expect(get('[a]\nx =\n  only\n', 'a')).toEqual({ x: 'only' });
  });

  it('inherits [DEFAULT] values in every section, the section winning', () => {
    const text = '[DEFAULT]\nport = 1\nhost = h\n[a]\nport = 2\n[b]\n';
    expect(get(text, 'a')).toEqual({ port: '2', host: 'h' });
    expect(get(text, 'b')).toEqual({ port: '1', host: 'h' });
    expect(ownKeys(parseIni(text), 'b')).toEqual([]);
  });

  it('interpolates %(key)s from the section and [DEFAULT], and %% as %', () => {
    const text =
      '[DEFAULT]\ncluster = c1\n[a]\nkey = %(cluster)s/%(file)s\nfile = report.json\npct = 100%%\n';
    expect(get(text, 'a')).toEqual({
      cluster: 'c1',
      key: 'c1/report.json',
      file: 'report.json',
      pct: '100%',
    });
  });

  it('rejects a bad % sequence, a missing reference and a loop', () => {
    expect(() => get('[a]\nx = 50%\n', 'a')).toThrow(/bad interpolation/);
    expect(() => get('[a]\nx = %(nope)s\n', 'a')).toThrow(/nope/);
    expect(() => get('[a]\nx = %(y)s\ny = %(x)s\n', 'a')).toThrow(/too deep/);
  });

  it.each([
    ['a key before any section', 'x = 1\n', /line 1: a key before any \[section\]/],
    ['a line without delimiter', '[a]\njunk\n', /line 2: cannot parse "junk"/],
    ['a duplicate key', '[a]\nx = 1\nX = 2\n', /line 3: key x appears twice/],
    ['a duplicate section', '[a]\n[a]\n', /line 2: section \[a\] appears twice/],
  ])('rejects %s with its line number', (_what, text, message) => {
    expect(() => parseIni(text)).toThrow(IniSyntaxError);
    expect(() => parseIni(text)).toThrow(message);
  });

  it('accepts CRLF line endings and a file without sections', () => {
    expect(get('[a]\r\nx = 1\r\n', 'a')).toEqual({ x: '1' });
    expect(parseIni('# nothing\n').sections.size).toBe(0);
  });
});
