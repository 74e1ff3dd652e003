import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient, type KubeClient } from '@kube-edge/k8s-watch';
import type { V1DaemonSet, V1Deployment } from '@kubernetes/client-node';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { eventually, startApiServer, type ApiServer, type KubeObject } from '@kube-edge/testkit';
import { DETACHED, DETACHMENT_TS, loadCrd, maxConcurrent, node, startSimulator } from '../test/cluster.js';
import { run, type App } from './app.js';
import { runHealthChecker, type HealthChecker } from './health-checker.js';
import { DEFAULT_TO_BE_UPDATED_ANNOTATION, FINALIZER, IDS_API_VERSION, NODE_LABEL } from './names.js';
import type { IngressDaemonSet } from './spec.js';

const NS = 'edge';
const HC_DEFAULTS = {
  image: 'ghcr.io/kube-edge/ingress-daemonset-controller:test',
  imagePullPolicy: 'IfNotPresent',
  serviceAccountName: 'hc',
};

function ids(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: IDS_API_VERSION,
    kind: 'IngressDaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      nodeSelector: { ingress: 'true' },
      healthCheckNodePorts: [10080],
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] },
      },
      ...spec,
    },
  };
}

describe('ingress-daemonset-controller against the API test server', () => {
  let server: ApiServer;
  let client: KubeClient;
  const running: { stop(): unknown }[] = [];

  beforeAll(async () => {
    server = await startApiServer();
    server.store.create(loadCrd());
    server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    client = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  });
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    for (const d of server.store.list('apps/v1', 'Deployment', NS))
      server.store.delete('apps/v1', 'Deployment', NS, d.metadata.name ?? '');
    for (const o of server.store.list(IDS_API_VERSION, 'IngressDaemonSet', NS))
      server.store.patchMerge(IDS_API_VERSION, 'IngressDaemonSet', NS, o.metadata.name ?? '', {
        metadata: { finalizers: null },
      });
    for (const o of server.store.list(IDS_API_VERSION, 'IngressDaemonSet', NS))
      server.store.delete(IDS_API_VERSION, 'IngressDaemonSet', NS, o.metadata.name ?? '');
    for (const n of server.store.list('v1', 'Node'))
      server.store.delete('v1', 'Node', undefined, n.metadata.name ?? '');
  });
  afterAll(async () => {
    await server?.close();
  });

  async function startController(stallAfterMs = 60_000): Promise<App> {
    const app = await run(
      {
        namespaces: [],
        healthChecker: HC_DEFAULTS,
        stallAfterMs,
        healthPort: 0,
        healthHost: '127.0.0.1',
        leaderElection: { namespace: NS, name: 'ids-controller', identity: 'test-1' },
      },
      {
        logger: createNoopLogger(),
        kubeClient: client,
        metrics: createMetrics({ prefix: 'ingress_daemonset_controller', collectDefaultMetrics: false }),
      },
    );
    running.push(app);
    await app.ready;
    return app;
  }

  async function startChecker(nodeName: string, idsName: string): Promise<HealthChecker> {
    const hc = await runHealthChecker(
      { namespace: NS, host: '127.0.0.1', port: 0, ingressDaemonSet: idsName, node: nodeName },
      {
        logger: createNoopLogger(),
        kubeClient: client,
        metrics: createMetrics({ prefix: 'hc', collectDefaultMetrics: false }),
      },
    );
    running.push(hc);
    return hc;
  }
  const ok = async (hc: HealthChecker): Promise<number> => (await fetch(`${hc.url}/ok`)).status;

  const deployments = (): V1Deployment[] =>
    (server.store.list('apps/v1', 'Deployment', NS) as unknown as V1Deployment[]).filter(
      (d) => d.metadata?.deletionTimestamp === undefined,
    );
  const nodesOf = (ds: V1Deployment[]): string[] =>
    ds.map((d) => d.spec?.template.spec?.nodeName ?? '').sort();
  const idsObj = (name: string): IngressDaemonSet =>
    server.store.get(IDS_API_VERSION, 'IngressDaemonSet', NS, name) as unknown as IngressDaemonSet;

  it('creates one pinned Deployment per matching node and the health-checker DaemonSet; Deployments follow nodes', async () => {
    const sim = startSimulator(server, client);
    running.push(sim);
    for (const n of ['n1', 'n2', 'n3']) server.store.create(node(n, { ingress: 'true' }));
    server.store.create(node('other'));
    server.store.create(ids('web', { podsPerNode: 2 }));
    await startController();

    await eventually(() => expect(nodesOf(deployments())).toEqual(['n1', 'n2', 'n3']), {
      what: 'a Deployment per node',
    });
    const d1 = deployments().find((d) => d.metadata?.name === 'web-n1');
    expect(d1?.spec?.replicas).toBe(2);
    expect(d1?.spec?.template.spec?.nodeName).toBe('n1');
    expect(d1?.spec?.template.metadata?.labels).toEqual({ app: 'nginx', [NODE_LABEL]: 'web-n1' });
    expect(d1?.spec?.selector.matchLabels).toEqual({ [NODE_LABEL]: 'web-n1' });
    expect(d1?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'IngressDaemonSet',
      name: 'web',
      controller: true,
    });
    const ds = server.store.get('apps/v1', 'DaemonSet', NS, 'web-10080') as V1DaemonSet | undefined;
    expect(ds?.spec?.template.spec?.hostNetwork).toBe(true);
    expect(ds?.spec?.template.spec?.containers[0]?.args).toContain('--healthcheck-addr=:10080');
    expect(idsObj('web').metadata.finalizers).toContain(FINALIZER);
    await eventually(() =>
      expect(idsObj('web').status).toMatchObject({ desiredNodes: 3, readyNodes: 3, updatedNodes: 3 }),
    );

    // A node joins, one stops matching, one leaves.
    server.store.create(node('n4', { ingress: 'true' }));
    server.store.patchMerge('v1', 'Node', undefined, 'n2', { metadata: { labels: { ingress: null } } });
    server.store.delete('v1', 'Node', undefined, 'n3');
    await eventually(() => expect(nodesOf(deployments())).toEqual(['n1', 'n4']), {
      what: 'Deployments to follow the nodes',
    });
    await eventually(() => expect(idsObj('web').status).toMatchObject({ desiredNodes: 2, readyNodes: 2 }));
    expect(sim.log()).toEqual(
      expect.arrayContaining(['create n1', 'create n2', 'create n3', 'create n4', 'delete n2', 'delete n3']),
    );

    // A new port replaces the DaemonSet; deleting the IngressDaemonSet removes every child, then the finalizer.
    server.store.patchMerge(IDS_API_VERSION, 'IngressDaemonSet', NS, 'web', {
      spec: { healthCheckNodePorts: [10081] },
    });
    await eventually(() => {
      expect(server.store.get('apps/v1', 'DaemonSet', NS, 'web-10081')).toBeDefined();
      expect(server.store.get('apps/v1', 'DaemonSet', NS, 'web-10080')).toBeUndefined();
    });
    server.store.delete(IDS_API_VERSION, 'IngressDaemonSet', NS, 'web');
    await eventually(
      () => expect(server.store.get(IDS_API_VERSION, 'IngressDaemonSet', NS, 'web')).toBeUndefined(),
      {
        what: 'the finalizer to be removed after the children went',
      },
    );
    expect(deployments()).toEqual([]);
    expect(server.store.list('apps/v1', 'DaemonSet', NS)).toEqual([]);
  });

  it('mode B: a template change updates at most maxDegradedNodes nodes at once, in node order; health checks follow', async () => {
    const sim = startSimulator(server, client);
    running.push(sim);
    const nodes = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const n of nodes) server.store.create(node(n, { ingress: 'true' }));
    server.store.create(
      ids('b', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxDegradedNodes: 2 } } }),
    );
    const app = await startController();
    await eventually(() => expect(idsObj('b').status).toMatchObject({ readyNodes: 5 }), {
      what: 'all nodes ready',
    });
    const hc1 = await startChecker('b1', 'b');
    const hc3 = await startChecker('b3', 'b');
    await eventually(async () => expect([await ok(hc1), await ok(hc3)]).toEqual([200, 200]));

    sim.hold(...nodes);
    server.store.patchMerge(IDS_API_VERSION, 'IngressDaemonSet', NS, 'b', {
      spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } },
    });
    await eventually(() => expect(sim.pendingNodes()).toEqual(['b1', 'b2']), {
      what: 'the first two nodes to roll',
    });
    await app.drained();
    expect(sim.pendingNodes()).toEqual(['b1', 'b2']);
    await eventually(async () => expect([await ok(hc1), await ok(hc3)]).toEqual([503, 200]));
    const body = await (await fetch(`${hc1.url}/ok`)).text();
    expect(body).toContain(DEFAULT_TO_BE_UPDATED_ANNOTATION);
    expect(idsObj('b').status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'RollingUpdate',
    });

    sim.release('b1');
    await eventually(() => expect(sim.pendingNodes()).toEqual(['b2', 'b3']), {
      what: 'b3 to start after b1 finished',
    });
    await eventually(async () => expect([await ok(hc1), await ok(hc3)]).toEqual([200, 503]));
    for (const n of nodes) sim.release(n);
    await eventually(
      () => expect(idsObj('b').status).toMatchObject({ updatedNodes: 5, readyNodes: 5, updatingNodes: 0 }),
      { what: 'the rollout to finish' },
    );
    await eventually(async () => expect([await ok(hc1), await ok(hc3)]).toEqual([200, 200]));

    const log = sim.log().filter((l) => /^(update|mark|unmark|available) /.test(l));
    expect(log.filter((l) => l.startsWith('update ')).map((l) => l.slice(7))).toEqual(nodes);
    expect(maxConcurrent(log, 'mark', 'unmark')).toBe(2);
    for (const n of nodes) {
      const i = (s: string): number => log.indexOf(`${s} ${n}`);
      expect(i('mark')).toBeLessThanOrEqual(i('update'));
      expect(i('update')).toBeLessThan(log.lastIndexOf(`available ${n}`));
      expect(log.lastIndexOf(`available ${n}`)).toBeLessThan(i('unmark'));
    }
    expect(deployments().every((d) => d.spec?.template.spec?.containers[0]?.image === 'nginx:2')).toBe(true);
  });

  it('mode A: detaches each node first, waits for the detachment timestamp plus grace, updates, re-attaches', async () => {
    const sim = startSimulator(server, client, { detacher: true });
    running.push(sim);
    const nodes = ['a1', 'a2', 'a3'];
    for (const n of nodes) server.store.create(node(n, { ingress: 'true' }));
    server.store.create(
      ids('a', {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailableNodes: 1,
            annotateNodeToDetach: { key: DETACHED, value: 'true' },
            waitForDetachmentByAnnotatedTimestamp: {
              key: DETACHMENT_TS,
              format: 'RFC3339',
              gracePeriodSeconds: 1,
            },
          },
        },
      }),
    );
    await startController();
    await eventually(() => expect(idsObj('a').status).toMatchObject({ readyNodes: 3 }), {
      what: 'all nodes ready',
    });
    const hc2 = await startChecker('a2', 'a');
    await eventually(async () => expect(await ok(hc2)).toBe(200), { what: 'the health-checker to sync' });
    const answers: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const s = await ok(hc2);
        if (answers.at(-1) !== s) answers.push(s);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    const generation = server.store.patchMerge(IDS_API_VERSION, 'IngressDaemonSet', NS, 'a', {
      spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } },
    }).metadata.generation;
    await eventually(
      () =>
        expect(idsObj('a').status).toMatchObject({
          observedGeneration: generation,
          updatedNodes: 3,
          readyNodes: 3,
          updatingNodes: 0,
        }),
      { what: 'the detach-first rollout to finish', timeoutMs: 20_000 },
    );
    await eventually(() => expect(answers.at(-1)).toBe(200));
    polling = false;
    await poller;
    // Each node was updated no sooner than its detachment timestamp plus the grace period.
    for (const n of nodes)
      expect(sim.timeOf(`update ${n}`)).toBeGreaterThanOrEqual((sim.detachedAt(n) ?? Infinity) + 1000);
    const all = sim.log().filter((l) => /^(update|mark|unmark|available|annotate|unannotate) /.test(l));
    const log = all.slice(all.findIndex((l) => l.startsWith('mark ')));
    const per = (n: string): string[] =>
      log
        .filter((l) => l.endsWith(` ${n}`))
        .map((l) => l.split(' ')[0] ?? '')
        .filter((v, i, a) => a.indexOf(v) === i);
    for (const n of nodes)
      expect(per(n)).toEqual(['mark', 'annotate', 'update', 'available', 'unannotate', 'unmark']);
    expect(maxConcurrent(log, 'annotate', 'unannotate')).toBe(1);
    expect(log.filter((l) => l.startsWith('annotate ')).map((l) => l.slice(9))).toEqual(nodes);
    expect(answers).toEqual([200, 503, 200]);
    // The node annotations are gone, so node-detacher re-attaches.
    for (const n of nodes)
      expect(server.store.get('v1', 'Node', undefined, n)?.metadata.annotations?.[DETACHED]).toBeUndefined();
  });

  it('reports a stalled rollout with a condition and a Warning Event instead of waiting silently', async () => {
    const sim = startSimulator(server, client);
    running.push(sim);
    server.store.create(node('s1', { ingress: 'true' }));
    server.store.create(
      ids('s', {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxDegradedNodes: 1, maxUnavaiablePodsPerNode: 3 },
        },
      }),
    );
    await startController(1_000);
    await eventually(() => expect(idsObj('s').status).toMatchObject({ readyNodes: 1 }));
    sim.hold('s1');
    server.store.patchMerge(IDS_API_VERSION, 'IngressDaemonSet', NS, 's', {
      spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:3' }] } } },
    });
    const progressing = await eventually(
      () => {
        const c = idsObj('s').status?.conditions?.find((x) => x.type === 'Progressing');
        if (c?.reason !== 'RolloutStalled') return false;
        return c;
      },
      { what: 'the stalled condition', timeoutMs: 8_000 },
    );
    expect(progressing).toMatchObject({ status: 'False' });
    expect(progressing.message).toContain('s1');
    const events = await eventually(() => {
      const e = server.store
        .list('v1', 'Event', NS)
        .map((x) => x as unknown as { reason: string; type: string; message: string });
      const reasons = e.map((x) => x.reason);
      return reasons.includes('RolloutStalled') && reasons.includes('UnknownField') ? e : false;
    });
    expect(events.find((e) => e.reason === 'RolloutStalled')).toMatchObject({ type: 'Warning' });
    expect(events.find((e) => e.reason === 'UnknownField')?.message).toContain('maxUnavaiablePodsPerNode');
    sim.release('s1');
    await eventually(() =>
      expect(idsObj('s').status?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe(
        'RolloutComplete',
      ),
    );
  });

  it('reports an invalid spec in status and a name taken by an unmanaged Deployment as NameConflict, touching neither', async () => {
    server.store.create(node('c1', { ingress: 'true' }));
    // An unlabelled Deployment where the controller would create `taken-c1`: not ours to change.
    server.store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'taken-c1', namespace: NS },
      spec: {
        selector: { matchLabels: { app: 'other' } },
        template: {
          metadata: { labels: { app: 'other' } },
          spec: { containers: [{ name: 'other', image: 'other:1' }] },
        },
      },
    });
    server.store.create(ids('taken', {}));
    server.store.create(ids('bad', { podsPerNode: -1 }));
    await startController();

    const invalid = await eventually(
      () => idsObj('bad').status?.conditions?.find((c) => c.reason === 'InvalidSpec') ?? false,
      { what: 'the InvalidSpec condition' },
    );
    expect(invalid).toMatchObject({ type: 'Progressing', status: 'False' });
    expect(invalid.message).toContain('spec.podsPerNode');
    expect(deployments().filter((d) => d.metadata?.name === 'bad-c1')).toEqual([]);

    const conflict = await eventually(
      () =>
        server.store
          .list('v1', 'Event', NS)
          .map((x) => x as unknown as { reason: string; type: string; message: string })
          .find((e) => e.reason === 'NameConflict' && e.message.includes('taken-c1')) ?? false,
      { what: 'a NameConflict Event' },
    );
    expect(conflict.type).toBe('Warning');
    const taken = server.store.get('apps/v1', 'Deployment', NS, 'taken-c1') as unknown as V1Deployment;
    expect(taken.spec?.template.spec?.containers[0]?.image).toBe('other:1');
    expect(taken.metadata?.ownerReferences).toBeUndefined();
  });
});
