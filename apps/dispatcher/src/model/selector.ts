/** One requirement of a label selector. */
export interface SelectorRequirement {
  readonly key: string;
  readonly op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists';
  readonly values: readonly string[];
}

/** A parsed Kubernetes label selector: every requirement must hold. */
export interface LabelSelector {
  readonly text: string;
  readonly requirements: readonly SelectorRequirement[];
  /** True when the labels satisfy every requirement. Pure. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_RE = new RegExp(`^${NAME}$`);
const VALUE_RE = new RegExp(`^(${NAME})?$`);

/**
 * Whether `key` is a Kubernetes qualified name (`[prefix/]name`, as label keys and annotation
 * names are): the name at most 63 characters, the prefix a DNS subdomain of at most 253. Pure.
 */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    return false;
  return name.length > 0 && name.length <= 63 && NAME_RE.test(name);
}

function isLabelValue(v: string): boolean {
  return v.length <= 63 && VALUE_RE.test(v);
}

/**
 * Parses a label selector in the syntax `kubectl -l` and the API accept: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas. Returns a reason on failure. Pure.
 */
export function parseLabelSelector(
  text: string,
): { ok: true; selector: LabelSelector } | { ok: false; reason: string } {
  const requirements: SelectorRequirement[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth < 0) return { ok: false, reason: 'unbalanced parentheses' };
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) return { ok: false, reason: 'unbalanced parentheses' };
  parts.push(cur);
  if (text.trim() === '') return { ok: false, reason: 'selector is empty' };
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') return { ok: false, reason: 'empty requirement' };
    let m: RegExpExecArray | null;
    let req: SelectorRequirement;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(p)) !== null) {
      const values = m[3]!.split(',').map((v) => v.trim());
      req = { key: m[1]!, op: m[2] === 'in' ? 'in' : 'notin', values };
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p)) !== null) {
      req = { key: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', values: [m[3]!] };
    } else if ((m = /^!\s*(\S+)$/.exec(p)) !== null) {
      req = { key: m[1]!, op: 'notexists', values: [] };
    } else if (/^\S+$/.test(p)) {
      req = { key: p, op: 'exists', values: [] };
    } else {
      return { ok: false, reason: `cannot parse requirement "${p}"` };
    }
    if (!isQualifiedName(req.key)) return { ok: false, reason: `"${req.key}" is not a valid label key` };
    const bad = req.values.find((v) => !isLabelValue(v));
    if (bad !== undefined) return { ok: false, reason: `"${bad}" is not a valid label value` };
    requirements.push(req);
  }
  const matches = (labels: Readonly<Record<string, string>> | undefined): boolean =>
    requirements.every((r) => {
      const v = labels?.[r.key];
      switch (r.op) {
        case 'eq':
          return v === r.values[0];
        case 'neq':
          return v !== r.values[0];
        case 'in':
          return v !== undefined && r.values.includes(v);
        case 'notin':
          return v === undefined || !r.values.includes(v);
        case 'exists':
          return v !== undefined;
        case 'notexists':
          return v === undefined;
      }
    });
  return { ok: true, selector: { text, requirements, matches } };
}
