import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tempDir } from '../net/temp-dir.js';
import {
  groupAlive,
  spawnTracked,
  trackChild,
  trackedChildCount,
  trackPid,
  untrackChild,
} from './child-registry.js';
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

  it('trackPid kills a process it did not spawn, and its children, when this process goes away', async () => {
    // Like an nginx master the code under test started in our own process group: a parent with
    // a child that a SIGKILL to the parent alone would leave running.
    const parent = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    const pid = parent.pid!;
    let kids: number[] = [];
    await pollUntil({
      check: () => {
        try {
          const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
          kids = text === '' ? [] : text.split(/\s+/).map(Number);
        } catch {
          kids = [];
        }
        return kids.length > 0;
      },
      timeoutMs: 3000,
      describe: () => 'no grandchild',
    });
    const untrack = trackPid(pid, { children: true });
    const watchdog = watchdogOf(pid);
    watchdog.stdin!.destroy();
    await exitOf(parent);
    expect(parent.signalCode).toBe('SIGKILL');
    await pollUntil({
      check: () => kids.every((k) => !alive(k)),
      timeoutMs: 3000,
      describe: () => `children ${kids.join(',')} still alive`,
    });
    untrack();
  });

  it('trackPid is disarmed by the function it returns', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const before = trackedChildCount();
      const untrack = trackPid(child.pid!);
      const watchdog = watchdogOf(child.pid!);
      expect(trackedChildCount()).toBe(before + 1);
      untrack();
      untrack();
      expect(trackedChildCount()).toBe(before);
      await exitOf(watchdog);
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });

  it('spawnTracked: kill() ends the whole group, including what the child started', async () => {
    const before = trackedChildCount();
    const tracked = spawnTracked('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const grandchild = await new Promise<number>((resolve) =>
      tracked.child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString('utf8').trim()))),
    );
    expect(alive(grandchild)).toBe(true);
    expect(trackedChildCount()).toBe(before + 1);
    await tracked.kill();
    await tracked.kill();
    expect(await tracked.exited).toBeNull();
    expect(tracked.child.signalCode).toBe('SIGKILL');
    await pollUntil({
      check: () => !alive(grandchild),
      timeoutMs: 3000,
      describe: () => 'grandchild still alive',
    });
    expect(trackedChildCount()).toBe(before);
  });

  it('spawnTracked: signal() reaches only the child, which then exits with its own code', async () => {
    const tracked = spawnTracked(
      '/bin/sh',
      ['-c', 'trap "exit 3" TERM; echo up; while :; do sleep 0.05; done'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      await new Promise((resolve) => tracked.child.stdout!.once('data', resolve));
      tracked.signal('SIGTERM');
      expect(await tracked.exited).toBe(3);
    } finally {
      await tracked.kill();
    }
  });
});

/** Whether `pid` runs (not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}
