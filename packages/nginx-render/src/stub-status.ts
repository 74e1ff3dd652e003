/** The figures nginx's stub_status page reports. */
export interface StubStatus {
  readonly active: number;
  readonly accepts: number;
  readonly handled: number;
  readonly requests: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
}

/**
 * Parse a stub_status page:
 * `Active connections: 1 \nserver accepts handled requests\n 5 5 9 \nReading: 0 Writing: 1 Waiting: 0 \n`.
 * Pure; throws on text that does not have that shape.
 */
export function parseStubStatus(text: string): StubStatus {
  const m =
    /Active connections:\s*(\d+)\s+server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(
      text,
    );
  if (!m) throw new Error('not a stub_status page');
  const n = (i: number): number => Number(m[i]);
  return {
    active: n(1),
    accepts: n(2),
    handled: n(3),
    requests: n(4),
    reading: n(5),
    writing: n(6),
    waiting: n(7),
  };
}
