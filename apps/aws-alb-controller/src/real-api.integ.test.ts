import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import { createFakeClock, type LogMeta, type Logger } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  createFakeAws,
  eventually,
  selectedApi,
  startRealApiAsChart,
  type FakeAws,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import { run, type AlbApp } from './app.js';
import { awsClients, ingress, liveStacks, seedAccount, testConfig } from '../test/harness.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// RBAC charts/aws-alb-controller renders (Ingress list/watch/get, Ingress status update, Events,
// the Lease): a verb missing from the chart fails here. Runs when KUBE_EDGE_API=real
// (scripts/test-real-api.mjs); AWS is testkit's fakes.
const api = selectedApi();
const RELEASE = 'real';
const NAMESPACE = 'edge';
const LEASE = `${RELEASE}-aws-alb-controller`;
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const title =
  api.kind === 'fake'
    ? 'aws-alb-controller against a real kube-apiserver (skipped: set KUBE_EDGE_API=real)'
    : 'aws-alb-controller against a real kube-apiserver as its chart ServiceAccount';

interface LogLine {
  level: string;
  message: string;
  meta: LogMeta;
}

function captureLogger(lines: LogLine[], base: LogMeta = {}): Logger {
  const at =
    (level: string) =>
    (message: string, meta: LogMeta = {}): void => {
      lines.push({ level, message, meta: { ...base, ...meta } });
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => captureLogger(lines, { ...base, ...meta }),
  };
}

describeReal(title, () => {
  let real: RealApiAsChart;
  let aws: FakeAws;
  let app: AlbApp | undefined;
  const lines: LogLine[] = [];
  const clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    aws = await createFakeAws({ now: () => clock.now() });
    seedAccount(aws, clock.now());
    real = await startRealApiAsChart('../../charts/aws-alb-controller', {
      namespace: NAMESPACE,
      releaseName: RELEASE,
    });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await aws?.close();
    await real?.close();
  }, 60_000);

  const get = async <T>(path: string): Promise<T> => (await adminRequest(real.api, 'GET', path)).json<T>();

  it('leads through the Lease, creates the stack, writes the Ingress status once the stack is complete and records a Warning Event for an Ingress without a certificate', async () => {
    await applyObjects(real.api, [
      ingress('shop', ['shop.example.org']),
      ingress('nocert', ['www.other.net']),
    ]);
    app = await run(
      testConfig(
        [
          '--leader-elect',
          `--leader-elect-namespace=${NAMESPACE}`,
          `--leader-elect-name=${LEASE}`,
          '--leader-elect-identity=real-pod',
          '--leader-elect-retry-period=500ms',
          '--min-load-balancer-age=0s',
        ],
        { namespace: NAMESPACE, identity: 'real-pod' },
      ),
      {
        logger: captureLogger(lines),
        kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
        aws: awsClients(aws),
        clock,
      },
    );
    const a = app;
    const logTail = (): string =>
      lines
        .slice(-30)
        .map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta)}`)
        .join('\n');
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
});
