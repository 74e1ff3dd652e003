import { describe, expect, it } from '@jest/globals';
import { describeFailure } from './describe-failure.js';
import { ConfigError, TerminalError } from './errors.js';

describe('describeFailure', () => {
  it('reports a ConfigError with its message, a help hint and exit code 2', () => {
    expect(
      describeFailure(new ConfigError('--port must be a port number', { key: '--port' }), 'feed-dns'),
    ).toEqual({
      exitCode: 2,
      text: "feed-dns: --port must be a port number\nRun 'feed-dns --help' for usage.\n",
    });
  });

  it('names the given help command in the hint', () => {
    expect(describeFailure(new ConfigError('bad'), 'feed-ingress', 'feed-ingress elb --help').text).toBe(
      "feed-ingress: bad\nRun 'feed-ingress elb --help' for usage.\n",
    );
  });

  it('reports any other error with its stack and exit code 1', () => {
    const err = new TerminalError('stack gone');
    const report = describeFailure(err, 'aws-alb-controller');
    expect(report.exitCode).toBe(1);
    expect(report.text).toBe(`aws-alb-controller: ${err.stack ?? ''}\n`);
    expect(report.text).toContain('TerminalError: stack gone\n    at ');
  });

  it('reports a thrown non-error as text with exit code 1', () => {
    expect(describeFailure('boom', 'kuberoute')).toEqual({ exitCode: 1, text: 'kuberoute: boom\n' });
  });
});
