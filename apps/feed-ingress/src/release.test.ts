import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('release pieces', () => {
  it('the Dockerfile passes the lint and the image policy (multi-stage, Node 24, non-root)', () => {
    const text = readFileSync(`${ROOT}apps/feed-ingress/Dockerfile`, 'utf8');
    expect(lintDockerfile(text)).toEqual([]);
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).toContain('ENTRYPOINT ["node", "/app/dist/main.js"]');
  });

  it('the Helm chart is well formed and its schema accepts its values', async () => {
    expect(await checkChart(`${ROOT}charts/feed-ingress`)).toEqual([]);
  });

  it('the chart grants only the verbs feed-ingress uses', () => {
    const rbac = readFileSync(`${ROOT}charts/feed-ingress/templates/rbac.yaml`, 'utf8');
    expect(rbac).not.toMatch(/"\*"|'\*'|\[\*\]/);
    expect(rbac).not.toMatch(/"delete"|"deletecollection"/);
    expect(rbac).toMatch(/resources: \["ingresses\/status"\]\n\s+verbs: \["update"\]/);
  });

  it('the example manifests are valid Kubernetes objects', async () => {
    expect(await validateManifests(await readManifestFiles([`${ROOT}examples/feed-ingress`]))).toEqual([]);
  });
});
