/**
 * kuberoute's templating (README, "Templating"): `_TEMPLATE_START_` and `_TEMPLATE_END_` stand for
 * `{` and `}` (Kubernetes label values cannot hold braces), then Python `str.format` with the
 * `[replacements]` values. kube-edge supports plain `{name}` fields and `{{`/`}}` escapes only; a
 * format spec, conversion, attribute, index or positional field is an error (a documented
 * deviation: the original honoured format specs), as is a missing key (the original crashed).
 */

/** Stands for `{` in a template. */
export const TEMPLATE_START = '_TEMPLATE_START_';
/** Stands for `}` in a template. */
export const TEMPLATE_END = '_TEMPLATE_END_';

/** The outcome of {@link renderTemplate}: the text, or why it cannot be rendered. */
export type RenderResult = { ok: true; value: string } | { ok: false; reason: string };

/** Renders `template` with `vars`. Pure; never throws. */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): RenderResult {
  const text = template.split(TEMPLATE_START).join('{').split(TEMPLATE_END).join('}');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{') {
      if (text[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      const close = text.indexOf('}', i + 1);
      if (close < 0) return { ok: false, reason: `unclosed field in template ${JSON.stringify(template)}` };
      const field = text.slice(i + 1, close);
      if (field === '') return { ok: false, reason: 'positional fields ({}) are not supported' };
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(field)) {
        return {
          ok: false,
          reason: `field {${field}} is not supported (only plain {name} substitution; no format specs, conversions, attributes or indexes)`,
        };
      }
      if (!Object.prototype.hasOwnProperty.call(vars, field)) {
        return { ok: false, reason: `no replacement named ${field}` };
      }
      out += vars[field] ?? '';
      i = close + 1;
      continue;
    }
    if (ch === '}') {
      if (text[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      return { ok: false, reason: `single '}' in template ${JSON.stringify(template)}` };
    }
    out += ch;
    i += 1;
  }
  return { ok: true, value: out };
}
