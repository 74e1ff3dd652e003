import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './types.js';

function isKubeObject(v: unknown): v is KubeObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { kind?: unknown }).kind === 'string' &&
    typeof (v as { apiVersion?: unknown }).apiVersion === 'string'
  );
}

/** Parses a multi-document YAML (or JSON) text into objects; `kind: List` is expanded, empty documents skipped. */
export function parseManifests(text: string, source = '<text>'): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isKubeObject(value))
      throw new Error(`${source}: a document is not a Kubernetes object (apiVersion and kind are required)`);
    if (value.kind.endsWith('List') && Array.isArray(value['items'])) {
      for (const item of value['items'] as unknown[]) {
        if (!isKubeObject(item)) throw new Error(`${source}: a List item is not a Kubernetes object`);
        out.push(item);
      }
    } else {
      out.push(value);
    }
  }
  return out;
}

function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

/**
 * Reads objects from files, directories (their `.yaml`/`.yml`/`.json` files, sorted, not recursive)
 * or inline text (any string containing a newline). Synchronous; throws on unreadable or invalid input.
 */
export function readManifests(pathsOrText: string | string[]): KubeObject[] {
  const inputs = Array.isArray(pathsOrText) ? pathsOrText : [pathsOrText];
  const out: KubeObject[] = [];
  for (const input of inputs) {
    if (input.includes('\n')) {
      out.push(...parseManifests(input));
    } else {
      for (const file of manifestFiles(input)) out.push(...parseManifests(readFileSync(file, 'utf8'), file));
    }
  }
  return out;
}

/** Orders objects so that what others depend on is created first: Namespaces, then CRDs, then the rest. */
export function creationOrder(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject): number =>
    o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2;
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map((x) => x.o);
}
