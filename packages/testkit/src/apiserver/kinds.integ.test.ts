// Every served kind through client-node's generic KubernetesObjectApi (discovery, typed
// (de)serialisation, create/read/list/patch/replace/delete), against the API test server and a
// real kube-apiserver; plus a cluster-wide informer that sees the fake's namespace deletion
// cascade (the real server has no namespace controller to cascade it).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  KubernetesObjectApi,
  ListWatch,
  PatchStrategy,
  Watch,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { fidelityServers, waitFor } from '../../test/apiserver/helpers.js';
import { eventually } from '../util/eventually.js';
import { startApiServer } from './server.js';
import type { ApiServer, ApiServerHandle } from './types.js';

type Sample = KubernetesObject & Record<string, unknown>;
const ns = 'kinds';
const meta = (name: string, namespaced = true): { name: string; namespace?: string } =>
  namespaced ? { name, namespace: ns } : { name };

const samples: [string, boolean, Sample][] = [
  ['Namespace', false, { apiVersion: 'v1', kind: 'Namespace', metadata: meta('k-ns', false) }],
  [
    'Pod',
    true,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('k-pod'),
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
  ],
  [
    'Service',
    true,
    { apiVersion: 'v1', kind: 'Service', metadata: meta('k-svc'), spec: { ports: [{ port: 80 }] } },
  ],
  [
    'Endpoints',
    true,
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: meta('k-svc'),
      subsets: [{ addresses: [{ ip: '10.1.0.1' }], ports: [{ port: 80 }] }],
    },
  ],
  ['Secret', true, { apiVersion: 'v1', kind: 'Secret', metadata: meta('k-secret'), data: { a: 'Yg==' } }],
  ['ConfigMap', true, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('k-cm'), data: { a: 'b' } }],
  [
    'Node',
    false,
    { apiVersion: 'v1', kind: 'Node', metadata: meta('k-node', false), spec: { podCIDR: '10.2.0.0/24' } },
  ],
  [
    'Event (core/v1)',
    true,
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('k-pod.1'),
      involvedObject: { kind: 'Pod', name: 'k-pod', namespace: ns },
      reason: 'Tested',
      message: 'hello',
      type: 'Normal',
      count: 1,
    },
  ],
  [
    'Ingress',
    true,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('k-ing'),
      spec: { rules: [{ host: 'a.example.com' }] },
    },
  ],
  [
    'IngressClass',
    false,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: meta('k-class', false),
      spec: { controller: 'example.com/edge' },
    },
  ],
  [
    'Deployment',
    true,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('k-deploy'),
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    },
  ],
  [
    'DaemonSet',
    true,
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('k-ds'),
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    },
  ],
  [
    'EndpointSlice',
    true,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...meta('k-svc-abc'), labels: { 'kubernetes.io/service-name': 'k-svc' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }],
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  ],
  [
    'Lease',
    true,
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: meta('k-lease'),
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15 },
    },
  ],
  [
    'Event (events.k8s.io/v1)',
    true,
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: meta('k-pod.2'),
      // A MicroTime: six fractional digits (a Date would be sent with three: 400, see below).
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'example.com/edge',
      reportingInstance: 'edge-1',
      action: 'Test',
      reason: 'Tested',
      regarding: { kind: 'Pod', name: 'k-pod', namespace: ns },
      type: 'Normal',
    },
  ],
  [
    'CustomResourceDefinition',
    false,
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: meta('things.kinds.example.com', false),
      spec: {
        group: 'kinds.example.com',
        scope: 'Namespaced',
        names: { plural: 'things', singular: 'thing', kind: 'Thing' },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    },
  ],
  [
    'custom resource',
    true,
    { apiVersion: 'kinds.example.com/v1', kind: 'Thing', metadata: meta('k-thing'), spec: { a: 1 } },
  ],
];

