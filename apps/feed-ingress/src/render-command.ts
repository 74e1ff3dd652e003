import type { V1Ingress, V1IngressClass, V1Namespace, V1Secret, V1Service } from '@kubernetes/client-node';
import {
  INGRESSES,
  INGRESS_CLASSES,
  NAMESPACES,
  SECRETS,
  SERVICES,
  createStaticLister,
  loadManifestsOrThrow,
  type KubeObjectLike,
  type ManifestKind,
} from '@kube-edge/k8s-watch';
import { renderNginxConfig, toComment } from '@kube-edge/nginx-render';
import { buildFeedModel } from './model/build.js';
import type { FeedModelConfig, FeedModelInput, SkippedObject } from './model/types.js';

/** Options of {@link runRenderCommand}. */
export interface RenderCommandOptions {
  /** Manifest files or directories (YAML or JSON, read recursively in name order). */
  readonly files: readonly string[];
  readonly config: FeedModelConfig;
  /** Receives the output in pieces; the caller writes it to stdout. */
  readonly out: (text: string) => void;
  /**
   * Receives one line per manifest document not used (not a Kubernetes object, a kind or
   * apiVersion render does not read); the caller writes it to stderr. Default: dropped.
   */
  readonly warn?: (line: string) => void;
}

/** The object types `render` reads; any other document in the files is reported through `warn`. */
export const RENDER_KINDS: readonly ManifestKind[] = [
  INGRESSES,
  SERVICES,
  NAMESPACES,
  INGRESS_CLASSES,
  SECRETS,
];

function list<T>(objects: KubeObjectLike[], kind: string, apiVersion: string, namespaced: boolean): T[] {
  return createStaticLister<KubeObjectLike>(objects, {
    kind,
    apiVersion,
    ...(namespaced ? { defaultNamespace: 'default' } : {}),
  }).list() as T[];
}

/** Splits loaded manifests into the model's input; objects without a namespace get `default`, as kubectl would. Pure. */
export function modelInputFromObjects(objects: KubeObjectLike[]): FeedModelInput {
  return {
    ingresses: list<V1Ingress>(objects, 'Ingress', 'networking.k8s.io/v1', true),
    services: list<V1Service>(objects, 'Service', 'v1', true),
    namespaces: list<V1Namespace>(objects, 'Namespace', 'v1', false),
    ingressClasses: list<V1IngressClass>(objects, 'IngressClass', 'networking.k8s.io/v1', false),
    secrets: list<V1Secret>(objects, 'Secret', 'v1', true),
  };
}

function describe(o: SkippedObject): string {
  return `${o.kind} ${o.namespace === undefined ? '' : `${o.namespace}/`}${o.name}: ${o.reason}`;
}

/**
 * `feed-ingress render -f <files or dirs>`: builds the model from manifests with the same builder
 * as the controller and prints the nginx.conf, then the skipped objects and ignored values as
 * `#` comment lines (so the output is still a valid nginx.conf), and the TLS files the
 * controller would write (paths only, never their content). Documents it does not read are
 * reported through `warn`, by file and document index. Resolves 0; rejects with a one-line
 * error (k8s-watch's `ManifestError`) when a file is missing, does not parse or holds an object
 * it reads without a name, and with the renderer's error when the model does not render.
 * Does not touch the cluster or nginx.
 */
export async function runRenderCommand(options: RenderCommandOptions): Promise<number> {
  const objects = await loadManifestsOrThrow([...options.files], {
    kinds: RENDER_KINDS,
    warn: options.warn ?? (() => undefined),
  });
  const input = modelInputFromObjects(objects);
  const model = buildFeedModel(input, options.config);
  options.out(renderNginxConfig(model.nginx));
  const lines: string[] = [
    '',
    `# feed-ingress render: class "${options.config.ingressClass}": ${model.stats.ingresses} ingresses adopted, ${model.servedIngresses.length} served, ${model.stats.ignoredIngresses} ignored (other class or namespace), ${model.stats.entries} locations, ${model.stats.upstreams} upstreams`,
  ];
  lines.push(`# skipped: ${model.skipped.length}`);
  for (const s of model.skipped) lines.push(`#   ${describe(s)}`);
  lines.push(`# warnings: ${model.warnings.length}`);
  for (const w of model.warnings) lines.push(`#   ${describe(w)}`);
  if (model.tlsFiles.length > 0) {
    lines.push(`# tls files (written with mode 0600 before nginx loads the config):`);
    for (const f of model.tlsFiles) lines.push(`#   ${f.path}`);
  }
  // Each line must stay one valid nginx comment: reasons quote user values (names, paths).
  options.out(`${lines.map((l) => (l.startsWith('#') ? `#${toComment(l.slice(1))}` : l)).join('\n')}\n`);
  return 0;
}
