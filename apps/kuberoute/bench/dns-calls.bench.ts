// DNS calls per pass at 1k and 10k published names: kuberoute in-process on the shared
// controller loop (Services, Pods and Nodes informers over testkit's API test server, the DNS
// step), once with `dns_backend = route53` against testkit's Route53 fake behind the real SDK
// client and once with `dns_backend = skydns` against a real etcd started by testkit (its gRPC
// counters from `/metrics`). Counts the calls of the cold first pass, of a steady pass with
// nothing changed, and of the pass after one change each (a service added, removed, its pod
// moved to another node), plus a restart over the full zone. Writes BENCHMARKS.md (the counts
// are deterministic). `--check` fails (exit 1) when an invariant breaks: a steady pass that
// writes, a single change costing more than one write request, cold writes not batched as
// the backend allows, or reads per pass growing faster than the zone.
// Run from the sources: `pnpm bench` (node with the TypeScript-source loader).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Route53Client } from '@aws-sdk/client-route-53';
import { createKubeClient, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createMetrics, createNoopLogger } from '@kube-edge/runtime';
import {
  createFakeRoute53,
  etcdCallCounts,
  eventually,
  httpRequest,
  startApiServer,
  startEtcd,
  type ApiServer,
  type EtcdProcess,
  type FakeRoute53,
} from '@kube-edge/testkit';
import {
  EtcdSkyDnsProvider,
  createPredicateOwnership,
  normalizeName,
  runDnsPass,
} from '@kube-edge/dns-providers';
import { Etcd3 } from 'etcd3';
import { run, type KuberouteApp } from '../src/app.js';
import { buildModel } from '../src/build.js';
import { parseConfig } from '../src/config.js';
import { desiredByDomain } from '../src/model/desired.js';
import { appConfig, configText, obj } from '../test/cluster.js';
import { modelConfig, node, pod, routeLabels, service } from '../test/fixtures.js';

const check = process.argv.includes('--check');
// BENCH_SIZES / BENCH_BACKENDS (comma-separated) narrow a run by hand; `pnpm bench` runs all.
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'route53,skydns').split(',') as Backend[];
const SKYDNS = BACKENDS.includes('skydns');
const NODES = 3;
const PHASES = ['cold', 'steady', 'add', 'drain', 'unlabel', 'move', 'restart'] as const;
type PhaseName = (typeof PHASES)[number];
type Backend = 'route53' | 'skydns';

/** Calls per operation in one phase, the passes run, and its wall time. */
interface Phase {
  calls: Record<string, number>;
  passes: number;
  ms: number;
}

interface Measured {
  backend: Backend;
  names: number;
  /** Record sets (Route53) or keys (etcd) after the cold pass. */
  zoneSize: number;
  phases: Record<PhaseName, Phase>;
}

const ETCD_OPS = ['Range', 'Txn', 'Put', 'DeleteRange', 'keysPut', 'keysDeleted'] as const;
const nodeIp = (i: number): string => `10.0.0.${(i % NODES) + 1}`;

function seed(api: ApiServer, names: number): void {
  for (let n = 0; n < NODES; n++) api.store.create(obj(node(`node-${n}`, nodeIp(n))));
  for (let i = 0; i < names; i++) addName(api, i);
}

function addName(api: ApiServer, i: number): void {
  api.store.create(obj(service(`svc-${i}`, routeLabels(`h${i}`, 'example.com'))));
  api.store.create(obj(pod(`pod-${i}`, `svc-${i}`, nodeIp(i))));
}

/** etcd's own counters (testkit's etcdCallCounts), the ones a pass moves, prefixed `etcd:`. */
async function etcdCounters(etcd: EtcdProcess): Promise<Record<string, number>> {
  const all = await etcdCallCounts(etcd);
  const out: Record<string, number> = {};
  for (const k of ETCD_OPS) out[`etcd:${k}`] = all[k] ?? 0;
  return out;
}

