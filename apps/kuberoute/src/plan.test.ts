import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { loadManifests } from '@kube-edge/k8s-watch';
import { parseConfig } from './config.js';
import { planText } from './plan.js';

const examples = fileURLToPath(new URL('../../../examples/kuberoute/', import.meta.url));

describe('kuberoute plan (offline)', () => {
  it('prints the failover for the README test service when 2 of 3 nodes run it (66 % < 80 %)', async () => {
    const config = parseConfig(readFileSync(`${examples}route53.config`, 'utf8'));
    const objects = await loadManifests([`${examples}testservice.yaml`, `${examples}offline-cluster.yaml`]);
    const text = planText(config, objects, new Date(2026, 10, 21, 9, 5));
    expect(text).toContain('# default/kuberoute-testservice: failover, current quota 66% of 80%');
    expect(text).toContain(
      "Update dns record (quatsch.schneevonmorgen.com, ['failover.schneevonmorgen.com'], 60, CNAME)",
    );
    expect(text).toContain(
      "Update dns record (heartbeat-prod-eu-1.schneevonmorgen.com, ['2026-11-21-9-5.kuberoute.timestamp'], 60, CNAME)",
    );
    expect(text).toContain(
      '"endpoints": [\n                "10.0.0.1",\n                "10.0.0.2"\n            ]',
    );
  });

  it('says that nothing would be updated without nodes', async () => {
    const config = parseConfig(readFileSync(`${examples}skydns.config`, 'utf8'));
    const objects = await loadManifests([`${examples}testservice.yaml`]);
    expect(planText(config, objects, new Date())).toMatch(/^no nodes in the manifests/);
  });
});
