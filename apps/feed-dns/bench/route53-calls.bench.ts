// Route53 calls per pass at 1k and 10k hosts: feed-dns in-process on the shared controller loop
// (its Ingress informer over testkit's API server, its leader-only Route53 step), against
// testkit's Route53 fake behind the real SDK client and the AWS fake's classic ELBs. Counts, per
// operation, the requests the fakes received: the cold first pass, a steady pass with nothing
// changed, and one pass per single change (a host added, a host removed, a host's target moved
// to the other load balancer). Writes BENCHMARKS.md (the counts are deterministic).
// `--check` fails (exit 1) when an invariant breaks: a steady pass that calls Route53 at all, a
// single change costing more than one ChangeResourceRecordSets, change requests not packed 1000
// a request, or a listing of more pages than the zone's record sets over 300 (rounded up).
// Run from the sources: `pnpm bench` (node with the TypeScript-source loader).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { FRONTEND_TAG } from '@kube-edge/aws-frontends';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import { createFakeAws, createFakeRoute53, startApiServer } from '@kube-edge/testkit';
import { run } from '../src/app.js';
import { testConfig } from '../test/harness.js';
import type { IngressLike } from '../src/model/entries.js';

const check = process.argv.includes('--check');
const SIZES = [1000, 10_000] as const;
const SCHEME = 'sky.uk/frontend-scheme';

/** Calls per operation (Route53 and the ELB fake), and the passes the loop ran meanwhile. */
interface Phase {
  calls: Record<string, number>;
  passes: number;
  ms: number;
}

const PHASES = ['cold', 'steady', 'add', 'remove', 'retarget', 'restart'] as const;
type PhaseName = (typeof PHASES)[number];

interface Measured {
  hosts: number;
  /** Record sets in the zone after the cold pass (SOA and NS included). */
  zoneRecords: number;
  phases: Record<PhaseName, Phase>;
}

