import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adminRequest,
  applyObjects,
  checkChart,
  helmAvailable,
  realApiServerAvailable,
  renderChart,
  startRealApiServer,
  tempDir,
  type KubeObject,
  type RealApiServer,
  type TempDir,
} from '@kube-edge/testkit';
import { parse as parseYaml } from 'yaml';

// Every chart under charts/ is checked with the real tools: helm lint and helm template of every
// charts/<app>/ci/*-values.yaml, the findings of the install review as rendered-object assertions,
// then a server-side dry run of every rendered object and a helm install per chart on a real
// kube-apiserver. Skips (saying why) only when helm or kube-apiserver/etcd are absent.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Every chart in charts/: a new chart is checked without being listed here. */
const CHARTS: readonly string[] = readdirSync(join(ROOT, 'charts'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'charts', d.name, 'Chart.yaml')))
  .map((d) => d.name)
  .sort();
type Chart = string;

/** Values a chart cannot render without (feed-dns needs a hosted zone). */
const REQUIRED: Readonly<Record<Chart, Record<string, unknown>>> = {
  'feed-dns': { route53: { hostedZones: ['example.com'] } },
};

const chartDir = (chart: Chart): string => join(ROOT, 'charts', chart);
const ciFiles = (chart: Chart): string[] =>
  readdirSync(join(chartDir(chart), 'ci'))
    .filter((f) => f.endsWith('-values.yaml'))
    .sort();
const ciValues = (chart: Chart, file: string): Record<string, unknown> =>
  parseYaml(readFileSync(join(chartDir(chart), 'ci', file), 'utf8')) as Record<string, unknown>;
const modes = CHARTS.flatMap((chart) => ciFiles(chart).map((file) => [chart, file] as const));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

