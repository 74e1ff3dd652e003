// Shared set-up for feed-dns's integration tests: testkit's API server, AWS and Route53 fakes,
// and the app started in-process with injected clients.
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { FRONTEND_TAG } from '@kube-edge/aws-frontends';
import { createKubeClient, loadKubeConfig, type KubeClient, type PassResult } from '@kube-edge/k8s-watch';
import type { Logger } from '@kube-edge/runtime';
import {
  captureLogger,
  createFakeAws,
  createFakeRoute53,
  eventually as testkitEventually,
  startApiServer,
  type ApiServer,
  type CapturedLogLine,
  type FakeAws,
  type FakeHostedZone,
  type FakeRoute53,
} from '@kube-edge/testkit';
import { run, type FeedDnsApp, type PassSummary } from '../src/app.js';
import type { FeedDnsConfig } from '../src/config.js';

/** One captured log line (testkit's captureLogger keeps them). */
export type LogLine = CapturedLogLine;
export { captureLogger };

/** The fakes one test file shares. */
export interface Env {
  api: ApiServer;
  aws: FakeAws;
  r53: FakeRoute53;
  zone: FakeHostedZone;
  kubeClient: KubeClient;
  internal: { dnsName: string; zoneId: string };
  external: { dnsName: string; zoneId: string };
  close(): Promise<void>;
}

/** Starts the API server and the AWS fakes: zone example.com, one tagged classic ELB per scheme. */
export async function startEnv(): Promise<Env> {
  const api = await startApiServer();
  const aws = await createFakeAws();
  const r53 = createFakeRoute53();
  const zone = r53.createHostedZone({ name: 'example.com' });
  const int = aws.elb.createLoadBalancer({
    name: 'edge-int',
    scheme: 'internal',
    tags: { [FRONTEND_TAG]: 'blue' },
  });
  const ext = aws.elb.createLoadBalancer({
    name: 'edge-ext',
    scheme: 'internet-facing',
    tags: { [FRONTEND_TAG]: 'blue' },
  });
  aws.elb.createLoadBalancer({ name: 'other-team', scheme: 'internal', tags: { [FRONTEND_TAG]: 'green' } });
  r53.addAliasTarget(int.dnsName, int.canonicalHostedZoneNameId);
  r53.addAliasTarget(ext.dnsName, ext.canonicalHostedZoneNameId);
  r53.addAliasTarget('someone-else.eu-west-1.elb.amazonaws.com', 'Z32O12XQLNTSW2');
  const kubeClient = createKubeClient({
    kubeConfig: loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() }).kubeConfig,
  });
  return {
    api,
    aws,
    r53,
    zone,
    kubeClient,
    internal: { dnsName: int.dnsName, zoneId: int.canonicalHostedZoneNameId },
    external: { dnsName: ext.dnsName, zoneId: ext.canonicalHostedZoneNameId },
    async close() {
      await aws.close();
      await api.close();
    },
  };
}

/** A test configuration: elb-tags `blue`, the env's zone, fast passes, no leader election. */
export function testConfig(env: Pick<Env, 'zone'>, overrides: Partial<FeedDnsConfig> = {}): FeedDnsConfig {
  return {
    zones: [env.zone.id],
    frontends: { kind: 'elb-tags', frontendTagValue: 'blue' },
    region: 'eu-west-1',
    awsMaxAttempts: 3,
    cnameTtlSeconds: 300,
    classFilter: undefined,
    maxDeleteShare: 0.5,
    resyncPeriodMs: 15 * 60_000,
    healthPort: 0,
    healthHost: '127.0.0.1',
    dryRun: false,
    logLevel: 'debug',
    pushgateway: undefined,
    metricLabels: {},
    leaderElection: undefined,
    minPassIntervalMs: 0,
    quietMs: 20,
    ...overrides,
  };
}

/** Starts feed-dns against the env. */
export async function startApp(
  env: Env,
  overrides: Partial<FeedDnsConfig> = {},
  logger: Logger = captureLogger(),
): Promise<FeedDnsApp> {
  return run(testConfig(env, overrides), {
    logger,
    kubeClient: env.kubeClient,
    route53: new Route53Client(env.r53.clientConfig()),
    elb: new ElasticLoadBalancingClient(env.aws.clientConfig()),
    elbv2: new ElasticLoadBalancingV2Client(env.aws.clientConfig()),
    hostname: 'test-host',
  });
}

/** Polls `check` every 20 ms until it stops throwing, for at most `timeoutMs`; then rethrows its error. */
export function eventually<T>(check: () => T | Promise<T>, timeoutMs = 8000): Promise<Exclude<T, false>> {
  return testkitEventually(check, { timeoutMs, intervalMs: 20 });
}

/**
 * Resolves with the summary of the first pass that finishes after `previous` (the loop's
 * `lastPass()` taken before the change), within the timeout.
 */
export async function nextPass(
  app: FeedDnsApp,
  previous: PassResult<unknown> | undefined,
  timeoutMs = 8000,
): Promise<PassSummary> {
  const after = previous?.seq ?? 0;
  await app.waitForPass((p) => p.seq > after, timeoutMs);
  const s = app.lastSummary();
  if (s === undefined) throw new Error('a pass finished without a summary');
  return s;
}

let counter = 0;

/** An Ingress manifest with the given hosts and annotations, in `default` unless told. */
export function ingress(
  name: string,
  hosts: string[],
  annotations: Record<string, string> = { 'sky.uk/frontend-scheme': 'internal' },
  namespace = 'default',
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  spec: unknown;
} {
  counter += 1;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, annotations },
    spec: {
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: `svc-${counter}`, port: { number: 80 } } },
            },
          ],
        },
      })),
    },
  };
}
