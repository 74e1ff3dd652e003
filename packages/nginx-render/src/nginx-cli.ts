import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TerminalError, TransientError } from '@kube-edge/runtime';

/** Where the nginx binary is on Debian; the default for every option named `binary`. */
export const DEFAULT_NGINX_BINARY = '/usr/sbin/nginx';

/** Every file nginx writes, kept under one work directory. */
export interface NginxPaths {
  readonly workDir: string;
  /** The live config: only ever replaced by an atomic rename of a tested file. */
  readonly confPath: string;
  readonly pidPath: string;
  readonly logDir: string;
  /** Start-up errors (`-e`); configs normally also log to stderr. */
  readonly errorLogPath: string;
  /** Root for `*_temp_path`: pass it as `http.tempPathRoot` in the model. */
  readonly tempDir: string;
}

/** The paths used under `workDir`. Pure. */
export function nginxPaths(workDir: string): NginxPaths {
  return {
    workDir,
    confPath: join(workDir, 'nginx.conf'),
    pidPath: join(workDir, 'nginx.pid'),
    logDir: join(workDir, 'logs'),
    errorLogPath: join(workDir, 'logs', 'error.log'),
    tempDir: join(workDir, 'tmp'),
  };
}

/** Create the work, log and temp directories. Idempotent. */
export async function ensureNginxDirs(paths: NginxPaths): Promise<void> {
  await mkdir(paths.logDir, { recursive: true });
  await mkdir(paths.tempDir, { recursive: true });
}

/**
 * The command-line arguments that run nginx against `confPath` with everything under the work
 * directory: prefix, start-up error log, and (through `-g`) `daemon off` and the pid file, so a
 * rendered config never carries process concerns. Pure.
 */
export function nginxArgs(paths: NginxPaths, confPath: string = paths.confPath): string[] {
  return [
    '-p',
    `${paths.workDir}/`,
    '-e',
    paths.errorLogPath,
    '-c',
    confPath,
    '-g',
    `daemon off; pid ${paths.pidPath};`,
  ];
}

/** The outcome of `nginx -t`. */
export interface NginxTestResult {
  readonly ok: boolean;
  /** nginx's own output (stderr), e.g. `... [emerg] unknown directive ...`. */
  readonly output: string;
}

/**
 * Run `nginx -t` on a config file with the same arguments the process manager starts nginx
 * with. Non-blocking; safe to call concurrently (it writes nothing but nginx's own temp dirs).
 * Rejects with a TerminalError when the binary cannot be run at all, and with a TransientError
 * when `nginx -t` was killed (e.g. after `timeoutMs`, default 120000) before giving a verdict.
 */
export async function testNginxConfigFile(options: {
  binary?: string;
  paths: NginxPaths;
  confPath: string;
  timeoutMs?: number;
}): Promise<NginxTestResult> {
  await ensureNginxDirs(options.paths);
  return new Promise((resolve, reject) => {
    execFile(
      options.binary ?? DEFAULT_NGINX_BINARY,
      ['-t', ...nginxArgs(options.paths, options.confPath)],
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // A string code (ENOENT, EACCES) means nginx never ran: that is not a verdict on the config.
        if (err && typeof err.code === 'string') {
          reject(new TerminalError(`cannot run nginx: ${err.message}`, { code: 'NGINX_BINARY', cause: err }));
          return;
        }
        // Killed by a signal (our timeout, the OOM killer): no verdict on the config at all.
        if (err && (err.killed === true || (err.signal ?? null) !== null)) {
          reject(new TransientError('nginx -t did not finish', { code: 'NGINX_TEST_KILLED', cause: err }));
          return;
        }
        resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() || (err ? err.message : '') });
      },
    );
  });
}
