import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest } from '../net/http-request.js';
import { tempDir } from '../net/temp-dir.js';
import { nginxBinary } from './binaries.js';
import { groupAlive, signalChild, trackChild, untrackChild } from './child-registry.js';
import { prepareNginxConfig, type PreparedNginxConfig } from './nginx-config.js';
import { OutputBuffer } from './output-buffer.js';
import { childPids, processRunning, processTitle } from './proc-fs.js';
import { exitedWithin, pollUntil } from './wait.js';
import { errorMessage } from '@kube-edge/runtime';

/** A running nginx master started by {@link startNginx}. */
export interface NginxProcess {
  /** The temporary prefix directory (mode 0755): config, pid, logs and temp paths live here. */
  prefix: string;
  /** Absolute path of the nginx.conf in use. */
  confPath: string;
  /** PID of the master process. */
  pid: number;
  /** Current worker (and cache helper) PIDs, from /proc. Blocking (reads /proc); `[]` once stopped. */
  workerPids(): number[];
  /**
   * nginx's stdout/stderr and every file under `<prefix>/logs` (error and access logs), as one
   * text for a failure message. Non-blocking; still answers after `stop()` (kept in memory).
   */
  logs(): Promise<string>;
  /**
   * Replaces the config and reloads: checks it with `nginx -t` (rejects with the output and
   * leaves the old config serving if it fails), then SIGHUPs the master and resolves once a new
   * worker runs and every old worker has stopped accepting, i.e. new connections get the new
   * config (connections opened before may still be served by old workers). `{{PREFIX}}` is replaced as at start.
   * Calls are queued, so concurrent calls apply in call order.
   */
  reload(config: string): Promise<void>;
  /**
   * Fast shutdown (SIGTERM to the master, SIGKILL to its whole process group after 5 s), then
   * removes the prefix directory. Idempotent; safe to call concurrently; never rejects for an
   * nginx that already exited.
   */
  stop(): Promise<void>;
}

/** Options of {@link startNginx}. */
export interface StartNginxOptions {
  /** Full nginx.conf text; every `{{PREFIX}}` is replaced by the prefix directory. */
  config: string;
  /** Polled (any HTTP answer counts, TLS not verified) until it answers, before start resolves. */
  waitForUrl?: string;
  /** Host header for the `waitForUrl` polls. Default: the URL's host. */
  waitForHost?: string;
  /** Default: {@link nginxBinary}(). */
  binary?: string;
  /** How long to wait for nginx to listen (and `waitForUrl` to answer). Default 10000 ms. */
  startTimeoutMs?: number;
}

/** Result of {@link nginxTest}. */
export interface NginxTestResult {
  ok: boolean;
  /** Everything `nginx -t` printed. */
  output: string;
}

const STOP_GRACE_MS = 5000;
const RELOAD_TIMEOUT_MS = 10_000;

function nginxArgs(prefix: string, confPath: string, prepared: PreparedNginxConfig): string[] {
  const args = ['-p', `${prefix}/`, '-e', join(prefix, 'logs', 'error.log'), '-c', confPath];
  if (prepared.globalDirectives !== '') args.push('-g', prepared.globalDirectives);
  return args;
}

// Why 0755: as root, nginx workers run as `nobody`, which must traverse the prefix to write
// request bodies and proxy buffers into the temp paths; mkdtemp's 0700 makes large uploads fail
// with 500. 0755 works the same for root and non-root, without a `user` directive.
async function makePrefix(): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await tempDir('nginx');
  await chmod(dir.path, 0o755);
  await mkdir(join(dir.path, 'logs'), { mode: 0o755 });
  return dir;
}

async function runNginxTest(binary: string, args: string[]): Promise<NginxTestResult> {
  return new Promise<NginxTestResult>((resolve) => {
    execFile(binary, ['-t', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      resolve({ ok: error === null, output: error !== null && output === '' ? error.message : output });
    });
  });
}

