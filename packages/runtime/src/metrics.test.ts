import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('prefixes metric names and exposes them in the registry text', async () => {
    const m = createMetrics({ prefix: 'feed_ingress', collectDefaultMetrics: false });
    m.counter('ingresses_skipped_total', 'Ingresses skipped', ['reason']).inc({ reason: 'bad-host' }, 2);
    m.gauge('ingresses', 'Ingresses served').set(7);
    m.histogram('reload_seconds', 'Reload time', [], [0.1, 1]).observe(0.5);
    const text = await m.registry.metrics();
    expect(text).toContain('feed_ingress_ingresses_skipped_total{reason="bad-host"} 2');
    expect(text).toContain('feed_ingress_ingresses 7');
    expect(text).toContain('feed_ingress_reload_seconds_bucket{le="1"} 1');
    expect(m.name('x')).toBe('feed_ingress_x');
  });

  it('returns the same metric when asked again for the same name', () => {
    const m = createMetrics({ prefix: 'app', collectDefaultMetrics: false });
    const a = m.counter('events_total', 'Events', ['kind']);
    const b = m.counter('events_total', 'Events', ['kind']);
    expect(b).toBe(a);
    expect(m.histogram('h', 'H')).toBe(m.histogram('h', 'H'));
    expect(m.gauge('g', 'G')).toBe(m.gauge('g', 'G'));
  });

  it('throws when a name is reused for another kind or other labels', () => {
    const m = createMetrics({ prefix: 'app', collectDefaultMetrics: false });
    m.counter('x', 'X', ['a']);
    expect(() => m.gauge('x', 'X', ['a'])).toThrow(/another kind/);
    expect(() => m.counter('x', 'X', ['b'])).toThrow(/labels \[a\]/);
  });

  it('uses no prefix when the prefix is empty', async () => {
    const m = createMetrics({ prefix: '', collectDefaultMetrics: false });
    m.counter('gorb_syncs_total', 'Syncs').inc();
    expect(await m.registry.metrics()).toContain('gorb_syncs_total 1');
  });

  it('registers unprefixed default process metrics once, even when created twice on one registry', async () => {
    const registry = new Registry();
    createMetrics({ prefix: 'a', registry });
    expect(() => createMetrics({ prefix: 'b', registry })).not.toThrow();
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('keeps separate registries for separate helpers (no global state)', async () => {
    const a = createMetrics({ prefix: 'a', collectDefaultMetrics: false });
    const b = createMetrics({ prefix: 'a', collectDefaultMetrics: false });
    a.counter('c', 'C').inc();
    expect(await b.registry.metrics()).not.toContain('a_c');
  });

  it('adds default labels to every metric', async () => {
    const m = createMetrics({
      prefix: 'feed',
      collectDefaultMetrics: false,
      defaultLabels: { instance: 'node-1' },
    });
    m.gauge('up', 'Up').set(1);
    expect(await m.registry.metrics()).toContain('feed_up{instance="node-1"} 1');
  });

  it('rejects an invalid prefix', () => {
    expect(() => createMetrics({ prefix: 'feed-ingress' })).toThrow(TypeError);
  });
});
