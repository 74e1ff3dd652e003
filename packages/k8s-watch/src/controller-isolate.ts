// The controller loop's last line of defence: when a step refuses a whole config
// (ConfigRefusedError), find the source objects at fault by bisection with the step's `check`,
// skip them and let the loop apply the rest. Used by runController only.
import {
  ConfigRefusedError,
  TransientError,
  errorMessage,
  type Logger,
  type Metrics,
} from '@kube-edge/runtime';
import type { ResourceRef } from './resources.js';
import type { SkippedObject } from './skip-reporter.js';
import type { ChangeHandler, KubeObjectLike, Lister } from './types.js';
import { objectKey } from './types.js';

/** The Event reason and metric label of an object the loop isolated. */
export const CONFIG_REFUSED_REASON = 'ConfigRefused';

/** Default cap on `check` calls in one pass ({@link IsolateOptions.maxChecks}). */
export const DEFAULT_ISOLATE_MAX_CHECKS = 64;

/** Which objects the loop may leave out to get a refused config accepted; see `runController`. */
export interface IsolateOptions<K extends string = string> {
  /**
   * The informers whose objects are bisected, e.g. `['ingresses']`. Objects of the other informers
   * (namespaces, services…) are never left out: they are context, not tenants' configuration.
   */
  readonly informers: readonly K[];
  /**
   * At most this many `check` calls in one pass (a check is one build and, for nginx, one
   * `nginx -t`). Finding k offenders among n objects takes about k·(log2 n + 1) + 2. When the cap
   * is hit, the offenders found so far stay left out and the pass is retried with backoff (so the
   * search goes on in the next pass); with none found it ends as the refusal. Default 64.
   */
  readonly maxChecks?: number;
}

/** One source object of an isolated informer. */
interface Candidate {
  readonly id: string;
  readonly informer: string;
  readonly obj: KubeObjectLike;
}

/** An offender found earlier: left out as long as it is the same object at the same version. */
interface Remembered {
  readonly informer: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly skip: SkippedObject;
}

/** What the loop needs of a step to bisect with it. */
export interface CheckingStep<M> {
  readonly name: string;
  check(model: M): Promise<void>;
}

/** The result of one isolation: the model to apply, or the error that ends the pass. */
export type IsolationResult<B> =
  | {
      readonly ok: true;
      /** The build without the offenders (and without the objects excluded before). */
      readonly built: B;
      /** Everything now left out (the earlier exclusions and the new offenders). */
      readonly excluded: ReadonlySet<string>;
      /** One ConfigRefused skip per offender found by this search. */
      readonly skips: readonly SkippedObject[];
    }
  | {
      readonly ok: false;
      readonly error: unknown;
      /** Offenders found before the search stopped (they stay left out in the next pass). */
      readonly skips: readonly SkippedObject[];
    };

const SEP = '\u0000';
const idOf = (informer: string, obj: KubeObjectLike): string => `${informer}${SEP}${objectKey(obj)}`;

/** A lister that hides the objects whose ids are in `hidden`. */
function hidingLister<T extends KubeObjectLike>(
  informer: string,
  inner: Lister<T>,
  hidden: ReadonlySet<string>,
): Lister<T> {
  const visible = (o: T): boolean => !hidden.has(idOf(informer, o));
  return {
    start: () => inner.start(),
    hasSynced: () => inner.hasSynced(),
    get: (name, ns) => {
      const o = inner.get(name, ns);
      return o !== undefined && visible(o) ? o : undefined;
    },
    list: (ns) => inner.list(ns).filter(visible),
    byIndex: (index, value) => inner.byIndex(index, value).filter(visible),
    onChange: (h: ChangeHandler<T>) => inner.onChange(h),
  };
}

