import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tempDir } from '../net/temp-dir.js';
import { groupAlive, trackChild, trackedChildCount, untrackChild } from './child-registry.js';
import { pollUntil } from './wait.js';

interface RegistryView {
  children: Map<number, { watchdog?: ChildProcess }>;
}
function watchdogOf(pid: number): ChildProcess {
  const registry = (process as unknown as Record<symbol, RegistryView>)[
    Symbol.for('kube-edge.testkit.child-registry')
  ];
  const watchdog = registry?.children.get(pid)?.watchdog;
  if (watchdog === undefined) throw new Error(`no watchdog for ${pid}`);
  return watchdog;
}

async function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('child registry watchdog', () => {
  it('kills the whole process group and removes the directory when this process goes away', async () => {
    const dir = await tempDir('watchdog');
    // A group leader with a grandchild, like an nginx master with its worker.
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    trackChild(child, true, dir.path);
    const watchdog = watchdogOf(pid);
    expect(groupAlive(pid)).toBe(true);
    // End-of-file on the watchdog's pipe is what it sees when this process dies.
    watchdog.stdin!.destroy();
    await exitOf(child);
    await pollUntil({
      check: () => !groupAlive(pid) && !existsSync(dir.path),
      timeoutMs: 3000,
      describe: () => 'group still alive or directory still there',
    });
    expect(child.signalCode).toBe('SIGKILL');
    untrackChild(pid);
  });

  it('is disarmed by untrackChild, leaving the child alone', async () => {
    const dir = await tempDir('watchdog');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    try {
      trackChild(child, false, dir.path);
      const watchdog = watchdogOf(pid);
      const before = trackedChildCount();
      untrackChild(pid);
      untrackChild(pid);
      expect(trackedChildCount()).toBe(before - 1);
      await exitOf(watchdog);
      expect(watchdog.exitCode).toBe(0);
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
      expect(existsSync(dir.path)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
      await dir.remove();
    }
  });

  it('forgets a non-group child that exits by itself', async () => {
    const before = trackedChildCount();
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    trackChild(child, false);
    await exitOf(child);
    expect(trackedChildCount()).toBe(before);
  });
});
