import { resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { helmAvailable, renderChart } from './chart.js';
import {
  applyObjects,
  mintServiceAccountToken,
  rbacObjects,
  realApiServerAvailable,
  startRealApiServer,
  type RealApiServer,
  type ServiceAccountCredentials,
} from './real-server.js';
import type { KubeObject } from './types.js';

/** Which API server an app's integration scenario runs against. */
export type SelectedApi =
  | { kind: 'fake' }
  | { kind: 'real' }
  | {
      /** `KUBE_EDGE_API` holds something else: a test should fail rather than silently pick one. */
      kind: 'invalid';
      reason: string;
    };

/** The environment variable that selects the API server of the real-server pass. */
export const KUBE_EDGE_API_ENV = 'KUBE_EDGE_API';

/**
 * Reads `KUBE_EDGE_API` from `env`: unset, empty or `fake` selects testkit's API test server (the
 * default), `real` a real kube-apiserver ({@link startRealApiAsChart}). Pure apart from reading
 * `env`; never throws.
 */
export function selectedApi(env: NodeJS.ProcessEnv = process.env): SelectedApi {
  const value = env[KUBE_EDGE_API_ENV] ?? '';
  if (value === '' || value === 'fake') return { kind: 'fake' };
  if (value === 'real') return { kind: 'real' };
  return { kind: 'invalid', reason: `${KUBE_EDGE_API_ENV}=${value}: expected "real" or "fake"` };
}

/** Options of {@link startRealApiAsChart}. */
export interface RealApiAsChartOptions {
  /** Release namespace (the ServiceAccount's and the leader-election Role's). Default `edge`. */
  namespace?: string;
  /** Release name. Default `test`. */
  releaseName?: string;
  /** Chart values. Default the chart's own. */
  values?: Record<string, unknown>;
  /** Passed to {@link startRealApiServer}. Default its own (`127.64.0.0/16`). */
  serviceClusterIpRange?: string;
  /** Passed to {@link startRealApiServer}. Default 60000 ms. */
  startTimeoutMs?: number;
}

/** A real API server holding exactly a chart's RBAC, and that chart's ServiceAccount's credentials. */
export interface RealApiAsChart {
  readonly api: RealApiServer;
  /** Every object the chart rendered (not only the RBAC ones that were applied). */
  readonly chartObjects: readonly KubeObject[];
  /** The RBAC objects that were applied (ServiceAccounts, Roles, ClusterRoles, bindings). */
  readonly rbac: readonly KubeObject[];
  /** The chart's ServiceAccount with a freshly minted token. */
  readonly serviceAccount: ServiceAccountCredentials;
  /** A new KubeConfig that authenticates as the chart's ServiceAccount (give it to the app). */
  kubeConfig(): KubeConfig;
  /** Stops kube-apiserver and etcd and removes their files. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a real kube-apiserver ({@link startRealApiServer}), renders `chartDir` (relative to the
 * working directory) with helm, applies
 * only its RBAC objects as the admin and mints a token for the chart's one ServiceAccount, so an
 * app run with {@link RealApiAsChart.kubeConfig} has exactly the chart's rights: a verb the chart
 * lacks is a 403 in the test, not in production. Non-blocking. Rejects, naming what is missing,
 * when kube-apiserver, etcd or helm cannot be found, when the chart has not exactly one
 * ServiceAccount, or when the server does not start (everything started is stopped then).
 */
export async function startRealApiAsChart(
  chartDir: string,
  options: RealApiAsChartOptions = {},
): Promise<RealApiAsChart> {
  const available = realApiServerAvailable();
  if (!available.available) throw new Error(`real API server requested but unavailable: ${available.reason}`);
  const helm = helmAvailable();
  if (!helm.available) throw new Error(`real API server requested but helm is unavailable: ${helm.reason}`);
  const namespace = options.namespace ?? 'edge';
  const chartObjects = await renderChart(resolve(chartDir), {
    namespace,
    releaseName: options.releaseName ?? 'test',
    ...(options.values !== undefined ? { values: options.values } : {}),
  });
  const rbac = rbacObjects(chartObjects);
  const accounts = rbac.filter((o) => o.kind === 'ServiceAccount');
  const account = accounts[0];
  if (accounts.length !== 1 || account === undefined)
    throw new Error(`${chartDir}: expected exactly one ServiceAccount, found ${accounts.length}`);
  const api = await startRealApiServer({
    ...(options.serviceClusterIpRange !== undefined
      ? { serviceClusterIpRange: options.serviceClusterIpRange }
      : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
  try {
    await applyObjects(
      api,
      [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, ...rbac],
      {
        namespace,
      },
    );
    const serviceAccount = await mintServiceAccountToken(
      api,
      account.metadata?.namespace ?? namespace,
      account.metadata?.name ?? '',
    );
    return {
      api,
      chartObjects,
      rbac,
      serviceAccount,
      kubeConfig: () => serviceAccount.makeKubeConfig(),
      close: () => api.close(),
    };
  } catch (err) {
    await api.close();
    throw err;
  }
}
