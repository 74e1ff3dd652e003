import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createFakeAws,
  eventually,
  freePort,
  httpRequest,
  serveFakeAws,
  startSourceMain,
  startApiServer,
  type ApiServer,
  type FakeAws,
  type ServedFakeAws,
  type TrackedSpawn,
} from '@kube-edge/testkit';
import { controllerCli } from './cli.js';
import { CLUSTER, ingress, liveStacks, seedAccount } from '../test/harness.js';

// Runs src/main.ts as a real process from the sources (testkit's startSourceMain), so argv
// normalisation, env, exit codes and signals are the real ones. AWS is testkit's fakes served
// over HTTP (AWS_ENDPOINT_URL), the cluster testkit's API test server.
const appDir = fileURLToPath(new URL('../', import.meta.url));

// Every process this file started, killed with whatever it started when the file ends.
const started: TrackedSpawn[] = [];
let api: ApiServer;
let kubeconfig: string;
let aws: FakeAws;
let served: ServedFakeAws;

function startMain(args: string[], env: Record<string, string> = {}) {
  // Loopback only: the SDK and the instance metadata client are pointed at the fakes.
  const main = startSourceMain(appDir, args, {
    AWS_ENDPOINT_URL: served.url,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.imds.url,
    AWS_ACCESS_KEY_ID: 'AKIDMAINTEST',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'eu-west-1',
    ...env,
  });
  started.push(main.tracked);
  return main;
}

beforeAll(async () => {
  api = await startApiServer();
  kubeconfig = await api.writeKubeconfig();
  aws = await createFakeAws();
  seedAccount(aws, Date.now());
  served = await serveFakeAws(aws.clientConfig().requestHandler);
}, 60_000);

afterAll(async () => {
  for (const p of started.splice(0)) await p.kill();
  await served?.close();
  await aws?.close();
  await api?.close();
});

/** The environment variable a flag reads, as the command line defines it (undefined: none). */
function envOf(name: string): string | undefined {
  const spec = controllerCli.spec.flags[name as keyof typeof controllerCli.spec.flags] as {
    env?: string | false;
  };
  if (spec.env === false) return undefined;
  if (typeof spec.env === 'string') return spec.env;
  return `${controllerCli.spec.envPrefix}_${name.toUpperCase().replace(/-/g, '_')}`;
}

describe('main (the aws-alb-controller process)', () => {
  it('--help lists every flag with its default and env var; an unknown flag, a bad value and a bad CUSTOM_FILTERS term exit 2 naming them', async () => {
    const [help, single, unknown, bad, filters] = await Promise.all([
      startMain(['--help']).done,
      startMain(['-help']).done,
      startMain(['--cluster-id=prod', '--polling-intervall=30s']).done,
      startMain(['--cluster-id=prod', '-max-certs-alb=99']).done,
      startMain(['--cluster-id=prod', '--vpc-id=vpc-1'], { CUSTOM_FILTERS: 'tag:a=b nonsense' }).done,
    ]);
    expect(help.code).toBe(0);
    expect(single).toEqual(help);
    const blocks = help.stdout.split('\n  --').slice(1);
    for (const name of Object.keys(controllerCli.spec.flags)) {
      const block = blocks.find((b) => b.startsWith(`${name} `) || b.startsWith(`${name}\n`));
      expect({ name, listed: block !== undefined }).toEqual({ name, listed: true });
      expect({ name, default: /\[(default: |required)/.test(block ?? '') }).toEqual({ name, default: true });
      const env = envOf(name);
      if (env !== undefined)
        expect({ name, env: (block ?? '').includes(`env: ${env}`) }).toEqual({ name, env: true });
    }
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown flag --polling-intervall');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-certs-alb');
    expect(filters.code).toBe(2);
    expect(filters.stderr).toContain('nonsense');
    // Nothing reached AWS.
    expect(aws.callLog()).toEqual([]);
  }, 90_000);

  it('runs against the API server and the AWS fakes: takes the Lease, creates the stack, is ready, and on SIGTERM releases the Lease and exits 0', async () => {
    api.store.create(ingress('shop', ['shop.example.org']));
    const port = await freePort();
    const main = startMain(
      [
        `--kubeconfig=${kubeconfig}`,
        `-cluster-id=${CLUSTER}`,
        '-vpc-id=vpc-1',
        `--metrics-address=127.0.0.1:${port}`,
        '--aws-api-retries=0',
        '--log-level=debug',
      ],
      { POD_NAME: 'aws-alb-controller-0', POD_NAMESPACE: 'kube-system' },
    );
    let exited = false;
    void main.done.then(() => (exited = true));
    try {
      await eventually(
        async () => {
          if (exited) throw new Error(`exited early:\n${main.output()}`);
          // The leader's first pass created the stack, and the replica is ready.
          expect(liveStacks(aws)).toHaveLength(1);
          const ready = await httpRequest({ url: `http://127.0.0.1:${port}/readyz`, timeoutMs: 2000 });
          expect(ready.status).toBe(200);
        },
        { timeoutMs: 45_000, intervalMs: 100, what: 'a stack, and /readyz to answer 200' },
      );
      const lease = api.store.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'aws-alb-controller') as {
        spec?: { holderIdentity?: string };
      };
      expect(lease.spec?.holderIdentity).toBe('aws-alb-controller-0');
      expect(liveStacks(aws).map((s) => s.tags['kubernetes:application'])).toEqual([
        'kube-ingress-aws-controller',
      ]);
      expect(aws.callCounts('cloudformation')['cloudformation:CreateStack']).toBe(1);
      const metrics = await httpRequest({ url: `http://127.0.0.1:${port}/metrics` });
      expect(metrics.body).toContain('aws_alb_controller_load_balancers 1');
    } finally {
      main.tracked.signal('SIGTERM');
    }
    const run = await main.done;
    expect({ code: run.code, output: run.code === 0 ? '' : main.output() }).toEqual({ code: 0, output: '' });
    const lines = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; message: string });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    const lease = api.store.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'aws-alb-controller') as {
      spec?: { holderIdentity?: string };
    };
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  }, 90_000);
});
