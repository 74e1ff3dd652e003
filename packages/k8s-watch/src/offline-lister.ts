import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TerminalError, errorMessage } from '@kube-edge/runtime';
import { parseAllDocuments } from 'yaml';
import type { ChangeHandler, IndexFunc, KubeObjectLike, Lister } from './types.js';
import { NAMESPACE_INDEX, keyOf, objectKey, stripManagedFields } from './types.js';

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

async function statOrThrow(p: string): Promise<Stats> {
  try {
    return await fs.stat(p);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ManifestError(
      `${p}: ${code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${errorMessage(err)}`}`,
      { file: p, cause: err },
    );
  }
}

async function expand(p: string, out: string[]): Promise<void> {
  const st = await statOrThrow(p);
  if (st.isDirectory()) {
    const entries = (await fs.readdir(p)).sort();
    for (const e of entries) {
      const child = path.join(p, e);
      const cst = await statOrThrow(child);
      if (cst.isDirectory() || MANIFEST_EXT.has(path.extname(e).toLowerCase())) await expand(child, out);
    }
  } else {
    out.push(p);
  }
}

function flatten(doc: unknown, out: KubeObjectLike[], source: string): void {
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${source}: a manifest document must be an object`);
  }
  const obj = doc as KubeObjectLike & { items?: unknown };
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    for (const item of obj.items) flatten(item, out, source);
    return;
  }
  out.push(obj);
}

/** Parses manifest text: YAML (multi-document) or JSON; `*List` kinds are flattened. Pure; throws on syntax errors. */
export function parseManifests(text: string, source = '<text>'): KubeObjectLike[] {
  const out: KubeObjectLike[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    flatten(doc.toJS(), out, source);
  }
  return out;
}

/**
 * Reads every `.yaml`/`.yml`/`.json` file under `paths` (files or directories, recursively, in
 * name order) and returns the objects in order. Rejects with a {@link ManifestError} naming the
 * file on a missing file or a syntax error. Ignores nothing silently only with
 * {@link readManifests}; this is the plain form for tests and tools that take every object.
 */
export async function loadManifests(paths: string | readonly string[]): Promise<KubeObjectLike[]> {
  const files: string[] = [];
  for (const p of typeof paths === 'string' ? [paths] : paths) await expand(p, files);
  const out: KubeObjectLike[] = [];
  for (const f of files) {
    try {
      out.push(...parseManifests(await readText(f), f));
    } catch (err) {
      if (err instanceof ManifestError) throw err;
      throw new ManifestError(errorMessage(err).split('\n')[0] ?? f, { file: f, cause: err });
    }
  }
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ManifestError(`${file}: cannot read: ${errorMessage(err)}`, { file, cause: err });
  }
}

/**
 * A manifest file that cannot be used: missing or unreadable, a YAML/JSON syntax error, or an
 * object the command needs that is malformed. Its message is one line naming the file (and the
 * document). A `TerminalError`: the same files fail the same way.
 */
