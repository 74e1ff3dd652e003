import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { tempDir, type TempDir } from '../net/temp-dir.js';
import { startSourceMain, type SourceMain } from './source-main.js';

const started: SourceMain[] = [];
const dirs: TempDir[] = [];

afterAll(async () => {
  for (const s of started.splice(0)) await s.tracked.kill();
  for (const d of dirs.splice(0)) await d.remove();
});

/** An app directory whose src/main.ts is `source`. */
async function appWith(source: string): Promise<string> {
  const dir = await tempDir('source-main');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'src'));
  writeFileSync(join(dir.path, 'src', 'main.ts'), source);
  return dir.path;
}

describe('startSourceMain', () => {
  it('runs src/main.ts with its types stripped, in the app directory, with only PATH and the given env; collects stdout, stderr and the exit code', async () => {
    const app = await appWith(`const args: string[] = process.argv.slice(2);
process.stdout.write(JSON.stringify({ args, cwd: process.cwd(), env: Object.keys(process.env).sort(), x: process.env.X }));
process.stderr.write('to stderr');
process.exitCode = 3;
`);
    const s = startSourceMain(app, ['--a=1', 'b'], { X: 'y' });
    started.push(s);
    const r = await s.done;
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ args: ['--a=1', 'b'], cwd: app, env: ['PATH', 'X'], x: 'y' });
    expect(r.stderr).toBe('to stderr');
    expect(s.output()).toBe(`${r.stdout}to stderr`);
  });

  it('kills a process still running after timeoutMs', async () => {
    // It never ends on its own: only the kill ends it (killed by a signal: no exit code).
    const app = await appWith('setInterval(() => undefined, 1000);\n');
    const s = startSourceMain(app, [], {}, { timeoutMs: 1000 });
    started.push(s);
    const r = await s.done;
    expect(r.code).toBeNull();
  });
});
