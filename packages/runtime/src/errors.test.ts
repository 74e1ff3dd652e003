import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  ConfigRefusedError,
  KubeEdgeError,
  TerminalError,
  TransientError,
  errorMessage,
  isTerminal,
  isTransient,
} from './errors.js';

describe('error classes', () => {
  it('keep the message, a default code per class, and the class name', () => {
    expect(new ConfigError('bad flag')).toMatchObject({
      name: 'ConfigError',
      code: 'CONFIG',
      message: 'bad flag',
    });
    expect(new TransientError('x')).toMatchObject({ name: 'TransientError', code: 'TRANSIENT' });
    expect(new TerminalError('x')).toMatchObject({ name: 'TerminalError', code: 'TERMINAL' });
    expect(new TransientError('x')).toBeInstanceOf(KubeEdgeError);
    expect(new TransientError('x')).toBeInstanceOf(Error);
  });

  it('keep an explicit code, the cause and the config key', () => {
    const cause = new Error('throttled');
    const err = new TransientError('route53 call failed', { code: 'AWS_THROTTLED', cause });
    expect(err.code).toBe('AWS_THROTTLED');
    expect(err.cause).toBe(cause);
    expect(new ConfigError('x', { key: '--ingress-class' }).key).toBe('--ingress-class');
    expect(new ConfigError('x').key).toBeUndefined();
    expect('cause' in new TerminalError('no cause')).toBe(false);
  });

  it('classify retryable and non-retryable errors by class', () => {
    expect(isTerminal(new TerminalError('x'))).toBe(true);
    expect(isTerminal(new ConfigError('x'))).toBe(true);
    expect(isTerminal(new TransientError('x'))).toBe(false);
    expect(isTerminal(new Error('x'))).toBe(false);
    expect(isTransient(new TransientError('x'))).toBe(true);
    expect(isTransient(new TerminalError('x'))).toBe(false);
    expect(isTransient('TransientError')).toBe(false);
  });

  it('make a refused config a terminal error with its own class and code', () => {
    const cause = new Error('nginx -t');
    const err = new ConfigRefusedError('refused', { cause });
    expect(err).toMatchObject({ name: 'ConfigRefusedError', code: 'CONFIG_REFUSED', cause });
    expect(err).toBeInstanceOf(TerminalError);
    expect(isTerminal(err)).toBe(true);
    expect(new ConfigRefusedError('x', { code: 'NGINX_CONFIG_INVALID' }).code).toBe('NGINX_CONFIG_INVALID');
    expect('cause' in new ConfigRefusedError('no cause')).toBe(false);
  });
});

describe('retryable', () => {
  it('is true for TransientError and a plain KubeEdgeError, false for TerminalError and ConfigError', () => {
    expect(new TransientError('x').retryable).toBe(true);
    expect(new KubeEdgeError('x').retryable).toBe(true);
    expect(new TerminalError('x').retryable).toBe(false);
    expect(new ConfigError('x').retryable).toBe(false);
  });

  it('is what isTerminal and isTransient read, so a subclass classifies itself', () => {
    class QuotaError extends KubeEdgeError {
      constructor(readonly exhausted: boolean) {
        super('quota');
      }
      override get retryable(): boolean {
        return !this.exhausted;
      }
    }
    expect(isTerminal(new QuotaError(true))).toBe(true);
    expect(isTransient(new QuotaError(true))).toBe(false);
    expect(isTerminal(new QuotaError(false))).toBe(false);
    expect(isTransient(new QuotaError(false))).toBe(true);
    expect(new QuotaError(true).name).toBe('QuotaError');
  });

  it('leaves errors outside the hierarchy neither terminal nor known transient', () => {
    const lookalike = Object.assign(new Error('x'), { retryable: false });
    expect(isTerminal(lookalike)).toBe(false);
    expect(isTransient(lookalike)).toBe(false);
    expect(isTerminal({ retryable: false })).toBe(false);
    expect(isTerminal(undefined)).toBe(false);
  });
});

describe('errorMessage', () => {
  it.each([
    [new Error('boom'), 'boom'],
    [new TerminalError('refused'), 'refused'],
    ['plain string', 'plain string'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
  ])('gives %p as %j', (err, message) => {
    expect(errorMessage(err)).toBe(message);
  });

  it('never throws, even for a value whose toString throws', () => {
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
    };
    expect(errorMessage(hostile)).toBe('[unprintable error]');
  });
});
