import { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from '@jest/globals';
import { createNoopLogger } from '@kube-edge/runtime';
import { createFakeRoute53 } from '@kube-edge/testkit';
import { Route53Provider, createTargetOwnership, plan, type Endpoint } from './index.js';

describe('README example', () => {
  it('plans and applies an ALIAS record for a load balancer', async () => {
    const fake = createFakeRoute53();
    const zone = fake.createHostedZone({ name: 'example.com' });
    const logger = createNoopLogger();

    // --- as in README.md, with the fake's client config ---
    const lb = { dnsName: 'internal-edge-1234.eu-west-1.elb.amazonaws.com', zoneId: 'Z32O12XQLNTSW2' };
    const provider = new Route53Provider({
      client: new Route53Client(fake.clientConfig()),
      zones: ['example.com'],
      logger,
    });
    const ownership = createTargetOwnership({ targets: [lb.dnsName] });
    const desired: Endpoint[] = [
      { name: 'www.example.com', type: 'A', targets: [lb.dnsName], alias: { hostedZoneId: lb.zoneId } },
    ];

    const p = plan(await provider.records(), desired, ownership, {
      domains: (await provider.zones()).map((z) => z.name),
    });
    for (const s of p.skipped) logger.warn('dns record skipped', { name: s.endpoint.name, reason: s.reason });
    const result = await provider.applyChanges(p.changes);
    for (const f of result.failed)
      logger.warn('dns change failed', { reason: f.reason, retryable: f.retryable });
    // ---

    expect(result.failed).toEqual([]);
    expect(fake.record(zone.id, 'www.example.com', 'A')?.AliasTarget).toEqual({
      DNSName: `${lb.dnsName}.`,
      HostedZoneId: lb.zoneId,
      EvaluateTargetHealth: false,
    });
  });
});
