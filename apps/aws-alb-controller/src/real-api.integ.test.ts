import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import { createFakeClock } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  captureLogger,
  createFakeAws,
  eventually,
  selectedApi,
  startRealApiAsChart,
  type CapturedLogLine,
  type FakeAws,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import { run, type AlbApp } from './app.js';
import { awsClients, ingress, liveStacks, seedAccount, testConfig } from '../test/harness.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// RBAC charts/aws-alb-controller renders (Ingress list/watch/get, Ingress status update, Events,
// the Lease; rendered with AWSCNI and an alarms ConfigMap, which add a Role for the pods of
// kube-system and one for that one ConfigMap): a verb missing from the chart fails here. Runs
// when KUBE_EDGE_API=real (scripts/test-real-api.mjs); AWS is testkit's fakes.
const api = selectedApi();
const RELEASE = 'real';
const NAMESPACE = 'edge';
const LEASE = `${RELEASE}-aws-alb-controller`;
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const ALARMS = 'kube-system/alb-alarms';
const title =
  api.kind === 'fake'
    ? 'aws-alb-controller against a real kube-apiserver (skipped: set KUBE_EDGE_API=real)'
    : 'aws-alb-controller against a real kube-apiserver as its chart ServiceAccount';

describeReal(title, () => {
  let real: RealApiAsChart;
  let aws: FakeAws;
  let app: AlbApp | undefined;
  const lines: CapturedLogLine[] = [];
  const clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    aws = await createFakeAws({ now: () => clock.now() });
    seedAccount(aws, clock.now());
    real = await startRealApiAsChart('../../charts/aws-alb-controller', {
      namespace: NAMESPACE,
      releaseName: RELEASE,
      values: {
        targetGroup: { accessMode: 'AWSCNI' },
        targetCni: { namespace: 'kube-system', podLabelSelector: 'application=skipper-ingress' },
        cloudWatchAlarmsConfigMap: ALARMS,
      },
    });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await aws?.close();
    await real?.close();
  }, 60_000);

  const get = async <T>(path: string): Promise<T> => (await adminRequest(real.api, 'GET', path)).json<T>();

  /** Runs the app with `args` on the real API server as the chart's ServiceAccount, logging to `lines`. */
  const startOnReal = async (args: string[]): Promise<AlbApp> => {
    app = await run(testConfig(args, { namespace: NAMESPACE, identity: 'real-pod' }), {
      logger: captureLogger(lines),
      kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
      aws: awsClients(aws),
      clock,
    });
    return app;
  };
  /** The app's last 30 log lines, for a failure message. */
  const logTail = (): string =>
    lines
      .slice(-30)
      .map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta)}`)
      .join('\n');

  it('leads through the Lease, creates the stack, writes the Ingress status once the stack is complete and records a Warning Event for an Ingress without a certificate', async () => {
    await applyObjects(real.api, [
      ingress('shop', ['shop.example.org']),
      ingress('nocert', ['www.other.net']),
    ]);
    const a = await startOnReal([
      '--leader-elect',
      `--leader-elect-namespace=${NAMESPACE}`,
      `--leader-elect-name=${LEASE}`,
      '--leader-elect-identity=real-pod',
      '--leader-elect-retry-period=500ms',
      '--min-load-balancer-age=0s',
    ]);
    try {
      await a.ready;
      await eventually(() => expect(a.isLeader()).toBe(true), { timeoutMs: 20_000 });
      await eventually(() => expect(liveStacks(aws)).toHaveLength(1), { timeoutMs: 20_000 });
      aws.cloudformation.settle();
      const dns = liveStacks(aws)[0]?.outputs.LoadBalancerDNSName?.toLowerCase();
      await eventually(
        async () => {
          await a.reconcileNow();
          const shop = await get<{ status?: { loadBalancer?: { ingress?: unknown } } }>(
            '/apis/networking.k8s.io/v1/namespaces/default/ingresses/shop',
          );
          expect(shop.status?.loadBalancer?.ingress).toEqual([{ hostname: dns }]);
        },
        { timeoutMs: 20_000 },
      );
      const lease = await get<{ spec: { holderIdentity?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${LEASE}`,
      );
      expect(lease.spec.holderIdentity).toBe('real-pod');
      const event = await eventually(
        async () => {
          const got = await get<{
            items: { involvedObject: { name: string }; type: string; reason: string }[];
          }>('/api/v1/namespaces/default/events');
          const found = got.items.find((e) => e.involvedObject.name === 'nocert');
          if (found === undefined) throw new Error('no event yet');
          return found;
        },
        { timeoutMs: 20_000 },
      );
      expect(event).toMatchObject({ type: 'Warning', reason: 'NoCertificate' });
      // A missing verb shows as a 403 in the client's errors.
      expect(lines.filter((l) => /forbidden|403/i.test(`${l.message} ${JSON.stringify(l.meta)}`))).toEqual(
        [],
      );
      // On stop the Lease is released (the chart's Role allows the update).
      await a.stop();
      app = undefined;
      const released = await get<{ spec: { holderIdentity?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${LEASE}`,
      );
      expect(released.spec.holderIdentity ?? '').toBe('');
    } catch (err) {
      throw new Error(`${String(err)}\n--- aws-alb-controller log (last 30 lines) ---\n${logTail()}`, {
        cause: err,
      });
    }
  }, 90_000);
  it('with AWSCNI and an alarms ConfigMap (the Roles the chart adds): registers the running router pod of kube-system, puts the ConfigMap alarm on the stack, no 403', async () => {
    lines.length = 0;
    await applyObjects(real.api, [
      // A load balancer of its own, created with ip targets.
      ingress('cni', ['cni.example.org'], { 'zalando.org/aws-load-balancer-shared': 'false' }),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'alb-alarms', namespace: 'kube-system' },
        data: {
          '5xx.yaml':
            '- {AlarmName: 5xx, MetricName: HTTPCode_ELB_5XX_Count, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: 60, Statistic: Sum, Threshold: 5}',
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'skipper-a', namespace: 'kube-system', labels: { application: 'skipper-ingress' } },
        spec: { containers: [{ name: 'skipper', image: 'skipper' }] },
      },
    ]);
    // There is no kubelet: write the pod's status as it would.
    const status = await adminRequest(
      real.api,
      'PATCH',
      '/api/v1/namespaces/kube-system/pods/skipper-a/status',
      { status: { phase: 'Running', podIP: '10.0.7.7' } },
      'application/merge-patch+json',
    );
    if (status.status !== 200) throw new Error(`pod status patch: ${status.status} ${status.body}`);
    const a = await startOnReal([
      '--no-leader-elect',
      '--min-load-balancer-age=0s',
      '--target-access-mode=AWSCNI',
      '--target-cni-namespace=kube-system',
      '--target-cni-pod-labelselector=application=skipper-ingress',
      `--cloudwatch-alarms-config-map=${ALARMS}`,
    ]);
    try {
      await a.ready;
      const stack = () => liveStacks(aws).find((s) => s.tags['ingress:owner'] === 'default/cni');
      await eventually(
        async () => {
          aws.cloudformation.settle();
          await a.reconcileNow();
          const tg = stack()?.outputs.TargetGroupARN ?? '';
          expect(aws.elbv2.targetsOf(tg).map((t) => t.id)).toEqual(['10.0.7.7']);
        },
        { timeoutMs: 20_000 },
      );
      const template = JSON.parse(stack()?.templateBody ?? '{}') as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      expect(template.Resources.CloudWatchAlarm0?.Properties.MetricName).toBe('HTTPCode_ELB_5XX_Count');
      expect(lines.filter((l) => /forbidden|403/i.test(`${l.message} ${JSON.stringify(l.meta)}`))).toEqual(
        [],
      );
    } catch (err) {
      throw new Error(`${String(err)}\n--- aws-alb-controller log (last 30 lines) ---\n${logTail()}`, {
        cause: err,
      });
    }
  }, 90_000);
});