interface PodSpec {
  enableServiceLinks?: boolean;
  hostNetwork?: boolean;
  topologySpreadConstraints?: { labelSelector?: { matchLabels?: Record<string, string> } }[];
  containers: {
    args?: unknown[];
    securityContext?: Record<string, unknown>;
    readinessProbe?: Record<string, unknown>;
    livenessProbe?: Record<string, unknown>;
  }[];
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

const WORKLOAD_KINDS = ['Deployment', 'DaemonSet'];
type Workload = KubeObject & { spec: Record<string, unknown> };
/** Every Deployment and DaemonSet of a render (at least one). */
const workloads = (objects: readonly KubeObject[]): Workload[] => {
  const found = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  expect(found.length).toBeGreaterThan(0);
  return found as Workload[];
};
/** The one workload of a render (a render with several fails). */
const workload = (objects: readonly KubeObject[]): Workload => {
  const found = workloads(objects);
  expect(found).toHaveLength(1);
  return found[0] as Workload;
};
const podSpec = (objects: readonly KubeObject[]): PodSpec =>
  (workload(objects).spec as { template: { spec: PodSpec } }).template.spec;
const rules = (objects: readonly KubeObject[]): Rule[] =>
  objects
    .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
    .flatMap((o) => (o as { rules?: Rule[] }).rules ?? []);
const kinds = (objects: readonly KubeObject[]): string[] => objects.map((o) => o.kind);

describe('chart docs and schemas', () => {
  it('every value has a "# --" description, a schema property, and README.md and the schema are generated from them', async () => {
    await expect(run(process.execPath, [join(ROOT, 'scripts/chart-docs.mjs'), '--check'])).resolves.toBe('');
  });

  it.each(CHARTS)('%s passes the static chart check', async (chart) => {
    expect(await checkChart(chartDir(chart))).toEqual([]);
  });

  it.each(['feed-ingress', 'feed-dns'] as const)(
    '%s ships an IAM policy document that its README links',
    (chart) => {
      const policy = JSON.parse(readFileSync(join(chartDir(chart), 'iam-policy.json'), 'utf8')) as {
        Version: string;
        Statement: { Effect: string; Action: string[] }[];
      };
      expect(policy.Version).toBe('2012-10-17');
      const actions = policy.Statement.flatMap((s) => s.Action);
      expect(actions.length).toBeGreaterThan(3);
      expect(actions.some((a) => a.startsWith('elasticloadbalancing:Describe'))).toBe(true);
      expect(readFileSync(join(chartDir(chart), 'README.md'), 'utf8')).toContain('(iam-policy.json)');
    },
  );
});

const helm = helmAvailable();
const describeHelm = helm.available ? describe : describe.skip;
const helmTitle = helm.available
  ? 'charts rendered by helm'
  : `charts rendered by helm (skipped: ${helm.reason})`;

describeHelm(helmTitle, () => {
  const render = (chart: Chart, values: Record<string, unknown> = {}): Promise<KubeObject[]> =>
    renderChart(chartDir(chart), { values: { ...REQUIRED[chart], ...values }, namespace: 'edge' });

  it.each(CHARTS)('helm lint passes for %s with its defaults and every ci values file', async (chart) => {
    const bin = helm.available ? helm.helm : 'helm';
    const dir = await tempDir('helm-lint');
    try {
      const env = {
        ...process.env,
        HELM_CACHE_HOME: join(dir.path, 'cache'),
        HELM_CONFIG_HOME: join(dir.path, 'config'),
        HELM_DATA_HOME: join(dir.path, 'data'),
      };
      const required = REQUIRED[chart] ?? {};
      const sets = 'route53' in required ? ['--set', 'route53.hostedZones={example.com}'] : ([] as string[]);
      await run(bin, ['lint', '--strict', chartDir(chart), ...sets], env);
      for (const file of ciFiles(chart))
        await run(bin, ['lint', '--strict', chartDir(chart), '-f', join(chartDir(chart), 'ci', file)], env);
    } finally {
      await dir.remove();
    }
  });

  it.each(modes)('%s %s renders, and its pods get no service-link variables', async (chart, file) => {
    const objects = await render(chart, ciValues(chart, file));
    // Every workload of the render (ingress-daemonset-controller with node-detacher has two).
    const links = workloads(objects).map((w) => [
      `${w.kind} ${w.metadata?.name ?? ''}`,
      (w.spec as { template: { spec: PodSpec } }).template.spec.enableServiceLinks,
    ]);
    expect(links).toEqual(links.map(([name]) => [name, false]));
  });

  it.each(CHARTS)('%s with its defaults sets enableServiceLinks: false', async (chart) => {
    expect(podSpec(await render(chart)).enableServiceLinks).toBe(false);
  });

  it.each([
    ['elb', 'DaemonSet', true],
    ['nlb', 'DaemonSet', true],
    ['alb', 'DaemonSet', true],
    ['gorb', 'DaemonSet', true],
    ['static', 'Deployment', undefined],
  ] as const)(
    'feed-ingress with the %s frontend defaults to a %s (hostNetwork %s)',
    async (type, kind, host) => {
      const objects = await render('feed-ingress', { frontend: { type } });
      expect(workload(objects).kind).toBe(kind);
      expect(podSpec(objects).hostNetwork).toBe(host);
    },
  );

  it('feed-ingress: kind and hostNetwork set explicitly win over the frontend default', async () => {
    const objects = await render('feed-ingress', {
      frontend: { type: 'nlb' },
      kind: 'Deployment',
      hostNetwork: false,
    });
    expect(workload(objects).kind).toBe('Deployment');
    expect(podSpec(objects).hostNetwork).toBeUndefined();
  });

  it.each([
    [{}, false],
    [{ ports: { https: 8443 } }, true],
    [{ ports: { https: 8443 }, rbac: { secrets: false } }, false],
    [{ rbac: { secrets: true } }, true],
  ] as const)('feed-ingress with %j may read Secrets: %s', async (values, granted) => {
    const secretRules = rules(await render('feed-ingress', values)).filter((r) =>
      r.resources?.includes('secrets'),
    );
    expect(secretRules.length > 0).toBe(granted);
  });

  it('feed-dns: the Lease Role allows create, and get/update only on its own Lease; no verb the code does not use', async () => {
    const objects = await render('feed-dns');
    const role = objects.find((o) => o.kind === 'Role');
    const leaseRules = ((role as { rules?: Rule[] } | undefined)?.rules ?? []).filter((r) =>
      r.resources?.includes('leases'),
    );
    expect(leaseRules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['test-feed-dns'],
        verbs: ['get', 'update'],
      },
    ]);
    const verbs = rules(objects).flatMap((r) =>
      (r.resources ?? []).map((res) => `${res}:${(r.verbs ?? []).join(',')}`),
    );
    expect(verbs).toEqual([
      'ingresses:list,watch',
      'events:create,patch',
      'leases:create',
      'leases:get,update',
    ]);
  });