export class ManifestError extends TerminalError {
  /** The file at fault. */
  readonly file: string;
  /** The 1-based document in the file, when known. */
  readonly document: number | undefined;
  constructor(message: string, options: { file: string; document?: number; cause?: unknown }) {
    super(message, {
      code: 'MANIFEST_INVALID',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.file = options.file;
    this.document = options.document;
  }
}

/** A type of object a command reads, e.g. `{ apiVersion: 'v1', kind: 'Service' }` (a `ResourceRef` fits). */
export interface ManifestKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Why a manifest document was not used. */
export type ManifestProblemReason =
  /** A YAML/JSON syntax error: the file is not read at all. Severity error. */
  | 'Unparseable'
  /** The document is not a Kubernetes object (not a mapping, or no `apiVersion`/`kind`). Warning. */
  | 'NotKubernetes'
  /** An object of a kind the command reads without `metadata.name`. Error. */
  | 'NoName'
  /** An object of a kind (or apiVersion) the command does not read. Warning. */
  | 'UnknownKind';

/** One document of a manifest file that was not used, with where it is and why. */
export interface ManifestProblem {
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
  /** 1-based index in the `items` of a `*List` document, for an object inside one. */
  readonly item?: number;
  /** `error`: the command must fail; `warning`: reported, the command goes on. */
  readonly severity: 'error' | 'warning';
  readonly reason: ManifestProblemReason;
  /** What is wrong, naming the object when it has a kind or name. */
  readonly message: string;
}

/** What {@link readManifests} found. */
export interface ManifestReport {
  /** The objects of the kinds asked for (all Kubernetes objects when no kinds were given), in file order. */
  readonly objects: KubeObjectLike[];
  /** Every document not used, errors and warnings, in file order. */
  readonly problems: ManifestProblem[];
}

/** Options of {@link readManifests}. */
export interface ReadManifestsOptions {
  /** The types the command reads; other Kubernetes objects are reported as `UnknownKind`. Default: any. */
  readonly kinds?: readonly ManifestKind[];
}

/** `file: document 2 (item 3): message` — the one line a command prints for a problem. Pure. */
export function describeManifestProblem(p: ManifestProblem): string {
  return `${p.file}: document ${p.document}${p.item === undefined ? '' : ` item ${p.item}`}: ${p.message}`;
}

function objectName(o: KubeObjectLike): string {
  const md = o.metadata;
  const name = typeof md?.name === 'string' ? md.name : '';
  const ns = typeof md?.namespace === 'string' && md.namespace !== '' ? `${md.namespace}/` : '';
  return `${ns}${name}`;
}

/**
 * Reads manifests like {@link loadManifests} and reports, instead of dropping silently, every
 * document it does not return: not a Kubernetes object, of a kind not in `kinds`, or (an error)
 * of a kind it reads but without `metadata.name`. A file with a syntax error is reported as an
 * `Unparseable` error and contributes no object. Empty documents (a trailing `---`) are not
 * problems. Rejects with a {@link ManifestError} only when a path is missing or unreadable.
 */
export async function readManifests(
  paths: string | readonly string[],
  options: ReadManifestsOptions = {},
): Promise<ManifestReport> {
  const files: string[] = [];
  for (const p of typeof paths === 'string' ? [paths] : paths) await expand(p, files);
  const known =
    options.kinds === undefined
      ? undefined
      : new Set(options.kinds.map((k) => `${k.apiVersion}\u0000${k.kind}`));
  const knownKinds = new Set(options.kinds?.map((k) => k.kind));
  const objects: KubeObjectLike[] = [];
  const problems: ManifestProblem[] = [];
  for (const file of files) {
    const text = await readText(file);
    const docs = parseAllDocuments(text);
    const parseError = docs.findIndex((d) => d.errors.length > 0);
    if (parseError >= 0) {
      const first = docs[parseError]!.errors[0];
      problems.push({
        file,
        document: parseError + 1,
        severity: 'error',
        reason: 'Unparseable',
        message: `not valid YAML or JSON: ${(first?.message ?? 'syntax error').split('\n')[0]}`,
      });
      continue;
    }
    docs.forEach((doc, i) => {
      const where = { file, document: i + 1 };
      const visit = (value: unknown, item?: number): void => {
        const at = item === undefined ? where : { ...where, item };
        if (value === null || value === undefined) return;
        if (typeof value !== 'object' || Array.isArray(value)) {
          problems.push({
            ...at,
            severity: 'warning',
            reason: 'NotKubernetes',
            message: `not a Kubernetes object (a ${Array.isArray(value) ? 'list' : typeof value}, not a mapping): ignored`,
          });
          return;
        }
        const o = value as KubeObjectLike & { items?: unknown };
        if (
          typeof o.apiVersion !== 'string' ||
          typeof o.kind !== 'string' ||
          o.apiVersion === '' ||
          o.kind === ''
        ) {
          problems.push({
            ...at,
            severity: 'warning',
            reason: 'NotKubernetes',
            message: 'not a Kubernetes object (no apiVersion or kind): ignored',
          });
          return;
        }
        if (item === undefined && o.kind.endsWith('List') && Array.isArray(o.items)) {
          o.items.forEach((it, j) => visit(it, j + 1));
          return;
        }
        const label = `${o.kind} ${objectName(o)}`.trim();
        if (known !== undefined && !known.has(`${o.apiVersion}\u0000${o.kind}`)) {
          const versions = options.kinds!.filter((k) => k.kind === o.kind).map((k) => k.apiVersion);
          problems.push({
            ...at,
            severity: 'warning',
            reason: 'UnknownKind',
            message: knownKinds.has(o.kind)
              ? `${label}: apiVersion ${o.apiVersion} is not read (only ${versions.join(', ')}): ignored`
              : `${label} (${o.apiVersion}): kind not read by this command: ignored`,
          });
          return;
        }
        if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
          problems.push({
            ...at,
            severity: 'error',
            reason: 'NoName',
            message: `${o.kind} (${o.apiVersion}) has no metadata.name`,
          });
          return;
        }
        objects.push(o);
      };
      visit(doc.toJS());
    });
  }
  return { objects, problems };
}

/**
 * The one way an offline command takes manifests: {@link readManifests}, then each warning
 * written as one line through `warn` (`warning: <file>: document <n>: …`), then, if there are
 * errors, a rejection with a {@link ManifestError} whose message is the first error's line
 * (plus how many more). Resolves with the objects.
 */
export async function loadManifestsOrThrow(
  paths: string | readonly string[],
  options: ReadManifestsOptions & { warn(line: string): void },
): Promise<KubeObjectLike[]> {
  const report = await readManifests(paths, options);
  for (const p of report.problems)
    if (p.severity === 'warning') options.warn(`warning: ${describeManifestProblem(p)}`);
  const errors = report.problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  if (first !== undefined)
    throw new ManifestError(
      `${describeManifestProblem(first)}${errors.length > 1 ? ` (and ${errors.length - 1} more manifest errors)` : ''}`,
      { file: first.file, document: first.document },
    );
  return report.objects;
}

/** Options for {@link createStaticLister}. */
export interface StaticListerOptions<T> {
  /** Keep only objects of this kind. */
  kind?: string;
  /** Keep only objects of this apiVersion. */
  apiVersion?: string;
  /** Keep only objects in this namespace (like a namespaced informer). */
  namespace?: string;
  /** Same meaning as the informer's. Default {@link stripManagedFields}. */
  transform?: ((obj: T) => T) | null;
  indexers?: Record<string, IndexFunc<T>>;
  /** Namespace given to namespaced objects that have none (as `kubectl apply` would). Default: left empty. */
  defaultNamespace?: string;
}

/**
 * A {@link Lister} over a fixed set of objects (from {@link loadManifests}), for offline
 * `render`/`plan`. Synced from the start; `onChange` never fires. Later objects with the same key win.
 */
export function createStaticLister<T extends KubeObjectLike>(
  objects: KubeObjectLike[],
  options: StaticListerOptions<T> = {},
): Lister<T> {
  const transform = options.transform === undefined ? stripManagedFields : options.transform;
  const indexers: Record<string, IndexFunc<T>> = {
    ...options.indexers,
    [NAMESPACE_INDEX]: (o) => [o.metadata?.namespace ?? ''],
  };
  const store = new Map<string, T>();
  for (const raw of objects) {
    if (options.kind !== undefined && raw.kind !== options.kind) continue;
    if (options.apiVersion !== undefined && raw.apiVersion !== options.apiVersion) continue;
    let obj = structuredClone(raw) as T;
    if (options.defaultNamespace !== undefined && !obj.metadata?.namespace) {
      obj.metadata = { ...obj.metadata, namespace: options.defaultNamespace };
    }
    if (options.namespace !== undefined && obj.metadata?.namespace !== options.namespace) continue;
    if (transform !== null) obj = transform(obj);
    store.set(objectKey(obj), obj);
  }
  const indexes = new Map<string, Map<string, T[]>>();
  for (const [name, fn] of Object.entries(indexers)) {
    const m = new Map<string, T[]>();
    for (const obj of store.values()) {
      for (const v of fn(obj)) {
        const arr = m.get(v);
        if (arr === undefined) m.set(v, [obj]);
        else arr.push(obj);
      }
    }
    indexes.set(name, m);
  }
  const lister: Lister<T> = {
    start: () => undefined,
    hasSynced: () => true,
    get: (name, namespace) => store.get(keyOf(name, namespace)),
    list: (namespace) =>
      namespace === undefined ? [...store.values()] : lister.byIndex(NAMESPACE_INDEX, namespace),
    byIndex(indexName, value) {
      const m = indexes.get(indexName);
      if (m === undefined) throw new Error(`unknown index ${indexName}`);
      return [...(m.get(value) ?? [])];
    },
    onChange: (_handler: ChangeHandler<T>) => () => undefined,
  };
  return lister;
}
