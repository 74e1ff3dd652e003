import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object that failed schema validation. */
export interface ManifestProblem {
  /** `file#index` of the document, or the object's `kind/name` for in-memory objects. */
  where: string;
  message: string;
}

interface ValidatableModel {
  validate(): void;
}
type ModelClass = new (data: object) => ValidatableModel;

/**
 * Validates Kubernetes objects against the official OpenAPI schemas (the `kubernetes-models`
 * package): unknown apiVersion/kind, wrong types, missing required fields. Custom resources of
 * groups `kubernetes-models` does not know are reported as such unless listed in `allowKinds`
 * (`apiVersion/kind`). Resolves the problems; an empty result means every object passed.
 */
export async function validateManifests(
  objects: readonly { where: string; object: unknown }[],
  options: { allowKinds?: readonly string[] } = {},
): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  for (const { where, object } of objects) {
    if (typeof object !== 'object' || object === null) {
      problems.push({ where, message: 'not an object' });
      continue;
    }
    const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      problems.push({ where, message: 'apiVersion and kind are required' });
      continue;
    }
    if (options.allowKinds?.includes(`${apiVersion}/${kind}`)) continue;
    let Model: ModelClass | undefined;
    try {
      const mod = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
      Model = mod[kind] as ModelClass | undefined;
    } catch {
      Model = undefined;
    }
    if (Model === undefined) {
      problems.push({ where, message: `unknown kind ${apiVersion}/${kind}` });
      continue;
    }
    try {
      new Model(object).validate();
    } catch (err) {
      problems.push({ where, message: (err as Error).message });
    }
  }
  return problems;
}

/**
 * Reads every document of the YAML files in `paths` (files or directories, non-recursive,
 * `.yaml`/`.yml`), skipping empty documents, for {@link validateManifests}. Throws on YAML syntax
 * errors, naming the file.
 */
export async function readManifestFiles(
  paths: readonly string[],
): Promise<{ where: string; object: unknown }[]> {
  const files: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort()) if (/\.ya?ml$/.test(f)) files.push(join(p, f));
    } else files.push(p);
  }
  const out: { where: string; object: unknown }[] = [];
  for (const file of files) {
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    docs.forEach((doc, i) => {
      if (doc.errors.length > 0) throw new Error(`${file}#${i}: ${doc.errors[0]!.message}`);
      const object = doc.toJS() as unknown;
      if (object !== null && object !== undefined) out.push({ where: `${file}#${i}`, object });
    });
  }
  return out;
}
