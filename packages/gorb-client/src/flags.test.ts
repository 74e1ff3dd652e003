import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@kube-edge/runtime';
import {
  GORB_DEFAULTS,
  parseGorbBackendMethod,
  parseGorbBackendWeight,
  parseGorbHealthCheckType,
  parseGorbInstanceIp,
  parseGorbPulseInterval,
  parseGorbServicesDefinition,
  parseGorbVips,
} from './flags.js';

function configErrorKey(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  return undefined;
}

describe('parseGorbServicesDefinition', () => {
  it('parses feed default into two services', () => {
    expect(parseGorbServicesDefinition(GORB_DEFAULTS.servicesDefinition)).toEqual([
      { name: 'http-proxy', port: 80 },
      { name: 'https-proxy', port: 443 },
    ]);
  });

  it('ignores spaces around entries', () => {
    expect(parseGorbServicesDefinition(' a:1 , b:65535')).toEqual([
      { name: 'a', port: 1 },
      { name: 'b', port: 65535 },
    ]);
  });

  it.each([
    '',
    'http-proxy',
    'http-proxy:',
    ':80',
    'a:0',
    'a:65536',
    'a:8o',
    'a b:80',
    'a/b:80',
    'a:80,,b:81',
    'a:80,a:81',
  ])('rejects %j naming the flag', (value) => {
    expect(configErrorKey(() => parseGorbServicesDefinition(value))).toBe('gorb-services-definition');
  });
});

describe('parseGorbVips', () => {
  it('parses a CSV of IPv4 addresses', () => {
    expect(parseGorbVips('10.0.0.1, 10.0.0.2')).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it.each(['', '10.0.0.1,', '::1', '10.0.0.1/32', '10.0.0.256', '10.0.0.1;reboot', 'lo'])(
    'rejects %j so it never reaches ip',
    (value) => {
      expect(configErrorKey(() => parseGorbVips(value))).toBe('gorb-vip-loadbalancer');
    },
  );
});

describe('parseGorbPulseInterval', () => {
  it.each(['1s', '5sec', '10seconds', '1m', '2MIN', '1h', '3hours', '+2s'])(
    'accepts gorb interval %j',
    (value) => {
      expect(parseGorbPulseInterval(value)).toBe(value);
    },
  );

  it.each(['1m30s', '500ms', '0s', '-1s', '1', 's', '1d', ''])('rejects %j at start-up', (value) => {
    expect(configErrorKey(() => parseGorbPulseInterval(value))).toBe('gorb-backend-healthcheck-interval');
  });
});

describe('enumerated and numeric flags', () => {
  it('accepts the health check types feed accepts and nothing else', () => {
    expect(['http', 'tcp', 'none'].map((v) => parseGorbHealthCheckType(v))).toEqual(['http', 'tcp', 'none']);
    expect(configErrorKey(() => parseGorbHealthCheckType('HTTP'))).toBe('gorb-backend-healthcheck-type');
    expect(configErrorKey(() => parseGorbHealthCheckType('icmp'))).toBe('gorb-backend-healthcheck-type');
  });

  it('accepts gorb forwarding methods', () => {
    expect(['dr', 'nat', 'tunnel', 'ipip'].map((v) => parseGorbBackendMethod(v))).toEqual([
      'dr',
      'nat',
      'tunnel',
      'ipip',
    ]);
    expect(configErrorKey(() => parseGorbBackendMethod('route'))).toBe('gorb-backend-method');
  });

  it('checks the instance IP and weight', () => {
    expect(parseGorbInstanceIp('10.1.2.3')).toBe('10.1.2.3');
    expect(parseGorbInstanceIp('fd00::1')).toBe('fd00::1');
    expect(configErrorKey(() => parseGorbInstanceIp('node-1'))).toBe('gorb-ingress-instance-ip');
    expect(parseGorbBackendWeight(1000)).toBe(1000);
    expect(configErrorKey(() => parseGorbBackendWeight(0))).toBe('gorb-backend-weight');
    expect(configErrorKey(() => parseGorbBackendWeight(1.5))).toBe('gorb-backend-weight');
  });
});