async function readLogs(prefix: string, output: OutputBuffer): Promise<string> {
  const parts: string[] = [];
  const captured = output.text();
  if (captured !== '') parts.push(`== nginx stdout/stderr ==\n${captured}`);
  const logDir = join(prefix, 'logs');
  let names: string[] = [];
  try {
    names = (await readdir(logDir)).sort();
  } catch {
    // Prefix already removed or never made.
  }
  for (const name of names) {
    try {
      parts.push(`== logs/${name} ==\n${await readFile(join(logDir, name), 'utf8')}`);
    } catch {
      // Not a readable file.
    }
  }
  return parts.join('\n');
}

/**
 * Checks a config with `nginx -t` in a temporary prefix, after the same `{{PREFIX}}` replacement
 * and prelude additions as {@link startNginx} (so paths it writes are allowed). Binds no port.
 * Non-blocking (one child process); safe to call concurrently. Never rejects for a bad config:
 * `ok` is false and `output` says why.
 */
export async function nginxTest(config: string, options: { binary?: string } = {}): Promise<NginxTestResult> {
  const binary = options.binary ?? nginxBinary();
  const dir = await makePrefix();
  try {
    let prepared: PreparedNginxConfig;
    try {
      prepared = prepareNginxConfig(config, dir.path);
    } catch (error) {
      return { ok: false, output: errorMessage(error) };
    }
    const confPath = join(dir.path, 'nginx.conf');
    await writeFile(confPath, prepared.text);
    return await runNginxTest(binary, nginxArgs(dir.path, confPath, prepared));
  } finally {
    await dir.remove();
  }
}

/**
 * Starts the real nginx in the foreground as a child of this process, in a fresh temporary
 * prefix (`nginx -p <prefix> -e <prefix>/logs/error.log -c <prefix>/nginx.conf`), adding
 * `daemon off`, `pid`, `error_log`, temp paths and `access_log` under the prefix when the config
 * leaves them out (see `prepareNginxConfig`). Resolves once nginx listens (its pid file is
 * written after the listening sockets are bound) and `waitForUrl`, if given, answers. Rejects
 * with nginx's logs if it exits or does not get there within `startTimeoutMs`; nothing is left
 * running or on disk then. Non-blocking; safe to call concurrently (the configs' ports must differ).
 * Always `stop()` it (the process 'exit' hook SIGKILLs leftovers, but only on a clean exit).
 */
