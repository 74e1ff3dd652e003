import { describe, expect, it } from '@jest/globals';
import {
  validateCidr,
  validateComment,
  validateDuration,
  validateFilePath,
  validateHeaderName,
  validateHeaderValue,
  validateHostname,
  validateIp,
  validatePath,
  validateProxyUri,
  validateRegexPath,
  validateSize,
  validateUpstreamId,
  validateUrl,
  validateVariableHeaderName,
  validateVariableName,
  toComment,
  MAX_COMMENT_BYTES,
  type ValidationResult,
} from './validate.js';

type Row = [input: unknown, expected: string | false];

function table(name: string, fn: (v: unknown) => ValidationResult<unknown>, rows: Row[]): void {
  describe(name, () => {
    it.each(rows)('%j -> %j', (input, expected) => {
      const r = fn(input);
      if (expected === false) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
      } else {
        expect(r).toEqual({ ok: true, value: expected });
      }
    });
  });
}

table('validateHostname', validateHostname, [
  ['example.com', 'example.com'],
  ['WWW.Example.COM', 'www.example.com'],
  ['example.com.', 'example.com'],
  ['*.example.com', '*.example.com'],
  ['a-b.c-d.example', 'a-b.c-d.example'],
  ['10.0.0.1', '10.0.0.1'],
  ['*.com', false],
  ['a.*.com', false],
  ['*example.com', false],
  ['-a.com', false],
  ['a-.com', false],
  ['a..com', false],
  ['', false],
  ['a b.com', false],
  ['a;b.com', false],
  ['a{b}.com', false],
  ['ex$ample.com', false],
  ['exa\nmple.com', false],
  ['ex_ample.com', false],
  ['éxample.com', false],
  [`${'a'.repeat(64)}.com`, false],
  [`${'a.'.repeat(127)}com`, false],
  [42, false],
]);

table('validatePath', validatePath, [
  ['/', '/'],
  ['/foo/bar', '/foo/bar'],
  ["/a-b_c.d~e!$&'()*+,;=:@%20", "/a-b_c.d~e!$&'()*+,;=:@%20"],
  ['foo', false],
  ['', false],
  ['/a b', false],
  ['/a"b', false],
  ['/a{b', false],
  ['/a}b', false],
  ['/a#b', false],
  ['/a\\b', false],
  ['/a?b', false],
  ['/a%zz', false],
  ['/a\u0000', false],
  ['/ü', false],
]);

table('validateProxyUri', validateProxyUri, [
  ['/people', '/people'],
  ['/', '/'],
  ['/a$b', false],
]);

table('validateRegexPath', validateRegexPath, [
  ['^/api/v[0-9]+/', '^/api/v[0-9]+/'],
  ['\\.(png|jpg)$', '\\.(png|jpg)$'],
  ['^/(?<ver>v\\d)/x{2,3}', '^/(?<ver>v\\d)/x{2,3}'],
  ['/a;b{1}', '/a;b{1}'],
  ['(', false],
  ['[', false],
  ['a{', false],
  ['\\', false],
  ['\\p{L}', false],
  ['\\k<x>', false],
  ['(?<=a)b', false],
  ['(?i)abc', false],
  ['a\nb', false],
  ['a\u0000b', false],
]);

table('validateCidr', validateCidr, [
  ['10.0.0.0/8', '10.0.0.0/8'],
  ['127.0.0.1', '127.0.0.1'],
  ['::1', '::1'],
  ['2001:db8::/32', '2001:db8::/32'],
  ['0.0.0.0/0', '0.0.0.0/0'],
  ['10.0.0.0/33', false],
  ['::/129', false],
  ['10.0.0.0/8/8', false],
  ['10.0.0.0/x', false],
  ['10.0.0', false],
  ['all', false],
  ['', false],
  [' 10.0.0.1', false],
  // IPv6 zone ids pass net.isIP, and nginx refuses them in allow/deny.
  ['fe80::1%eth0', false],
  ['fe80::1%eth0/64', false],
  ['fe80::1%25eth0', false],
]);

table('validateIp', validateIp, [
  ['10.0.0.1', '10.0.0.1'],
  ['fd00::1', 'fd00::1'],
  ['fe80::1%eth0', false],
  ['fe80::1%1', false],
  ['10.0.0.0/8', false],
]);

