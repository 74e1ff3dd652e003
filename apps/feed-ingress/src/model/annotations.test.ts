import { describe, expect, it } from '@jest/globals';
import { parseAllowList, parseGoDuration, readIngressSettings, type IngressSettings } from './annotations.js';

const defaults = {
  allow: ['0.0.0.0/0'],
  stripPath: true,
  backendTimeoutSeconds: 60,
  backendMaxConnections: 0,
  proxyBufferSizeKb: 16,
  proxyBufferBlocks: 4,
};

function read(annotations: Record<string, string>): { s: IngressSettings; warnings: string[] } {
  const warnings: string[] = [];
  const s = readIngressSettings(annotations, defaults, (w) => warnings.push(w));
  return { s, warnings };
}

describe('parseGoDuration', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['2h45m', 9_900_000],
    ['+10s', 10_000],
    ['.5s', 500],
    ['100us', 0.1],
  ])('parses %s as Go does', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms);
  });

  it.each(['', '30', 's', '10x', '-5s', '1d', '10 s', 'abc', '5s5'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('parseAllowList', () => {
  it.each([
    ['', []],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    [' 10.0.0.0/8 ,  192.168.1.1 ', ['10.0.0.0/8', '192.168.1.1']],
    ['::1/128,fd00::/8', ['::1/128', 'fd00::/8']],
  ])('accepts %j (entries trimmed, "" is an empty list)', (raw, expected) => {
    expect(parseAllowList(raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['10.0.0.0/8,nope', 'nope'],
    ['10.0.0.0/33', '10.0.0.0/33'],
    ['10.0.0.0/8,', ''],
    ['1.2.3.4; deny all', '1.2.3.4; deny all'],
  ])('rejects %j naming the bad entry', (raw, entry) => {
    const r = parseAllowList(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(`entry "${entry}"`);
  });
});

describe('readIngressSettings', () => {
  it('uses the flag defaults when no annotation is set', () => {
    const { s, warnings } = read({});
    expect(s).toEqual({
      lbScheme: undefined,
      allow: ['0.0.0.0/0'],
      allowError: undefined,
      stripPath: true,
      exactPath: undefined,
      backendTimeoutSeconds: 60,
      backendMaxConnections: 0,
      backendKeepaliveTimeoutSeconds: undefined,
      backendMaxRequestsPerConnection: 1024,
      proxyBufferSizeKb: 16,
      proxyBufferBlocks: 4,
    });
    expect(warnings).toEqual([]);
  });

  // Each row: annotations, the settings fields expected, and a fragment every warning must contain ('' = no warning).
  const cases: [string, Record<string, string>, Partial<IngressSettings>, string][] = [
    ['frontend-scheme internal', { 'sky.uk/frontend-scheme': 'internal' }, { lbScheme: 'internal' }, ''],
    [
      'frontend-scheme internet-facing',
      { 'sky.uk/frontend-scheme': 'internet-facing' },
      { lbScheme: 'internet-facing' },
      '',
    ],
    [
      'legacy frontend-elb-scheme',
      { 'sky.uk/frontend-elb-scheme': 'internal' },
      { lbScheme: 'internal' },
      '',
    ],
    [
      'frontend-scheme wins over the legacy name',
      { 'sky.uk/frontend-scheme': 'internet-facing', 'sky.uk/frontend-elb-scheme': 'internal' },
      { lbScheme: 'internet-facing' },
      '',
    ],
    [
      'unknown frontend-scheme warns',
      { 'sky.uk/frontend-scheme': 'public' },
      { lbScheme: undefined },
      'sky.uk/frontend-scheme',
    ],
    ['allow replaces the default', { 'sky.uk/allow': '10.0.0.0/8' }, { allow: ['10.0.0.0/8'] }, ''],
    ['allow "" is an empty list', { 'sky.uk/allow': '' }, { allow: [] }, ''],
    [
      'invalid allow sets allowError',
      { 'sky.uk/allow': 'x' },
      {
        allow: ['0.0.0.0/0'],
        allowError: 'sky.uk/allow: entry "x": not an IP or CIDR',
      },
      '',
    ],
    ['strip-path false', { 'sky.uk/strip-path': 'false' }, { stripPath: false }, ''],
    ['strip-path true', { 'sky.uk/strip-path': 'true' }, { stripPath: true }, ''],
    [
      'strip-path other values warn and keep the default',
      { 'sky.uk/strip-path': 'yes' },
      { stripPath: true },
      'sky.uk/strip-path',
    ],
    ['exact-path true', { 'sky.uk/exact-path': 'true' }, { exactPath: true }, ''],
    ['exact-path false', { 'sky.uk/exact-path': 'false' }, { exactPath: false }, ''],
    [
      'exact-path other values warn',
      { 'sky.uk/exact-path': 'TRUE' },
      { exactPath: undefined },
      'sky.uk/exact-path',
    ],
    [
      'backend-timeout-seconds',
      { 'sky.uk/backend-timeout-seconds': '30' },
      { backendTimeoutSeconds: 30 },
      '',
    ],
    [
      'legacy backend-keepalive-seconds',
      { 'sky.uk/backend-keepalive-seconds': '45' },
      { backendTimeoutSeconds: 45 },
      '',
    ],
    [
      'backend-timeout-seconds overrides the legacy name',
      { 'sky.uk/backend-keepalive-seconds': '45', 'sky.uk/backend-timeout-seconds': '30' },
      { backendTimeoutSeconds: 30 },
      '',
    ],
    // QUIRK fixed: feed rendered 0s for an unparsable timeout.
    [
      'unparsable timeout falls back to the flag default, never 0',
      { 'sky.uk/backend-timeout-seconds': '30s' },
      { backendTimeoutSeconds: 60 },
      'sky.uk/backend-timeout-seconds',
    ],
    [
      'unparsable timeout falls back to a valid legacy value',
      { 'sky.uk/backend-timeout-seconds': 'x', 'sky.uk/backend-keepalive-seconds': '45' },
      { backendTimeoutSeconds: 45 },
      'sky.uk/backend-timeout-seconds',
    ],
    [
      'timeout 0 falls back to the default',
      { 'sky.uk/backend-timeout-seconds': '0' },
      { backendTimeoutSeconds: 60 },
      'below the minimum',
    ],
    [
      'negative timeout falls back to the default',
      { 'sky.uk/backend-timeout-seconds': '-5' },
      { backendTimeoutSeconds: 60 },
      'not a whole number',
    ],
    [
      'backend-max-connections',
      { 'sky.uk/backend-max-connections': '100' },
      { backendMaxConnections: 100 },
      '',
    ],
    [
      'unparsable max-connections uses the default',
      { 'sky.uk/backend-max-connections': 'many' },
      { backendMaxConnections: 0 },
      'sky.uk/backend-max-connections',
    ],
    [
      'connection-keepalive 30s',
      { 'sky.uk/backend-connection-keepalive': '30s' },
      { backendKeepaliveTimeoutSeconds: 30 },
      '',
    ],
    [
      'connection-keepalive 1m30s in whole seconds',
      { 'sky.uk/backend-connection-keepalive': '1m30s' },
      { backendKeepaliveTimeoutSeconds: 90 },
      '',
    ],
    [
      'connection-keepalive 2.9s rounds down',
      { 'sky.uk/backend-connection-keepalive': '2.9s' },
      { backendKeepaliveTimeoutSeconds: 2 },
      '',
    ],
    [
      'connection-keepalive invalid is omitted',
      { 'sky.uk/backend-connection-keepalive': '30' },
      { backendKeepaliveTimeoutSeconds: undefined },
      'sky.uk/backend-connection-keepalive',
    ],
    [
      'connection-keepalive below a second is omitted',
      { 'sky.uk/backend-connection-keepalive': '500ms' },
      { backendKeepaliveTimeoutSeconds: undefined },
      'below one second',
    ],
    [
      'max-requests-per-connection',
      { 'sky.uk/backend-max-requests-per-connection': '500' },
      { backendMaxRequestsPerConnection: 500 },
      '',
    ],
    [
      'max-requests-per-connection 0 means 1024',
      { 'sky.uk/backend-max-requests-per-connection': '0' },
      { backendMaxRequestsPerConnection: 1024 },
      '',
    ],
    [
      'max-requests-per-connection invalid means 1024',
      { 'sky.uk/backend-max-requests-per-connection': '-1' },
      { backendMaxRequestsPerConnection: 1024 },
      'sky.uk/backend-max-requests-per-connection',
    ],
    ['proxy-buffer-size-in-kb', { 'sky.uk/proxy-buffer-size-in-kb': '8' }, { proxyBufferSizeKb: 8 }, ''],
    [
      'proxy-buffer-size-in-kb is capped at 32',
      { 'sky.uk/proxy-buffer-size-in-kb': '64' },
      { proxyBufferSizeKb: 32 },
      'exceeds the maximum 32',
    ],
    // feed turned an unparsable size into 0k buffers.
    [
      'unparsable proxy-buffer-size uses the default, never 0k',
      { 'sky.uk/proxy-buffer-size-in-kb': '16k' },
      { proxyBufferSizeKb: 16 },
      'sky.uk/proxy-buffer-size-in-kb',
    ],
    [
      'proxy-buffer-size 0 uses the default',
      { 'sky.uk/proxy-buffer-size-in-kb': '0' },
      { proxyBufferSizeKb: 16 },
      'below the minimum',
    ],
    ['proxy-buffer-blocks', { 'sky.uk/proxy-buffer-blocks': '6' }, { proxyBufferBlocks: 6 }, ''],
    [
      'proxy-buffer-blocks is capped at 8',
      { 'sky.uk/proxy-buffer-blocks': '20' },
      { proxyBufferBlocks: 8 },
      'exceeds the maximum 8',
    ],
    [
      'proxy-buffer-blocks below what nginx accepts uses the default',
      { 'sky.uk/proxy-buffer-blocks': '2' },
      { proxyBufferBlocks: 4 },
      'below the minimum 4',
    ],
  ];

  it.each(cases)('%s', (_name, annotations, expected, warning) => {
    const { s, warnings } = read(annotations);
    expect(s).toMatchObject(expected);
    for (const [k, v] of Object.entries(expected)) expect(s[k as keyof IngressSettings]).toEqual(v);
    if (warning === '') expect(warnings).toEqual([]);
    else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(warning);
    }
  });
});
