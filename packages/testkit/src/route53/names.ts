/**
 * Domain names as Route53 stores and lists them: lower case, absolute (trailing dot), and every
 * character other than `a-z 0-9 - _ .` as a three-digit octal escape (`*` → `\052`), whether the
 * request wrote the character or its escape.
 */

/** Decodes `\ooo` escapes (`\052` → `*`). */
export function unescapeName(name: string): string {
  return name.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The form Route53 lists a name in: `*.Example.COM` → `\052.example.com.`. */
export function canonicalName(name: string): string {
  const plain = unescapeName(name).toLowerCase();
  const absolute = plain.endsWith('.') ? plain : `${plain}.`;
  let out = '';
  for (const ch of absolute) {
    out += /[a-z0-9\-_.]/.test(ch) ? ch : `\\${(ch.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** A DNS name target (alias DNSName, CNAME value) as compared by Route53: lower case, absolute. */
export function canonicalTarget(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** True when `name` is `zone` or below it (both canonical). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * Route53's list order: names compared label by label from the right (`com`, `example`, `www`),
 * then the record type.
 */
export function compareRecordKeys(
  a: { name: string; type: string },
  b: { name: string; type: string },
): number {
  const la = a.name.replace(/\.$/, '').split('.').reverse();
  const lb = b.name.replace(/\.$/, '').split('.').reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const x = la[i] ?? '';
    const y = lb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  if (la.length !== lb.length) return la.length - lb.length;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}