table('validateDuration', validateDuration, [
  ['60s', '60s'],
  ['500ms', '500ms'],
  ['1m', '1m'],
  ['30', '30'],
  ['1.5s', false],
  ['-1s', false],
  ['1s;', false],
  ['s', false],
  ['30x', false],
]);

table('validateSize', validateSize, [
  ['16k', '16k'],
  ['0', '0'],
  ['1M', '1M'],
  ['1kb', false],
  ['k', false],
  ['1 k', false],
]);

table('validateHeaderName', validateHeaderName, [
  ['X-Forwarded-For', 'X-Forwarded-For'],
  ['x_y', 'x_y'],
  ['a b', false],
  ['a:b', false],
  ['a"b', false],
  ['X-$host', false],
  ['', false],
]);

table('validateVariableHeaderName', validateVariableHeaderName, [
  ['X-ROUTING-API-KEY', 'X-ROUTING-API-KEY'],
  ['a.b', false],
  ['a$b', false],
]);

table('validateHeaderValue', validateHeaderValue, [
  ['', ''],
  ['plain value', 'plain value'],
  ['has "quotes" ; { } # $var \\', 'has "quotes" ; { } # $var \\'],
  ['tab\there', 'tab\there'],
  ['line\nbreak', false],
  ['cr\rhere', false],
  ['nul\u0000', false],
  ['del\u007f', false],
  ['ünïcode', false],
  ['x'.repeat(5000), false],
]);

table('validateUpstreamId', validateUpstreamId, [
  ['ns.name.10.0.0.1.80', 'ns.name.10.0.0.1.80'],
  ['upstream3563244012', 'upstream3563244012'],
  ['ns.name.fd00::1.80', false],
  ['-x', false],
  ['a/b', false],
  ['a b', false],
]);

table('validateFilePath', validateFilePath, [
  ['/etc/ssl/x.crt', '/etc/ssl/x.crt'],
  ['relative/x', false],
  ['/etc/../x', false],
  ['/a$b', false],
  ['/a b', false],
  ['/a;b', false],
]);

table('validateVariableName', validateVariableName, [
  ['p_connection', 'p_connection'],
  ['1x', false],
  ['a-b', false],
  ['kube_edge_dollar', false],
]);

table('validateComment', validateComment, [
  ['ingress: ns/name', 'ingress: ns/name'],
  ['unicode ok: 日本 ; { } " #', 'unicode ok: 日本 ; { } " #'],
  ['two\nlines', false],
  ['cr\r', false],
  ['ls\u2028', false],
]);

table('validateUrl', validateUrl, [
  ['https://example.com/a?b=c', 'https://example.com/a?b=c'],
  ['/relative/path', '/relative/path'],
  ['https://example.com/$1', 'https://example.com/$1'],
  ['javascript:alert(1)', false],
  ['https://a b', false],
  ['/a"b', false],
  ['/a{b}', false],
  ['https://a"b/', false],
  ['https://a{b}/', false],
  ['https://[::1]:8443/x', 'https://[::1]:8443/x'],
  ['https://example.com', 'https://example.com'],
]);

describe('toComment', () => {
  it.each([
    ['a short text is kept', 'Upstream for /x', 'Upstream for /x'],
    ['control characters and line breaks become ?', 'a\nb\u0000c\u2028d', 'a?b?c?d'],
  ])('%s', (_name, text, expected) => {
    expect(toComment(text)).toBe(expected);
  });

  it('cuts a long text on a character boundary, within the comment limit, and it validates', () => {
    for (const text of ['/a'.repeat(600), 'é'.repeat(700), '😀'.repeat(400), 'x'.repeat(1024)]) {
      const c = toComment(text);
      expect(Buffer.byteLength(c)).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
      expect(validateComment(c).ok).toBe(true);
      expect(text.startsWith(c.endsWith('...') ? c.slice(0, -3) : c)).toBe(true);
    }
    expect(toComment('x'.repeat(1024))).toBe('x'.repeat(1024));
    expect(toComment('abcdef', 5)).toBe('ab...');
  });
});
