import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { nginxPaths, testNginxConfigFile, validateComment } from '@kube-edge/nginx-render';
import { tempDir, type TempDir } from '@kube-edge/testkit';
import { stringify } from 'yaml';
import { defaultFeedModelConfig } from './model/config.js';
import { ingress, ingressPath, ingressRule, service } from '../test/fixtures.js';
import { runRenderCommand } from './render-command.js';

// `feed-ingress render` prints skip reasons as `#` lines after the nginx.conf: whatever the
// manifests hold, the output stays a config real nginx accepts.
describe('feed-ingress render with hostile manifests', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await tempDir('feed-render-limits');
  });
  afterAll(async () => {
    await dir.remove();
  });

  async function renderAndTest(objects: object[]): Promise<string> {
    const file = join(dir.path, 'in.yaml');
    await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
    const paths = nginxPaths(join(dir.path, 'nginx'));
    const config = defaultFeedModelConfig({
      ingressClass: 'test',
      ingressPort: 8080,
      defaultSslPath: undefined,
      nginx: { tempPathRoot: paths.tempDir },
    });
    let text = '';
    expect(await runRenderCommand({ files: [file], config, out: (t) => (text += t) })).toBe(0);
    const conf = join(dir.path, 'out.conf');
    await writeFile(conf, text);
    const verdict = await testNginxConfigFile({ paths, confPath: conf });
    expect(verdict.output).toContain('test is successful');
    return text;
  }

  const good = ingress({ name: 'good', rules: [ingressRule('good.example.com', [ingressPath('/', 'web')])] });
  const web = service('default', 'web', '10.0.0.1');

  it('a name with a control character is one skipped object, not a failed render', async () => {
    const bad = ingress({
      name: 'bad\u0001name',
      rules: [ingressRule('bad.example.com', [ingressPath('/', 'web')])],
    });
    const text = await renderAndTest([good, bad, web]);
    expect(text).toContain('server_name good.example.com;');
    expect(text).toMatch(/# {3}Ingress default\/bad\?name: metadata\.name "bad\\u0001name" is not a valid/);
  });

  it('every report line is a valid comment, however long the names and values it quotes', async () => {
    const long = ingress({
      name: `${'n'.repeat(5000)}\u0007`,
      rules: [ingressRule('long.example.com', [ingressPath('/', 'web')])],
    });
    const paths = ingress({
      name: 'paths',
      annotations: { 'kubernetes.io/ingress.class': 'test', 'sky.uk/strip-path': 'x'.repeat(6000) },
      rules: [ingressRule('p.example.com', [ingressPath(`/${'p'.repeat(6000)} q`, 'missing-svc')])],
    });
    const text = await renderAndTest([good, long, paths, web]);
    const report = text.slice(text.indexOf('# feed-ingress render:'));
    const lines = report.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(line.startsWith('#')).toBe(true);
      expect(validateComment(line.slice(1))).toMatchObject({ ok: true });
    }
  });
});
