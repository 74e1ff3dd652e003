import { KubeApiError, makeStatus } from './errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function patchError(message: string): KubeApiError {
  return new KubeApiError(
    makeStatus(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`),
  );
}

/** RFC 7386 JSON merge patch. Pure: returns a new value, inputs untouched. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc: unknown, parts: string[], pointer: string): unknown {
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) {
      const i = Number(p);
      if (!/^\d+$/.test(p) || i >= cur.length) throw patchError(`missing path "${pointer}"`);
      cur = cur[i];
    } else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, p)) {
      cur = cur[p];
    } else {
      throw patchError(`missing path "${pointer}"`);
    }
  }
  return cur;
}

function getAt(doc: unknown, pointer: string): unknown {
  return walk(doc, parsePointer(pointer), pointer);
}

function removeAt(doc: unknown, pointer: string): unknown {
  const parts = parsePointer(pointer);
  const last = parts.pop();
  if (last === undefined) throw patchError('cannot remove the whole document');
  const parent = walk(doc, parts, pointer);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length) throw patchError(`missing path "${pointer}"`);
    return parent.splice(i, 1)[0];
  }
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw patchError(`missing path "${pointer}"`);
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const parts = parsePointer(pointer);
  const last = parts.pop();
  if (last === undefined) return structuredClone(value);
  const parent = walk(doc, parts, pointer);
  const v = structuredClone(value) as Json;
  if (Array.isArray(parent)) {
    if (last === '-' && !replace) {
      parent.push(v);
    } else {
      const i = Number(last);
      const max = replace ? parent.length - 1 : parent.length;
      if (!/^\d+$/.test(last) || i > max) throw patchError(`index out of range in "${pointer}"`);
      parent.splice(i, replace ? 1 : 0, v);
    }
  } else if (isObject(parent)) {
    if (replace && !Object.prototype.hasOwnProperty.call(parent, last))
      throw patchError(`missing path "${pointer}"`);
    parent[last] = v;
  } else {
    throw patchError(`missing path "${pointer}"`);
  }
  return doc;
}

/** RFC 6902 JSON patch. Pure; throws 422 Invalid when an operation fails (missing path, failed test). */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw patchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['path'] !== 'string' || typeof raw['op'] !== 'string') {
      throw patchError('every JSON patch operation needs "op" and "path"');
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value, false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, op.value, true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move': {
        const v = removeAt(doc, op.from ?? '');
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, getAt(doc, op.from ?? ''), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
          throw patchError(`testing value ${op.path} failed`);
        }
        break;
      default:
        throw patchError(`unexpected operation "${String((op as { op: unknown }).op)}"`);
    }
  }
  return doc;
}

/** How a list field merges in a strategic merge patch. */
export type ListStrategy = { mergeKey: string } | 'primitive-merge' | 'replace';

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  taints: 'key',
};

/**
 * The patch strategy of a list field, from the Go struct tags of the built-in types kubectl patches
 * (`path` is the field path, array elements as `[]`). Lists not known here are replaced (atomic).
 */
export function listStrategy(kind: string, path: string[]): ListStrategy {
  const field = path[path.length - 1] ?? '';
  if (field === 'finalizers' && path.length === 2 && path[0] === 'metadata') return 'primitive-merge';
  if (field === 'ports') {
    const parent = path[path.length - 3];
    if (parent === 'containers' || parent === 'initContainers' || parent === 'ephemeralContainers')
      return { mergeKey: 'containerPort' };
    if (kind === 'Service' && path.length === 2 && path[0] === 'spec') return { mergeKey: 'port' };
    return 'replace';
  }
  if (field === 'conditions' && path[0] === 'status') return { mergeKey: 'type' };
  if (field === 'addresses' && kind === 'Node' && path[0] === 'status') return { mergeKey: 'type' };
  const key = MERGE_KEYS[field];
  return key === undefined ? 'replace' : { mergeKey: key };
}

const DIRECTIVE = '$patch';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';
const RETAIN_KEYS = '$retainKeys';

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v))
    return v
      .filter((e) => !(isObject(e) && e[DIRECTIVE] !== undefined && Object.keys(e).length === 1))
      .map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER))
      continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function mergeList(kind: string, path: string[], original: unknown, patch: Json[]): unknown {
  const strategy = listStrategy(kind, path);
  if (strategy === 'replace') return stripDirectives(patch);
  const orig: unknown[] = Array.isArray(original) ? (structuredClone(original) as unknown[]) : [];
  if (strategy === 'primitive-merge') {
    const out = [...orig];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
    return out;
  }
  const key = strategy.mergeKey;
  if (patch.some((e) => isObject(e) && e[DIRECTIVE] === 'replace')) {
    return stripDirectives(patch.filter((e) => !(isObject(e) && e[DIRECTIVE] === 'replace')));
  }
  const out = orig;
  for (const el of patch) {
    if (!isObject(el)) {
      out.push(el);
      continue;
    }
    const idx = out.findIndex((o) => isObject(o) && JSON.stringify(o[key]) === JSON.stringify(el[key]));
    if (el[DIRECTIVE] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = mergeObject(kind, [...path, '[]'], out[idx], el);
    } else {
      out.push(stripDirectives(el));
    }
  }
  return out;
}

function mergeObject(kind: string, path: string[], original: unknown, patch: JsonObject): unknown {
  if (patch[DIRECTIVE] === 'replace') return stripDirectives(patch);
  if (patch[DIRECTIVE] === 'delete') return undefined;
  const out: Record<string, unknown> = isObject(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(kind, [...path, k], out[k], v);
    } else if (isObject(v)) {
      const merged = mergeObject(kind, [...path, k], out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

/**
 * Strategic merge patch for the built-in kinds, covering what kubectl sends (`patch`, client-side
 * `apply`): lists merged by their merge key (containers by name, Service ports by port, conditions
 * by type, ...), `metadata.finalizers` merged as a set, `$patch: replace|delete`,
 * `$deleteFromPrimitiveList/`, `$retainKeys`; `$setElementOrder/` is accepted and ignored.
 * Pure; throws 422 when the patch is not an object.
 */
export function strategicMergePatch(kind: string, original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw patchError('a strategic merge patch must be a JSON object');
  return mergeObject(kind, [], structuredClone(original), patch);
}
