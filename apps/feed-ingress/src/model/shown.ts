/** The most characters of one user value a skip or warning reason quotes. */
export const MAX_SHOWN_CHARS = 128;

/**
 * A user value as a reason quotes it: at most {@link MAX_SHOWN_CHARS} characters (then `...`),
 * control characters, quotes and backslashes escaped as in JSON (and C1 controls and U+2028/9). Reasons become Event messages,
 * log fields and `#` comment lines of `feed-ingress render`, so a long or multi-line value must
 * neither blow them up nor break a line. Pure.
 */
export function shown(value: string): string {
  const cut = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
  // JSON leaves C1 controls and the Unicode line separators as they are: escape them too.
  return JSON.stringify(cut)
    .slice(1, -1)
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
