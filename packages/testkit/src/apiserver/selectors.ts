import { badRequest } from './errors.js';
import type { ResourceInfo } from './resources.js';
import type { KubeObject } from './types.js';

/** One parsed label requirement. */
export interface LabelRequirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

const KEY_RE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Token = { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charAt(i);
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'op', v: c });
      i++;
    } else if (c === '!' || c === '=' || c === '<' || c === '>') {
      let op = c;
      if ((c === '!' || c === '=') && s.charAt(i + 1) === '=') op += '=';
      out.push({ t: 'op', v: op });
      i += op.length;
    } else {
      let j = i;
      while (j < s.length && !' \t(),!=<>'.includes(s.charAt(j))) j++;
      out.push({ t: 'id', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

function fail(selector: string, why: string): never {
  throw badRequest(`unable to parse requirement: ${why} (selector "${selector}")`);
}

/** Parses a label selector (equality- and set-based, as `labels.Parse` in apimachinery). Throws 400 BadRequest. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const toks = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const value = (): string => {
    const t = peek();
    if (t?.t === 'id') {
      i++;
      if (!VALUE_RE.test(t.v) || t.v.length > 63) fail(selector, `invalid label value: "${t.v}"`);
      return t.v;
    }
    return '';
  };
  while (i < toks.length) {
    let t = peek();
    let negate = false;
    if (t?.t === 'op' && t.v === '!') {
      negate = true;
      i++;
      t = peek();
    }
    if (t?.t !== 'id') fail(selector, 'found unexpected token, expected a key');
    i++;
    const key = t.v;
    if (!KEY_RE.test(key)) fail(selector, `invalid label key "${key}"`);
    const next = peek();
    if (negate) {
      reqs.push({ key, op: '!exists', values: [] });
    } else if (next === undefined || (next.t === 'op' && next.v === ',')) {
      reqs.push({ key, op: 'exists', values: [] });
    } else if (next.t === 'op' && ['=', '==', '!='].includes(next.v)) {
      i++;
      reqs.push({ key, op: next.v === '!=' ? '!=' : '=', values: [value()] });
    } else if (next.t === 'op' && (next.v === '<' || next.v === '>')) {
      i++;
      const v = value();
      if (!/^-?\d+$/.test(v)) fail(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
      reqs.push({ key, op: next.v === '>' ? 'gt' : 'lt', values: [v] });
    } else if (next.t === 'id' && (next.v === 'in' || next.v === 'notin')) {
      i++;
      const open = peek();
      if (open?.t !== 'op' || open.v !== '(') fail(selector, `expected '(' after '${next.v}'`);
      i++;
      const values: string[] = [];
      for (;;) {
        values.push(value());
        const sep = peek();
        i++;
        if (sep?.t === 'op' && sep.v === ')') break;
        if (sep?.t !== 'op' || sep.v !== ',') fail(selector, `expected ',' or ')' in set`);
      }
      reqs.push({ key, op: next.v, values });
    } else {
      fail(selector, `found '${next.v}', expected: '=', '!=', '==', 'in', notin'`);
    }
    const sep = peek();
    if (sep !== undefined) {
      if (sep.t !== 'op' || sep.v !== ',') fail(selector, `found '${sep.v}', expected: ','`);
      i++;
      if (i >= toks.length) fail(selector, 'found trailing comma');
    }
  }
  return reqs;
}

/** True when the labels satisfy every requirement. */
export function matchLabelRequirements(
  reqs: LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'gt':
        return has && Number.isInteger(Number(v)) && Number(v) > Number(r.values[0]);
      case 'lt':
        return has && Number.isInteger(Number(v)) && Number(v) < Number(r.values[0]);
    }
    return false;
  });
}

/** One parsed field requirement. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s.charAt(i + 1);
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/**
 * Parses a field selector (`a=b,c!=d`, `==` allowed, `\,` `\=` `\\` escapes) and checks every field is
 * supported for the resource, as the real server does. Throws 400 BadRequest.
 */
export function parseFieldSelector(selector: string, res: ResourceInfo): FieldRequirement[] {
  if (selector.trim() === '') return [];
  const allowed = ['metadata.name', 'metadata.namespace', ...res.fieldSelectors];
  return splitUnescaped(selector, ',').map((part) => {
    const m = /^([^!=]+?)\s*(!=|==|=)(.*)$/.exec(part.trim());
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = (m[1] ?? '').trim();
    if (!allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3] ?? '') };
  });
}

/** The string value of a dotted field path, as field selectors compare it (missing → ''). */
export function fieldValue(obj: KubeObject, field: string): string {
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (field === 'source' && typeof cur === 'object' && cur !== null) {
    const comp = (cur as Record<string, unknown>)['component'];
    return typeof comp === 'string' ? comp : '';
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  if (field === 'spec.unschedulable' || field === 'spec.hostNetwork') return 'false';
  return '';
}

/** True when the object satisfies every field requirement. */
export function matchFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
