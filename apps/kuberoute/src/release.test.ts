import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkChart, lintDockerfile, readManifestFiles, validateManifests } from '@kube-edge/testkit';
import { cli, planCli } from './cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('release pieces', () => {
  it('the Dockerfile passes the image lint', () => {
    expect(lintDockerfile(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))).toEqual([]);
  });

  it('the chart passes the chart check', async () => {
    expect(await checkChart(`${root}charts/kuberoute`)).toEqual([]);
  });

  it('the example manifests are valid Kubernetes objects', async () => {
    const objects = await readManifestFiles([`${root}examples/kuberoute`]);
    expect(objects.length).toBeGreaterThanOrEqual(7);
    expect(await validateManifests(objects)).toEqual([]);
  });

  it('the README names every flag of both command lines', () => {
    for (const spec of [cli.spec, planCli.spec]) {
      for (const flag of Object.keys(spec.flags)) expect(readme).toContain(`--${flag}`);
    }
  });
});

describe('kuberoute --help', () => {
  it('lists the original flags with the documented default config path', () => {
    const r = cli.parse(['--help'], {});
    expect(r.kind).toBe('help');
    const text = r.kind === 'help' ? r.text : '';
    for (const flag of ['--config', '--port', '--debug', '--interval', '--watch'])
      expect(text).toContain(flag);
    expect(text).toContain('/etc/kuberoute/config');
  });

  it('parses --config, --port and --debug as the original did', () => {
    const r = cli.parse(['--config', '/tmp/k.ini', '--port', '9000', '--debug'], {});
    expect(r.kind === 'run' ? [r.values.config, r.values.port, r.values.debug] : []).toEqual([
      '/tmp/k.ini',
      9000,
      true,
    ]);
    const d = cli.parse([], {});
    expect(
      d.kind === 'run' ? [d.values.config, d.values.port, d.values.interval, d.values.watch] : [],
    ).toEqual(['/etc/kuberoute/config', undefined, 0, false]);
  });
});
