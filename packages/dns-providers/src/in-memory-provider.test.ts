import { describe, expect, it } from '@jest/globals';
import type { LogMeta, Logger } from '@kube-edge/runtime';
import { DryRunProvider } from './dry-run-provider.js';
import type { Endpoint } from './endpoint.js';
import { InMemoryProvider } from './in-memory-provider.js';
import { createTargetOwnership } from './ownership.js';
import { plan } from './plan.js';

const LB = 'lb-1.elb.amazonaws.com.';
const alias = (name: string, target = LB): Endpoint => ({
  name,
  type: 'A',
  targets: [target],
  alias: { hostedZoneId: 'ZLB' },
});
const ownership = createTargetOwnership({ targets: [LB, 'lb-2.elb.amazonaws.com.'] });

describe('InMemoryProvider', () => {
  it('applies a plan and converges: the next plan is empty', async () => {
    const provider = new InMemoryProvider({
      records: [
        alias('old.example.com.'),
        { name: 'keep.example.com.', type: 'TXT', targets: ['"x"'], ttl: 60 },
      ],
    });
    const desired = [alias('New.Example.com'), alias('*.apps.example.com')];
    const result = await provider.applyChanges(plan(await provider.records(), desired, ownership).changes);
    expect(result.failed).toEqual([]);
    expect((await provider.records()).map((e) => e.name).sort()).toEqual([
      '*.apps.example.com.',
      'keep.example.com.',
      'new.example.com.',
    ]);
    const again = plan(await provider.records(), desired, ownership);
    expect(again.changes).toEqual({ create: [], update: [], delete: [] });
  });

  it('fails only the offending change, as Route53 would refuse it', async () => {
    const provider = new InMemoryProvider({
      records: [
        alias('a.example.com'),
        { name: 'c.example.com', type: 'CNAME', targets: ['x.example.net'], ttl: 60 },
      ],
      domains: ['example.com'],
    });
    const result = await provider.applyChanges({
      create: [alias('a.example.com'), alias('b.example.com'), alias('c.example.com'), alias('d.other.org')],
      update: [
        { from: alias('missing.example.com'), to: alias('missing.example.com', 'lb-2.elb.amazonaws.com.') },
      ],
      delete: [{ name: 'c.example.com', type: 'CNAME', targets: ['x.example.net'], ttl: 300 }],
    });
    expect(result.applied).toEqual([{ kind: 'create', endpoint: alias('b.example.com') }]);
    expect(result.failed.map((f) => f.reason)).toEqual([
      'c.example.com.|CNAME| differs from the record to delete',
      'missing.example.com.|A| does not exist',
      'a.example.com.|A| already exists',
      'a CNAME at c.example.com. conflicts with other records',
      'd.other.org. is not in a served domain',
    ]);
    expect(provider.applyCalls).toBe(1);
  });

  it('replaces a record of another type atomically on a type-changing update', async () => {
    const cname: Endpoint = { name: 'x.example.com.', type: 'CNAME', targets: [LB], ttl: 60 };
    const provider = new InMemoryProvider({ records: [cname] });
    const result = await provider.applyChanges({
      create: [],
      update: [{ from: cname, to: alias('x.example.com') }],
      delete: [],
    });
    expect(result.failed).toEqual([]);
    expect((await provider.records()).map((e) => e.type)).toEqual(['A']);
  });
});

describe('DryRunProvider', () => {
  it('logs each change, reports it applied and writes nothing to the inner provider', async () => {
    const lines: [string, LogMeta | undefined][] = [];
    const logger: Logger = {
      info: (m, meta) => lines.push([m, meta]),
      warn: () => undefined,
      error: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    const inner = new InMemoryProvider({ records: [alias('old.example.com.')] });
    const dry = new DryRunProvider({ inner, logger });
    const p = plan(await dry.records(), [alias('new.example.com')], ownership);
    const result = await dry.applyChanges(p.changes);
    expect(result.applied.map((c) => c.kind)).toEqual(['delete', 'create']);
    expect(lines.map(([m, meta]) => [m, meta?.change])).toEqual([
      ['dns change (dry run)', `DELETE A old.example.com. -> ${LB} (alias ZLB)`],
      ['dns change (dry run)', `CREATE A new.example.com. -> ${LB} (alias ZLB)`],
    ]);
    expect((await inner.records()).map((e) => e.name)).toEqual(['old.example.com.']);
    expect(inner.applyCalls).toBe(0);
  });

  it('without an inner provider lists nothing, so every desired record is a create', async () => {
    const dry = new DryRunProvider();
    expect(plan(await dry.records(), [alias('a.example.com')], ownership).changes.create).toHaveLength(1);
  });
});