function ingress(i: number, scheme = 'internal'): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `ing-${i}`, namespace: 'default', annotations: { [SCHEME]: scheme } },
    spec: {
      rules: [
        {
          host: `h${i}.example.com`,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: `svc-${i}`, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

const count = (ops: readonly string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const op of ops) out[op] = (out[op] ?? 0) + 1;
  return out;
};

async function measure(hosts: number): Promise<Measured> {
  const api = await startApiServer();
  const aws = await createFakeAws();
  const r53 = createFakeRoute53();
  try {
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
    r53.addAliasTarget(int.dnsName, int.canonicalHostedZoneNameId);
    r53.addAliasTarget(ext.dnsName, ext.canonicalHostedZoneNameId);
    for (let i = 0; i < hosts; i++) api.store.create(ingress(i) as never);

    // The tests' config (elb-tags `blue`, this zone, fast passes, no leader election).
    const config = testConfig({ zone }, { logLevel: 'info' });
    const calls = (): string[] => [
      ...r53.calls().map((c) => `route53:${c}`),
      ...Object.entries(aws.callCounts()).flatMap(([op, n]) => Array.from({ length: n }, () => op)),
    ];
    const reset = (): void => {
      r53.resetCalls();
      aws.resetCalls();
    };
    const start = () =>
      run(config, {
        logger: createNoopLogger(),
        kubeClient: createKubeClient({
          kubeConfig: loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() }).kubeConfig,
        }),
        route53: new Route53Client(r53.clientConfig()),
        elb: new ElasticLoadBalancingClient(aws.clientConfig()),
        elbv2: new ElasticLoadBalancingV2Client(aws.clientConfig()),
        metrics: createMetrics({ prefix: 'feed_dns', collectDefaultMetrics: false }),
        hostname: 'bench',
      });
    // The first pass of a freshly started app, counted from before its start.
    const firstPass = async (): Promise<{ app: Awaited<ReturnType<typeof start>>; phase: Phase }> => {
      reset();
      const t = performance.now();
      const app = await start();
      try {
        const pass = await app.waitForPass((p) => (p.model ?? []).length === hosts, 120_000);
        await app.idle();
        if (pass.result !== 'success') throw new Error(`pass ${pass.result}: ${String(pass.error)}`);
        return {
          app,
          phase: { calls: count(calls()), passes: app.lastPass()?.seq ?? 0, ms: performance.now() - t },
        };
      } catch (err) {
        await app.stop();
        throw err;
      }
    };
    const first = await firstPass();
    const app = first.app;
    const cold = first.phase;
    try {
      const phase = async (
        change: () => void,
        done: (model: readonly IngressLike[]) => boolean,
      ): Promise<Phase> => {
        await app.idle();
        reset();
        const before = app.lastPass()?.seq ?? 0;
        const t = performance.now();
        change();
        const pass = await app.waitForPass((p) => p.seq > before && done(p.model ?? []), 60_000);
        await app.idle();
        const ms = performance.now() - t;
        if (pass.result !== 'success') throw new Error(`pass ${pass.result}: ${String(pass.error)}`);
        return { calls: count(calls()), passes: (app.lastPass()?.seq ?? 0) - before, ms };
      };
      // A steady pass: nothing changed since the last one.
      await app.idle();
      reset();
      const seq = app.lastPass()?.seq ?? 0;
      const ts = performance.now();
      await app.reconcileNow();
      const steady: Phase = {
        calls: count(calls()),
        passes: (app.lastPass()?.seq ?? 0) - seq,
        ms: performance.now() - ts,
      };
      const has = (m: readonly IngressLike[], name: string): boolean =>
        m.some((i) => i.metadata?.name === name);
      const add = await phase(
        () => api.store.create(ingress(hosts) as never),
        (m) => has(m, `ing-${hosts}`),
      );
      const remove = await phase(
        () => api.store.delete('networking.k8s.io/v1', 'Ingress', 'default', `ing-${hosts}`),
        (m) => !has(m, `ing-${hosts}`),
      );
      const retarget = await phase(
        () =>
          api.store.patchMerge('networking.k8s.io/v1', 'Ingress', 'default', 'ing-0', {
            metadata: { annotations: { [SCHEME]: 'internet-facing' } },
          }),
        (m) =>
          m.some(
            (i) => i.metadata?.name === 'ing-0' && i.metadata.annotations?.[SCHEME] === 'internet-facing',
          ),
      );
      await app.stop();
      // The same zone, full now, read by a new replica (a restart or a new leader).
      const second = await firstPass();
      await second.app.stop();
      const restart = second.phase;
      // The records really are there: every host an alias, h0 to the other load balancer.
      const records = r53.records(zone.id);
      const aliases = records.filter((r) => r.Type === 'A' && r.AliasTarget !== undefined).length;
      if (aliases !== hosts) throw new Error(`${aliases} alias records for ${hosts} hosts`);
      const h0 = r53.record(zone.id, 'h0.example.com', 'A')?.AliasTarget?.DNSName;
      if (h0 !== `${ext.dnsName}.`) throw new Error(`h0 points at ${String(h0)}`);
      return { hosts, zoneRecords: records.length, phases: { cold, steady, add, remove, retarget, restart } };
    } finally {
      await app.stop();
    }
  } finally {
    await aws.close();
    await api.close();
  }
}

