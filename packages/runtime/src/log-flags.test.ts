import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { defineCli } from './cli.js';
import { logFlags, logLevelFromFlags, loggerFromFlags } from './log-flags.js';

const flags = logFlags({ levelDescription: 'Log level.', formatDescription: 'Log line format.' });

describe('logFlags', () => {
  it('parses --log-level and --log-format with defaults info and json', () => {
    const cli = defineCli({ name: 'app', envPrefix: 'APP', flags });
    expect(cli.parse([], {})).toMatchObject({ values: { 'log-level': 'info', 'log-format': 'json' } });
    expect(cli.parse(['--log-level=debug'], { APP_LOG_FORMAT: 'pretty' })).toMatchObject({
      values: { 'log-level': 'debug', 'log-format': 'pretty' },
    });
    expect(() => cli.parse(['--log-format=xml'], {})).toThrow('expected one of json, pretty, auto');
  });

  it('takes the help texts and the format default from the app', () => {
    const cli = defineCli({
      name: 'app',
      flags: logFlags({
        levelDescription: 'Level text.',
        formatDescription: 'Format text.',
        defaultFormat: 'auto',
      }),
    });
    expect(cli.helpText()).toContain(
      '--log-level <error|warn|info|debug>\n      Level text. [default: info]',
    );
    expect(cli.helpText()).toContain('--log-format <json|pretty|auto>\n      Format text. [default: auto]');
  });
});

describe('logLevelFromFlags', () => {
  it.each([
    [{ 'log-level': 'error', 'log-format': 'json' }, 'error'],
    [{ 'log-level': 'error', 'log-format': 'json', quiet: true }, 'warn'],
    [{ 'log-level': 'error', 'log-format': 'json', debug: true }, 'debug'],
    [{ 'log-level': 'info', 'log-format': 'json', debug: true, quiet: true }, 'debug'],
  ] as const)('%j gives %s', (values, level) => {
    expect(logLevelFromFlags(values)).toBe(level);
  });
});

describe('loggerFromFlags', () => {
  it('writes lines at the flags level and format, named by the app', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const logger = loggerFromFlags({ 'log-level': 'warn', 'log-format': 'json' }, 'feed-dns', { stream });
    logger.info('dropped');
    logger.warn('kept', { n: 1 });
    await logger.close();
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', message: 'kept', n: 1, logger: 'feed-dns' }),
    ]);
    expect(logger.level).toBe('warn');
  });
});
