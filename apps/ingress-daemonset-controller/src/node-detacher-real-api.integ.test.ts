import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createKubeClient } from '@kube-edge/k8s-watch';
import {
  DELETION_PRIORITY_ANNOTATION,
  DETACHING_ANNOTATION,
  runNodeDetacher,
  type NodeDetacherHandle,
} from '@kube-edge/node-detacher';
import { createMetrics, type LogMeta, type Logger } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  createFakeAws,
  eventually,
  realApiServerAvailable,
  selectedApi,
  startRealApiAsChart,
  type FakeAws,
  type KubeObject,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

// node-detacher (the image's node-detacher mode) on a real kube-apiserver as the chart's
// node-detacher ServiceAccount, with exactly the chart's RBAC: a verb the chart does not grant is a
// 403 here. Detach (Attachment create + status, node patch, eviction, Event, Lease) and the
// clean-up of a deleted node's Attachment. Runs when KUBE_EDGE_API=real.
const api = selectedApi();
const available = api.kind === 'real' ? realApiServerAvailable() : undefined;
const skipReason =
  api.kind === 'fake'
    ? 'skipped: set KUBE_EDGE_API=real'
    : available?.available === false
      ? `skipped: ${available.reason}`
      : undefined;
const describeReal = skipReason === undefined ? describe : describe.skip;

/** Warn and error lines, as text, so a 403 anywhere (even one only logged) fails the test. */
const problems: string[] = [];
function recorder(): Logger {
  const line = (message: string, meta?: LogMeta): void => {
    problems.push(`${message} ${JSON.stringify(meta ?? {})}`);
  };
  const logger: Logger = {
    error: line,
    warn: line,
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}

const NS = 'edge';
const ID = 'i-0123456789abcdef0';
const ATTACHMENTS = `/apis/node-detacher.variant.run/v1alpha1/namespaces/${NS}/attachments`;

describeReal(
  `node-detacher mode against a real kube-apiserver, as the chart's ServiceAccount${skipReason === undefined ? '' : ` (${skipReason})`}`,
  () => {
    let real: RealApiAsChart;
    let fake: FakeAws;
    let elb: ElasticLoadBalancingClient;
    let elbv2: ElasticLoadBalancingV2Client;
    let detacher: NodeDetacherHandle | undefined;

    beforeAll(async () => {
      if (api.kind === 'invalid') throw new Error(api.reason);
      // Only node-detacher's ServiceAccount is rendered, so the credentials are its own.
      real = await startRealApiAsChart('../../charts/ingress-daemonset-controller', {
        namespace: NS,
        releaseName: 'real',
        values: {
          nodeDetacher: { enabled: true },
          serviceAccount: { create: false },
          healthChecker: { rbacCreate: false },
        },
      });
      expect(real.serviceAccount.name).toBe('real-ingress-daemonset-controller-node-detacher');
      const crd = parseYaml(
        readFileSync(
          new URL('../../../charts/ingress-daemonset-controller/crds/attachments.yaml', import.meta.url),
          'utf8',
        ),
      ) as KubeObject;
      await applyObjects(real.api, [crd]);
      await eventually(
        async () =>
          (await adminRequest(real.api, 'GET', '/apis/node-detacher.variant.run/v1alpha1')).status === 200,
        { what: 'the Attachment CRD to be served', timeoutMs: 20_000 },
      );
      fake = await createFakeAws();
      fake.elb.createLoadBalancer({ name: 'clb', instances: [ID] });
      elb = new ElasticLoadBalancingClient(fake.clientConfig());
      elbv2 = new ElasticLoadBalancingV2Client(fake.clientConfig());
      await applyObjects(real.api, [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'node-1' },
          spec: { providerID: `aws:///eu-west-1a/${ID}` },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'web',
            namespace: 'default',
            annotations: { [DELETION_PRIORITY_ANNOTATION]: '1' },
          },
          spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'example/web' }] },
        },
      ]);
      detacher = await runNodeDetacher(
        {
          namespace: NS,
          http: { host: '127.0.0.1', port: 0 },
          podPollMs: 100,
          baseRetryDelayMs: 50,
          maxRetryDelayMs: 500,
          leaderElection: { namespace: NS, name: 'node-detacher', identity: 'real-test' },
        },
        {
          logger: recorder(),
          kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
          metrics: createMetrics({ prefix: 'node_detacher', collectDefaultMetrics: false }),
          elb,
          elbv2,
        },
      );
      await detacher.ready;
    }, 90_000);

    afterAll(async () => {
      await detacher?.stop();
      elb?.destroy();
      elbv2?.destroy();
      await fake?.close();
      await real?.close();
    }, 60_000);

    it('a cordoned node is detached, recorded, marked and drained with no 403; a deleted node loses its Attachment', async () => {
      const patched = await adminRequest(
        real.api,
        'PATCH',
        '/api/v1/nodes/node-1',
        { spec: { unschedulable: true } },
        'application/merge-patch+json',
      );
      expect(patched.status).toBe(200);
      await eventually(
        async () =>
          (await adminRequest(real.api, 'GET', '/api/v1/nodes/node-1')).json<V1Node>().metadata
            ?.annotations?.[DETACHING_ANNOTATION] === 'true',
        { what: 'the node marked detached', timeoutMs: 20_000 },
      );
      expect(fake.elb.loadBalancersWithInstance(ID)).toEqual([]);
      const att = (await adminRequest(real.api, 'GET', `${ATTACHMENTS}/node-1`)).json<{
        spec: { awsLoadBalancers: unknown[] };
        status?: { phase?: string };
      }>();
      expect(att.spec.awsLoadBalancers).toEqual([{ name: 'clb', detached: true }]);
      expect(att.status?.phase).toBe('Detached');
      // Evicted through pods/eviction: the pod is terminating (no kubelet finishes it).
      await eventually(
        async () => {
          const pod = await adminRequest(real.api, 'GET', '/api/v1/namespaces/default/pods/web');
          return pod.status === 404 || pod.json<V1Pod>().metadata?.deletionTimestamp !== undefined;
        },
        { what: 'the pod evicted', timeoutMs: 20_000 },
      );
      await detacher?.events.flush();
      const events = (await adminRequest(real.api, 'GET', '/api/v1/namespaces/default/events')).json<{
        items: { reason?: string; involvedObject?: { name?: string } }[];
      }>().items;
      expect(events.filter((e) => e.involvedObject?.name === 'node-1').map((e) => e.reason)).toContain(
        'NodeBeingDetached',
      );
      const lease = (
        await adminRequest(
          real.api,
          'GET',
          `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/node-detacher`,
        )
      ).json<{ spec?: { holderIdentity?: string } }>();
      expect(lease.spec?.holderIdentity).toBe('real-test');

      expect((await adminRequest(real.api, 'DELETE', '/api/v1/nodes/node-1')).status).toBe(200);
      await eventually(
        async () => (await adminRequest(real.api, 'GET', `${ATTACHMENTS}/node-1`)).status === 404,
        {
          what: "the deleted node's Attachment removed",
          timeoutMs: 20_000,
        },
      );
    }, 60_000);
  },
);
