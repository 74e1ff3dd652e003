import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { FlagSpec } from '@kube-edge/runtime';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';
import { controllerCli, planCli } from './cli.js';
import { ANNOTATIONS } from './model/ingresses.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const app = fileURLToPath(new URL('../', import.meta.url));

describe('release pieces', () => {
  it('has a Dockerfile that passes the lint and the image policy, with the shared build stage', () => {
    const text = readFileSync(`${app}Dockerfile`, 'utf8');
    expect(lintDockerfile(text)).toEqual([]);
    const stage = (t: string): string =>
      (/# ---- build[\s\S]*?# ---- runtime/.exec(t)?.[0] ?? '').replace(/ARG APP=.*/, '');
    expect(stage(text)).toBe(stage(readFileSync(`${root}apps/feed-dns/Dockerfile`, 'utf8')));
  });

  it('has a Helm chart that passes the static checks', async () => {
    expect(await checkChart(`${root}charts/aws-alb-controller`)).toEqual([]);
  });

  it('has example manifests that validate against the Kubernetes schemas', async () => {
    const objects = await readManifestFiles([`${root}examples/aws-alb-controller`]);
    expect(objects.length).toBeGreaterThanOrEqual(9);
    expect(await validateManifests(objects)).toEqual([]);
  });

  it('grants only the verbs it uses: read Ingresses, update their status (Ingresses and RouteGroups), write Events, (AWSCNI) watch the router pods, (alarms) watch one ConfigMap, its own Lease', () => {
    const text = readFileSync(`${root}charts/aws-alb-controller/templates/rbac.yaml`, 'utf8');
    const verbs = [...text.matchAll(/resources: \[([^\]]+)\]\n\s+verbs: \[([^\]]+)\]/g)].map(
      (m) => `${m[1]}: ${m[2]}`,
    );
    expect(verbs).toEqual([
      '"ingresses": "get", "list", "watch"',
      '"ingresses/status": "update"',
      '"routegroups": "get", "list", "watch"',
      '"routegroups/status": "update"',
      '"events": "create", "patch"',
      '"pods": "list", "watch"',
      '"configmaps": "list", "watch"',
      '"leases": "create"',
    ]);
    expect(text).toMatch(
      /resources: \["leases"\]\n\s+resourceNames: \[\{\{ include "aws-alb-controller.fullname" \. \| quote \}\}\]\n\s+verbs: \["get", "update"\]/,
    );
  });

  it('passes every chart value that maps to a flag as a flag the CLI knows', () => {
    const text = readFileSync(`${root}charts/aws-alb-controller/templates/deployment.yaml`, 'utf8');
    const flags = new Set(
      [...text.matchAll(/(?:- |")--([a-z0-9-]+)/g)].map((m) => m[1]!.replace(/^no-/, '')),
    );
    expect(flags.size).toBeGreaterThan(20);
    for (const f of flags) expect(Object.keys(controllerCli.spec.flags)).toContain(f);
  });

  it("has one README row per controller flag, with the flag's env var", () => {
    const readme = readFileSync(`${app}README.md`, 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `--'));
    for (const [name, spec] of Object.entries(controllerCli.spec.flags) as [string, FlagSpec][]) {
      const mine = rows.filter((r) => r.startsWith(`| \`--${name}\``));
      const env =
        spec.env === false
          ? undefined
          : (spec.env ?? `AWS_ALB_CONTROLLER_${name.toUpperCase().replace(/-/g, '_')}`);
      expect({ name, rows: mine.length }).toEqual({ name, rows: 1 });
      if (env !== undefined)
        expect({ name, env: mine[0]?.includes(`\`${env}\``) }).toEqual({ name, env: true });
    }
  });

  it('documents every flag of both command lines, the env vars and every annotation in the README', () => {
    const readme = readFileSync(`${app}README.md`, 'utf8');
    const names = [
      ...[...Object.keys(controllerCli.spec.flags), ...Object.keys(planCli.spec.flags)].map((f) => `--${f}`),
      'CUSTOM_FILTERS',
      'AWS_REGION',
      'API_SERVER_BASE_URL',
      'POLLING_INTERVAL',
      'CREATION_TIMEOUT',
      'CERT_POLLING_INTERVAL',
      ...Object.values(ANNOTATIONS),
    ];
    for (const name of names)
      expect({ name, documented: readme.includes(name) }).toEqual({ name, documented: true });
  });
});
