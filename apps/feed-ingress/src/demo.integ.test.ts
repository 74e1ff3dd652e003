import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { APP, ensureDist } from '../test/dist.js';

const run = promisify(execFile);
// Runs the demo for real (compiled dist/demo.js as a child process, as `pnpm run demo` does),
// curls one of the lines it prints, then stops it with a real SIGTERM.
describe('the demo', () => {
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    await ensureDist();
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
