import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
  /** Whether the process's own children are killed with it (an nginx master's workers). */
  children?: boolean;
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
      for (const [pid, { group, children }] of created.children) {
        if (children === true) for (const c of childPidsSync(pid)) killQuietly(c, 'SIGKILL');
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

/** The direct children of `pid` (Linux /proc); empty when unknown. */
function childPidsSync(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function startWatchdog(
  pid: number,
  group: boolean,
  removeDir: string | undefined,
  children = false,
): ChildProcess | undefined {
  // With `children`, the process's children as they are when it is killed (an nginx master's
  // workers, which a SIGKILLed master leaves running) die with it.
  const target = children
    ? `${pid} $(cat /proc/${pid}/task/${pid}/children 2>/dev/null)`
    : group
      ? `-${pid}`
      : String(pid);
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

/** Options of {@link trackPid}. */
export interface TrackPidOptions {
  /** `pid` leads its own process group: the whole group is killed. Default false. */
  readonly group?: boolean;
  /**
   * Kill the process's direct children too (e.g. an nginx master started in this process's own
   * process group by the code under test: its workers survive a SIGKILLed master). Default false.
   */
  readonly children?: boolean;
}

/**
 * Records a process this test did not spawn through testkit (e.g. an nginx master started by
 * the code under test), so it is SIGKILLed, with its group or children per `options`, if this
 * process (a jest worker) exits or dies before the returned function is called. Call the
 * returned function (idempotent) once the process has exited or was stopped: a pid is not kept
 * armed after its process is gone, so a reused pid is never killed while this process lives.
 * Non-blocking.
 */
export function trackPid(pid: number, options: TrackPidOptions = {}): () => void {
  const group = options.group ?? false;
  const children = options.children ?? false;
  const tracked: Tracked = { group, children, watchdog: startWatchdog(pid, group, undefined, children) };
  registry().children.set(pid, tracked);
  return () => {
    if (registry().children.get(pid) === tracked) untrackChild(pid);
  };
}

/** A child spawned by {@link spawnTracked}: the leader of its own process group. */
export interface TrackedSpawn {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once the child exited. Never rejects. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` to the child only (as a user's `kill <pid>` would), so it can stop its own children. */
  signal(signal: NodeJS.Signals): void;
  /**
   * SIGKILLs the child's whole process group (the child and everything it started that did not
   * leave the group, e.g. nginx), waits until the child exited (bounded by `timeoutMs`, default
   * 5000), then forgets it. Idempotent; safe after the child exited on its own.
   */
  kill(timeoutMs?: number): Promise<void>;
}

/**
 * Spawns a process that starts children of its own (an app's dist/main.js starting nginx) as
 * the leader of a new process group, tracked like testkit's launchers: whatever it started dies
 * with it when the test calls `kill()` (put it in afterAll/finally: a failed or timed-out test
 * then leaves nothing running) or when this process (a jest worker) dies. Its pipes are unref'd,
 * so a forgotten child does not keep jest alive. `options.detached` is forced on.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): TrackedSpawn {
  const child = spawn(command, args, { ...options, detached: true });
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  if (pid !== undefined) trackChild(child, true);
  let killed: Promise<void> | undefined;
  return {
    child,
    exited,
    signal(signal) {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) killQuietly(pid, signal);
    },
    kill(timeoutMs = 5000) {
      killed ??= (async () => {
        if (pid === undefined) return;
        // SIGKILL cannot be caught and a dying process cannot fork: one signal to the group
        // ends every member (some may stay zombies until init reaps them, serving nothing).
        signalChild(pid, true, 'SIGKILL');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        untrackChild(pid);
      })();
      return killed;
    },
  };
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
