import type { FieldCause } from './errors.js';
import type { NameRule, ResourceInfo } from './resources.js';
import type { KubeObject } from './types.js';

const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The real server's message for a name that breaks `rule`, or undefined when the name is valid. */
export function nameProblem(rule: NameRule, name: string): string | undefined {
  switch (rule) {
    case 'label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL_RE.test(name)) {
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'dns1035':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!DNS1035_RE.test(name)) {
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'subdomain':
    case 'crd':
      if (name.length > 253) return 'must be no more than 253 characters';
      if (!SUBDOMAIN_RE.test(name)) {
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      }
      return undefined;
  }
}

function qualifiedKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN_RE.test(prefix)))
    return 'prefix part must be a lowercase RFC 1123 subdomain';
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function quote(v: unknown): string {
  return JSON.stringify(v);
}

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const WILDCARD_MESSAGE =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/**
 * The real server's check of `networking.k8s.io` Ingress rule hosts: a lowercase RFC 1123
 * subdomain, or `*.` and one (no other `*`), and never an IP address.
 */
function ingressProblems(obj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const rules = (obj['spec'] as { rules?: unknown } | undefined)?.rules;
  if (!Array.isArray(rules)) return causes;
  rules.forEach((rule: unknown, i) => {
    const host = (rule as { host?: unknown } | null)?.host;
    if (typeof host !== 'string' || host === '') return;
    const field = `spec.rules[${i}].host`;
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(host)}: must be a DNS name, not an IP address`,
        field,
      });
      return;
    }
    if (host.includes('*')) {
      const rest = host.slice(2);
      if (!host.startsWith('*.') || rest.length > 251 || !SUBDOMAIN_RE.test(rest))
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${quote(host)}: ${WILDCARD_MESSAGE}`,
          field,
        });
      return;
    }
    if (host.length > 253)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(host)}: must be no more than 253 characters`,
        field,
      });
    else if (!SUBDOMAIN_RE.test(host))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(host)}: ${SUBDOMAIN_MESSAGE}`,
        field,
      });
  });
  return causes;
}

/**
 * Validates the metadata the controllers depend on, and the hosts of an Ingress's rules; returns
 * the field causes (empty when valid).
 */
export function validateObject(res: ResourceInfo, obj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = obj.metadata.name ?? '';
  if (name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else {
    const problem = nameProblem(res.nameRule, name);
    if (problem !== undefined)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(name)}: ${problem}`,
        field: 'metadata.name',
      });
    if (res.nameRule === 'crd') {
      const spec = (obj['spec'] ?? {}) as { group?: unknown; names?: { plural?: unknown } };
      const plural = typeof spec.names?.plural === 'string' ? spec.names.plural : '';
      const group = typeof spec.group === 'string' ? spec.group : '';
      const expected = `${plural}.${group}`;
      if (name !== expected) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${quote(name)}: must be spec.names.plural+"."+spec.group`,
          field: 'metadata.name',
        });
      }
    }
  }
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    const kp = qualifiedKeyProblem(k);
    if (kp !== undefined)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(k)}: ${kp}`,
        field: 'metadata.labels',
      });
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE_RE.test(v)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        field: `metadata.labels`,
      });
    }
  }
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    const kp = qualifiedKeyProblem(k);
    if (kp !== undefined)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(k)}: ${kp}`,
        field: 'metadata.annotations',
      });
    if (typeof v !== 'string')
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${quote(v)}: must be a string`,
        field: `metadata.annotations`,
      });
  }
  if (res.group === 'networking.k8s.io' && res.kind === 'Ingress') causes.push(...ingressProblems(obj));
  return causes;
}
