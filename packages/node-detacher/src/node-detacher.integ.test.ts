import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createKubeClient, type KubeClient } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import {
  createFakeAws,
  eventually,
  startApiServer,
  type ApiServer,
  type FakeAws,
  type KubeObject,
} from '@kube-edge/testkit';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { fileURLToPath } from 'node:url';
import type { Attachment } from './attachment.js';
import {
  ATTACHMENT_TIMESTAMP_ANNOTATION,
  DELETION_PRIORITY_ANNOTATION,
  DETACHING_ANNOTATION,
  DETACHING_TAINT,
  DETACHMENT_TIMESTAMP_ANNOTATION,
  DISABLE_EVICTION_ANNOTATION,
  EXCLUDE_BALANCER_LABEL,
} from './names.js';
import { runNodeDetacher, type NodeDetacherConfig, type NodeDetacherHandle } from './node-detacher.js';

const NS = 'node-detacher';
const ID = 'i-0123456789abcdef0';
const OTHER = 'i-0fedcba9876543210';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CRD = fileURLToPath(new URL('../crds/attachment.yaml', import.meta.url));

let server: ApiServer;
let kube: KubeClient;
let fake: FakeAws;
let elb: ElasticLoadBalancingClient;
let elbv2: ElasticLoadBalancingV2Client;
const running: NodeDetacherHandle[] = [];

beforeAll(async () => {
  server = await startApiServer();
  server.store.loadYaml(CRD);
  server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  kube = createKubeClient({ kubeConfig: server.makeKubeConfig() });
  fake = await createFakeAws();
  elb = new ElasticLoadBalancingClient(fake.clientConfig());
  elbv2 = new ElasticLoadBalancingV2Client(fake.clientConfig());
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});
afterAll(async () => {
  elb.destroy();
  elbv2.destroy();
  await fake.close();
  await server.close();
});
beforeEach(() => {
  for (const lb of fake.elb.loadBalancers()) fake.elb.deleteLoadBalancer(lb.name);
  for (const tg of fake.elbv2.targetGroups()) fake.elbv2.deleteTargetGroup(tg.arn);
  fake.clearFaults();
  fake.resetCalls();
  for (const n of server.store.list<KubeObject>('v1', 'Node'))
    server.store.delete('v1', 'Node', undefined, n.metadata.name ?? '');
  for (const a of server.store.list<KubeObject>('node-detacher.variant.run/v1alpha1', 'Attachment', NS))
    server.store.delete('node-detacher.variant.run/v1alpha1', 'Attachment', NS, a.metadata.name ?? '');
});

async function start(config: Partial<NodeDetacherConfig> = {}): Promise<NodeDetacherHandle> {
  const h = await runNodeDetacher(
    {
      namespace: NS,
      http: { host: '127.0.0.1', port: 0 },
      baseRetryDelayMs: 10,
      maxRetryDelayMs: 100,
      podPollMs: 50,
      ...config,
    },
    {
      logger: createNoopLogger(),
      kubeClient: kube,
      metrics: createMetrics({ prefix: 'node_detacher' }),
      elb,
      elbv2,
    },
  );
  running.push(h);
  await h.ready;
  return h;
}

function createNode(name: string, providerId?: string): void {
  server.store.create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: providerId === undefined ? {} : { providerID: providerId },
  });
}
const node = (name: string): V1Node =>
  server.store.get<KubeObject>('v1', 'Node', undefined, name) as unknown as V1Node;
const attachment = (name: string): Attachment | undefined =>
  server.store.get<KubeObject>('node-detacher.variant.run/v1alpha1', 'Attachment', NS, name) as
    Attachment | undefined;
const cordon = (name: string, on: boolean): void => {
  server.store.patchMerge('v1', 'Node', undefined, name, { spec: { unschedulable: on ? true : null } });
};
const eventReasons = (name: string): string[] =>
  server.store
    .list<KubeObject & { involvedObject?: { name?: string }; reason?: string }>('v1', 'Event')
    .filter((e) => e.involvedObject?.name === name)
    .map((e) => e.reason ?? '');