/** The keys under `prefix` and their values, through etcd's JSON gateway (no gRPC client to close). */
async function etcdKeys(etcd: EtcdProcess, prefix: string): Promise<Record<string, string>> {
  const b64 = (t: string): string => Buffer.from(t).toString('base64');
  const end = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
  const res = await httpRequest({
    url: `${etcd.clientUrl}/v3/kv/range`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: b64(prefix), range_end: b64(end) }),
    timeoutMs: 30_000,
  });
  const kvs = (JSON.parse(res.body) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
  const text = (t: string): string => Buffer.from(t, 'base64').toString('utf8');
  return Object.fromEntries(kvs.map((kv) => [text(kv.key), text(kv.value)]));
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

async function measure(backend: Backend, names: number): Promise<Measured> {
  const api = await startApiServer();
  let r53: FakeRoute53 | undefined;
  let etcd: EtcdProcess | undefined;
  try {
    let section: string;
    if (backend === 'route53') {
      r53 = createFakeRoute53();
      r53.createHostedZone({ name: 'example.com' });
      section = '[route53]\n';
    } else {
      etcd = await startEtcd();
      section = `[skydns]\nhost = 127.0.0.1\nport = ${new URL(etcd.clientUrl).port}\nprotocol = http\n`;
    }
    seed(api, names);
    const config = appConfig(parseConfig(configText(api.url, backend, section)));
    const counters = async (): Promise<Record<string, number>> => {
      if (etcd !== undefined) return etcdCounters(etcd);
      const out: Record<string, number> = {};
      for (const c of r53?.calls() ?? []) out[`route53:${c}`] = (out[`route53:${c}`] ?? 0) + 1;
      return out;
    };
    const start = (): Promise<KuberouteApp> =>
      run(config, {
        logger: createNoopLogger(),
        kubeClient: createKubeClient({
          kubeConfig: loadKubeConfig({ kubeconfigYaml: api.kubeconfigYaml() }).kubeConfig,
        }),
        metrics: createMetrics({ prefix: 'kuberoute', collectDefaultMetrics: false }),
        now: () => new Date(2026, 10, 21, 9, 5),
        ...(r53 === undefined ? {} : { route53Client: new Route53Client(r53.clientConfig()) }),
      });
    const cachedNames = (app: KuberouteApp): number => app.listers.services.list().length;
    // One pass (GET /'s reconcile) once the caches show `ready`, counted from `before`.
    const pass = async (app: KuberouteApp, ready: () => boolean, from?: number): Promise<Phase> => {
      const t = from ?? performance.now();
      const before = await counters();
      await eventually(
        () => {
          if (!ready()) throw new Error('the caches do not show the change yet');
        },
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      const seq = app.lastPass()?.seq ?? 0;
      const result = await app.reconcile();
      if (result.outcome !== 'updated')
        throw new Error(`reconcile ${result.outcome}: ${result.errors.join('; ')}`);
      return {
        calls: diff(await counters(), before),
        passes: (app.lastPass()?.seq ?? 0) - seq,
        ms: performance.now() - t,
      };
    };
    const moved = (app: KuberouteApp, name: string, ip: string): boolean =>
      app.listers.pods.list().some((p) => p.metadata?.name === name && p.status?.hostIP === ip);

    const t0 = performance.now();
    const app = await start();
    let cold: Phase, steady: Phase, add: Phase, drain: Phase, unlabel: Phase, move: Phase;
    try {
      await app.ready;
      cold = await pass(app, () => cachedNames(app) === names, t0);
      steady = await pass(app, () => true);
      addName(api, names);
      add = await pass(
        app,
        () => cachedNames(app) === names + 1 && app.listers.pods.list().length === names + 1,
      );
      // Its only pod goes: the name has no address left, so its record is deleted.
      api.store.delete('v1', 'Pod', 'default', `pod-${names}`);
      drain = await pass(app, () => app.listers.pods.list().length === names);
      // Then the service itself: kuberoute, like the original, leaves a vanished service's name alone.
      api.store.delete('v1', 'Service', 'default', `svc-${names}`);
      unlabel = await pass(app, () => cachedNames(app) === names);
      // pod-0 moves from node 0 to node 1: h0's one address changes.
      api.store.patchMerge('v1', 'Pod', 'default', 'pod-0', { status: { hostIP: nodeIp(1) } });
      move = await pass(app, () => moved(app, 'pod-0', nodeIp(1)));
    } finally {
      await app.stop();
    }
    // A new process over the full zone (restart, upgrade): reads all, writes nothing.
    const t1 = performance.now();
    const again = await start();
    let restart: Phase;
    try {
      await again.ready;
      restart = await pass(again, () => cachedNames(again) === names, t1);
    } finally {
      await again.stop();
    }

    // The records really are there: one per name, h0 on node 1.
    let zoneSize: number;
    if (r53 !== undefined) {
      const zone = r53.zones()[0]?.id ?? '';
      const records = r53.records(zone);
      zoneSize = records.length;
      const a = records.filter((r) => r.Type === 'A').length;
      if (a !== names) throw new Error(`${a} A records for ${names} names`);
      const h0 = r53.record(zone, 'h0.example.com', 'A')?.ResourceRecords?.map((v) => v.Value);
      if (JSON.stringify(h0) !== JSON.stringify([nodeIp(1)])) throw new Error(`h0 is ${JSON.stringify(h0)}`);
    } else {
      const keys = await etcdKeys(etcd as EtcdProcess, '/skydns/');
      zoneSize = Object.keys(keys).length;
      if (zoneSize !== names) throw new Error(`${zoneSize} keys for ${names} names`);
      const h0 = keys['/skydns/com/example/h0/x1'];
      if (h0 === undefined || (JSON.parse(h0) as { host?: string }).host !== nodeIp(1))
        throw new Error(`h0 is ${String(h0)}`);
    }
    return { backend, names, zoneSize, phases: { cold, steady, add, drain, unlabel, move, restart } };
  } finally {
    await Promise.all([api.close(), etcd?.stop()]);
  }
}

/** The objects of N names: 3 nodes, N services and N pods (one each). */
function workload(names: number) {
  return {
    services: Array.from({ length: names }, (_, i) =>
      service(`svc-${i}`, routeLabels(`h${i}`, 'example.com')),
    ),
    pods: Array.from({ length: names }, (_, i) => pod(`pod-${i}`, `svc-${i}`, nodeIp(i))),
    nodes: Array.from({ length: NODES }, (_, n) => node(`node-${n}`, nodeIp(n))),
  };
}

/** Median ms of kuberoute's pure model build (buildModel) over N names, 11 runs after a warm-up. */
function timeBuild(names: number): number {
  const input = workload(names);
  buildModel(input, modelConfig());
  const times: number[] = [];
  for (let r = 0; r < 11; r++) {
    const t = performance.now();
    buildModel(input, modelConfig());
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

/** One cold and one steady pass of the pure pass functions over a SkyDNS provider, batched or not. */
interface Compared {
  names: number;
  batch: boolean;
  cold: Phase;
  steady: Phase;
}

/**
 * Before/after of the SkyDNS batching in one run: kuberoute's model and desired records of N
 * names (its pure build functions), written by dns-providers' `runDnsPass` through
 * `EtcdSkyDnsProvider` with `batch: false` (the former cost: a range and a transaction per
 * record) and with the default, into a real etcd emptied before each.
 */
async function compareBatching(names: number): Promise<Compared[]> {
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.clientUrl });
  try {
    const { model } = buildModel(workload(names), modelConfig());
    const [domain] = desiredByDomain(model.decisions, {
      heartbeat: undefined,
      replacements: {},
      now: new Date(),
    });
    if (domain === undefined) throw new Error('no domain');
    const ownership = createPredicateOwnership((e) => domain.owned.has(normalizeName(e.name)));
    const out: Compared[] = [];
    for (const batch of [false, true]) {
      await client.delete().all();
      const provider = new EtcdSkyDnsProvider({ client, domains: [domain.domain], batch });
      const counted = async (): Promise<Phase> => {
        const before = await etcdCounters(etcd);
        const t = performance.now();
        const r = await runDnsPass({ provider, desired: domain.desired, ownership });
        const ms = performance.now() - t;
        if (r.failed.length > 0) throw new Error(`${r.failed.length} changes failed`);
        return { calls: diff(await etcdCounters(etcd), before), passes: 1, ms };
      };
      const cold = await counted();
      out.push({ names, batch, cold, steady: await counted() });
    }
    return out;
  } finally {
    client.close();
    await etcd.stop();
  }
}

const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, load ${loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ')}, ${new Date().toISOString().slice(0, 16)}Z`;
console.log(machine);
// The pure build first, on a fresh heap.
const builds = SIZES.map((n) => ({ names: n, ms: timeBuild(n) }));
for (const b of builds) console.log(`buildModel, ${b.names} names: median ${b.ms.toFixed(1)} ms`);
const buildRatio = (builds.at(-1)?.ms ?? 0) / (builds[0]?.ms ?? 1);
const results: Measured[] = [];
for (const backend of BACKENDS) {
  for (const n of SIZES) {
    const m = await measure(backend, n);
    results.push(m);
    console.log(`${backend}, ${n} names, zone of ${m.zoneSize}`);
    for (const [name, p] of Object.entries(m.phases))
      console.log(`  ${name}: ${p.passes} pass(es), ${p.ms.toFixed(0)} ms, ${JSON.stringify(p.calls)}`);
  }
}
const compared: Compared[] = [];
if (SKYDNS)
  for (const n of SIZES) {
    for (const c of await compareBatching(n)) {
      compared.push(c);
      console.log(
        `skydns pass functions, ${n} names, batch ${c.batch}: cold ${c.cold.ms.toFixed(0)} ms ${JSON.stringify(c.cold.calls)}, steady ${JSON.stringify(c.steady.calls)}`,
      );
    }
  }

const R53_OPS = ['ListHostedZonesByName', 'ListResourceRecordSets', 'ChangeResourceRecordSets'] as const;
const get = (p: Phase, k: string): number => p.calls[k] ?? 0;
const secs = (p: Phase): string => (p.ms / 1000).toFixed(2);
const r53Rows = results
  .filter((m) => m.backend === 'route53')
  .flatMap((m) =>
    PHASES.map((name) => {
      const p = m.phases[name];
      const other = Object.entries(p.calls)
        .filter(([k]) => !R53_OPS.some((op) => k === `route53:${op}`))
        .reduce((a, [, n]) => a + n, 0);
      return `| ${m.names} | ${name} | ${p.passes} | ${R53_OPS.map((op) => get(p, `route53:${op}`)).join(' | ')} | ${other} | ${secs(p)} |`;
    }),
  );
const etcdRow = (p: Phase): string => ETCD_OPS.map((op) => get(p, `etcd:${op}`)).join(' | ');
const skyRows = results
  .filter((m) => m.backend === 'skydns')
  .flatMap((m) =>
    PHASES.map(
      (name) =>
        `| ${m.names} | ${name} | ${m.phases[name].passes} | ${etcdRow(m.phases[name])} | ${secs(m.phases[name])} |`,
    ),
  );
const cmpRows = compared.flatMap((c) => [
  `| ${c.names} | ${c.batch ? 'packed (now)' : 'per record (before)'} | cold | ${etcdRow(c.cold)} | ${secs(c.cold)} |`,
  `| ${c.names} | ${c.batch ? 'packed (now)' : 'per record (before)'} | steady | ${etcdRow(c.steady)} | ${secs(c.steady)} |`,
]);
const md = `# kuberoute benchmarks

\`pnpm bench\` runs \`bench/dns-calls.bench.ts --check\` from the TypeScript sources; it writes this
file.

## DNS calls per pass at 1k and 10k names

What it measures: kuberoute in-process on the shared controller loop (\`run()\`: Services, Pods
and Nodes informers over testkit's API test server, the DNS step, each pass started as \`GET /\`
starts it), with 3 nodes and N labelled NodePort services \`h<i>.example.com\`, each with one
running pod (so one A record of one node address). Once with \`dns_backend = route53\` against
testkit's Route53 fake behind the real SDK client (its request log), once with \`dns_backend =
skydns\` against a real etcd started by testkit (etcd's own counters from \`/metrics\`: gRPC
\`Range\`, \`Txn\`, \`Put\`, \`DeleteRange\` requests, and keys put and deleted by any of them).
No \`[heartbeat]\` (its CNAME changes every minute: one write per domain per minute by design).
Phases: \`cold\`, start to the first pass over an empty zone; \`steady\`, a pass with nothing
changed; \`add\`, a service and its pod created; \`drain\`, that pod deleted (the name has no
address left: its record is deleted); \`unlabel\`, that service deleted (kuberoute, like the
original, leaves the names of vanished services alone: no write); \`move\`, one pod moved to
another node (its record's address changes); \`restart\`, a new process's first pass over the
full zone. "passes": loop passes in the phase; "s": its wall time, informer lists included in
\`cold\` and \`restart\`.

Machine: ${machine}. Deterministic: the counts do not depend on the machine.

Route53:

| names | phase | passes | ${R53_OPS.join(' | ')} | other | s |
| ----: | ----- | -----: | ${R53_OPS.map(() => '---:').join(' | ')} | ---: | -: |
${r53Rows.join('\n')}

SkyDNS (etcd v3):

| names | phase | passes | ${ETCD_OPS.join(' | ')} | s |
| ----: | ----- | -----: | ${ETCD_OPS.map(() => '---:').join(' | ')} | -: |
${skyRows.join('\n')}

Before/after of the SkyDNS change packing, same run: kuberoute's pure build functions for the
same N names, then dns-providers' \`runDnsPass\` through \`EtcdSkyDnsProvider\` with
\`batch: false\` (the former behaviour) and with the default, each into an emptied etcd:

| names | provider | pass | ${ETCD_OPS.join(' | ')} | s |
| ----: | -------- | ---- | ${ETCD_OPS.map(() => '---:').join(' | ')} | -: |
${cmpRows.join('\n')}

Model build (kuberoute's pure \`buildModel\`: services matched to pods, decisions), median of 11:
${builds.map((b) => `${b.ms.toFixed(1)} ms at ${b.names} names`).join(', ')}; ${builds.at(-1)?.names ?? ''}/${builds[0]?.names ?? ''}
ratio ${buildRatio.toFixed(1)}x. Pods are indexed by label now: matching every
service against every pod of its namespace made the build quadratic (in the run before the index,
on the same machine, a steady pass with no DNS call took 2.9 s at 10k names and 0.2 s at 1k).

Reading:

- A steady pass writes nothing on either backend. Route53: no call at all (the provider answers
  from the zone listing it keeps; listed again after 15 min, or after a conflict with a record
  kuberoute does not own). SkyDNS: one \`Range\` per domain per pass (etcd is read every pass;
  the range returns the domain's keys, so its bytes grow with the zone, its count does not).
- One change costs one write request: one ChangeResourceRecordSets (an UPSERT for a moved
  address, a CREATE, a DELETE), or on etcd one \`Txn\` writing that name's keys, after the pass's
  one \`Range\`. Removing a service writes nothing, as in the original (see the README).
- Cold writes are packed as each backend allows: Route53 up to 1,000 changes a request
  (ceil(N / 1000)); etcd up to 128 compares and operations a transaction (etcd's
  \`--max-txn-ops\`), so ceil(N / 128) transactions. Before this bench the SkyDNS provider read
  and committed once per record: N + 1 ranges and N transactions for a cold pass (table above).
- Reads grow with the zone no faster than linearly: a Route53 listing (cold or restart) is
  ceil(record sets / 300) pages (4 at 1k, 34 at 10k); etcd needs one range per domain whatever
  the size.
- \`--check\` asserts exactly these counts, and a build ratio of at most 20x from 1k to 10k names.
`;
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), md);
console.log('BENCHMARKS.md written');

if (check) {
  const failures: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) failures.push(what);
  };
  for (const m of results) {
    const { cold, steady, add, drain, unlabel, move, restart } = m.phases;
    const at = `${m.backend} ${m.names}:`;
    if (m.backend === 'route53') {
      const writes = (p: Phase): number => get(p, 'route53:ChangeResourceRecordSets');
      const total = (p: Phase): number => Object.values(p.calls).reduce((a, b) => a + b, 0);
      expect(total(steady) === 0, `${at} the steady pass made ${JSON.stringify(steady.calls)}`);
      expect(total(unlabel) === 0, `${at} unlabel made ${JSON.stringify(unlabel.calls)}`);
      for (const [name, p] of Object.entries({ add, drain, move }))
        expect(writes(p) === 1 && total(p) === 1, `${at} ${name} made ${JSON.stringify(p.calls)}`);
      expect(writes(cold) === Math.ceil(m.names / 1000), `${at} cold made ${writes(cold)} change requests`);
      expect(
        get(cold, 'route53:ListResourceRecordSets') === 1,
        `${at} cold listed ${JSON.stringify(cold.calls)}`,
      );
      expect(writes(restart) === 0, `${at} restart wrote`);
      expect(
        get(restart, 'route53:ListResourceRecordSets') === Math.ceil(m.zoneSize / 300),
        `${at} restart listed ${get(restart, 'route53:ListResourceRecordSets')} pages for ${m.zoneSize} record sets`,
      );
    } else {
      const e = (p: Phase, k: (typeof ETCD_OPS)[number]): number => get(p, `etcd:${k}`);
      const writes = (p: Phase): number => e(p, 'Txn') + e(p, 'Put') + e(p, 'DeleteRange');
      for (const [name, p] of Object.entries({ cold, steady, add, drain, unlabel, move, restart }))
        expect(e(p, 'Range') === 1, `${at} ${name} made ${e(p, 'Range')} ranges`);
      for (const [name, p] of Object.entries({ steady, unlabel, restart }))
        expect(
          writes(p) === 0 && e(p, 'keysPut') + e(p, 'keysDeleted') === 0,
          `${at} ${name} wrote ${JSON.stringify(p.calls)}`,
        );
      for (const [name, p] of Object.entries({ add, drain, move }))
        expect(e(p, 'Txn') === 1 && writes(p) === 1, `${at} ${name} made ${JSON.stringify(p.calls)}`);
      expect(
        e(cold, 'Txn') === Math.ceil(m.names / 128) && e(cold, 'keysPut') === m.names,
        `${at} cold made ${JSON.stringify(cold.calls)}`,
      );
    }
  }
  for (const c of compared.filter((x) => x.batch))
    expect(
      get(c.cold, 'etcd:Txn') === Math.ceil(c.names / 128) && get(c.steady, 'etcd:Txn') === 0,
      `packed ${c.names}: ${JSON.stringify(c.cold.calls)}`,
    );
  if (builds.length > 1)
    expect(
      buildRatio <= 20,
      `buildModel is not linear: ${buildRatio.toFixed(1)}x from ${SIZES[0]} to ${SIZES.at(-1)} names`,
    );
  if (failures.length > 0) {
    console.error(`check failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check passed');
}