  it('kuberoute grants only list/watch on what its informers read', async () => {
    const verbs = rules(await render('kuberoute')).flatMap((r) =>
      (r.resources ?? []).map((res) => `${res}:${(r.verbs ?? []).join(',')}`),
    );
    expect(verbs).toEqual([
      'nodes:list,watch',
      'services:list,watch',
      'pods:list,watch',
      'events:create,patch',
    ]);
  });

  it('ingress-daemonset-controller: node-detacher gets exactly what @kube-edge/node-detacher calls, on its own ServiceAccount', async () => {
    const objects = await render('ingress-daemonset-controller', { nodeDetacher: { enabled: true } });
    const roleNames = new Set(
      objects
        .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
        .filter((b) =>
          ((b as { subjects?: { name?: string }[] }).subjects ?? []).some(
            (s) => s.name === 'test-ingress-daemonset-controller-node-detacher',
          ),
        )
        .map((b) => {
          const ref = (b as unknown as { roleRef: { kind: string; name: string } }).roleRef;
          return `${ref.kind}/${ref.name}`;
        }),
    );
    const granted = rules(
      objects.filter((o) => roleNames.has(`${o.kind}/${o.metadata?.name ?? ''}`)),
    ).flatMap((r) =>
      (r.resources ?? []).map(
        (res) =>
          `${res}${r.resourceNames ? `(${r.resourceNames.join(',')})` : ''}:${(r.verbs ?? []).join(',')}`,
      ),
    );
    expect(granted).toEqual([
      'nodes:list,watch,patch',
      'pods:list,delete',
      'pods/eviction:create',
      'events:create,patch',
      'attachments:list,watch,create,update,delete',
      'attachments/status:update',
      'leases:create',
      'leases(node-detacher):get,update',
    ]);
    // Bound to node-detacher only: the controller's ServiceAccount gets none of it.
    expect(roleNames).toEqual(
      new Set([
        'ClusterRole/test-ingress-daemonset-controller-node-detacher',
        'Role/test-ingress-daemonset-controller-node-detacher',
      ]),
    );
  });

  it.each([
    ['feed-ingress', { metricsService: { enabled: false }, serviceMonitor: { enabled: true } }],
    ['feed-dns', { service: { enabled: false }, serviceMonitor: { enabled: true } }],
    ['kuberoute', { service: { enabled: false }, serviceMonitor: { enabled: true } }],
    ['ingress-daemonset-controller', { service: { enabled: false }, serviceMonitor: { enabled: true } }],
  ] as const)('%s creates no ServiceMonitor without its metrics Service', async (chart, values) => {
    const objects = await render(chart, values);
    expect(kinds(objects)).not.toContain('ServiceMonitor');
    expect(kinds(objects)).not.toContain('Service');
  });

  it.each(['feed-ingress', 'feed-dns', 'kuberoute'] as const)(
    '%s passes extraArgs as strings, exactly as given',
    async (chart) => {
      const extra = ['--nginx-log-headers=X-Request-Id: yes', '1234', 'on'];
      const args = podSpec(await render(chart, { extraArgs: extra })).containers[0]?.args ?? [];
      expect(args.slice(-3)).toEqual(extra);
    },
  );

