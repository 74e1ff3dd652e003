import { describe, expect, it } from '@jest/globals';
import { TransientError } from '@kube-edge/runtime';
import { captureLogger } from '@kube-edge/testkit';
import { runDnsPass } from './dns-pass.js';
import type { DnsProvider, Endpoint } from './endpoint.js';
import { InMemoryProvider } from './in-memory-provider.js';
import { createPredicateOwnership, createTargetOwnership, createTxtOwnership } from './ownership.js';

const LB = 'lb-1.elb.amazonaws.com.';
const alias = (name: string, target = LB): Endpoint => ({
  name,
  type: 'A',
  targets: [target],
  alias: { hostedZoneId: 'ZLB' },
});
const ownership = createTargetOwnership({ targets: [LB] });

/** The zone as `TYPE name targets` lines, sorted. */
async function zone(provider: DnsProvider): Promise<string[]> {
  return (await provider.records()).map((e) => `${e.type} ${e.name} ${e.targets.join(',')}`).sort();
}

describe('runDnsPass', () => {
  it('creates, re-points and deletes owned records, leaves foreign ones, then converges with no write', async () => {
    const foreign: Endpoint = { name: 'mail.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 };
    const provider = new InMemoryProvider({
      records: [alias('old.example.com.'), alias('moved.example.com.'), foreign],
    });
    const desired = [
      alias('new.example.com'),
      { ...alias('moved.example.com'), alias: { hostedZoneId: 'ZOTHER' } },
      alias('mail.example.com'),
    ];
    const s = await runDnsPass({ provider, desired, ownership });
    expect(s).toMatchObject({
      outcome: 'applied',
      creates: 1,
      updates: 1,
      deletes: 1,
      retryable: 0,
      owned: 2,
    });
    expect(s.failed).toEqual([]);
    expect(s.skipped.map((k) => [k.endpoint.name, k.reason])).toEqual([
      ['mail.example.com.', 'an existing A record with this name is not owned by this controller'],
    ]);
    expect(await zone(provider)).toEqual([
      `A mail.example.com. 10.0.0.1`,
      `A moved.example.com. ${LB}`,
      `A new.example.com. ${LB}`,
    ]);
    expect((await provider.records()).find((e) => e.name === 'moved.example.com.')?.alias?.hostedZoneId).toBe(
      'ZOTHER',
    );

    const calls = provider.applyCalls;
    const again = await runDnsPass({ provider, desired, ownership });
    expect(again).toMatchObject({ outcome: 'unchanged', creates: 0, updates: 0, deletes: 0, owned: 2 });
    expect(again.plan.unchanged).toBe(2);
    expect(provider.applyCalls).toBe(calls);
  });

  it('applies nothing when the mass-deletion guard refuses the plan', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `h${i}.example.com.`);
    const provider = new InMemoryProvider({ records: names.map((n) => alias(n)) });
    const logger = captureLogger();
    const s = await runDnsPass({
      provider,
      desired: [alias('h0.example.com'), alias('extra.example.com')],
      ownership,
      maxDeleteShare: 0.5,
      logger,
    });
    expect(s.outcome).toBe('refused');
    expect(s.refused).toBe('the plan would delete 9 of 10 owned records (90%, more than 50%)');
    expect(s).toMatchObject({ creates: 1, deletes: 9, owned: 10, applied: [] });
    expect(provider.applyCalls).toBe(0);
    expect(await zone(provider)).toEqual(names.map((n) => `A ${n} ${LB}`).sort());
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'plan refused by the mass-deletion guard: nothing applied',
    ]);

    const allowed = await runDnsPass({ provider, desired: [], ownership, maxDeleteShare: 1 });
    expect(allowed).toMatchObject({ outcome: 'applied', deletes: 10, owned: 0 });
    expect(await zone(provider)).toEqual([]);
  });

  it('reports each failed change with its name and reason and applies the rest', async () => {
    const provider = new InMemoryProvider({ domains: ['example.com'] });
    const logger = captureLogger();
    const s = await runDnsPass({
      provider,
      desired: [alias('a.example.com'), alias('b.example.org'), alias('c.example.com')],
      ownership,
      logger,
      logMetaOf: (name) => (name === 'b.example.org.' ? { ingress: 'default/b' } : undefined),
    });
    expect(s.outcome).toBe('applied');
    expect(s.failed.map((f) => [f.name, f.reason, f.retryable])).toEqual([
      ['b.example.org.', 'b.example.org. is not in a served domain', false],
    ]);
    expect(s.retryable).toBe(0);
    expect(s.applied).toHaveLength(2);
    expect(s.owned).toBe(2);
    expect(await zone(provider)).toEqual([`A a.example.com. ${LB}`, `A c.example.com. ${LB}`]);
    expect(logger.lines.find((l) => l.message === 'dns change failed')?.meta).toMatchObject({
      ingress: 'default/b',
      retryable: false,
    });
  });

  it('counts retryable failures so the caller can retry the pass', async () => {
    const inner = new InMemoryProvider();
    const flaky: DnsProvider = {
      records: () => inner.records(),
      applyChanges: async (changes) => {
        const r = await inner.applyChanges({ ...changes, create: changes.create.slice(1) });
        const first = changes.create[0];
        return first === undefined
          ? r
          : {
              applied: r.applied,
              failed: [
                ...r.failed,
                { change: { kind: 'create', endpoint: first }, reason: 'Throttling', retryable: true },
              ],
            };
      },
    };
    const s = await runDnsPass({
      provider: flaky,
      desired: [alias('a.example.com'), alias('b.example.com')],
      ownership,
    });
    expect(s.retryable).toBe(1);
    expect(s.failed.map((f) => f.name)).toEqual(['a.example.com.']);
    expect(await zone(inner)).toEqual([`A b.example.com. ${LB}`]);
    const retry = await runDnsPass({
      provider: inner,
      desired: [alias('a.example.com'), alias('b.example.com')],
      ownership,
    });
    expect(retry).toMatchObject({ outcome: 'applied', creates: 1, retryable: 0, owned: 2 });
    expect(await zone(inner)).toEqual([`A a.example.com. ${LB}`, `A b.example.com. ${LB}`]);
  });

  it('keeps the records of a name whose new record it refuses to write', async () => {
    const a: Endpoint = { name: 'svc.example.com.', type: 'A', targets: ['10.0.0.1'], ttl: 60 };
    const txt: Endpoint = { name: 'svc.example.com.', type: 'TXT', targets: ['"v=spf1"'], ttl: 60 };
    const provider = new InMemoryProvider({ records: [a, txt] });
    const owner = createPredicateOwnership((e) => e.name === 'svc.example.com.' && e.type !== 'TXT');
    const s = await runDnsPass({
      provider,
      desired: [{ name: 'svc.example.com', type: 'CNAME', targets: ['fallback.example.com'], ttl: 60 }],
      ownership: owner,
    });
    expect(s.outcome).toBe('unchanged');
    expect(s.skipped).toHaveLength(1);
    expect(await zone(provider)).toEqual(['A svc.example.com. 10.0.0.1', 'TXT svc.example.com. "v=spf1"']);
  });

  it('leaves the owned records of the names in `keep`', async () => {
    const provider = new InMemoryProvider({
      records: [alias('kept.example.com.'), alias('gone.example.com.')],
    });
    const s = await runDnsPass({ provider, desired: [], ownership, keep: ['kept.example.com'] });
    expect(s).toMatchObject({ outcome: 'applied', deletes: 1, owned: 1 });
    expect(await zone(provider)).toEqual([`A kept.example.com. ${LB}`]);
  });

  it('with dryRun logs every change and writes nothing', async () => {
    const provider = new InMemoryProvider({ records: [alias('old.example.com.')] });
    const logger = captureLogger();
    const s = await runDnsPass({
      provider,
      desired: [alias('new.example.com')],
      ownership,
      dryRun: true,
      logger,
    });
    expect(s).toMatchObject({ outcome: 'applied', creates: 1, deletes: 1 });
    expect(s.applied).toHaveLength(2);
    expect(provider.applyCalls).toBe(0);
    expect(await zone(provider)).toEqual([`A old.example.com. ${LB}`]);
    expect(logger.lines.filter((l) => l.message === 'dns change (dry run)').map((l) => l.meta.name)).toEqual([
      'old.example.com.',
      'new.example.com.',
    ]);
  });

  it('does not count TXT owner records as owned records', async () => {
    const provider = new InMemoryProvider();
    const txt = createTxtOwnership({ ownerId: 'c1' });
    const s = await runDnsPass({
      provider,
      desired: [{ name: 'www.example.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 }],
      ownership: txt,
    });
    expect(s).toMatchObject({ outcome: 'applied', creates: 2, owned: 1 });
    expect(await zone(provider)).toEqual([
      'A www.example.com. 10.0.0.1',
      'TXT a-www.example.com. "heritage=external-dns,external-dns/owner=c1"',
    ]);
    const again = await runDnsPass({
      provider,
      desired: [{ name: 'www.example.com', type: 'A', targets: ['10.0.0.1'], ttl: 60 }],
      ownership: txt,
    });
    expect(again).toMatchObject({ outcome: 'unchanged', owned: 1 });
  });

  it('rejects with the provider error when the records cannot be read, writing nothing', async () => {
    const provider: DnsProvider = {
      records: () => Promise.reject(new TransientError('zone unreachable')),
      applyChanges: () => Promise.reject(new Error('must not be called')),
    };
    await expect(runDnsPass({ provider, desired: [alias('a.example.com')], ownership })).rejects.toThrow(
      'zone unreachable',
    );
  });
});