/** One classic ELB and two target groups holding ID (and OTHER, which must stay). */
function seedAws(): { tg1: string; tg2: string } {
  fake.elb.createLoadBalancer({ name: 'clb', instances: [ID, OTHER] });
  const tg1 = fake.elbv2.createTargetGroup({
    name: 'tg1',
    port: 80,
    targets: [{ id: ID }, { id: OTHER }],
  }).arn;
  const tg2 = fake.elbv2.createTargetGroup({ name: 'tg2', port: 80, targets: [{ id: ID, port: 8080 }] }).arn;
  fake.elbv2.createTargetGroup({ name: 'ip', targetType: 'ip', targets: [{ id: '10.0.0.9' }] });
  return { tg1, tg2 };
}

describe('runNodeDetacher against the API test server and the ELB/ELBv2 fakes', () => {
  it('cordon: deregistered from the ELB and target groups, then marked in one patch; uncordon: registered again', async () => {
    const { tg1, tg2 } = seedAws();
    createNode('n1', `aws:///eu-west-1a/${ID}`);
    const h = await start();
    // A schedulable node costs nothing: no AWS write, no Attachment, no node write.
    expect(fake.calls('elb').concat(fake.calls('elbv2'))).toEqual([]);
    expect(attachment('n1')).toBeUndefined();

    server.clearRequests();
    cordon('n1', true);
    await eventually(() => node('n1').metadata?.annotations?.[DETACHING_ANNOTATION] === 'true');
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual([]);
    expect(fake.elb.loadBalancer('clb')?.instances).toEqual([OTHER]);
    expect(fake.elbv2.targetGroupsWithTarget(ID)).toEqual([]);
    expect(fake.elbv2.targetsOf(tg1)).toEqual([{ id: OTHER, port: 80 }]);
    const n = node('n1');
    expect(n.metadata?.annotations?.[DETACHMENT_TIMESTAMP_ANNOTATION]).toMatch(RFC3339);
    expect(n.metadata?.annotations?.[ATTACHMENT_TIMESTAMP_ANNOTATION]).toBeUndefined();
    expect(n.metadata?.labels?.[EXCLUDE_BALANCER_LABEL]).toBe('true');
    expect(n.spec?.taints).toEqual([{ key: DETACHING_TAINT, value: 'node-detacher', effect: 'NoSchedule' }]);
    const nodePatches = server
      .requests()
      .filter((r) => r.method === 'PATCH' && r.path === '/api/v1/nodes/n1');
    expect(nodePatches).toHaveLength(1);
    expect(attachment('n1')?.spec).toEqual({
      nodeName: 'n1',
      awsLoadBalancers: [{ name: 'clb', detached: true }],
      awsTargets: [
        { arn: tg1, port: 80, detached: true },
        { arn: tg2, port: 8080, detached: true },
      ].sort((a, b) => (a.arn < b.arn ? -1 : 1)),
    });
    expect(attachment('n1')?.status?.phase).toBe('Detached');
    await h.drained(); // the reconcile that wrote the marks has recorded its Event
    await h.events.flush();
    expect(eventReasons('n1')).toContain('NodeBeingDetached');

    // Detached and unchanged: a reconcile writes nothing anywhere.
    fake.resetCalls();
    server.clearRequests();
    h.enqueue('n1');
    await h.waitForKey('n1');
    expect(fake.calls('elb').concat(fake.calls('elbv2'))).toEqual([]);
    expect(server.requests().filter((r) => r.method !== 'GET')).toEqual([]);

    cordon('n1', false);
    await eventually(() => node('n1').metadata?.annotations?.[DETACHING_ANNOTATION] === 'false');
    expect(fake.elb.loadBalancer('clb')?.instances).toEqual([ID, OTHER].sort());
    expect(fake.elbv2.targetsOf(tg1)).toEqual([
      { id: ID, port: 80 },
      { id: OTHER, port: 80 },
    ]);
    expect(fake.elbv2.targetsOf(tg2)).toEqual([{ id: ID, port: 8080 }]);
    const back = node('n1');
    expect(back.metadata?.annotations?.[ATTACHMENT_TIMESTAMP_ANNOTATION]).toMatch(RFC3339);
    expect(back.metadata?.annotations?.[DETACHMENT_TIMESTAMP_ANNOTATION]).toBeUndefined();
    expect(back.metadata?.labels?.[EXCLUDE_BALANCER_LABEL]).toBeUndefined();
    expect(back.spec?.taints ?? []).toEqual([]);
    expect(attachment('n1')?.status?.phase).toBe('Attached');
    await h.drained();
    await h.events.flush();
    expect(eventReasons('n1')).toContain('NodeDetatching');
  });

  it('the detached annotation and the autoscaler taint detach; a custom taint does not unless listed', async () => {
    fake.elb.createLoadBalancer({ name: 'clb', instances: [ID] });
    createNode('n2', `aws:///eu-west-1a/${ID}`);
    const h = await start({ triggerTaints: ['ToBeDeletedByClusterAutoscaler', 'example.com/drain'] });
    const seen = h.waitForKey('n2');
    server.store.patchMerge('v1', 'Node', undefined, 'n2', {
      spec: { taints: [{ key: 'dedicated', value: 'ingress', effect: 'NoSchedule' }] },
    });
    expect((await seen).result).toBe('success');
    expect(node('n2').metadata?.annotations?.[DETACHING_ANNOTATION]).toBeUndefined();
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual(['clb']);
    server.store.patchMerge('v1', 'Node', undefined, 'n2', {
      spec: { taints: [{ key: 'example.com/drain', effect: 'NoExecute' }] },
    });
    await eventually(() => node('n2').metadata?.annotations?.[DETACHING_ANNOTATION] === 'true');
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual([]);
    server.store.patchMerge('v1', 'Node', undefined, 'n2', {
      metadata: { annotations: { 'node-detacher.variant.run/detached': '' } },
      spec: { taints: null },
    });
    await eventually(() => node('n2').spec?.taints?.[0]?.key === DETACHING_TAINT);
    server.store.patchMerge('v1', 'Node', undefined, 'n2', {
      metadata: { annotations: { 'node-detacher.variant.run/detached': null } },
    });
    await eventually(() => node('n2').metadata?.annotations?.[DETACHING_ANNOTATION] === 'false');
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual(['clb']);
  });

  it('a crash between deregistering and marking: the next controller finishes the job from the Attachment', async () => {
    const { tg1, tg2 } = seedAws();
    createNode('n3', `aws:///eu-west-1a/${ID}`);
    // Long retry delays: after the failure the first controller does nothing more before it stops.
    const first = await start({ baseRetryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    fake.failNext('elbv2', { action: 'DeregisterTargets', code: 'AccessDenied', status: 403 });
    const failed = first.waitForKey('n3', (r) => r.result !== 'success');
    cordon('n3', true);
    await failed;
    await first.stop();
    // Mid-way: the classic ELB is done, the target groups are not, the node is not marked yet.
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual([]);
    expect(fake.elbv2.targetGroupsWithTarget(ID).length).toBeGreaterThan(0);
    expect(node('n3').metadata?.annotations?.[DETACHING_ANNOTATION]).toBeUndefined();
    expect(attachment('n3')?.status?.phase).toBe('Detaching');
    expect(attachment('n3')?.spec.awsLoadBalancers).toEqual([{ name: 'clb', detached: false }]);

    await start();
    await eventually(() => node('n3').metadata?.annotations?.[DETACHING_ANNOTATION] === 'true');
    expect(fake.elbv2.targetGroupsWithTarget(ID)).toEqual([]);
    expect(attachment('n3')?.status?.phase).toBe('Detached');
    // The classic ELB no longer lists the instance, yet it is remembered and put back.
    cordon('n3', false);
    await eventually(() => node('n3').metadata?.annotations?.[DETACHING_ANNOTATION] === 'false');
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual(['clb']);
    expect(fake.elbv2.targetGroupsWithTarget(ID).sort()).toEqual([tg1, tg2].sort());
  });

  it('a crash between re-registering and marking: the next reconcile finishes the re-attach', async () => {
    seedAws();
    createNode('n4', `aws:///eu-west-1a/${ID}`);
    const h = await start();
    cordon('n4', true);
    await eventually(() => node('n4').metadata?.annotations?.[DETACHING_ANNOTATION] === 'true');
    server.faults.failNext(1, 500, { method: 'PATCH', pathIncludes: '/api/v1/nodes/n4' });
    const failed = h.waitForKey('n4', (r) => r.result === 'error');
    cordon('n4', false);
    await failed;
    await eventually(() => node('n4').metadata?.annotations?.[DETACHING_ANNOTATION] === 'false');
    expect(fake.elb.loadBalancersWithInstance(ID)).toEqual(['clb']);
    expect(node('n4').spec?.taints ?? []).toEqual([]);
  });
});

describe('ordered eviction', () => {
  const POD_NS = 'apps';
  beforeAll(() => {
    server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: POD_NS } });
  });
  function createPod(
    name: string,
    nodeName: string,
    annotations: Record<string, string>,
    finalizer = false,
  ): void {
    server.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: POD_NS, annotations, ...(finalizer ? { finalizers: ['test/hold'] } : {}) },
      spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
    });
  }
  const pod = (name: string): V1Pod | undefined =>
    server.store.get<KubeObject>('v1', 'Pod', POD_NS, name) as V1Pod | undefined;

  it('evicts annotated pods highest priority first, one group at a time, through the Eviction API', async () => {
    createNode('e1'); // no instance id: no AWS, markers and eviction only
    createPod('log-shipper', 'e1', { [DELETION_PRIORITY_ANNOTATION]: '1' });
    createPod('ingress-a', 'e1', { [DELETION_PRIORITY_ANNOTATION]: '10' }, true);
    createPod('ingress-b', 'e1', {
      [DELETION_PRIORITY_ANNOTATION]: '10',
      [DISABLE_EVICTION_ANNOTATION]: 'true',
    });
    createPod('app', 'e1', {});
    createPod('bad', 'e1', { [DELETION_PRIORITY_ANNOTATION]: 'high' });
    createPod('elsewhere', 'other-node', { [DELETION_PRIORITY_ANNOTATION]: '99' });
    const h = await start();
    server.clearRequests();
    cordon('e1', true);
    await eventually(
      () => pod('ingress-a')?.metadata?.deletionTimestamp !== undefined && pod('ingress-b') === undefined,
    );
    // The priority-10 group is not gone yet (ingress-a is held by a finalizer): priority 1 waits.
    await h.waitForKey('e1');
    await h.waitForKey('e1');
    expect(pod('log-shipper')).toBeDefined();
    const writes = server
      .requests()
      .filter((r) => r.path.startsWith(`/api/v1/namespaces/${POD_NS}/pods/`) && r.method !== 'GET')
      .map((r) => `${r.method} ${r.path.split('/').slice(6).join('/')}`);
    expect(writes).toEqual(['POST ingress-a/eviction', 'DELETE ingress-b']);

    server.store.patchMerge('v1', 'Pod', POD_NS, 'ingress-a', { metadata: { finalizers: null } });
    await eventually(() => pod('log-shipper') === undefined);
    expect(pod('app')).toBeDefined();
    expect(pod('bad')).toBeDefined();
    expect(pod('elsewhere')).toBeDefined();
    await h.events.flush();
    await eventually(() =>
      server.store
        .list<KubeObject & { involvedObject?: { name?: string }; reason?: string }>('v1', 'Event', POD_NS)
        .some((e) => e.involvedObject?.name === 'bad' && e.reason === 'InvalidDeletionPriority'),
    );
  });

  it('does not evict when only the detached annotation asks for the detachment', async () => {
    createNode('e2');
    createPod('p', 'e2', { [DELETION_PRIORITY_ANNOTATION]: '5' });
    await start();
    server.store.patchMerge('v1', 'Node', undefined, 'e2', {
      metadata: { annotations: { 'node-detacher.variant.run/detached': 'true' } },
    });
    await eventually(() => node('e2').metadata?.annotations?.[DETACHMENT_TIMESTAMP_ANNOTATION] !== undefined);
    expect(pod('p')).toBeDefined();
    expect(server.requests().some((r) => r.path.endsWith('/pods/p/eviction'))).toBe(false);
  });
});
