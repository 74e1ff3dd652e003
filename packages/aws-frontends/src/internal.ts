import { Gauge, type Registry } from 'prom-client';

/** Something that holds the number of attached frontends. */
export interface AttachedGauge {
  set(value: number): void;
}

/**
 * The attached-frontends gauge in `registry`, created on first use and reused if the registry
 * already has a gauge of that name (two frontends in one process share it). No registry: a no-op.
 */
export function attachedGauge(registry: Registry | undefined, name: string, help: string): AttachedGauge {
  if (registry === undefined) return { set: () => undefined };
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return { set: (v) => existing.set(v) };
  const gauge = new Gauge({ name, help, registers: [registry] });
  return { set: (v) => gauge.set(v) };
}
