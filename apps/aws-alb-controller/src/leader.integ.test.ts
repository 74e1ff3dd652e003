import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFakeClock, createMetrics, type FakeClock, type Metrics } from '@kube-edge/runtime';
import {
  createFakeAws,
  eventually,
  isMutatingAction,
  startApiServer,
  type ApiServer,
  type FakeAws,
  type FakeAwsRequestHandler,
} from '@kube-edge/testkit';
import type { AlbApp, AwsClients } from './app.js';
import {
  awsClients,
  ingress,
  ingressStatus,
  liveStacks,
  pass,
  seedAccount,
  startApp,
} from '../test/harness.js';

// Two replicas on one Lease, each with its own SDK clients (so each one's AWS calls are counted
// apart) and its own metrics: only the Lease holder calls AWS and writes Ingress status; the
// standby takes over when the leader stops.

interface Replica {
  app: AlbApp;
  metrics: Metrics;
  /** Every AWS operation this replica's clients sent, in order. */
  calls: string[];
}

let api: ApiServer;
let aws: FakeAws;
let clock: FakeClock;
const replicas: Replica[] = [];

beforeEach(async () => {
  clock = createFakeClock(Date.parse('2026-06-01T00:00:00Z'));
  api = await startApiServer();
  aws = await createFakeAws({ now: () => clock.now() });
  seedAccount(aws, clock.now());
});

afterEach(async () => {
  for (const r of replicas.splice(0)) await r.app.stop();
  await aws.close();
  await api.close();
});

/** The operation of one SDK request: the Query `Action`, or the JSON target's operation. */
function operationOf(request: Parameters<FakeAwsRequestHandler['handle']>[0]): string {
  const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
  if (target !== undefined) return target.split('.').pop() ?? target;
  const body =
    typeof request.body === 'string' ? request.body : Buffer.from(request.body as Uint8Array).toString();
  return new URLSearchParams(body).get('Action') ?? '?';
}

/** The fakes' clients, with every request also logged in `calls`. */
function countedClients(calls: string[]): AwsClients {
  const base = aws.clientConfig().requestHandler;
  const requestHandler: FakeAwsRequestHandler = {
    handle: (request) => {
      calls.push(operationOf(request));
      return base.handle(request);
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  const clients = awsClients(aws);
  for (const client of Object.values(clients) as { config: { requestHandler: unknown } }[])
    client.config.requestHandler = requestHandler;
  return clients;
}

async function startReplica(identity: string): Promise<Replica> {
  const calls: string[] = [];
  const metrics = createMetrics({ prefix: 'aws_alb_controller', collectDefaultMetrics: false });
  const app = await startApp(
    { api, aws, clock },
    [
      '--leader-elect',
      '--leader-elect-namespace=kube-system',
      `--leader-elect-identity=${identity}`,
      '--leader-elect-lease-duration=2s',
      '--leader-elect-renew-deadline=1500ms',
      '--leader-elect-retry-period=100ms',
      '--min-load-balancer-age=0s',
    ],
    {
      deps: { aws: countedClients(calls), metrics },
      context: { namespace: 'kube-system', identity },
      ready: false,
    },
  );
  const replica = { app, metrics, calls };
  replicas.push(replica);
  return replica;
}

async function statusWrites(r: Replica): Promise<number> {
  const m = await r.metrics.registry.getSingleMetric('aws_alb_controller_ingress_status_writes_total')?.get();
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

const statusOf = (name: string): unknown => ingressStatus(api, name);

const holder = (): string | undefined =>
  (
    api.store.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'aws-alb-controller') as
      { spec?: { holderIdentity?: string } } | undefined
  )?.spec?.holderIdentity;

describe('two replicas, one Lease', () => {
  it('only the leader calls AWS and writes Ingress status; the standby takes over when the leader stops', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const a = await startReplica('replica-a');
    await eventually(() => expect(a.app.isLeader()).toBe(true));
    const b = await startReplica('replica-b');
    await a.app.ready;
    await b.app.ready;
    expect(holder()).toBe('replica-a');

    await pass(a.app);
    aws.cloudformation.settle();
    await pass(a.app);
    const dns = liveStacks(aws)[0]?.outputs.LoadBalancerDNSName?.toLowerCase();
    expect(statusOf('shop')).toEqual([{ hostname: dns }]);

    // A change both replicas see: the leader acts, the standby's passes touch neither AWS nor status.
    api.store.create(ingress('cart', ['cart.example.org']));
    await eventually(async () => {
      await pass(a.app);
      expect(statusOf('cart')).toEqual([{ hostname: dns }]);
    });
    await b.app.reconcileNow();
    expect(b.app.isLeader()).toBe(false);
    expect(b.calls).toEqual([]);
    expect(await statusWrites(b)).toBe(0);
    expect(b.app.lastSummary()).toBeUndefined();
    expect(a.calls.filter(isMutatingAction)).toEqual(
      expect.arrayContaining(['CreateStack', 'AttachLoadBalancerTargetGroups']),
    );
    expect(await statusWrites(a)).toBe(2);

    // A certificate the leader has not read yet (its cache refreshes every 30 min): its Ingress
    // waits. The leader stops (releasing the Lease); the standby takes it, reads the certificates
    // (its first load), updates the leader's stack and now writes the status.
    aws.acm.addCertificate({
      domainName: 'blog.example.net',
      notBefore: new Date(clock.now() - 86_400_000),
      notAfter: new Date(clock.now() + 365 * 86_400_000),
    });
    api.store.create(ingress('blog', ['blog.example.net']));
    await a.app.idle();
    await pass(a.app);
    expect(statusOf('blog')).toBeUndefined();
    await a.app.stop();
    replicas.splice(replicas.indexOf(a), 1);
    await eventually(() => expect(b.app.isLeader()).toBe(true), { timeoutMs: 5000 });
    expect(holder()).toBe('replica-b');
    const aCalls = a.calls.length;
    await eventually(async () => {
      await pass(b.app);
      expect(liveStacks(aws)[0]?.status).toBe('UPDATE_IN_PROGRESS');
    });
    aws.cloudformation.settle();
    await pass(b.app);
    expect(statusOf('blog')).toEqual([{ hostname: dns }]);
    expect(liveStacks(aws)).toHaveLength(1); // the standby adopted the leader's stack, not a second one
    expect(b.calls.filter(isMutatingAction)).toContain('UpdateStack');
    expect(b.calls).not.toContain('CreateStack');
    expect(await statusWrites(b)).toBe(1);
    expect(a.calls.length).toBe(aCalls);
  });
});
