import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@kube-edge/runtime';
import { kubeEdgeUserAgent, loadKubeConfig } from './config.js';

const kubeconfig = (ctxs: [string, string, string?][]): string => `apiVersion: v1
kind: Config
current-context: ${ctxs[0]![0]}
clusters:
${ctxs.map(([n, server]) => `- name: ${n}\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`).join('\n')}
users:
- name: u
  user:
    token: abc
contexts:
${ctxs.map(([n, , ns]) => `- name: ${n}\n  context:\n    cluster: ${n}\n    user: u${ns ? `\n    namespace: ${ns}` : ''}`).join('\n')}
`;

describe('loadKubeConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k8s-watch-config-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads a kubeconfig file and uses its current context', async () => {
    const file = path.join(dir, 'a.yaml');
    await fs.writeFile(
      file,
      kubeconfig([
        ['one', 'http://127.0.0.1:1', 'ns1'],
        ['two', 'http://127.0.0.1:2'],
      ]),
    );
    const loaded = loadKubeConfig({ kubeconfigPath: file });
    expect(loaded.source).toBe('kubeconfig');
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('http://127.0.0.1:1');
    expect(loaded.namespace).toBe('ns1');
  });

  it('switches to a named context', async () => {
    const file = path.join(dir, 'b.yaml');
    await fs.writeFile(
      file,
      kubeconfig([
        ['one', 'http://127.0.0.1:1'],
        ['two', 'http://127.0.0.1:2'],
      ]),
    );
    const loaded = loadKubeConfig({ kubeconfigPath: file, context: 'two' });
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('http://127.0.0.1:2');
  });

  it('merges several kubeconfig paths joined by the path delimiter', async () => {
    const a = path.join(dir, 'c1.yaml');
    const b = path.join(dir, 'c2.yaml');
    await fs.writeFile(a, kubeconfig([['one', 'http://127.0.0.1:1']]));
    await fs.writeFile(b, kubeconfig([['three', 'http://127.0.0.1:3']]));
    const loaded = loadKubeConfig({ kubeconfigPath: `${a}${path.delimiter}${b}`, context: 'three' });
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('http://127.0.0.1:3');
  });

  it('throws ConfigError naming kube-context for an unknown context', () => {
    expect.assertions(2);
    try {
      loadKubeConfig({ kubeconfigYaml: kubeconfig([['one', 'http://127.0.0.1:1']]), context: 'nope' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe('kube-context');
    }
  });

  it('throws ConfigError naming kubeconfig for a missing file', () => {
    expect(() => loadKubeConfig({ kubeconfigPath: path.join(dir, 'missing.yaml') })).toThrow(ConfigError);
  });

  it('builds an in-cluster config from service host, port and service account files', async () => {
    const sa = path.join(dir, 'sa');
    await fs.mkdir(sa, { recursive: true });
    await fs.writeFile(path.join(sa, 'namespace'), 'kube-system\n');
    const loaded = loadKubeConfig({ inCluster: { host: '10.0.0.1', port: '443', serviceAccountDir: sa } });
    expect(loaded.source).toBe('in-cluster');
    expect(loaded.namespace).toBe('kube-system');
    const cluster = loaded.kubeConfig.getCurrentCluster();
    expect(cluster?.server).toBe('https://10.0.0.1:443');
    expect(cluster?.caFile).toBe(path.join(sa, 'ca.crt'));
  });

  it('brackets an IPv6 in-cluster host', () => {
    const loaded = loadKubeConfig({
      inCluster: { host: 'fd00::1', port: '443', serviceAccountDir: '/nonexistent' },
    });
    expect(loaded.kubeConfig.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect(loaded.namespace).toBeUndefined();
  });

  it('throws ConfigError when there is neither a kubeconfig nor an in-cluster host', () => {
    expect(() => loadKubeConfig({})).toThrow(ConfigError);
  });
});

describe('kubeEdgeUserAgent', () => {
  it('formats kube-edge-<app>/<version>', () => {
    expect(kubeEdgeUserAgent('feed-ingress', '1.2.3')).toBe('kube-edge-feed-ingress/1.2.3');
  });
});