describe.each(fidelityServers())('$name', ({ kind, available, start }) => {
  let server: ApiServerHandle;
  let objects: KubernetesObjectApi;

  (available ? describe : describe.skip)('every kind through client-node KubernetesObjectApi', () => {
    beforeAll(async () => {
      server = await start();
      objects = KubernetesObjectApi.makeApiClient(server.makeKubeConfig());
      await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }, 90_000);

    afterAll(async () => {
      await server?.close();
    });

    it.each(samples)('%s: create, read, list, patch, replace, delete', async (_label, namespaced, sample) => {
      if (sample.apiVersion === 'kinds.example.com/v1') {
        // A real server serves a CRD's resources a moment after it accepted the CRD.
        await eventually(() => objects.list(sample.apiVersion!, sample.kind!, ns), {
          timeoutMs: 10_000,
          what: 'the custom resource to be served',
        });
      }
      const created = await objects.create(sample);
      expect(created.metadata?.uid).toBeDefined();
      expect(created.metadata?.namespace).toBe(namespaced ? ns : undefined);
      const name = sample.metadata!.name!;
      const header = {
        apiVersion: sample.apiVersion!,
        kind: sample.kind!,
        metadata: namespaced ? { name, namespace: ns } : { name },
      };
      const read = await objects.read(header);
      // A real server writes a new CRD's conditions (NamesAccepted, Established) right after.
      if (!(kind === 'real' && sample.kind === 'CustomResourceDefinition'))
        expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
      const list = await objects.list(sample.apiVersion!, sample.kind!, namespaced ? ns : undefined);
      expect(list.items.map((i) => i.metadata?.name)).toContain(sample.metadata?.name);
      const strategy =
        sample.apiVersion === 'kinds.example.com/v1'
          ? PatchStrategy.MergePatch
          : PatchStrategy.StrategicMergePatch;
      const patched = await objects.patch<KubernetesObject>(
        { ...header, metadata: { ...header.metadata, labels: { patched: 'yes' } } },
        undefined,
        undefined,
        undefined,
        undefined,
        strategy,
      );
      expect(patched.metadata?.labels).toMatchObject({ patched: 'yes' });
      const replaced = await objects.replace({
        ...patched,
        metadata: { ...patched.metadata, annotations: { replaced: 'yes' } },
      });
      expect(replaced.metadata?.annotations).toEqual(
        // The real server's DaemonSet strategy keeps its template generation in an annotation.
        kind === 'real' && sample.kind === 'DaemonSet'
          ? { replaced: 'yes', 'deprecated.daemonset.template.generation': expect.any(String) }
          : { replaced: 'yes' },
      );
      expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
        Number(patched.metadata?.resourceVersion),
      );
      if (sample.kind === 'CustomResourceDefinition') return; // kept for the custom resource that follows
      await objects.delete(header);
      if (sample.kind === 'Namespace' && kind === 'real') {
        // No namespace controller on the real server: the namespace stays Terminating (README).
        const terminating = await objects.read(header);
        expect(terminating.metadata?.deletionTimestamp).toBeDefined();
        return;
      }
      if (sample.kind === 'Namespace') {
        await waitFor(
          () =>
            (server as ApiServer).store.get('v1', 'Namespace', undefined, sample.metadata!.name!) ===
            undefined,
        );
      }
      await expect(objects.read(header)).rejects.toMatchObject({ code: 404 });
    });

    it('refuses an Event whose eventTime is not a MicroTime (a Date serialised by client-node: 400)', async () => {
      const event = samples.find(([label]) => label === 'Event (events.k8s.io/v1)')![2];
      for (const eventTime of [new Date('2026-01-01T00:00:00Z'), '2026-01-01T00:00:00Z']) {
        await expect(
          objects.create({ ...event, metadata: { ...event.metadata, name: 'k-pod.3' }, eventTime }),
        ).rejects.toMatchObject({ code: 400 });
      }
    });
  });
});

describe('cluster-wide informer (API test server: it cascades namespace deletion)', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sees every namespace and gets DELETE callbacks when a namespace deletion cascades', async () => {
    const kc = server.makeKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    for (const n of ['cw-a', 'cw-b']) {
      server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
      server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: n } });
    }
    const informer = new ListWatch<V1ConfigMap>(
      '/api/v1/configmaps',
      new Watch(kc),
      () => core.listConfigMapForAllNamespaces({ labelSelector: '' }),
      false,
      undefined,
      undefined,
      { delayFn: (ms) => sleep(Math.min(ms, 50)) },
    );
    const deleted: string[] = [];
    informer.on('delete', (o) => deleted.push(`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await waitFor(() => informer.list('cw-a').length === 1 && informer.list('cw-b').length === 1);
      await waitFor(() => server.openWatches() > 0);
      server.store.delete('v1', 'Namespace', undefined, 'cw-a');
      await waitFor(() => deleted.length === 1);
      expect(deleted).toEqual(['cw-a/x']);
      expect(informer.list('cw-b').map((o) => o.metadata?.name)).toEqual(['x']);
      expect(server.store.get('v1', 'Namespace', undefined, 'cw-a')).toBeUndefined();
    } finally {
      await informer.stop();
    }
  });
});
