import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorMessage } from '@kube-edge/runtime';
import {
  adminRequest,
  applyObjects,
  createFakeAws,
  createFakeRoute53,
  eventually,
  freePort,
  helmAvailable,
  httpRequest,
  mintServiceAccountToken,
  realApiServerAvailable,
  serveFakeAws,
  spawnTracked,
  startRealApiServer,
  tempDir,
  type FakeAws,
  type KubeObject,
  type RealApiServer,
  type ServedFakeAws,
  type TempDir,
  type TrackedSpawn,
} from '@kube-edge/testkit';
import { parseAllDocuments } from 'yaml';

// The README quick start of each app, followed on a real kube-apiserver as a new user would: the
// `helm install` line(s) of the "Quick start" code block run with exactly their flags, the
// `kubectl apply -f examples/...` lines applied, then the app itself (its built dist/main.js) runs
// with the args and env the installed workload carries, as the release's ServiceAccount. It must
// become ready, log no error and no forbidden call, and exit 0 on SIGTERM.
//
// What a pod gives that a local process cannot is substituted, and only that: valueFrom fields
// resolved by hand, volume mount paths mapped to temp directories (Secrets and ConfigMaps written
// into them), container ports mapped to free loopback ports, the in-cluster config replaced by a
// kubeconfig holding the ServiceAccount's token, and AWS (IRSA in the quick starts) replaced by
// testkit's fakes through the SDK's standard endpoint variables.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every app with a chart and a README quick start. */
const APPS = [
  'dispatcher',
  'feed-dns',
  'feed-ingress',
  'kuberoute',
  'ingress-daemonset-controller',
  'aws-alb-controller',
] as const;
type App = (typeof APPS)[number];

/** One `helm install` of a quick start. */
export interface HelmInstall {
  release: string;
  /** Local chart directory (an `oci://…/charts/<name>` reference maps to `charts/<name>`). */
  chart: string;
  namespace: string;
  /** The flags after the chart, exactly as written (`--set`, `-f`, `--create-namespace`, …). */
  flags: string[];
}

/** What a README's quick start asks a user to run. */
export interface QuickStart {
  installs: HelmInstall[];
  /** Files of its `kubectl apply -f` lines, relative to the repository root. */
  applies: string[];
}

/** Shell-like words of one command line: single and double quotes, backslash escapes. Pure. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line.charAt(i);
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      i += 1;
      while (i < line.length && line.charAt(i) !== '"') {
        // In double quotes a backslash escapes only $ ` " \ (so "eks\.amazonaws" keeps it).
        if (line.charAt(i) === '\\' && i + 1 < line.length && '$`"\\'.includes(line.charAt(i + 1))) i += 1;
        word += line.charAt(i);
        i += 1;
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line.charAt(i + 1);
      inWord = true;
      i += 1;
    } else if (c === '#' && !inWord) {
      break;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The quick start of a README: the first fenced code block under its `## Quick start` heading,
 * continuation lines joined, its `helm install` and `kubectl apply -f` commands. Throws when the
 * heading, the block or a `helm install` is missing. Pure.
 */
export function parseQuickStart(readme: string): QuickStart {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^##\s+quick start\s*$/i.test(l));
  if (start < 0) throw new Error('no "## Quick start" heading');
  let i = start + 1;
  while (i < lines.length && !/^```/.test(lines[i] ?? '')) {
    if (/^#{1,2}\s/.test(lines[i] ?? '')) throw new Error('no code block under "## Quick start"');
    i += 1;
  }
  const block: string[] = [];
  for (i += 1; i < lines.length && !/^```/.test(lines[i] ?? ''); i += 1) block.push(lines[i] ?? '');
  const commands = block.join('\n').replace(/\\\n/g, ' ').split('\n');
  const installs: HelmInstall[] = [];
  const applies: string[] = [];
  for (const command of commands) {
    const words = shellWords(command);
    if (words[0] === 'helm' && words[1] === 'install') {
      const [release, ref, ...flags] = words.slice(2);
      if (release === undefined || ref === undefined) throw new Error(`incomplete: ${command}`);
      const oci = /^oci:\/\/.*\/charts\/([^/:]+)$/.exec(ref);
      const chart = oci?.[1] !== undefined ? `charts/${oci[1]}` : ref;
      const nsAt = flags.findIndex((f) => f === '-n' || f === '--namespace');
      const nsEq = flags.find((f) => f.startsWith('--namespace='));
      const namespace = nsEq?.slice('--namespace='.length) ?? (nsAt >= 0 ? flags[nsAt + 1] : undefined);
      installs.push({ release, chart, namespace: namespace ?? 'default', flags });
    } else if (words[0] === 'kubectl' && words[1] === 'apply') {
      for (let w = 2; w < words.length; w += 1)
        if (words[w] === '-f' && words[w + 1] !== undefined) applies.push(words[w + 1] ?? '');
    }
  }
  if (installs.length === 0) throw new Error('no "helm install" in the quick start block');
  return { installs, applies };
}

