/** What a property test passes to fast-check's `assert`/`sample`: run count and seed. */
export interface PropertyRuns {
  readonly numRuns: number;
  /** Absent only when `FC_SEED=random` asked for a fresh seed (fast-check prints it on failure). */
  readonly seed?: number;
}

/**
 * The seed every property test uses unless `FC_SEED` says otherwise. Fixed so that a test run
 * (CI included) explores the same cases every time: a property that fails does so on every run
 * of that commit, never on one run in twenty.
 */
export const DEFAULT_PROPERTY_SEED = 20261207;

/**
 * Parameters for a fast-check property: `numRuns` and a seed read from `FC_SEED` — a number
 * reproduces the run fast-check printed, `random` explores new cases (`FC_SEED=random pnpm test`,
 * repeated, is how to search for counterexamples), unset is {@link DEFAULT_PROPERTY_SEED}.
 * Throws on any other value, naming the variable.
 */
export function propertyRuns(numRuns: number, env: NodeJS.ProcessEnv = process.env): PropertyRuns {
  const raw = env.FC_SEED?.trim();
  if (raw === undefined || raw === '') return { numRuns, seed: DEFAULT_PROPERTY_SEED };
  if (raw === 'random') return { numRuns };
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`FC_SEED=${JSON.stringify(raw)}: expected an integer seed or "random"`);
  }
  return { numRuns, seed };
}
