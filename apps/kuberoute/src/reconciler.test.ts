import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from '@jest/globals';
import { InMemoryProvider } from '@kube-edge/dns-providers';
import { TerminalError, TransientError, createNoopLogger } from '@kube-edge/runtime';
import { createFakeDnsBackend, type DnsBackend } from './backends.js';
import { buildModel } from './build.js';
import { createReconcileStep, type ReconcileStepOptions } from './reconciler.js';
import type { StateReport } from './model/report.js';
import { modelConfig, node, pod, routeLabels, service } from '../test/fixtures.js';

function model(objects: { services?: V1Service[]; pods?: V1Pod[]; nodes?: V1Node[] }) {
  return buildModel(
    { services: objects.services ?? [], pods: objects.pods ?? [], nodes: objects.nodes ?? [] },
    modelConfig(),
  ).model;
}

function memoryBackend(provider: InMemoryProvider): DnsBackend {
  return { kind: 'skydns', provider: () => provider, close: () => Promise.resolve() };
}

function step(backend: DnsBackend, over: Partial<ReconcileStepOptions> = {}) {
  return createReconcileStep({
    heartbeat: undefined,
    replacements: {},
    backend,
    apiAvailable: () => Promise.resolve(true),
    ...over,
  });
}

const nodes = [node('a', '10.0.0.1'), node('b', '10.0.0.2')];

describe('buildModel', () => {
  it('decides every record and hands the skipped services to the loop with kind, reason and message', () => {
    const built = buildModel(
      {
        services: [
          service('web', routeLabels('www', 'example.com')),
          service('bad', routeLabels('bad', 'example.com', { quota: 'lots' })),
        ],
        pods: [pod('p', 'web', '10.0.0.1')],
        nodes,
      },
      modelConfig(),
    );
    expect(built.model.decisions.map((d) => [d.record.fqdn, d.values])).toEqual([
      ['www.example.com', ['10.0.0.1']],
    ]);
    expect(built.skipped).toEqual([
      expect.objectContaining({ kind: 'Service', namespace: 'default', name: 'bad', reason: 'InvalidQuota' }),
    ]);
  });

  it('decides nothing without nodes (no division by zero)', () => {
    const built = model({ services: [service('web', routeLabels('www', 'example.com'))] });
    expect(built.decisions).toEqual([]);
  });
});

describe('createReconcileStep', () => {
  it('fakedns prints the original line per change and writes nothing', async () => {
    const lines: string[] = [];
    const s = step(createFakeDnsBackend({ print: (l) => lines.push(l), logger: createNoopLogger() }));
    const m = model({
      services: [
        service('web', routeLabels('www', 'example.com')),
        service('fo', routeLabels('fo', 'example.com', { failover: 'f.example.com' })),
      ],
      pods: [pod('p', 'web', '10.0.0.1')],
      nodes,
    });
    await s.update(m);
    expect(s.last()?.outcome).toBe('updated');
    expect(lines.sort()).toEqual([
      "Update dns record (fo.example.com, ['f.example.com'], 60, CNAME)",
      "Update dns record (www.example.com, ['10.0.0.1'], 60, A)",
    ]);
    await s.update(m);
    expect(lines).toHaveLength(4); // nothing remembered: printed again, as the original did
  });

  it('with zero nodes changes nothing, says why and waits for the next change (terminal)', async () => {
    const provider = new InMemoryProvider({
      records: [{ name: 'www.example.com', type: 'A', targets: ['10.0.0.9'], ttl: 60 }],
    });
    const s = step(memoryBackend(provider));
    const update = s.update(model({ services: [service('web', routeLabels('www', 'example.com'))] }));
    await expect(update).rejects.toBeInstanceOf(TerminalError);
    expect(s.last()?.outcome).toBe('no-nodes');
    expect(s.last()?.report).toEqual({ apiserver_available: true, nodes: {}, services: {} });
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
    const s = step(memoryBackend(provider));
    await s.update(
      model({
        services: [service('web', routeLabels('www', 'example.com'))],
        pods: [pod('p', 'web', '10.0.0.2')],
        nodes,
      }),
    );
    expect(s.last()?.applied).toEqual([
      'UPDATE A www.example.com. -> 10.0.0.7 (ttl 60) => A www.example.com. -> 10.0.0.2 (ttl 60)',
    ]);
    const byName = Object.fromEntries((await provider.records()).map((e) => [e.name, e.targets]));
    expect(byName).toEqual({ 'gone.example.com.': ['10.0.0.7'], 'www.example.com.': ['10.0.0.2'] });
  });

  it('without the API server writes no DNS change, reports the last known state as unavailable, and asks for a retry', async () => {
    const provider = new InMemoryProvider();
    const reports: StateReport[] = [];
    let available = true;
    const s = step(memoryBackend(provider), {
      apiAvailable: () => Promise.resolve(available),
      reporter: { key: 'k', put: (r) => Promise.resolve(void reports.push(r)) },
    });
    const m = model({
      services: [service('web', routeLabels('www', 'example.com'))],
      pods: [pod('p', 'web', '10.0.0.1')],
      nodes,
    });
    await s.update(m);
    const before = JSON.stringify(await provider.records());
    available = false;
    await expect(s.update(model({ nodes }))).rejects.toBeInstanceOf(TransientError);
    expect(s.last()?.outcome).toBe('apiserver-unavailable');
    expect(reports.at(-1)).toEqual({ ...reports[0], apiserver_available: false });
    expect(JSON.stringify(await provider.records())).toBe(before);
  });

  it('before any pass reports unavailable with empty nodes and services', async () => {
    const reports: StateReport[] = [];
    const s = step(memoryBackend(new InMemoryProvider()), {
      reporter: { key: 'k', put: (r) => Promise.resolve(void reports.push(r)) },
    });
    expect((await s.reportUnavailable()).outcome).toBe('apiserver-unavailable');
    expect(reports).toEqual([{ apiserver_available: false, nodes: {}, services: {} }]);
  });
});