function run(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout: 120_000,
        env: options.env ?? process.env,
        cwd: options.cwd ?? ROOT,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** Newest modification time under `dir` (files ending in .ts, tests excluded). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.includes('.test.')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

// --- the installed workload, localised -------------------------------------------------------

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
}
interface Volume {
  name: string;
  secret?: { secretName: string };
  configMap?: { name: string };
}
interface Workload extends KubeObject {
  spec: { template: { spec: { containers: Container[]; volumes?: Volume[]; serviceAccountName?: string } } };
}

/** A pod's worth of what the app sees, for a local process. */
interface LocalRun {
  args: string[];
  env: Record<string, string>;
  readyUrl: string;
  serviceAccount: string;
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

async function getJson<T>(api: RealApiServer, path: string): Promise<T> {
  const res = await adminRequest(api, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
  return res.json<T>();
}

/**
 * Reads the release's one workload from the API server and turns its first container into a local
 * run: ports → free loopback ports, mounts → directories under `dir` (Secret/ConfigMap contents
 * written), valueFrom → resolved, plus the kubeconfig for the ServiceAccount.
 */
async function localise(
  api: RealApiServer,
  install: HelmInstall,
  dir: string,
  rewriteFile: (text: string, kubeconfig: string, mapPort: (port: string) => string) => string,
): Promise<LocalRun> {
  const ns = install.namespace;
  const selector = encodeURIComponent(`app.kubernetes.io/instance=${install.release}`);
  const found: Workload[] = [];
  for (const kind of ['deployments', 'daemonsets'])
    found.push(
      ...(
        await getJson<{ items: Workload[] }>(
          api,
          `/apis/apps/v1/namespaces/${ns}/${kind}?labelSelector=${selector}`,
        )
      ).items,
    );
  expect(found.map((w) => w.metadata.name)).toHaveLength(1);
  const workload = found[0] as Workload;
  const pod = workload.spec.template.spec;
  const container = pod.containers[0] as Container;
  const podName = `${workload.metadata.name ?? 'app'}-quickstart`;

  const sa = await mintServiceAccountToken(api, ns, pod.serviceAccountName ?? 'default');
  const kubeconfig = await sa.writeKubeconfig(join(dir, 'kubeconfig'));

  // Ports: each declared container port gets a free loopback port.
  const ports = new Map<number, number>();
  for (const p of container.ports ?? []) ports.set(p.containerPort, await freePort());
  const mapPort = (text: string): string => {
    const whole = ports.get(Number(text));
    if (/^\d+$/.test(text) && whole !== undefined) return String(whole);
    return text.replace(/([=:])(\d+)$/, (m, sep: string, n: string) => {
      const to = ports.get(Number(n));
      return to === undefined ? m : `${sep}${to}`;
    });
  };
  // Mounts: each mount path becomes a directory of its own.
  const mounts: [string, string][] = [];
  for (const m of container.volumeMounts ?? []) {
    const local = join(dir, 'mounts', m.name);
    await mkdir(local, { recursive: true });
    mounts.push([m.mountPath.replace(/\/$/, ''), local]);
    const volume = pod.volumes?.find((v) => v.name === m.name);
    let data: Record<string, string> = {};
    if (volume?.secret !== undefined) {
      const secret = await getJson<{ data?: Record<string, string> }>(
        api,
        `/api/v1/namespaces/${ns}/secrets/${volume.secret.secretName}`,
      );
      data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, b64(v)]));
    } else if (volume?.configMap !== undefined) {
      data =
        (
          await getJson<{ data?: Record<string, string> }>(
            api,
            `/api/v1/namespaces/${ns}/configmaps/${volume.configMap.name}`,
          )
        ).data ?? {};
    }
    for (const [key, text] of Object.entries(data))
      await writeFile(join(local, key), rewriteFile(text, kubeconfig, mapPort));
  }
  mounts.sort((a, b) => b[0].length - a[0].length);
  const mapPath = (text: string): string => {
    for (const [from, to] of mounts) {
      const at = text.indexOf(from);
      if (at >= 0 && (text.length === at + from.length || text.charAt(at + from.length) === '/'))
        return text.slice(0, at) + to + text.slice(at + from.length);
    }
    return text;
  };
  const localiseValue = (v: string): string => mapPort(mapPath(v));

  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = localiseValue(e.value);
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field !== undefined) {
      const fields: Record<string, string> = {
        'metadata.name': podName,
        'metadata.namespace': ns,
        'spec.nodeName': 'quickstart-node',
        'spec.serviceAccountName': sa.name,
        'status.podIP': '127.0.0.1',
        'status.hostIP': '127.0.0.1',
      };
      const value = fields[field];
      if (value === undefined) throw new Error(`${e.name}: fieldRef ${field} not resolvable here`);
      env[e.name] = value;
    }
    const secretRef = e.valueFrom?.secretKeyRef;
    if (secretRef !== undefined) {
      const secret = await getJson<{ data?: Record<string, string> }>(
        api,
        `/api/v1/namespaces/${ns}/secrets/${secretRef.name}`,
      );
      env[e.name] = b64(secret.data?.[secretRef.key] ?? '');
    }
    const cmRef = e.valueFrom?.configMapKeyRef;
    if (cmRef !== undefined)
      env[e.name] =
        (
          await getJson<{ data?: Record<string, string> }>(
            api,
            `/api/v1/namespaces/${ns}/configmaps/${cmRef.name}`,
          )
        ).data?.[cmRef.key] ?? '';
  }
  env['KUBECONFIG'] = kubeconfig;

  const probe = container.readinessProbe?.httpGet;
  if (probe === undefined) throw new Error(`${workload.metadata.name ?? ''}: no httpGet readinessProbe`);
  const probePort =
    typeof probe.port === 'number'
      ? probe.port
      : (container.ports ?? []).find((p) => p.name === probe.port)?.containerPort;
  const readyPort = probePort === undefined ? undefined : ports.get(probePort);
  if (readyPort === undefined)
    throw new Error(`readiness probe port ${String(probe.port)} is not a container port`);
  return {
    args: (container.args ?? []).map(localiseValue),
    env,
    readyUrl: `http://127.0.0.1:${readyPort}${probe.path}`,
    serviceAccount: sa.username,
  };
}

