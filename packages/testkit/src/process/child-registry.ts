import { spawn, type ChildProcess } from 'node:child_process';

// Two safety nets for children a test forgot to stop (the one deliberate exception to "no
// module-level state": a process-wide registry):
// - a watchdog per child: `sh` reading a pipe from this process. A newline (sent by
//   `untrackChild`) disarms it; end-of-file means this process died, however it died (jest
//   force-killing a worker, SIGKILL, a crash), and then it SIGKILLs the child or its group.
//   It runs in its own session so a Ctrl-C to the terminal's process group does not kill it
//   before it has done its job.
// - a process 'exit' hook that SIGKILLs whatever is still recorded. It is what plain Node
//   scripts (benchmarks) rely on; under jest it is registered on jest's sandboxed copy of
//   `process`, which never fires 'exit', so there the watchdog does the work.
// The registry lives on `process` under a global symbol, so there is one hook per process (per
// test file under jest) however often this module is loaded.
const REGISTRY_KEY = Symbol.for('kube-edge.testkit.child-registry');

interface Tracked {
  /** Whether the child leads its own process group (then the whole group is killed). */
  group: boolean;
  watchdog: ChildProcess | undefined;
}

interface Registry {
  children: Map<number, Tracked>;
}

type ProcessWithRegistry = NodeJS.Process & { [REGISTRY_KEY]?: Registry };

function killQuietly(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    // Already gone (ESRCH).
    return false;
  }
}

function registry(): Registry {
  const proc = process as ProcessWithRegistry;
  let found = proc[REGISTRY_KEY];
  if (found === undefined) {
    const created: Registry = { children: new Map() };
    proc[REGISTRY_KEY] = created;
    process.on('exit', () => {
      for (const [pid, { group }] of created.children) {
        killQuietly(group ? -pid : pid, 'SIGKILL');
      }
      created.children.clear();
    });
    found = created;
  }
  return found;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function startWatchdog(pid: number, group: boolean, removeDir: string | undefined): ChildProcess | undefined {
  const target = group ? `-${pid}` : String(pid);
  // Give the killed child a moment to let go of its files before its directory goes.
  const cleanup = removeDir === undefined ? '' : `; sleep 0.2; rm -rf -- ${shellQuote(removeDir)}`;
  try {
    const watchdog = spawn(
      '/bin/sh',
      ['-c', `read -r _ || { kill -KILL ${target} 2>/dev/null${cleanup}; }`],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      },
    );
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    // No /bin/sh: the 'exit' hook and stop() remain.
    return undefined;
  }
}

/**
 * Records a child so it is SIGKILLed (with its process group when `group`: the child was
 * spawned `detached`, so nginx workers die with their master) if this process exits or dies
 * before `untrackChild`; the watchdog then also removes `removeDir` (the child's temp directory). Also unrefs the child and its pipes, so a forgotten child does not keep
 * jest's event loop alive. A non-group child is forgotten by itself when it exits.
 * Non-blocking; call once per child.
 */
export function trackChild(child: ChildProcess, group: boolean, removeDir?: string): void {
  const pid = child.pid;
  if (pid === undefined) return;
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as { unref?: () => void } | null)?.unref?.();
  }
  registry().children.set(pid, { group, watchdog: startWatchdog(pid, group, removeDir) });
  child.once('exit', () => {
    // A group leader's workers may outlive it for a moment: its stop() forgets it once it has
    // made sure the group is empty.
    if (!group) untrackChild(pid);
  });
}

/** Forgets a child and disarms its watchdog, after its stop completed. Non-blocking; idempotent. */
export function untrackChild(pid: number): void {
  const children = registry().children;
  const tracked = children.get(pid);
  if (tracked === undefined) return;
  children.delete(pid);
  const stdin = tracked.watchdog?.stdin;
  if (stdin !== null && stdin !== undefined && !stdin.destroyed) stdin.end('\n');
}

/** Sends `signal` to the process or, when `group`, its whole process group; ignores ESRCH. */
export function signalChild(pid: number, group: boolean, signal: NodeJS.Signals): void {
  killQuietly(group ? -pid : pid, signal);
}

/** Whether any process is left in the process group led by `pid` (zombies included). */
export function groupAlive(pid: number): boolean {
  return killQuietly(-pid, 0);
}

/**
 * Number of children currently recorded in this process (under jest: in this test file), so a
 * test can assert that a launcher cleaned up. Non-blocking.
 */
export function trackedChildCount(): number {
  return registry().children.size;
}
