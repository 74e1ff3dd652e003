import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from '@jest/globals';
import { InMemoryProvider } from '@kube-edge/dns-providers';
import { createStaticLister } from '@kube-edge/k8s-watch';
import { createNoopLogger, type Logger } from '@kube-edge/runtime';
import { createFakeDnsBackend, type DnsBackend } from './backends.js';
import { createReconciler } from './reconciler.js';
import { modelConfig, node, pod, routeLabels, service } from '../test/fixtures.js';

function listers(objects: { services?: V1Service[]; pods?: V1Pod[]; nodes?: V1Node[] }) {
  return {
    services: createStaticLister<V1Service>(objects.services ?? []),
    pods: createStaticLister<V1Pod>(objects.pods ?? []),
    nodes: createStaticLister<V1Node>(objects.nodes ?? []),
  };
}

function memoryBackend(provider: InMemoryProvider): DnsBackend {
  return { kind: 'skydns', provider: () => provider, close: () => Promise.resolve() };
}

function capturingLogger(lines: { level: string; message: string }[]): Logger {
  const log =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const logger: Logger = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: () => logger,
  };
  return logger;
}

const nodes = [node('a', '10.0.0.1'), node('b', '10.0.0.2')];

describe('createReconciler', () => {
  it('fakedns prints the original line per change and writes nothing', async () => {
    const lines: string[] = [];
    const r = createReconciler({
      model: modelConfig(),
      heartbeat: undefined,
      ...listers({
        services: [
          service('web', routeLabels('www', 'example.com')),
          service('fo', routeLabels('fo', 'example.com', { failover: 'f.example.com' })),
        ],
        pods: [pod('p', 'web', '10.0.0.1')],
        nodes,
      }),
      backend: createFakeDnsBackend({ print: (l) => lines.push(l), logger: createNoopLogger() }),
      apiAvailable: () => Promise.resolve(true),
    });
    const result = await r.reconcile();
    expect(result.outcome).toBe('updated');
    expect(lines.sort()).toEqual([
      "Update dns record (fo.example.com, ['f.example.com'], 60, CNAME)",
      "Update dns record (www.example.com, ['10.0.0.1'], 60, A)",
    ]);
    await r.reconcile();
    expect(lines).toHaveLength(4); // nothing remembered: printed again, as the original did
  });

  it('with zero nodes changes nothing and says why, instead of dividing by zero', async () => {
    const provider = new InMemoryProvider({
      records: [{ name: 'www.example.com', type: 'A', targets: ['10.0.0.9'], ttl: 60 }],
    });
    const r = createReconciler({
      model: modelConfig(),
      heartbeat: undefined,
      ...listers({ services: [service('web', routeLabels('www', 'example.com'))] }),
      backend: memoryBackend(provider),
      apiAvailable: () => Promise.resolve(true),
    });
    const result = await r.reconcile();
    expect(result.outcome).toBe('no-nodes');
    expect(result.report).toEqual({ apiserver_available: true, nodes: {}, services: {} });
    expect(await provider.records()).toEqual([
      expect.objectContaining({ name: 'www.example.com.', targets: ['10.0.0.9'] }),
    ]);
  });

  it('never deletes the record of a service that no longer exists (as the original), but does update computed names', async () => {
    const provider = new InMemoryProvider({
      records: [
        { name: 'gone.example.com', type: 'A', targets: ['10.0.0.7'], ttl: 60 },
        { name: 'www.example.com', type: 'A', targets: ['10.0.0.7'], ttl: 60 },
      ],
    });
    const r = createReconciler({
      model: modelConfig(),
      heartbeat: undefined,
      ...listers({
        services: [service('web', routeLabels('www', 'example.com'))],
        pods: [pod('p', 'web', '10.0.0.2')],
        nodes,
      }),
      backend: memoryBackend(provider),
      apiAvailable: () => Promise.resolve(true),
    });
    expect((await r.reconcile()).applied).toEqual([
      'UPDATE A www.example.com. -> 10.0.0.7 (ttl 60) => A www.example.com. -> 10.0.0.2 (ttl 60)',
    ]);
    const byName = Object.fromEntries((await provider.records()).map((e) => [e.name, e.targets]));
    expect(byName).toEqual({ 'gone.example.com.': ['10.0.0.7'], 'www.example.com.': ['10.0.0.2'] });
  });

  it('warns about a skipped service once, not on every pass', async () => {
    const logs: { level: string; message: string }[] = [];
    const r = createReconciler({
      model: modelConfig(),
      heartbeat: undefined,
      ...listers({ services: [service('web', routeLabels('www', 'example.com', { quota: 'lots' }))], nodes }),
      backend: memoryBackend(new InMemoryProvider()),
      apiAvailable: () => Promise.resolve(true),
      logger: capturingLogger(logs),
    });
    await r.reconcile();
    await r.reconcile();
    expect(logs.filter((l) => l.message === 'object skipped')).toHaveLength(1);
    expect(r.last()?.skipped.map((s) => s.reason)).toEqual(['InvalidQuota']);
  });

  it('runs concurrent reconciles one after another', async () => {
    let running = 0;
    let maxRunning = 0;
    const r = createReconciler({
      model: modelConfig(),
      heartbeat: undefined,
      ...listers({ nodes }),
      backend: memoryBackend(new InMemoryProvider()),
      apiAvailable: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((res) => setTimeout(res, 10));
        running -= 1;
        return true;
      },
    });
    await Promise.all([r.reconcile(), r.reconcile(), r.reconcile()]);
    expect(maxRunning).toBe(1);
  });
});
