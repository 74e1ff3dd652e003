import { describe, expect, it } from '@jest/globals';
import { defaultFeedModelConfig, validateFeedModelConfig } from './config.js';

describe('defaultFeedModelConfig', () => {
  it('has feed v6 flag defaults', () => {
    const c = defaultFeedModelConfig();
    expect(c).toMatchObject({
      ingressPort: undefined,
      ingressHttpsPort: undefined,
      ingressHealthPort: 8081,
      defaultAllow: ['0.0.0.0/0'],
      defaultStripPath: true,
      defaultExactPath: false,
      defaultSslPath: '/etc/ssl/default-ssl/default-ssl',
      realIpHeader: 'X-Forwarded-For',
      proxyProtocol: false,
      includeClasslessIngresses: false,
      matchAllNamespaceSelectors: false,
    });
    expect(c.nginx).toMatchObject({
      workers: 1,
      workerConnections: 1024,
      keepaliveSeconds: 60,
      backendKeepaliveCount: 512,
      defaultBackendTimeoutSeconds: 60,
      backendConnectTimeoutSeconds: 1,
      defaultBackendMaxConnections: 0,
      defaultProxyBufferSizeKb: 16,
      defaultProxyBufferBlocks: 4,
      logLevel: 'warn',
      serverNamesHashBucketSize: -1,
      serverNamesHashMaxSize: -1,
      clientHeaderBufferSizeKb: 16,
      clientBodyBufferSizeKb: 16,
      largeClientHeaderBufferBlocks: 4,
      allowWebsocketUpgrade: false,
      allowLocalhost: false,
    });
  });

  it('merges nginx overrides field by field', () => {
    const c = defaultFeedModelConfig({ ingressPort: 80, nginx: { workers: 4 } });
    expect(c.ingressPort).toBe(80);
    expect(c.nginx.workers).toBe(4);
    expect(c.nginx.workerConnections).toBe(1024);
  });
});

describe('validateFeedModelConfig', () => {
  it('accepts the defaults with a port', () => {
    expect(validateFeedModelConfig(defaultFeedModelConfig({ ingressPort: 8080 }))).toEqual([]);
  });

  it.each([
    ['no http and no https port (feed v3 is fatal)', {}, '--ingress-port'],
    ['a port out of range', { ingressPort: 70000 }, '--ingress-port'],
    ['the same port twice', { ingressPort: 8081 }, '--ingress-health-port'],
    ['an invalid --ingress-allow entry', { ingressPort: 80, defaultAllow: ['nope'] }, '--ingress-allow'],
    [
      'an invalid trusted frontend',
      { ingressPort: 80, trustedFrontends: ['10.0.0.0/99'] },
      '--nginx-trusted-frontends',
    ],
    [
      'a log header that cannot be a variable',
      { ingressPort: 80, accessLog: { enabled: true, dir: '/var/log', headers: ['X Y'] } },
      '--nginx-log-headers',
    ],
    [
      'an access log dir with odd characters',
      { ingressPort: 80, accessLog: { enabled: true, dir: '/var/log/$x', headers: [] } },
      '--access-log-dir',
    ],
    [
      'proxy buffer blocks nginx refuses',
      { ingressPort: 80, nginx: { defaultProxyBufferBlocks: 2 } },
      '--nginx-default-proxy-buffer-blocks',
    ],
    ['zero workers', { ingressPort: 80, nginx: { workers: 0 } }, '--nginx-workers'],
    [
      'a namespace selector without a name',
      { ingressPort: 80, namespaceSelectors: [{ name: '', value: 'x' }] },
      '--ingress-controller-namespace-selectors',
    ],
    ['an ssl path with a variable', { ingressPort: 80, defaultSslPath: '/etc/$ssl' }, '--ssl-path'],
  ] as const)('reports %s naming the flag', (_name, overrides, flag) => {
    const issues = validateFeedModelConfig(defaultFeedModelConfig(overrides));
    expect(issues.map((i) => i.flag)).toContain(flag);
  });
});
