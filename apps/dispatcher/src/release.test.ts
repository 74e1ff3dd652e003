import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';
import { parse as parseYaml } from 'yaml';
import { cli } from './cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '..');
const root = join(app, '../..');

describe('release pieces', () => {
  it('the Dockerfile passes the lint and image policy', () => {
    expect(lintDockerfile(readFileSync(join(app, 'Dockerfile'), 'utf8'))).toEqual([]);
  });

  it('the Helm chart passes the static checks', async () => {
    expect(await checkChart(join(root, 'charts/dispatcher'))).toEqual([]);
  });

  it('the examples are valid Kubernetes objects', async () => {
    expect(await validateManifests(await readManifestFiles([join(root, 'examples/dispatcher')]))).toEqual([]);
  });

  it('the chart sets every environment variable of the original', () => {
    const workload = readFileSync(join(root, 'charts/dispatcher/templates/workload.yaml'), 'utf8');
    const envs = Object.values(cli.spec.flags)
      .map((f) => (f as { env?: string | false }).env)
      .filter(
        (e): e is string =>
          typeof e === 'string' && !['KUBECONFIG', 'POD_NAME', 'SSL_CERT', 'SSL_KEY'].includes(e),
      );
    for (const env of envs) expect([env, workload.includes(`- name: ${env}\n`)]).toEqual([env, true]);
    expect(workload).toContain('- name: SSL_CERT\n');
    expect(workload).toContain('- name: SSL_KEY\n');
  });

  it('the chart values parse', () => {
    expect(parseYaml(readFileSync(join(root, 'charts/dispatcher/values.yaml'), 'utf8'))).toMatchObject({
      kind: 'DaemonSet',
    });
  });
});

describe('README', () => {
  const readme = readFileSync(join(app, 'README.md'), 'utf8');
  const flags = { ...cli.spec.flags, ...cli.spec.commands.render.flags };

  it.each(Object.keys(flags))('documents --%s', (flag) => {
    expect(readme).toContain(`--${flag}`);
  });

  it.each(
    Object.values(flags)
      .map((f) => (f as { env?: string | false }).env)
      .filter((e): e is string => typeof e === 'string'),
  )('documents the variable %s', (env) => {
    expect(readme).toContain(`\`${env}\``);
  });

  it('documents every automatic DISPATCHER_ variable', () => {
    for (const [flag, f] of Object.entries(cli.spec.flags)) {
      if ((f as { env?: unknown }).env === undefined)
        expect(readme).toContain(`DISPATCHER_${flag.toUpperCase().replaceAll('-', '_')}`);
    }
  });
});