export async function startNginx(options: StartNginxOptions): Promise<NginxProcess> {
  const binary = options.binary ?? nginxBinary();
  const dir = await makePrefix();
  const prefix = dir.path;
  const confPath = join(prefix, 'nginx.conf');
  let prepared: PreparedNginxConfig;
  try {
    prepared = prepareNginxConfig(options.config, prefix);
    await writeFile(confPath, prepared.text);
  } catch (error) {
    await dir.remove();
    throw error;
  }
  const args = nginxArgs(prefix, confPath, prepared);
  const output = new OutputBuffer();
  const child = spawn(binary, args, { cwd: prefix, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  output.capture(child.stdout);
  output.capture(child.stderr);
  let exitDescription: string | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = signal === null ? `exited with code ${code ?? '?'}` : `killed by ${signal}`;
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      exitDescription ??= `could not start: ${error.message}`;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  trackChild(child, true, prefix);

  let cachedLogs: string | undefined;
  let stopping: Promise<void> | undefined;
  let reloadQueue: Promise<void> = Promise.resolve();

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (pid > 0 && exitDescription === undefined) {
        signalChild(pid, false, 'SIGTERM');
        const graceful = await exitedWithin(exited, STOP_GRACE_MS);
        if (!graceful) {
          signalChild(pid, true, 'SIGKILL');
          await exitedWithin(exited, STOP_GRACE_MS);
        }
      }
      if (pid > 0 && groupAlive(pid)) {
        // The master exited without taking its workers (it was SIGKILLed): kill the rest.
        signalChild(pid, true, 'SIGKILL');
      }
      untrackChild(pid);
      cachedLogs = await readLogs(prefix, output);
      await dir.remove();
    })();
    return stopping;
  };

  const pidFile = join(prefix, 'nginx.pid');
  try {
    await pollUntil({
      check: () => existsSync(pidFile) || childPids(pid).length > 0,
      abort: () => exitDescription,
      timeoutMs: options.startTimeoutMs ?? 10_000,
      describe: () => 'nginx did not start',
    });
    const url = options.waitForUrl;
    if (url !== undefined) {
      await pollUntil({
        check: async () => {
          try {
            await httpRequest({
              url,
              ...(options.waitForHost === undefined ? {} : { host: options.waitForHost }),
              rejectUnauthorized: false,
              timeoutMs: 1000,
            });
            return true;
          } catch {
            return false;
          }
        },
        abort: () => exitDescription,
        timeoutMs: options.startTimeoutMs ?? 10_000,
        describe: () => `nginx did not answer on ${url}`,
      });
    }
  } catch (error) {
    await stop();
    const reason = spawnError ?? error;
    throw new Error(`${errorMessage(reason)}\n${cachedLogs ?? ''}`, {
      cause: error,
    });
  }

  const errorLogPath = join(prefix, 'logs', 'error.log');
  async function errorLogSize(): Promise<number> {
    try {
      return (await stat(errorLogPath)).size;
    } catch {
      return 0;
    }
  }
  async function errorLogSince(offset: number): Promise<string> {
    try {
      return (await readFile(errorLogPath)).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }

  async function doReload(config: string): Promise<void> {
    if (stopping !== undefined || exitDescription !== undefined) {
      throw new Error(`nginx reload impossible: ${exitDescription ?? 'stopped'}`);
    }
    const next = prepareNginxConfig(config, prefix);
    if (next.globalDirectives !== prepared.globalDirectives) {
      throw new Error(
        'nginx reload cannot add or remove daemon/pid/error_log directives (they are fixed by -g at start)',
      );
    }
    const nextPath = `${confPath}.next`;
    await writeFile(nextPath, next.text);
    const check = await runNginxTest(binary, nginxArgs(prefix, nextPath, next));
    if (!check.ok) {
      throw new Error(`nginx reload rejected by nginx -t:\n${check.output}`);
    }
    await rename(nextPath, confPath);
    const before = new Set(childPids(pid));
    const logOffset = await errorLogSize();
    signalChild(pid, false, 'SIGHUP');
    let failure: string | undefined;
    await pollUntil({
      check: async () => {
        // Done when a new worker runs and no old worker still accepts: until an old worker has
        // handled its QUIT (title "... is shutting down") it may take new connections with the
        // old config.
        const now = childPids(pid);
        const started = now.some((child) => !before.has(child) && processRunning(child));
        const oldAccepting = now.some(
          (child) =>
            before.has(child) && processRunning(child) && !/shutting down/.test(processTitle(child) ?? ''),
        );
        if (started && !oldAccepting) return true;
        const added = await errorLogSince(logOffset);
        const emerg = /\[emerg\][^\n]*/.exec(added);
        if (emerg !== null) failure = emerg[0];
        return false;
      },
      abort: () => failure ?? exitDescription,
      timeoutMs: RELOAD_TIMEOUT_MS,
      describe: () => 'nginx reload failed',
    });
  }

  return {
    prefix,
    confPath,
    pid,
    workerPids: () => (stopping === undefined && exitDescription === undefined ? childPids(pid) : []),
    logs: async () => cachedLogs ?? readLogs(prefix, output),
    reload: (config: string) => {
      const run = reloadQueue.then(() => doReload(config));
      reloadQueue = run.catch(() => undefined);
      return run;
    },
    stop,
  };
}