/** The first line of an error's message, bounded (it goes into an Event and a log line). */
export function refusalLine(err: unknown, max = 512): string {
  const line = (errorMessage(err).split('\n')[0] ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** @internal Options of {@link createIsolator}. */
export interface IsolatorOptions<B> {
  readonly isolate: IsolateOptions;
  /** Every informer's lister, by informer name. */
  readonly listers: ReadonlyMap<string, Lister<KubeObjectLike>>;
  readonly resources: ReadonlyMap<string, ResourceRef>;
  /** The app's build over listers that hide the given object ids. May throw. */
  build(listers: Record<string, Lister<KubeObjectLike>>): B;
  /** The model of a build result. */
  model(built: B): unknown;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** @internal The isolation state of one controller. Not for concurrent passes. */
export interface Isolator<B> {
  /** Listers hiding `excluded`, to hand to the build. */
  listers(excluded: ReadonlySet<string>): Record<string, Lister<KubeObjectLike>>;
  /**
   * The remembered offenders still present unchanged (same uid and resourceVersion): their ids,
   * to leave out of this pass without a new search, and their skips. Offenders that changed or
   * went away are forgotten (a changed one is tested again by being included).
   */
  remembered(): { excluded: ReadonlySet<string>; skips: SkippedObject[] };
  /**
   * Finds the objects that make `step` refuse the model built with `excluded` left out, after its
   * `update` threw `refusal`. Never rejects for a refusal; rejects with any other error of the
   * build or of `check` (e.g. nginx -t could not run), which then ends the pass as usual.
   */
  isolate(
    step: CheckingStep<unknown>,
    refusal: ConfigRefusedError,
    excluded: ReadonlySet<string>,
  ): Promise<IsolationResult<B>>;
}

/**
 * Creates the {@link Isolator} of a controller. Metric: `<prefix>_objects_isolated_total{kind}`,
 * +1 per offender found by a search (not again while it stays left out).
 */
export function createIsolator<B>(o: IsolatorOptions<B>): Isolator<B> {
  const maxChecks = o.isolate.maxChecks ?? DEFAULT_ISOLATE_MAX_CHECKS;
  const isolated = o.metrics.counter(
    'objects_isolated_total',
    'Objects left out because a step refused the config with them (found by bisection).',
    ['kind'] as const,
  );
  for (const informer of o.isolate.informers) {
    const kind = o.resources.get(informer)?.kind;
    if (kind !== undefined) isolated.inc({ kind }, 0);
  }
  const memory = new Map<string, Remembered>();

  const listers = (excluded: ReadonlySet<string>): Record<string, Lister<KubeObjectLike>> => {
    const out: Record<string, Lister<KubeObjectLike>> = {};
    for (const [name, l] of o.listers) out[name] = excluded.size === 0 ? l : hidingLister(name, l, excluded);
    return out;
  };

  const skipOf = (c: Candidate, step: string, err: unknown): SkippedObject => {
    const ref = o.resources.get(c.informer);
    const md = c.obj.metadata ?? {};
    return {
      kind: ref?.kind ?? c.obj.kind ?? c.informer,
      ...(ref !== undefined ? { apiVersion: ref.apiVersion } : {}),
      ...(md.namespace !== undefined && md.namespace !== '' ? { namespace: md.namespace } : {}),
      name: md.name ?? '',
      ...(md.uid !== undefined ? { uid: md.uid } : {}),
      reason: CONFIG_REFUSED_REASON,
      message: `${step} refused the config with this object, so it is left out: ${refusalLine(err)}`,
    };
  };

  const remember = (c: Candidate, skip: SkippedObject): void => {
    const md = c.obj.metadata ?? {};
    memory.set(c.id, {
      informer: c.informer,
      name: md.name ?? '',
      namespace: md.namespace,
      uid: md.uid ?? '',
      resourceVersion: md.resourceVersion ?? '',
      skip,
    });
    isolated.inc({ kind: skip.kind });
  };

  return {
    listers,

    remembered() {
      const excluded = new Set<string>();
      const skips: SkippedObject[] = [];
      for (const [id, r] of memory) {
        const now = o.listers.get(r.informer)?.get(r.name, r.namespace);
        if (
          now !== undefined &&
          (now.metadata?.uid ?? '') === r.uid &&
          (now.metadata?.resourceVersion ?? '') === r.resourceVersion
        ) {
          excluded.add(id);
          skips.push(r.skip);
          continue;
        }
        memory.delete(id);
        o.logger.info(
          now === undefined ? 'isolated object gone' : 'isolated object changed; testing it again',
          {
            informer: r.informer,
            ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
            name: r.name,
          },
        );
      }
      return { excluded, skips };
    },

    async isolate(step, refusal, excluded) {
      const candidates: Candidate[] = [];
      for (const informer of o.isolate.informers) {
        const l = o.listers.get(informer);
        if (l === undefined) continue;
        for (const obj of l.list()) {
          const id = idOf(informer, obj);
          if (!excluded.has(id)) candidates.push({ id, informer, obj });
        }
      }
      // A stable order, so that the same cluster gives the same offenders.
      candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const n = candidates.length;
      const found: { c: Candidate; err: unknown }[] = [];
      const foundIds = new Set<string>();
      let checks = 0;
      const t0 = performance.now();
      const meta = { step: step.name, objects: n };

      class CapReached extends Error {}
      // Builds and checks the model with candidates[0..prefix) included, less the offenders found.
      const test = async (prefix: number): Promise<{ ok: true; built: B } | { ok: false; err: unknown }> => {
        if (checks >= maxChecks) throw new CapReached();
        checks++;
        const hidden = new Set(excluded);
        for (let i = prefix; i < n; i++) hidden.add(candidates[i]!.id);
        for (const id of foundIds) hidden.add(id);
        try {
          const built = o.build(listers(hidden));
          await step.check(o.model(built));
          return { ok: true, built };
        } catch (err) {
          if (err instanceof ConfigRefusedError) return { ok: false, err };
          throw err;
        }
      };
      const skipsOfFound = (): SkippedObject[] =>
        found.map(({ c, err }) => {
          const skip = skipOf(c, step.name, err);
          remember(c, skip);
          return skip;
        });

      try {
        if (n === 0) return { ok: false, error: refusal, skips: [] };
        const none = await test(0);
        if (!none.ok) {
          o.logger.error('config refused even without any isolatable object; not bisected', {
            ...meta,
            err: none.err,
          });
          return { ok: false, error: refusal, skips: [] };
        }
        let full = await test(n);
        if (full.ok) {
          o.logger.error('check accepted the config update refused; not bisected', { ...meta, err: refusal });
          return { ok: false, error: refusal, skips: [] };
        }
        // Invariant: the prefix `lo` passes, the prefix `hi` fails (with `errHi`).
        let lo = 0;
        while (!full.ok) {
          let hi = n;
          let errHi = full.err;
          while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            const r = await test(mid);
            if (r.ok) lo = mid;
            else {
              hi = mid;
              errHi = r.err;
            }
          }
          if (hi <= lo) return { ok: false, error: refusal, skips: skipsOfFound() };
          // prefix hi-1 passes, prefix hi fails: candidates[hi-1] is at fault (alone or with
          // objects before it). Without it, prefix hi is prefix hi-1 again, so it passes.
          const c = candidates[hi - 1]!;
          found.push({ c, err: errHi });
          foundIds.add(c.id);
          lo = hi;
          full = await test(n);
        }
        const skips = skipsOfFound();
        o.logger.warn('objects isolated: the config refused with them was applied without them', {
          ...meta,
          isolated: skips.map((s) => `${s.namespace === undefined ? '' : `${s.namespace}/`}${s.name}`),
          checks,
          ms: Math.round(performance.now() - t0),
        });
        const all = new Set(excluded);
        for (const id of foundIds) all.add(id);
        return { ok: true, built: full.built, excluded: all, skips };
      } catch (err) {
        if (!(err instanceof CapReached)) throw err;
        const skips = skipsOfFound();
        o.logger.warn('isolation stopped at the check cap; continuing in the next pass', {
          ...meta,
          maxChecks,
          found: skips.length,
        });
        return {
          ok: false,
          error:
            skips.length === 0
              ? refusal
              : new TransientError(
                  `isolation stopped after ${checks} checks with ${skips.length} offending objects found; the search goes on in the next pass`,
                  { code: 'ISOLATION_INCOMPLETE', cause: refusal },
                ),
          skips,
        };
      }
    },
  };
}
