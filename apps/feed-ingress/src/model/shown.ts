/** The most characters of one user value a skip or warning reason quotes. */
export const MAX_SHOWN_CHARS = 128;

/**
 * A user value as a reason quotes it: at most {@link MAX_SHOWN_CHARS} characters (then `...`),
 * control characters, quotes and backslashes escaped as in JSON. Reasons become Event messages,
 * log fields and `#` comment lines of `feed-ingress render`, so a long or multi-line value must
 * neither blow them up nor break a line. Pure.
 */
export function shown(value: string): string {
  const cut = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
  return JSON.stringify(cut).slice(1, -1);
}