  it('feed-ingress: a securityContext override yields each key once, the override winning', async () => {
    const objects = await render('feed-ingress', {
      frontend: { type: 'gorb' },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 0 },
    });
    const ctx = podSpec(objects).containers[0]?.securityContext;
    expect(ctx).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SETUID', 'SETGID', 'CHOWN'] },
    });
  });

  it.each(CHARTS)('%s: probes, update strategy and topology spread come from values', async (chart) => {
    const objects = await render(chart, {
      readinessProbe: { periodSeconds: 17 },
      livenessProbe: null,
      updateStrategy: { type: 'OnDelete' },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { 'app.kubernetes.io/instance': '{{ .Release.Name }}' } },
        },
      ],
      ...(chart === 'dispatcher' ? { kind: 'DaemonSet' } : {}),
      ...(chart === 'feed-ingress' ? { frontend: { type: 'elb' } } : {}),
    });
    const spec = podSpec(objects);
    expect(spec.containers[0]?.readinessProbe).toMatchObject({
      periodSeconds: 17,
      httpGet: { path: '/readyz' },
    });
    expect(spec.containers[0]?.livenessProbe).toBeUndefined();
    const w = workload(objects);
    const strategy = w.kind === 'DaemonSet' ? w.spec['updateStrategy'] : w.spec['strategy'];
    // Deployments cannot be OnDelete; the chart passes the value through and the API server judges.
    expect(strategy).toEqual({ type: 'OnDelete' });
    expect(spec.topologySpreadConstraints?.[0]?.labelSelector?.matchLabels).toEqual({
      'app.kubernetes.io/instance': 'test',
    });
  });

  it.each(CHARTS)(
    '%s renders a NetworkPolicy and a PrometheusRule with real alerts when asked',
    async (chart) => {
      const objects = await render(chart, {
        networkPolicy: { enabled: true },
        prometheusRule: { enabled: true },
      });
      expect(kinds(objects)).toContain('NetworkPolicy');
      const rule = objects.find((o) => o.kind === 'PrometheusRule') as
        { spec: { groups: { rules: { alert: string; expr: string }[] }[] } } | undefined;
      const alerts = rule?.spec.groups.flatMap((g) => g.rules) ?? [];
      const prefix = chart.replaceAll('-', '_');
      const exprs = alerts.map((a) => a.expr).join('\n');
      expect(exprs).toContain(`${prefix}_reconcile_total{result!="success"`);
      expect(exprs).toContain(`${prefix}_last_reconcile_success_timestamp_seconds`);
      expect(exprs).toContain(`${prefix}_skipped_objects{`);
      if (chart === 'feed-ingress' || chart === 'dispatcher')
        expect(exprs).toContain(`${prefix}_nginx_config_test_failures_total`);
      if (chart === 'feed-ingress' || chart === 'feed-dns' || chart === 'ingress-daemonset-controller')
        expect(exprs).toContain(`max(${prefix}_leader{`);
      const off = await render(chart);
      expect(kinds(off)).not.toContain('PrometheusRule');
      expect(kinds(off)).not.toContain('NetworkPolicy');
    },
  );
});

const real = realApiServerAvailable();
const describeReal = helm.available && real.available ? describe : describe.skip;
const realTitle =
  helm.available && real.available
    ? 'charts on a real kube-apiserver'
    : `charts on a real kube-apiserver (skipped: ${!helm.available ? helm.reason : real.available ? '' : real.reason})`;

/** Enough of the Prometheus Operator's CRDs for ServiceMonitor and PrometheusRule to be accepted. */
function monitoringCrd(kind: string, plural: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  };
}