// --- per app: what its quick start needs besides the cluster ---------------------------------

interface Fakes {
  aws: FakeAws;
  route53: ReturnType<typeof createFakeRoute53>;
  awsUrl: string;
  route53Url: string;
}

interface AppCase {
  /** Seeds the AWS fakes with what the quick start says exists in the account. */
  seed?(fakes: Fakes): void;
  /** Environment a pod on AWS would have (IRSA, IMDS), pointed at the fakes. */
  awsEnv?: boolean;
  /** Rewrites a mounted Secret/ConfigMap file (in-cluster access → the kubeconfig, ports → local). */
  rewriteFile?(text: string, kubeconfig: string, mapPort: (port: string) => string): string;
  /** Args that must differ locally, with the reason. */
  overrideArgs?: { args: Record<string, string>; why: string };
  /** What the running app must have done to the fakes (checked until it holds, after ready). */
  afterReady?: { what: string; check(fakes: Fakes): void };
}

const FRONTEND_TAG = 'sky.uk/KubernetesClusterFrontend';

const CASES: Readonly<Record<App, AppCase>> = {
  dispatcher: {},
  'feed-dns': {
    awsEnv: true,
    seed({ aws, route53 }) {
      // "a hosted zone Z0EXAMPLE12345" and ELBs tagged with the label value blue.
      route53.createHostedZone({ name: 'example.com', id: 'Z0EXAMPLE12345' });
      aws.elb.createLoadBalancer({ name: 'edge-int', scheme: 'internal', tags: { [FRONTEND_TAG]: 'blue' } });
      aws.elb.createLoadBalancer({
        name: 'edge-ext',
        scheme: 'internet-facing',
        tags: { [FRONTEND_TAG]: 'blue' },
      });
    },
  },
  'feed-ingress': {
    awsEnv: true,
    seed({ aws }) {
      // "an NLB tagged sky.uk/KubernetesClusterFrontend=blue whose target group forwards to port 8080".
      const nlb = aws.elbv2.createLoadBalancer({
        name: 'edge',
        type: 'network',
        scheme: 'internal',
        tags: { [FRONTEND_TAG]: 'blue', 'sky.uk/KubernetesClusterIngressClass': 'edge' },
      });
      aws.elbv2.createTargetGroup({
        name: 'edge-http',
        targetType: 'instance',
        port: 8080,
        loadBalancerArns: [nlb.arn],
      });
    },
    overrideArgs: {
      args: { '--drain-delay': '1s', '--nlb-readiness-delay': '0s' },
      why: "the 60 s drain on stop and the 5 min readiness delay after attaching are the NLB's timings (registration, deregistration), which a fake NLB does not have",
    },
  },
  kuberoute: {
    awsEnv: true,
    seed({ route53 }) {
      // The zone of examples/kuberoute/testservice.yaml's domain.
      route53.createHostedZone({ name: 'schneevonmorgen.com' });
    },
    rewriteFile: (text, kubeconfig, mapPort) =>
      text.includes('kubeconfig_kind = serviceaccount')
        ? `${text
            .replace('kubeconfig_kind = serviceaccount', 'kubeconfig_kind = kubeconfig')
            .replace(
              /^port = (\d+)$/m,
              (_m, port: string) => `port = ${mapPort(port)}`,
            )}\n[kubeconfig]\nfilename = ${kubeconfig}\n`
        : text,
  },
  'ingress-daemonset-controller': {},
  'aws-alb-controller': {
    awsEnv: true,
    seed({ aws }) {
      // What the quick start says the account has: the node (the instance metadata's instance) in
      // an Auto Scaling group, tagged with the cluster id, in a VPC with subnets in two zones; the
      // security group tagged for the cluster and the controller; issued certificates for the
      // example Ingresses' hosts (the api Ingress pins its ARN).
      const cluster = 'kubernetes.io/cluster/quickstart';
      aws.ec2.putVpc({ vpcId: 'vpc-0quickstart' });
      for (const [id, zone] of [
        ['subnet-0a', 'eu-west-1a'],
        ['subnet-0b', 'eu-west-1b'],
      ] as const)
        aws.ec2.putSubnet({ subnetId: id, vpcId: 'vpc-0quickstart', availabilityZone: zone });
      aws.ec2.putRouteTable({
        routeTableId: 'rtb-0main',
        vpcId: 'vpc-0quickstart',
        main: true,
        routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0quickstart' }],
      });
      aws.ec2.putSecurityGroup({
        groupId: 'sg-0ingress',
        groupName: 'ingress',
        vpcId: 'vpc-0quickstart',
        tags: { [cluster]: 'owned', 'kubernetes:application': 'kube-ingress-aws-controller' },
      });
      aws.ec2.putInstance({
        instanceId: 'i-0123456789abcdef0',
        vpcId: 'vpc-0quickstart',
        tags: { 'aws:autoscaling:groupName': 'nodes', [cluster]: 'owned', 'k8s.io/role/node': '' },
      });
      aws.autoscaling.putGroup({ name: 'nodes', instanceIds: ['i-0123456789abcdef0'] });
      aws.acm.addCertificate({ domainName: '*.example.org' });
      aws.acm.addCertificate({ domainName: 'blog.example.net' });
      aws.acm.addCertificate({
        domainName: 'api.example.org',
        arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/22222222-2222-2222-2222-222222222222',
      });
    },
    afterReady: {
      what: 'a stack per load balancer of the example Ingresses (shop+blog, admin, api)',
      check({ aws }) {
        const stacks = aws.cloudformation
          .stacks()
          .filter((st) => st.stackName.startsWith('kube-ingress-aws-controller-quickstart-'));
        expect(stacks).toHaveLength(3);
      },
    },
  },
};

