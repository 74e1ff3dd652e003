import type { Expr, VarRef } from './model.js';

function isExprList(expr: Expr): expr is readonly (string | VarRef)[] {
  return Array.isArray(expr);
}

/** The variable that holds a literal `$` (declared with `geo`, whose values are never expanded). */
export const DOLLAR_VARIABLE = 'kube_edge_dollar';

// Characters that may stand in a bare (unquoted) nginx token without any meaning to the lexer:
// no whitespace, quotes, backslash, `;`, `{`, `}` or `#`.
const BARE = /^[A-Za-z0-9._/:=,+@%~*!^$-]+$/;

/**
 * Quote one directive argument by nginx's lexer rules (ngx_conf_read_token): inside double
 * quotes only `"` and `\` are special, so escaping those two makes the lexer hand the exact
 * string back as one argument, whatever `;`, `{`, `}`, `#` or whitespace it holds. Words made
 * only of harmless characters stay bare for readability.
 *
 * Callers guarantee there are no control characters (validation rejects them); a `${` never
 * stays bare because `{` is not in the bare set.
 */
export function quoteArg(value: string): string {
  if (BARE.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Turn an {@link Expr} into the text nginx's script compiler will read: literal parts have every
 * `$` replaced by `${kube_edge_dollar}`, variables become `$name` (or `${name}` when a literal
 * that could extend the name follows). Returns the text and whether the dollar variable is used.
 */
export function exprText(expr: Expr): { text: string; usesDollar: boolean } {
  const parts: readonly (string | VarRef)[] = isExprList(expr) ? expr : [expr];
  let text = '';
  let usesDollar = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part === 'string') {
      if (part.includes('$')) usesDollar = true;
      text += part.replaceAll('$', () => `\${${DOLLAR_VARIABLE}}`);
    } else {
      const next = parts[i + 1];
      const nextStartsWord = typeof next === 'string' && /^[A-Za-z0-9_]/.test(next);
      text += nextStartsWord ? `\${${part.var}}` : `$${part.var}`;
    }
  }
  return { text, usesDollar };
}
