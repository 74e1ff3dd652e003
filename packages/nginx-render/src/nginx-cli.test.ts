import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { TransientError } from '@kube-edge/runtime';
import { tempDir, type TempDir } from '@kube-edge/testkit';
import { nginxPaths, testNginxConfigFile } from './nginx-cli.js';

const dirs: TempDir[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

async function fakeBinary(script: string): Promise<{ binary: string; workDir: string }> {
  const dir = await tempDir('nginx-cli');
  dirs.push(dir);
  const binary = join(dir.path, 'fake-nginx');
  await writeFile(binary, `#!/bin/bash\n${script}\n`);
  await chmod(binary, 0o755);
  return { binary, workDir: join(dir.path, 'work') };
}

describe('testNginxConfigFile', () => {
  it('reports a config nginx -t refuses as not ok, with its output', async () => {
    const { binary, workDir } = await fakeBinary(
      'echo "nginx: [emerg] unknown directive \\"foo\\"" >&2; exit 1',
    );
    const paths = nginxPaths(workDir);
    const r = await testNginxConfigFile({ binary, paths, confPath: paths.confPath });
    expect(r).toEqual({ ok: false, output: 'nginx: [emerg] unknown directive "foo"' });
  });

  it('rejects with a TransientError, not a refusal, when nginx -t is killed before it gives a verdict', async () => {
    const { binary, workDir } = await fakeBinary('exec sleep 30');
    const paths = nginxPaths(workDir);
    const err = await testNginxConfigFile({ binary, paths, confPath: paths.confPath, timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    // A slow or killed test says nothing about the config: calling it invalid would make the
    // controller treat a good config as a permanent (terminal) failure.
    expect(err).toBeInstanceOf(TransientError);
  });
});
