import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('..', import.meta.url));

async function distIsFresh(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(`${APP}dist/demo.js`)).mtimeMs;
  } catch {
    return false;
  }
  for (const f of await readdir(`${APP}src`, { recursive: true })) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts') && (await stat(`${APP}src/${f}`)).mtimeMs > built) return false;
  }
  return true;
}

// Runs the demo for real (compiled dist/demo.js as a child process, as `pnpm run demo` does),
// curls one of the lines it prints, then stops it with a real SIGTERM.
describe('the demo', () => {
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // The demo runs from dist: compile this app when dist is older than a source file
    // (dependencies' dist comes from the workspace build, which `./dev demo` and CI run first).
    if (await distIsFresh()) return;
    await run(process.execPath, [`${APP}../../node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: APP, timeout: 120_000 });
  }, 130_000);

  afterAll(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('prints curl lines that work, and exits 0 on SIGTERM', async () => {
    const proc = spawn(process.execPath, ['dist/demo.js'], { cwd: APP, env: { ...process.env, KUBE_EDGE_DEMO_SECONDS: '60' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 40_000;
    while (!/Ctrl-C stops it/.test(stdout)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`demo did not start:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const lines = stdout.split('\n').map((l) => l.trim());
    const shop = lines.find((l) => /^curl -s --resolve shop\.example\.test:\d+:127\.0\.0\.1 http:\/\/shop\.example\.test:\d+\/$/.test(l));
    expect(shop).toBeDefined();
    expect(lines.some((l) => l.startsWith('curl -sk --resolve secure.example.test:'))).toBe(true);

    const { stdout: body } = await run('curl', shop!.split(' ').slice(1).concat(['--max-time', '5']), { timeout: 10_000 });
    expect(JSON.parse(body)).toMatchObject({ name: 'shop/storefront', host: 'shop.example.test', path: '/' });

    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000)))]);
    clearTimeout(timer);
    expect(code).toBe(0);
  }, 90_000);
});
