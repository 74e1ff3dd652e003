import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  freePort,
  httpRequest,
  startSourceMain,
  startApiServer,
  type ApiServer,
  type TrackedSpawn,
} from '@kube-edge/testkit';
import { controllerCli } from './cli.js';

// Runs src/main.ts as a real process (types stripped by Node, `.js` specifiers mapped to the
// sources by scripts/ts-source/resolve.mjs), so argv normalisation, env, exit codes and signals are the
// real ones.
const appDir = fileURLToPath(new URL('../', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/feed-dns/', import.meta.url));

// Every process this file started, killed with whatever it started when the file ends (a failed
// or timed-out test included).
const started: TrackedSpawn[] = [];

function startMain(args: string[], env: Record<string, string> = {}) {
  // Loopback only: the AWS SDK is pointed at a closed local port.
  const main = startSourceMain(appDir, args, {
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...env,
  });
  started.push(main.tracked);
  return main;
}

let api: ApiServer;
let kubeconfig: string;

beforeAll(async () => {
  api = await startApiServer();
  kubeconfig = await api.writeKubeconfig();
});

afterAll(async () => {
  for (const p of started.splice(0)) await p.kill();
  await api.close();
});

describe('main (the feed-dns process)', () => {
  it("accepts feed's single-dash flags: --help lists every flag, plan prints changes, a bad flag exits 2", async () => {
    const [help, plan, bad] = await Promise.all([
      startMain(['-help']).done,
      startMain([
        'plan',
        '-f',
        `${examples}ingresses.yaml`,
        '-r53-hosted-zone=example.com',
        '-internal-hostname=int.lb.example.net',
        '-cname-ttl',
        '1m',
      ]).done,
      startMain(['-r53-hosted-zone=Z1', '-elb-label-valu=blue']).done,
    ]);
    expect(help.code).toBe(0);
    for (const name of Object.keys(controllerCli.spec.flags)) expect(help.stdout).toContain(`--${name}`);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('CREATE CNAME admin.example.com. -> int.lb.example.net (ttl 60)');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown flag --elb-label-valu');
  }, 90_000);

  it('plan: a missing manifest file is one line on stderr and exit 1, no stack trace', async () => {
    const r = await startMain([
      'plan',
      '-f',
      `${examples}does-not-exist.yaml`,
      '-r53-hosted-zone=example.com',
      '-internal-hostname=int.lb.example.net',
    ]).done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`feed-dns plan: ${examples}does-not-exist.yaml: no such file or directory\n`);
  }, 60_000);

  it('runs against the API server, takes the Lease, serves probes, and on SIGTERM releases the Lease and exits 0', async () => {
    const port = await freePort();
    const main = startMain(
      [
        '-r53-hosted-zone=Z1',
        '-elb-label-value=blue',
        `-kubeconfig=${kubeconfig}`,
        `-health-port=${port}`,
        '-aws-api-retries=0',
      ],
      { POD_NAME: 'feed-dns-0', POD_NAMESPACE: 'kube-system' },
    );
    try {
      const deadline = Date.now() + 45_000;
      let holder: string | undefined;
      while (Date.now() < deadline && holder !== 'feed-dns-0') {
        try {
          holder = (
            api.store.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'feed-dns') as {
              spec?: { holderIdentity?: string };
            }
          ).spec?.holderIdentity;
        } catch {
          holder = undefined;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(holder).toBe('feed-dns-0');
      expect((await httpRequest({ url: `http://127.0.0.1:${port}/healthz` })).status).toBe(200);
      // AWS is unreachable, so discovery fails and the leader is not ready.
      while (Date.now() < deadline) {
        const last = await httpRequest({ url: `http://127.0.0.1:${port}/debug/last-pass` });
        if (last.body.includes('"outcome":"failed"')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const ready = await httpRequest({ url: `http://127.0.0.1:${port}/readyz` });
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('reconcile');
    } finally {
      main.tracked.signal('SIGTERM');
    }
    const run = await main.done;
    expect({ code: run.code, output: run.code === 0 ? '' : main.output() }).toEqual({ code: 0, output: '' });
    expect(run.stdout).toContain('"message":"feed-dns stopped"');
    const lease = api.store.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'feed-dns') as {
      spec?: { holderIdentity?: string };
    };
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  }, 90_000);
});
