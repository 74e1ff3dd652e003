import { describe, expect, it } from '@jest/globals';
import { buildGorbBackendOptions, gorbBackendId } from './backend-options.js';

describe('buildGorbBackendOptions', () => {
  it('sends the JSON feed sends for an http check, with expect as the string "404"', () => {
    const body = buildGorbBackendOptions({
      instanceIp: '10.0.0.5',
      port: 80,
      method: 'dr',
      weight: 1000,
      healthCheckType: 'http',
      healthCheckInterval: '1s',
    });
    expect(JSON.stringify(body)).toBe(
      '{"host":"10.0.0.5","port":80,"method":"dr","weight":1000,"pulse":{"type":"http","args":{"method":"GET","path":"/","expect":"404"},"interval":"1s"}}',
    );
  });

  it.each(['tcp', 'none'] as const)('still sends args with empty strings for a %s check', (type) => {
    const body = buildGorbBackendOptions({
      instanceIp: '10.0.0.5',
      port: 443,
      method: 'nat',
      weight: 5,
      healthCheckType: type,
      healthCheckInterval: '5s',
    });
    expect(body.pulse).toEqual({ type, args: { method: '', path: '', expect: '' }, interval: '5s' });
  });
});

describe('gorbBackendId', () => {
  it('is node-<service>-<ip>', () => {
    expect(gorbBackendId('http-proxy', '10.0.0.5')).toBe('node-http-proxy-10.0.0.5');
  });
});
