import { readdir, readFile } from 'node:fs/promises';

/** A child process of the nginx master, as /proc shows it. */
export interface WorkerInfo {
  readonly pid: number;
  /** The title nginx sets, e.g. `nginx: worker process` or `nginx: worker process is shutting down`. */
  readonly title: string;
}

async function directChildren(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    // Kernel without CONFIG_PROC_CHILDREN: scan every process's parent pid instead.
  }
  const found: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // ppid is the second field after the parenthesised command name (which may hold spaces).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) found.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

/**
 * The children of `masterPid` with their process titles (Linux /proc). Non-blocking; a child
 * that exits while being read is left out.
 */
export async function listNginxChildren(masterPid: number): Promise<WorkerInfo[]> {
  const pids = await directChildren(masterPid);
  const out: WorkerInfo[] = [];
  for (const pid of pids) {
    try {
      const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8'))
        .replace(/\0+$/, '')
        .replaceAll('\0', ' ');
      out.push({ pid, title });
    } catch {
      // Gone.
    }
  }
  return out;
}

/** The pids of workers that are serving (not the ones draining after a reload). */
export function activeWorkerPids(children: readonly WorkerInfo[]): number[] {
  return children
    .filter((c) => c.title.startsWith('nginx: worker process') && !c.title.includes('shutting down'))
    .map((c) => c.pid);
}

/**
 * True while `pid` exists and is not a zombie (Linux /proc). A zombie has stopped serving: it
 * only waits for a parent to reap it, which an orphan under a non-reaping PID 1 never gets.
 */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Resolves once none of `pids` is alive (see {@link isAlive}), or after `timeoutMs`, polling
 * every 10 ms. Resolves the pids still alive then (empty when all are gone). Never throws.
 */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids];
  for (;;) {
    const still: number[] = [];
    for (const pid of alive) if (await isAlive(pid)) still.push(pid);
    alive = still;
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