const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, load ${loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ')}, ${new Date().toISOString().slice(0, 16)}Z`;
console.log(machine);
const results: Measured[] = [];
for (const n of SIZES) {
  const m = await measure(n);
  results.push(m);
  console.log(`${n} hosts, zone of ${m.zoneRecords} record sets`);
  for (const [name, p] of Object.entries(m.phases))
    console.log(`  ${name}: ${p.passes} pass(es), ${p.ms.toFixed(0)} ms, ${JSON.stringify(p.calls)}`);
}

const OPS = [
  'route53:GetHostedZone',
  'route53:ListResourceRecordSets',
  'route53:ChangeResourceRecordSets',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTags',
] as const;
const short = (op: string): string => op.replace(/^.*:/, '');
const other = (p: Phase): number =>
  Object.entries(p.calls)
    .filter(([op]) => !(OPS as readonly string[]).includes(op))
    .reduce((a, [, n]) => a + n, 0);
const rows = results.flatMap((m) =>
  PHASES.map((name) => {
    const p = m.phases[name];
    return `| ${m.hosts} | ${name} | ${p.passes} | ${OPS.map((op) => p.calls[op] ?? 0).join(' | ')} | ${other(p)} | ${(p.ms / 1000).toFixed(2)} |`;
  }),
);
const md = `# feed-dns benchmarks

\`pnpm bench\` runs \`bench/route53-calls.bench.ts --check\` from the TypeScript sources; it writes
this file.

## Route53 calls per pass at 1k and 10k hosts

What it measures: feed-dns in-process on the shared controller loop (\`run()\`: the Ingress
informer over testkit's API test server, the leader-only Route53 step), with
\`-elb-label-value=blue\` against the AWS fake's two classic ELBs (one per scheme) and one hosted
zone in testkit's Route53 fake behind the real SDK client. N Ingresses, one host each
(\`h<i>.example.com\`, scheme \`internal\`). Counted per operation, as the fakes received them:
\`cold\`, from the app's start to its first pass done over an empty zone (every record
written); \`steady\`, a pass with nothing changed (\`reconcileNow\`); the passes after one change
each: \`add\` (an Ingress created), \`remove\` (that Ingress deleted), \`retarget\` (one host's
scheme switched to \`internet-facing\`: its ALIAS moves to the other load balancer); and
\`restart\`, a new replica's start to its first pass over the full zone (a restart, or a new
leader). "passes" is how many loop passes ran in the phase; "s" its wall time (the informer's
list of N Ingresses included in \`cold\` and \`restart\`).

Machine: ${machine}. Deterministic: the counts do not depend on the machine.

| hosts | phase | passes | ${OPS.map(short).join(' | ')} | other | s |
| ----: | ----- | -----: | ${OPS.map(() => '---:').join(' | ')} | ---: | -: |
${rows.join('\n')}

Zone size after the cold pass: ${results.map((m) => `${m.zoneRecords} record sets at ${m.hosts} hosts`).join(', ')}.

Reading:

- A steady pass makes no AWS call at all: the Route53 provider answers from the zone listing it
  keeps and updates with every change it applies, and the load balancers are looked up once.
- Reads scale with the zone, once per pass that lists: ListResourceRecordSets returns 300 record
  sets a page, so a listing is ceil(records / 300) pages (\`restart\`: 4 at 1k, 34 at 10k,
  linear) and writes nothing when the zone is right. The zone is listed on the first pass and
  again only after \`-resync-period\` (15 min; the informer's resync also looks the load
  balancers up again), after leadership is gained, or after a refused change.
- Writes: one ChangeResourceRecordSets per single change (a target change is one UPSERT, a new
  host one CREATE, a removed host one DELETE of the record as listed); the cold pass packs up to
  1,000 changes a request (Route53's limit), so ceil(hosts / 1000) requests.
- \`--check\` asserts these exactly: 0 calls in the steady pass; exactly 1 ChangeResourceRecordSets
  and nothing else per single change; 1 list page and ceil(hosts / 1000) change requests in the
  cold pass; ceil(records / 300) list pages and no change in the restart.
`;
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), md);
console.log('BENCHMARKS.md written');

if (check) {
  const failures: string[] = [];
  for (const m of results) {
    const { cold, steady, add, remove, retarget, restart } = m.phases;
    const total = (p: Phase): number => Object.values(p.calls).reduce((a, b) => a + b, 0);
    if (total(steady) !== 0) failures.push(`${m.hosts}: the steady pass made ${total(steady)} calls`);
    for (const [name, p] of Object.entries({ add, remove, retarget })) {
      if (p.calls['route53:ChangeResourceRecordSets'] !== 1 || total(p) !== 1)
        failures.push(
          `${m.hosts}: ${name} made ${JSON.stringify(p.calls)}, not one ChangeResourceRecordSets`,
        );
    }
    // The cold pass lists an empty zone (SOA and NS: one page); a restart lists the full zone.
    if ((cold.calls['route53:ListResourceRecordSets'] ?? 0) !== 1)
      failures.push(`${m.hosts}: the cold pass listed ${cold.calls['route53:ListResourceRecordSets']} pages`);
    if ((cold.calls['route53:ChangeResourceRecordSets'] ?? 0) !== Math.ceil(m.hosts / 1000))
      failures.push(
        `${m.hosts}: the cold pass made ${cold.calls['route53:ChangeResourceRecordSets']} change requests`,
      );
    if ((restart.calls['route53:ListResourceRecordSets'] ?? 0) !== Math.ceil(m.zoneRecords / 300))
      failures.push(
        `${m.hosts}: the restart listed ${restart.calls['route53:ListResourceRecordSets']} pages for ${m.zoneRecords} record sets`,
      );
    if ((restart.calls['route53:ChangeResourceRecordSets'] ?? 0) !== 0)
      failures.push(
        `${m.hosts}: the restart wrote ${restart.calls['route53:ChangeResourceRecordSets']} change requests`,
      );
  }
  if (failures.length > 0) {
    console.error(`check failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check passed');
}
