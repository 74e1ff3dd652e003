import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';
import { parse as parseYaml } from 'yaml';
import { controllerCli, planCli } from './cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const app = fileURLToPath(new URL('../', import.meta.url));

describe('release pieces', () => {
  it('has a Dockerfile that passes the lint and the image policy', () => {
    expect(lintDockerfile(readFileSync(`${app}Dockerfile`, 'utf8'))).toEqual([]);
  });

  it('has a Helm chart that passes the static checks', async () => {
    expect(await checkChart(`${root}charts/feed-dns`)).toEqual([]);
  });

  it('has example manifests that validate against the Kubernetes schemas', async () => {
    const objects = await readManifestFiles([`${root}examples/feed-dns`]);
    expect(objects.length).toBeGreaterThanOrEqual(9);
    expect(await validateManifests(objects)).toEqual([]);
  });

  it('grants only the verbs feed-dns uses: list/watch ingresses, write events, create a Lease and get/update its own', () => {
    const text = readFileSync(`${root}charts/feed-dns/templates/rbac.yaml`, 'utf8');
    const verbs = [...text.matchAll(/resources: \[([^\]]+)\]\n\s+verbs: \[([^\]]+)\]/g)].map(
      (m) => `${m[1]}: ${m[2]}`,
    );
    expect(verbs).toEqual([
      '"ingresses": "list", "watch"',
      '"events": "create", "patch"',
      '"leases": "create"',
    ]);
    expect(text).toMatch(
      /resources: \["leases"\]\n\s+resourceNames: \[\{\{ include "feed-dns.fullname" \. \| quote \}\}\]\n\s+verbs: \["get", "update"\]/,
    );
  });

  it('passes every chart value that maps to a flag as a flag the CLI knows', () => {
    const text = readFileSync(`${root}charts/feed-dns/templates/deployment.yaml`, 'utf8');
    const flags = new Set(
      [...text.matchAll(/(?:- |")--([a-z0-9-]+)/g)].map((m) => m[1]!.replace(/^no-/, '')),
    );
    expect(flags.size).toBeGreaterThan(15);
    for (const f of flags) expect(Object.keys(controllerCli.spec.flags)).toContain(f);
    const values = parseYaml(readFileSync(`${root}charts/feed-dns/values.yaml`, 'utf8')) as {
      replicaCount: number;
    };
    expect(values.replicaCount).toBe(2);
  });

  it('documents every flag of both command lines in the README', () => {
    const readme = readFileSync(`${app}README.md`, 'utf8');
    for (const name of [...Object.keys(controllerCli.spec.flags), ...Object.keys(planCli.spec.flags)])
      expect({ flag: name, documented: readme.includes(`--${name}`) }).toEqual({
        flag: name,
        documented: true,
      });
  });
});
