import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';

// Jest runs tests with a sandboxed `process`, so real signals are tested in a child process
// running test/fixtures/signal-app.ts (wired like an app's main.ts) from the TypeScript sources.
const hooks = fileURLToPath(new URL('../test/fixtures/ts-hooks.mjs', import.meta.url));
const app = fileURLToPath(new URL('../test/fixtures/signal-app.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Running {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startApp(slowStepMs: number): Promise<Running> {
  const child = spawn(process.execPath, ['--import', hooks, app, String(slowStepMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start: ${stderr}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.message === 'health server listening') {
          clearTimeout(timer);
          resolve(String(line.url));
        }
      }
    });
    void exited.then((code) => reject(new Error(`app exited ${code}: ${stderr}`)));
  });
  return { child, url, lines, exited };
}

const steps = (lines: Record<string, unknown>[], message: string): unknown[] =>
  lines.filter((l) => l.message === message).map((l) => l.step);

describe('createShutdown in a real process', () => {
  it('on SIGTERM runs the steps in reverse order, flushes the log and exits 0', async () => {
    const { child, url, lines, exited } = await startApp(0);
    expect((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(steps(lines, 'stop step finished')).toEqual(['slow', 'health server']);
    expect(lines.at(-1)).toMatchObject({ message: 'shutdown finished', reason: 'SIGTERM', exitCode: 0 });
  });

  it('exits 1 when a step times out, after running the others', async () => {
    const { child, lines, exited } = await startApp(60_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(steps(lines, 'stop step timed out')).toEqual(['slow']);
    expect(steps(lines, 'stop step finished')).toEqual(['health server']);
  });

  it('exits 130 at once on a second signal while a step is still running', async () => {
    const { child, lines, exited } = await startApp(60_000);
    child.kill('SIGTERM');
    // Wait until the slow step is running before the second signal.
    const deadline = Date.now() + 5000;
    while (!lines.some((l) => l.message === 'shutdown started') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(steps(lines, 'stop step finished')).toEqual([]);
  });
});
