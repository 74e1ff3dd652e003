import { readdirSync, readFileSync } from 'node:fs';

/**
 * PIDs of the direct children of `pid`, from /proc (Linux). Blocking (reads /proc), cheap.
 * Uses the kernel's `children` list when present, else scans every process's parent PID.
 */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text
      .split(/\s+/)
      .filter((part) => part !== '')
      .map(Number);
  } catch {
    // Kernel without CONFIG_PROC_CHILDREN, or pid gone: fall back to the scan.
  }
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Whether `pid` exists and is not a zombie. Blocking (reads /proc). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The process title (`/proc/<pid>/cmdline`, NULs as spaces), or `undefined` if it is gone. Blocking. */
export function processTitle(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

/** The fields after the parenthesised command name of `/proc/<pid>/stat` (field 3 is index 0). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds of a process from `/proc/<pid>/stat`: `self` is its own user+system time,
 * `children` that of its waited-for children (e.g. an `nginx -t` it ran). Throws if it is gone.
 */
export function processCpuSeconds(pid: number): { self: number; children: number } {
  const f = statFields(pid);
  return {
    self: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
    children: (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND,
  };
}

/** Resident set size of a process in MiB (`VmRSS` of `/proc/<pid>/status`); NaN if not shown. Throws if it is gone. */
export function processRssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Open file descriptors of a process (`/proc/<pid>/fd`). Throws if it is gone. */
export function processFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
