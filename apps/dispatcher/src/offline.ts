import {
  NAMESPACES,
  PODS,
  SECRETS,
  createStaticLister,
  loadManifestsOrThrow,
  type KubeObjectLike,
  type ManifestKind,
} from '@kube-edge/k8s-watch';
import { ConfigError, errorMessage } from '@kube-edge/runtime';
import type { DispatcherConfig } from './config.js';
import { buildModel } from './model/build.js';
import { renderDispatcherConfig } from './model/render.js';
import type { DispatcherModel, NamespaceObject, PodObject, SecretObject } from './model/types.js';

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'Job',
]);

interface SecretLike extends KubeObjectLike {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Workload extends KubeObjectLike {
  spec?: { template?: { metadata?: PodObject['metadata']; spec?: PodObject['spec'] } };
}

/**
 * Prepares manifests for the offline `render`: each workload (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, ReplicationController, Job) contributes one Pod from its template,
 * named `<workload>-template`; and a Pod without `status.podIP` (as written in a manifest) is
 * taken as Running and Ready with a placeholder address from TEST-NET-1 (192.0.2.1, .2, ... in
 * `namespace/name` order), so manifests can be checked before they are applied. Pods with a
 * status keep it. A Secret's `stringData` is merged into `data` as the API server would.
 * Returns new objects; the input is not modified. Pure.
 */
export function prepareForRender(objects: readonly KubeObjectLike[]): KubeObjectLike[] {
  const out: KubeObjectLike[] = [];
  const synthetic: PodObject[] = [];
  for (const o of objects) {
    if (o.kind !== undefined && WORKLOAD_KINDS.has(o.kind)) {
      const t = (o as Workload).spec?.template;
      if (t === undefined) continue;
      synthetic.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...structuredClone(t.metadata ?? {}),
          name: `${o.metadata?.name ?? 'workload'}-template`,
          namespace: o.metadata?.namespace ?? 'default',
        },
        ...(t.spec !== undefined ? { spec: structuredClone(t.spec) } : {}),
      });
    } else if (o.kind === 'Pod') {
      synthetic.push(structuredClone(o));
    } else if (o.kind === 'Secret' && (o as SecretLike).stringData !== undefined) {
      const sec = structuredClone(o) as SecretLike;
      const extra = Object.fromEntries(
        Object.entries(sec.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      sec.data = { ...sec.data, ...extra };
      delete sec.stringData;
      out.push(sec);
    } else {
      out.push(o);
    }
  }
  const key = (p: PodObject): string => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;
  synthetic.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  let n = 0;
  for (const p of synthetic) {
    if (!p.status?.podIP) {
      n++;
      p.status = {
        phase: 'Running',
        podIP: `192.0.2.${((n - 1) % 254) + 1}`,
        conditions: [{ type: 'Ready', status: 'True' }],
      };
    }
    out.push(p);
  }
  return out;
}

/**
 * The object types the offline `render` reads: Namespaces, Pods and Secrets as the controller
 * watches them, and the workloads whose Pod templates {@link prepareForRender} turns into Pods.
 * Any other document in the files is reported as a warning.
 */
export const RENDER_KINDS: readonly ManifestKind[] = [
  NAMESPACES,
  PODS,
  SECRETS,
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'v1', kind: 'ReplicationController' },
  { apiVersion: 'batch/v1', kind: 'Job' },
];

/**
 * The offline `render` mode: reads manifests from files, builds and renders the config as the
 * controller would (workload templates and status-less Pods as {@link prepareForRender} says).
 * Documents it does not read (not Kubernetes objects, other kinds or apiVersions) are reported
 * through `warn`, one line each naming the file and document. Rejects with one line (k8s-watch's
 * `ManifestError`) for a missing file, unparseable YAML or a Namespace/Pod/Secret/workload without
 * a name. Never touches a cluster, nginx or the filesystem beyond reading.
 */
export async function renderFromFiles(
  config: DispatcherConfig,
  files: readonly string[],
  options: { warn?: (line: string) => void } = {},
): Promise<{ text: string; model: DispatcherModel }> {
  const objects = prepareForRender(
    await loadManifestsOrThrow([...files], { kinds: RENDER_KINDS, warn: options.warn ?? (() => undefined) }),
  );
  const model = buildModel(
    {
      namespaces: createStaticLister<NamespaceObject>(objects, { kind: 'Namespace' }).list(),
      pods: createStaticLister<PodObject>(objects, { kind: 'Pod', defaultNamespace: 'default' }).list(),
      secrets: createStaticLister<SecretObject>(objects, {
        kind: 'Secret',
        defaultNamespace: 'default',
      }).list(),
    },
    config,
  );
  return { text: renderDispatcherConfig(model), model };
}

/** Options of {@link runRenderCommand}. */
export interface RenderCommandOptions {
  readonly config: DispatcherConfig;
  /** Manifest files or directories (YAML or JSON, read recursively in name order). */
  readonly files: readonly string[];
  /** Receives the nginx.conf (main.ts: stdout). */
  readonly out: (text: string) => void;
  /** Receives report and error lines, each ending in a newline (main.ts: stderr). */
  readonly err: (text: string) => void;
}

/**
 * `dispatcher render -f <files>`: the nginx.conf on `out`; on `err` one line per document not
 * read (`warning: <file>: document <n>: …`) and per skipped object (`skipped <kind> <ns>/<name>:
 * <reason>: <message>`). Resolves with the exit code: 0 when rendered; 1, after one line naming
 * the file or object, for a missing file, unparseable YAML, an object without a name or a model
 * the renderer refuses; 2 for a bad flag. Never prints a stack trace.
 */
export async function runRenderCommand(options: RenderCommandOptions): Promise<number> {
  const line = (text: string): void => options.err(`dispatcher render: ${text}\n`);
  if (options.files.length === 0) {
    line('render needs -f <files or directories>');
    return 2;
  }
  let rendered;
  try {
    rendered = await renderFromFiles(options.config, options.files, { warn: line });
  } catch (err) {
    line(errorMessage(err).split('\n')[0] ?? '');
    return err instanceof ConfigError ? 2 : 1;
  }
  for (const s of rendered.model.skipped)
    options.err(
      `skipped ${s.kind} ${s.namespace !== undefined ? `${s.namespace}/` : ''}${s.name}: ${s.reason}: ${s.message}\n`,
    );
  options.out(rendered.text);
  return 0;
}
