const INTERVAL = /^([+-]?\d+)(s|sec|seconds|m|min|minutes|h|hours)$/i;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hours: 3_600_000,
};

/**
 * Parses a gorb pulse interval the way gorb does: `<integer><unit>` with unit s/sec/seconds,
 * m/min/minutes or h/hours, case-insensitive, optional sign. Go durations such as `1m30s` or
 * `500ms` are not accepted. Pure; returns the interval in milliseconds (possibly 0 or negative:
 * the positivity check is a separate error in gorb), or `undefined` when the format is invalid.
 */
export function parseGorbInterval(value: string): number | undefined {
  const m = INTERVAL.exec(value);
  if (m === null) return undefined;
  const unit = UNIT_MS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Number.parseInt(m[1]!, 10) * unit;
}
