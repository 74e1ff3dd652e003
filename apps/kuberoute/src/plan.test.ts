import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadManifests } from '@kube-edge/k8s-watch';
import { parseConfig } from './config.js';
import { planText, runPlanCommand } from './plan.js';

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

describe('runPlanCommand (kuberoute plan)', () => {
  let dir: string;
  const config = parseConfig(readFileSync(`${examples}route53.config`, 'utf8'));
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kuberoute-plan-'));
    await writeFile(
      join(dir, 'odd.yaml'),
      ['- a\n- b', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}'].join('\n---\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Node\nmetadata: {name: [x\n');
    await writeFile(join(dir, 'noname.yaml'), 'apiVersion: v1\nkind: Node\nmetadata: {labels: {a: b}}\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function plan(files: string[]) {
    let out = '';
    let err = '';
    const code = await runPlanCommand({
      config,
      manifests: files,
      now: new Date(2026, 10, 21, 9, 5),
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    return { code, out, err };
  }

  it('plans the examples with exit 0 and reports documents it does not read on stderr', async () => {
    const r = await plan([
      `${examples}testservice.yaml`,
      `${examples}offline-cluster.yaml`,
      join(dir, 'odd.yaml'),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('# default/kuberoute-testservice: failover');
    expect(r.err).toBe(
      [
        `kuberoute plan: warning: ${examples}testservice.yaml: document 2: DaemonSet default/testapp (apps/v1): kind not read by this command: ignored`,
        `kuberoute plan: warning: ${join(dir, 'odd.yaml')}: document 1: not a Kubernetes object (a list, not a mapping): ignored`,
        `kuberoute plan: warning: ${join(dir, 'odd.yaml')}: document 2: Deployment web (apps/v1): kind not read by this command: ignored`,
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['missing.yaml', /missing\.yaml: no such file or directory\n$/],
    ['bad.yaml', /bad\.yaml: document 1: not valid YAML or JSON: /],
    ['noname.yaml', /noname\.yaml: document 1: Node \(v1\) has no metadata\.name\n$/],
  ])('%s: one line naming the file on stderr, nothing on stdout, exit 1', async (file, message) => {
    const r = await plan([join(dir, file)]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/^\s+at /m);
  });
});