/** Why an app is not followed, or undefined when it is. */
function skipReason(app: App): string | undefined {
  if (!existsSync(join(ROOT, 'charts', app, 'Chart.yaml'))) return `charts/${app} does not exist yet`;
  const readme = readFileSync(join(ROOT, 'apps', app, 'README.md'), 'utf8');
  try {
    parseQuickStart(readme);
  } catch (err) {
    return `apps/${app}/README.md has no followable quick start yet (${errorMessage(err)})`;
  }
  return undefined;
}

// --- the tests ------------------------------------------------------------------------------

describe('parseQuickStart', () => {
  it('reads helm install flags and kubectl apply files from the first block under "## Quick start"', () => {
    const readme = [
      '# x',
      '## Quick start',
      'Text.',
      '```sh',
      'helm install x oci://ghcr.io/kube-edge/charts/x -n edge --create-namespace \\',
      '  --set \'a.b={c}\' --set s.annotations."eks\\.amazonaws\\.com/role-arn"=arn:x # comment',
      'kubectl apply -f examples/x/y.yaml   # more',
      '```',
      '```sh',
      'helm install other charts/other',
      '```',
    ].join('\n');
    expect(parseQuickStart(readme)).toEqual({
      installs: [
        {
          release: 'x',
          chart: 'charts/x',
          namespace: 'edge',
          flags: [
            '-n',
            'edge',
            '--create-namespace',
            '--set',
            'a.b={c}',
            '--set',
            's.annotations.eks\\.amazonaws\\.com/role-arn=arn:x',
          ],
        },
      ],
      applies: ['examples/x/y.yaml'],
    });
    expect(() => parseQuickStart('# x\n## Usage\n```sh\nhelm install a b\n```\n')).toThrow('Quick start');
  });
});

