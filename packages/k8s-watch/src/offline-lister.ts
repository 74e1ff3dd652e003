import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ChangeHandler, IndexFunc, KubeObjectLike, Lister } from './types.js';
import { NAMESPACE_INDEX, keyOf, objectKey, stripManagedFields } from './types.js';

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

async function expand(p: string, out: string[]): Promise<void> {
  const st = await fs.stat(p);
  if (st.isDirectory()) {
    const entries = (await fs.readdir(p)).sort();
    for (const e of entries) {
      const child = path.join(p, e);
      const cst = await fs.stat(child);
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
 * name order) and returns the objects in order. Rejects naming the file on a syntax error.
 */
export async function loadManifests(paths: string | string[]): Promise<KubeObjectLike[]> {
  const files: string[] = [];
  for (const p of Array.isArray(paths) ? paths : [paths]) await expand(p, files);
  const out: KubeObjectLike[] = [];
  for (const f of files) out.push(...parseManifests(await fs.readFile(f, 'utf8'), f));
  return out;
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
