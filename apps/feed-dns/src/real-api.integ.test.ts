import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeClient } from '@kube-edge/k8s-watch';
import {
  adminRequest,
  applyObjects,
  selectedApi,
  startRealApiAsChart,
  type RealApiAsChart,
} from '@kube-edge/testkit';
import { run, type FeedDnsApp } from './app.js';
import {
  captureLogger,
  eventually,
  ingress,
  startEnv,
  testConfig,
  type Env,
  type LogLine,
} from '../test/harness.js';

// The main scenario against a real kube-apiserver, as the chart's ServiceAccount with exactly the
// chart's RBAC (Ingress list/watch, the Lease, Events): a verb missing from charts/feed-dns fails
// here. Runs when KUBE_EDGE_API=real (scripts/test-real-api.mjs); Route53 and ELB are the fakes.
const api = selectedApi();
const RELEASE = 'real';
const NAMESPACE = 'edge';
const describeReal = api.kind === 'fake' ? describe.skip : describe;
const title =
  api.kind === 'fake'
    ? 'feed-dns against a real kube-apiserver (skipped: set KUBE_EDGE_API=real)'
    : 'feed-dns against a real kube-apiserver as its chart ServiceAccount';

describeReal(title, () => {
  let real: RealApiAsChart;
  let env: Env;
  let app: FeedDnsApp | undefined;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    if (api.kind === 'invalid') throw new Error(api.reason);
    env = await startEnv();
    real = await startRealApiAsChart('../../charts/feed-dns', {
      namespace: NAMESPACE,
      releaseName: RELEASE,
      values: { route53: { hostedZones: [env.zone.id] }, frontend: { elbLabelValue: 'blue' } },
    });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await env?.close();
    await real?.close();
  }, 60_000);

  const aliasOf = (name: string): string | undefined =>
    env.r53.record(env.zone.id, name, 'A')?.AliasTarget?.DNSName;

  it('leads through the Lease, writes an ALIAS per host and records a Warning Event for a host outside the zones', async () => {
    await applyObjects(real.api, [
      ingress('web', ['www.example.com']),
      ingress('bad', ['www.other.org', 'fine.example.com']),
    ]);
    app = await run(
      testConfig(env, {
        leaderElection: {
          namespace: NAMESPACE,
          name: `${RELEASE}-feed-dns`,
          identity: 'real-pod',
          leaseDurationMs: 15_000,
          renewDeadlineMs: 10_000,
          retryPeriodMs: 500,
        },
      }),
      {
        logger: captureLogger(lines),
        kubeClient: createKubeClient({ kubeConfig: real.kubeConfig() }),
        route53: new Route53Client(env.r53.clientConfig()),
        elb: new ElasticLoadBalancingClient(env.aws.clientConfig()),
        elbv2: new ElasticLoadBalancingV2Client(env.aws.clientConfig()),
        hostname: 'real-pod',
      },
    );
    const logTail = (): string =>
      lines
        .slice(-30)
        .map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta)}`)
        .join('\n');
    try {
      await app.ready;
      await eventually(() => expect(app?.isLeader()).toBe(true), 20_000);
      await eventually(() => {
        expect(aliasOf('www.example.com')).toBe(`${env.internal.dnsName}.`);
        expect(aliasOf('fine.example.com')).toBe(`${env.internal.dnsName}.`);
      }, 20_000);
      // (The real server refuses an Ingress host like bad_host.example.com: 422.)
      // The Lease the chart's Role allows, held by this replica.
      const lease = await adminRequest(
        real.api,
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${RELEASE}-feed-dns`,
      );
      expect(lease.json<{ spec: { holderIdentity?: string } }>().spec.holderIdentity).toBe('real-pod');
      const event = await eventually(async () => {
        const got = await adminRequest(real.api, 'GET', '/api/v1/namespaces/default/events');
        const found = got
          .json<{ items: { involvedObject: { name: string }; type: string; reason: string }[] }>()
          .items.find((e) => e.involvedObject.name === 'bad');
        if (found === undefined) throw new Error('no event yet');
        return found;
      }, 20_000);
      expect(event).toMatchObject({ type: 'Warning', reason: 'OutOfZone' });
      // A missing verb shows as a 403 in the client's errors.
      expect(lines.filter((l) => /forbidden|403/i.test(`${l.message} ${JSON.stringify(l.meta)}`))).toEqual(
        [],
      );
    } catch (err) {
      throw new Error(`${String(err)}\n--- feed-dns log (last 30 lines) ---\n${logTail()}`, { cause: err });
    }
  }, 60_000);
});
