import { execFile } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, TransientError, createNoopLogger, type Logger } from '@kube-edge/runtime';

/** What one command run produced. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command, given as argv (no shell), and resolves its result whatever the exit code;
 * rejects only when it cannot be run at all. The seam that lets tests record the `ip` commands
 * instead of needing NET_ADMIN.
 */
export type CommandRunner = (argv: readonly string[]) => Promise<CommandResult>;

/**
 * A {@link CommandRunner} on `execFile`: no shell, so arguments are never re-parsed. Each run is
 * killed after `timeoutMs` (default 10 s).
 */
export function createExecFileRunner(options: { timeoutMs?: number } = {}): CommandRunner {
  const timeout = options.timeoutMs ?? 10_000;
  return (argv) =>
    new Promise((resolve, reject) => {
      const [file, ...args] = argv;
      if (file === undefined) {
        reject(new Error('empty command'));
        return;
      }
      execFile(file, args, { timeout, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`cannot run ${file}`, { cause: error }));
          return;
        }
        resolve({ exitCode: error === null ? 0 : (error.code as number), stdout, stderr });
      });
    });
}

/** Puts the VIPs on loopback for direct server return, and takes them off. */
export interface VipManager {
  /**
   * Makes every VIP present and ARP quiet. Idempotent (checks the current state first);
   * blocking until done; not safe to run concurrently with itself or `remove`.
   */
  ensure(): Promise<void>;
  /** Takes every VIP off and restores ARP. Idempotent; same concurrency rule as `ensure`. */
  remove(): Promise<void>;
}

/** Options of {@link createLoopbackVipManager}. */
export interface LoopbackVipManagerOptions {
  /** IPv4 VIPs (`--gorb-vip-loadbalancer`); the i-th is labelled `lo:<i>`. */
  vips: readonly string[];
  /** Directory holding `arp_ignore` and `arp_announce` (`--gorb-interface-proc-fs-path`). Default `/host-ipv4-proc/`. */
  procPath?: string;
  /** Default: {@link createExecFileRunner}. */
  run?: CommandRunner;
  /** Default `ip` (found on PATH). */
  ipBinary?: string;
  /** Put in front of every command, e.g. `['sudo']` as feed did. Default none: the pod has NET_ADMIN. */
  commandPrefix?: readonly string[];
  logger?: Logger;
}

/**
 * Creates the loopback VIP manager feed's gorb frontend uses for direct server return (the node
 * accepts traffic for the VIPs but never answers ARP for them), with `ip` run without a shell:
 * `ensure` adds each missing VIP with `ip addr add <vip>/32 dev lo label lo:<i>` and sets
 * `arp_ignore=1`, `arp_announce=2`; `remove` runs `ip addr del <vip>/32 dev lo label lo:<i>` for
 * each present VIP and sets both back to 0 (trying every step, then rejecting with the first
 * failure). Presence is read from `ip addr show label lo:<i>`. Synchronous; throws
 * {@link ConfigError} when a VIP is not an IPv4 address. Command and write failures reject with
 * {@link TransientError}.
 */
export function createLoopbackVipManager(options: LoopbackVipManagerOptions): VipManager {
  for (const vip of options.vips) {
    if (!isIPv4(vip)) {
      throw new ConfigError(`VIP ${JSON.stringify(vip)} is not an IPv4 address`, {
        code: 'INVALID_FLAG',
        key: 'gorb-vip-loadbalancer',
      });
    }
  }
  const vips = [...options.vips];
  const procPath = options.procPath ?? '/host-ipv4-proc/';
  const run = options.run ?? createExecFileRunner();
  const ip = options.ipBinary ?? 'ip';
  const prefix = options.commandPrefix ?? [];
  const logger = options.logger ?? createNoopLogger();

  const exec = async (args: string[]): Promise<CommandResult> => {
    const argv = [...prefix, ip, ...args];
    let r: CommandResult;
    try {
      r = await run(argv);
    } catch (err) {
      throw new TransientError(`cannot run ${argv.join(' ')}`, { code: 'VIP_COMMAND_FAILED', cause: err });
    }
    if (r.exitCode !== 0) {
      throw new TransientError(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`, {
        code: 'VIP_COMMAND_FAILED',
      });
    }
    return r;
  };

  // Exact token match: feed's `grep -c <vip>/32` also matched 110.0.0.1/32 when looking for 10.0.0.1/32.
  const present = async (vip: string, label: string): Promise<boolean> => {
    const { stdout } = await exec(['addr', 'show', 'label', label]);
    return stdout.split('\n').some((line) => {
      const [kind, cidr] = line.trim().split(/\s+/);
      return kind === 'inet' && cidr === `${vip}/32`;
    });
  };

  const setSysctl = async (name: 'arp_ignore' | 'arp_announce', value: string): Promise<void> => {
    const file = join(procPath, name);
    let current: string | undefined;
    try {
      current = (await readFile(file, 'utf8')).trim();
    } catch {
      current = undefined;
    }
    if (current === value) return;
    try {
      await writeFile(file, `${value}\n`);
    } catch (err) {
      throw new TransientError(`cannot write ${file}`, { code: 'VIP_SYSCTL_FAILED', cause: err });
    }
    logger.info('set ARP sysctl', { file, value });
  };

  return {
    async ensure() {
      // ARP is silenced before the VIP appears, so the node never answers ARP for it.
      await setSysctl('arp_ignore', '1');
      await setSysctl('arp_announce', '2');
      for (const [i, vip] of vips.entries()) {
        const label = `lo:${i}`;
        if (await present(vip, label)) continue;
        await exec(['addr', 'add', `${vip}/32`, 'dev', 'lo', 'label', label]);
        logger.info('added loopback VIP', { vip, label });
      }
    },
    async remove() {
      // Best effort on shutdown: one VIP that cannot be removed does not keep the others, or the
      // ARP settings, in place. The first failure is thrown at the end.
      const failures: unknown[] = [];
      const attempt = async (step: () => Promise<void>): Promise<void> => {
        try {
          await step();
        } catch (err) {
          failures.push(err);
        }
      };
      for (const [i, vip] of vips.entries()) {
        const label = `lo:${i}`;
        await attempt(async () => {
          if (!(await present(vip, label))) return;
          await exec(['addr', 'del', `${vip}/32`, 'dev', 'lo', 'label', label]);
          logger.info('removed loopback VIP', { vip, label });
        });
      }
      await attempt(() => setSysctl('arp_ignore', '0'));
      await attempt(() => setSysctl('arp_announce', '0'));
      if (failures.length > 0) throw failures[0];
    },
  };
}