describeReal(realTitle, () => {
  let api: RealApiServer;
  let dir: TempDir;
  const resources = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

  const resourceOf = async (
    apiVersion: string,
    kind: string,
  ): Promise<{ name: string; namespaced: boolean }> => {
    let list = resources.get(apiVersion);
    if (list === undefined) {
      const res = await adminRequest(
        api,
        'GET',
        apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
      );
      expect(res.status).toBe(200);
      list = res.json<{ resources: { name: string; kind: string; namespaced: boolean }[] }>().resources;
      resources.set(apiVersion, list);
    }
    const found = list.find((r) => r.kind === kind && !r.name.includes('/'));
    if (found === undefined) throw new Error(`no ${kind} in ${apiVersion}`);
    return found;
  };

  beforeAll(async () => {
    dir = await tempDir('charts-real');
    api = await startRealApiServer();
    // applyObjects sends raw JSON, so x-kubernetes-preserve-unknown-fields reaches the server.
    await applyObjects(api, [
      monitoringCrd('ServiceMonitor', 'servicemonitors'),
      monitoringCrd('PrometheusRule', 'prometheusrules'),
    ]);
    // CRDs take a moment to be served.
    for (let i = 0; i < 100; i += 1) {
      const res = await adminRequest(api, 'GET', '/apis/monitoring.coreos.com/v1');
      if (res.status === 200 && res.body.includes('PrometheusRule') && res.body.includes('ServiceMonitor'))
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    await api?.close();
    await dir?.remove();
  });

  it('accepts every object of every ci values file in a server-side dry run (?dryRun=All)', async () => {
    const refused: string[] = [];
    for (const [chart, file] of modes) {
      const namespace = `ci-${chart}-${file.replace('-values.yaml', '')}`;
      const objects = await renderChart(chartDir(chart), {
        values: { ...REQUIRED[chart], ...ciValues(chart, file) },
        namespace,
        releaseName: 'ci',
      });
      await applyObjects(api, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
      // kuberoute's Roles go to the namespaces it reads.
      for (const ns of new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n)))
        await applyObjects(api, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
      for (const object of objects) {
        const r = await resourceOf(object.apiVersion, object.kind);
        const base = object.apiVersion.includes('/')
          ? `/apis/${object.apiVersion}`
          : `/api/${object.apiVersion}`;
        const ns = object.metadata?.namespace ?? namespace;
        const path = r.namespaced ? `${base}/namespaces/${ns}/${r.name}` : `${base}/${r.name}`;
        const res = await adminRequest(api, 'POST', `${path}?dryRun=All&fieldValidation=Strict`, object);
        if (res.status !== 201)
          refused.push(
            `${chart} ${file}: ${object.kind} ${object.metadata?.name ?? ''}: ${res.status} ${res.body.slice(0, 400)}`,
          );
      }
    }
    expect(refused).toEqual([]);
  }, 60_000);

  it.each(CHARTS)(
    'helm install of %s (its first ci values file) creates its objects',
    async (chart) => {
      const kubeconfig = await api.writeKubeconfig(join(dir.path, `kubeconfig-${chart}`));
      const file = ciFiles(chart)[0] ?? '';
      const namespace = `install-${chart}`;
      const env = {
        ...process.env,
        KUBECONFIG: kubeconfig,
        HELM_CACHE_HOME: join(dir.path, 'cache'),
        HELM_CONFIG_HOME: join(dir.path, 'config'),
        HELM_DATA_HOME: join(dir.path, 'data'),
      };
      const out = await run(
        helm.available ? helm.helm : 'helm',
        [
          'install',
          'it',
          chartDir(chart),
          '-n',
          namespace,
          '--create-namespace',
          '-f',
          join(chartDir(chart), 'ci', file),
          '--timeout',
          '30s',
        ],
        env,
      );
      expect(out).toContain('STATUS: deployed');
      // NOTES.txt rendered and printed.
      expect(out).toContain('docs/troubleshooting.md');
      const sa = await adminRequest(
        api,
        'GET',
        `/api/v1/namespaces/${namespace}/serviceaccounts/it-${chart}`,
      );
      expect(sa.status).toBe(200);
    },
    60_000,
  );
});
