import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '@kube-edge/runtime';
import { captureLogger, metricValue } from '../test/controller-support.js';
import type { EventRecorder, EventType, ObjectReference } from './event-recorder.js';
import { createSkipReporter, type SkippedObject } from './skip-reporter.js';

interface Recorded {
  object: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
}

function setup() {
  const recorded: Recorded[] = [];
  const events: EventRecorder = {
    record: (object, type, reason, message) =>
      void recorded.push({ object: object as ObjectReference, type, reason, message }),
    flush: () => Promise.resolve(),
    stats: () => ({ created: recorded.length, updated: 0, dropped: 0, failed: 0 }),
  };
  const logger = captureLogger();
  const metrics = createMetrics({ prefix: 'app', collectDefaultMetrics: false });
  const reporter = createSkipReporter({ logger, events, metrics, messagePrefix: 'app: ' });
  const metric = async (name: string, kind: string, reason: string): Promise<number | undefined> =>
    metricValue(await metrics.registry.metrics(), name, { kind, reason });
  const warnings = (): string[] =>
    logger.lines
      .filter((l) => l.level === 'warn' && l.message === 'object skipped')
      .map((l) => String(l.meta['name']));
  return { reporter, recorded, logger, metric, warnings };
}

const skip = (name: string, over: Partial<SkippedObject> = {}): SkippedObject => ({
  kind: 'Ingress',
  apiVersion: 'networking.k8s.io/v1',
  namespace: 'default',
  name,
  reason: 'InvalidHost',
  message: `host of ${name} is invalid`,
  ...over,
});

describe('createSkipReporter', () => {
  it('reports a problem once while it lasts: warn log, Warning Event on the object, counter', async () => {
    const { reporter, recorded, metric, warnings } = setup();
    reporter.report([skip('a'), skip('b')]);
    reporter.report([skip('a'), skip('b')]);
    reporter.report([skip('b'), skip('a')]);
    expect(warnings()).toEqual(['a', 'b']);
    expect(recorded).toEqual([
      {
        object: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'a', namespace: 'default' },
        type: 'Warning',
        reason: 'InvalidHost',
        message: 'app: host of a is invalid',
      },
      expect.objectContaining({ object: expect.objectContaining({ name: 'b' }) }),
    ]);
    expect(await metric('app_skipped_objects_total', 'Ingress', 'InvalidHost')).toBe(2);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(2);
    expect(reporter.size()).toBe(2);
  });

  it('forgets a cleared problem and reports it again when it comes back', async () => {
    const { reporter, recorded, metric, warnings } = setup();
    reporter.report([skip('a'), skip('b')]);
    reporter.report([skip('b')]);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(1);
    reporter.report([]);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(0);
    expect(reporter.size()).toBe(0);
    reporter.report([skip('a')]);
    expect(warnings()).toEqual(['a', 'b', 'a']);
    expect(recorded.map((r) => r.object.name)).toEqual(['a', 'b', 'a']);
    expect(await metric('app_skipped_objects_total', 'Ingress', 'InvalidHost')).toBe(3);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(1);
  });

  it('treats another reason or message for the same object as a new problem', async () => {
    const { reporter, recorded, metric } = setup();
    reporter.report([skip('a')]);
    reporter.report([skip('a', { message: 'host of a is too long' })]);
    reporter.report([
      skip('a', { message: 'host of a is too long' }),
      skip('a', { reason: 'MissingSecret' }),
    ]);
    expect(recorded.map((r) => `${r.reason}: ${r.message}`)).toEqual([
      'InvalidHost: app: host of a is invalid',
      'InvalidHost: app: host of a is too long',
      'MissingSecret: app: host of a is invalid',
    ]);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(1);
    expect(await metric('app_skipped_objects', 'Ingress', 'MissingSecret')).toBe(1);
  });

  it('counts a problem listed twice in one pass once', async () => {
    const { reporter, recorded, metric } = setup();
    reporter.report([skip('a'), skip('a')]);
    expect(recorded).toHaveLength(1);
    expect(await metric('app_skipped_objects', 'Ingress', 'InvalidHost')).toBe(1);
    expect(await metric('app_skipped_objects_total', 'Ingress', 'InvalidHost')).toBe(1);
  });

  it('logs quiet skips at debug, counts them, and records no Event', async () => {
    const { reporter, recorded, logger, metric } = setup();
    reporter.report([skip('a', { quiet: true, reason: 'NoDnsWanted' })]);
    reporter.report([skip('a', { quiet: true, reason: 'NoDnsWanted' })]);
    expect(recorded).toEqual([]);
    expect(logger.lines.filter((l) => l.level === 'debug' && l.message === 'object skipped')).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(await metric('app_skipped_objects_total', 'Ingress', 'NoDnsWanted')).toBe(1);
  });

  it('records Events on core objects with apiVersion v1 and none for an unnamed object', () => {
    const { reporter, recorded, warnings } = setup();
    reporter.report([
      { kind: 'Service', name: 'svc', namespace: 'ns', uid: 'u1', reason: 'NoPorts', message: 'no ports' },
      { kind: 'Config', name: '', reason: 'BadFlag', message: 'flag ignored' },
    ]);
    expect(recorded).toEqual([
      {
        object: { apiVersion: 'v1', kind: 'Service', name: 'svc', namespace: 'ns', uid: 'u1' },
        type: 'Warning',
        reason: 'NoPorts',
        message: 'app: no ports',
      },
    ]);
    expect(warnings()).toEqual(['svc', '']);
  });

  it('adds the detail fields to the log line', () => {
    const { reporter, logger } = setup();
    reporter.report([skip('a', { detail: { host: 'bad..host' } })]);
    expect(logger.lines[0]?.meta).toMatchObject({
      kind: 'Ingress',
      namespace: 'default',
      name: 'a',
      reason: 'InvalidHost',
      detail: 'host of a is invalid',
      host: 'bad..host',
    });
  });
});
