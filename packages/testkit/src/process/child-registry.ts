import type { ChildProcess } from 'node:child_process';

// Why a process-wide registry at all (the one deliberate exception to "no module-level state"):
// if a test file forgets `stop()` or jest tears the worker down after a failure, the children
// must still die, and only a process 'exit' hook can do that. jest loads this module once per
// test file, so the registry lives on `process` under a global symbol: one hook per process,
// however many test files a worker runs.
const REGISTRY_KEY = Symbol.for('kube-edge.testkit.child-registry');

interface Registry {
  /** pid -> whether it leads its own process group (then the whole group is killed). */
  children: Map<number, { group: boolean }>;
}

type ProcessWithRegistry = NodeJS.Process & { [REGISTRY_KEY]?: Registry };

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone (ESRCH): nothing to clean up.
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

/**
 * Records a child so the process 'exit' hook SIGKILLs it (and its process group when `group`:
 * the child was spawned `detached`, so nginx workers die with their master) if nobody stopped it.
 * The record is dropped when the child exits. Non-blocking; idempotent.
 */
export function trackChild(child: ChildProcess, group: boolean): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const children = registry().children;
  children.set(pid, { group });
  child.once('exit', () => {
    // A group leader's workers may outlive it for a moment; the group entry stays until stop
    // has made sure the group is empty.
    if (!group) children.delete(pid);
  });
}

/** Forgets a child after its stop completed. Non-blocking; idempotent. */
export function untrackChild(pid: number): void {
  registry().children.delete(pid);
}

/** Sends `signal` to the process or, when `group`, its whole process group; ignores ESRCH. */
export function signalChild(pid: number, group: boolean, signal: NodeJS.Signals): void {
  killQuietly(group ? -pid : pid, signal);
}

/** Whether any process is left in the process group led by `pid` (zombies included). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Number of children currently recorded in this process. For tests of the launchers. */
export function trackedChildCount(): number {
  return registry().children.size;
}