const helm = helmAvailable();
const real = realApiServerAvailable();
const unavailable = !helm.available ? helm.reason : !real.available ? real.reason : undefined;
const describeReal = unavailable === undefined ? describe : describe.skip;

describeReal(
  `README quick starts on a real kube-apiserver${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let api: RealApiServer;
    let dir: TempDir;
    let fakes: Fakes;
    const servers: ServedFakeAws[] = [];
    const started: TrackedSpawn[] = [];

    beforeAll(async () => {
      // The apps run from dist: build the ones missing or older than their sources (turbo builds
      // their workspace dependencies too, and is a cache hit when nothing changed).
      const stale = APPS.filter((app) => skipReason(app) === undefined).filter((app) => {
        const main = join(ROOT, 'apps', app, 'dist', 'main.js');
        return !existsSync(main) || statSync(main).mtimeMs < newestSource(join(ROOT, 'apps', app, 'src'));
      });
      if (stale.length > 0)
        await run('pnpm', [
          'exec',
          'turbo',
          'run',
          'build',
          '--output-logs=errors-only',
          ...stale.map((a) => `--filter=@kube-edge/${a}`),
        ]);
      dir = await tempDir('quickstart');
      api = await startRealApiServer();
      const aws = await createFakeAws({ imds: { identity: { instanceId: 'i-0123456789abcdef0' } } });
      const route53 = createFakeRoute53();
      // testkit's in-process fakes served over HTTP, for the child process's AWS_ENDPOINT_URL*.
      const awsServer = await serveFakeAws(aws.clientConfig().requestHandler);
      const r53Server = await serveFakeAws(route53.clientConfig().requestHandler);
      servers.push(awsServer, r53Server);
      // A cluster has nodes (kuberoute publishes node IPs, refusing to clear records when none
      // exist); kube-apiserver alone has none, so register one, Ready, as a kubelet would.
      await applyObjects(api, [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'quickstart-node', labels: { 'kubernetes.io/hostname': 'quickstart-node' } },
          status: {
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'quick start' }],
            addresses: [
              { type: 'InternalIP', address: '10.0.1.23' },
              { type: 'Hostname', address: 'quickstart-node' },
            ],
          },
        },
      ]);
      fakes = { aws, route53, awsUrl: awsServer.url, route53Url: r53Server.url };
    }, 120_000);

    afterAll(async () => {
      for (const p of started.splice(0)) await p.kill();
      for (const s of servers) await s.close();
      await fakes?.aws.close();
      await api?.close();
      await dir?.remove();
    });

    it.each(APPS)(
      'the %s quick start ends with the app ready and no error in its log',
      async (app) => {
        const skip = skipReason(app);
        if (skip !== undefined) {
          // Said in the output, so the skip is visible (the title cannot know at collection time).
          console.warn(`quick start of ${app} skipped: ${skip}`);
          return;
        }
        const appCase = CASES[app];
        const quick = parseQuickStart(readFileSync(join(ROOT, 'apps', app, 'README.md'), 'utf8'));
        const work = join(dir.path, app);
        await mkdir(work, { recursive: true });
        const helmEnv = {
          ...process.env,
          KUBECONFIG: await api.writeKubeconfig(join(work, 'admin-kubeconfig')),
          HELM_CACHE_HOME: join(dir.path, 'helm-cache'),
          HELM_CONFIG_HOME: join(dir.path, 'helm-config'),
          HELM_DATA_HOME: join(dir.path, 'helm-data'),
        };
        for (const install of quick.installs) {
          const out = await run(
            helm.available ? helm.helm : 'helm',
            ['install', install.release, join(ROOT, install.chart), ...install.flags, '--timeout', '30s'],
            { env: helmEnv },
          );
          expect(out).toContain('STATUS: deployed');
        }
        for (const file of quick.applies) {
          const docs = parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))
            .map((d) => d.toJSON() as KubeObject | null)
            .filter((o): o is KubeObject => o !== null);
          await applyObjects(api, docs, { namespace: quick.installs[0]?.namespace ?? 'default' });
        }
        appCase.seed?.(fakes);

        const install = quick.installs[0] as HelmInstall;
        const local = await localise(api, install, work, appCase.rewriteFile ?? ((t) => t));
        let args = local.args;
        if (appCase.overrideArgs !== undefined) {
          const over = appCase.overrideArgs.args;
          args = args.map((a) => {
            const name = a.split('=')[0] ?? '';
            return over[name] === undefined ? a : `${name}=${over[name]}`;
          });
          for (const [name, value] of Object.entries(over))
            if (!args.some((a) => a.startsWith(`${name}=`))) args.push(`${name}=${value}`);
        }
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          HOME: work,
          ...local.env,
          ...(appCase.awsEnv === true
            ? {
                // What IRSA and the instance give a pod, pointed at the fakes.
                AWS_ACCESS_KEY_ID: 'AKIAQUICKSTART',
                AWS_SECRET_ACCESS_KEY: 'quickstart',
                AWS_REGION: local.env['AWS_REGION'] ?? 'eu-west-1',
                AWS_ENDPOINT_URL: fakes.awsUrl,
                AWS_ENDPOINT_URL_ROUTE_53: fakes.route53Url,
                AWS_EC2_METADATA_SERVICE_ENDPOINT: fakes.aws.imds.url,
              }
            : {}),
        };
        const child = spawnTracked(process.execPath, [join(ROOT, 'apps', app, 'dist', 'main.js'), ...args], {
          cwd: work,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        started.push(child);
        let log = '';
        child.child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
        child.child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
        const context = (): string => `\nargs: ${args.join(' ')}\nlog:\n${log}`;
        let exited = false;
        void child.exited.then(() => (exited = true));
        try {
          await eventually(
            async () => {
              if (exited) throw new Error('exited before ready');
              const res = await httpRequest({ url: local.readyUrl, timeoutMs: 2000 });
              expect(`${res.status} ${res.body}`).toMatch(/^200 /);
            },
            { timeoutMs: 20_000, intervalMs: 100, what: `${app} ${local.readyUrl} to answer 200` },
          );
        } catch (err) {
          throw new Error(`${errorMessage(err)}${context()}`, { cause: err });
        }
        const after = appCase.afterReady;
        if (after !== undefined) {
          try {
            await eventually(() => after.check(fakes), {
              timeoutMs: 20_000,
              intervalMs: 100,
              what: after.what,
            });
          } catch (err) {
            throw new Error(`${errorMessage(err)}${context()}`, { cause: err });
          }
        }
        child.signal('SIGTERM');
        const code = await Promise.race([
          child.exited,
          new Promise((r) => setTimeout(() => r('timeout'), 20_000).unref()),
        ]);
        const lines = log.split('\n').filter((l) => l.trim() !== '');
        const bad = lines.filter((l) => {
          let level: unknown;
          try {
            level = (JSON.parse(l) as { level?: unknown }).level;
          } catch {
            level = undefined;
          }
          return level === 'error' || level === 'fatal' || /forbidden|\b403\b/i.test(l);
        });
        expect({ code, bad }).toEqual({ code: 0, bad: [] });
        // Something was logged as JSON (the quick start's log format), so the check above saw real lines.
        expect(lines.some((l) => l.startsWith('{'))).toBe(true);
        if (exited && code !== 0) throw new Error(context());
      },
      40_000,
    );
  },
);
