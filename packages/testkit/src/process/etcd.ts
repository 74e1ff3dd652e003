import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../net/free-port.js';
import { httpRequest } from '../net/http-request.js';
import { tempDir } from '../net/temp-dir.js';
import { etcdBinary } from './binaries.js';
import { signalChild, trackChild, untrackChild } from './child-registry.js';
import { OutputBuffer } from './output-buffer.js';
import { exitedWithin, pollUntil } from './wait.js';
import { errorMessage } from '@kube-edge/runtime';

/** A running single-member etcd started by {@link startEtcd}. */
export interface EtcdProcess {
  /** `http://127.0.0.1:<port>`: pass it to `etcd3` as `hosts`. */
  clientUrl: string;
  /** The member's data directory (inside a temporary directory removed by `stop()`). */
  dataDir: string;
  /** PID of the etcd process. */
  pid: number;
  /**
   * SIGTERM, then SIGKILL after 5 s; then removes the data directory. Idempotent; safe to call
   * concurrently; never rejects for an etcd that already exited.
   */
  stop(): Promise<void>;
  /** etcd's stdout/stderr so far (last 1 MiB), for a failure message. Non-blocking; works after `stop()`. */
  logs(): string;
}

/** Options of {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Default: {@link etcdBinary}(). */
  binary?: string;
  /** Per attempt: how long to wait for `/health` to say true. Default 10000 ms. */
  startTimeoutMs?: number;
  /** Member name. Default `default`. */
  name?: string;
  /** Extra command-line flags, after the ones startEtcd sets (e.g. `['--enable-v2=true']` for the v2 keys API). Default none. */
  args?: readonly string[];
}

const STOP_GRACE_MS = 5000;
const START_ATTEMPTS = 3;

interface Attempt {
  process?: EtcdProcess;
  /** Set when the failure was a port taken between freePort() and etcd's bind: worth a retry. */
  portTaken: boolean;
  error?: Error;
}

async function attemptStart(binary: string, options: StartEtcdOptions): Promise<Attempt> {
  const dir = await tempDir('etcd');
  const dataDir = join(dir.path, 'data');
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const name = options.name ?? 'default';
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=kube-edge-test',
    // Elects itself in ~50 ms instead of ~0.8 s with the defaults.
    '--heartbeat-interval=10',
    '--election-timeout=100',
    '--logger=zap',
    '--log-outputs=stderr',
    ...(options.args ?? []),
  ];
  const output = new OutputBuffer();
  const child = spawn(binary, args, { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
  output.capture(child.stdout);
  output.capture(child.stderr);
  let exitDescription: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = signal === null ? `exited with code ${code ?? '?'}` : `killed by ${signal}`;
      resolve();
    });
    child.once('error', (error) => {
      exitDescription ??= `could not start: ${error.message}`;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  trackChild(child, false, dir.path);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (pid > 0 && exitDescription === undefined) {
        signalChild(pid, false, 'SIGTERM');
        const graceful = await exitedWithin(exited, STOP_GRACE_MS);
        if (!graceful) {
          signalChild(pid, false, 'SIGKILL');
          await exitedWithin(exited, STOP_GRACE_MS);
        }
      }
      untrackChild(pid);
      await dir.remove();
    })();
    return stopping;
  };

  try {
    await pollUntil({
      check: async () => {
        try {
          const health = await httpRequest({ url: `${clientUrl}/health`, timeoutMs: 1000 });
          return health.status === 200 && health.json<{ health?: string }>().health === 'true';
        } catch {
          return false;
        }
      },
      abort: () => exitDescription,
      timeoutMs: options.startTimeoutMs ?? 10_000,
      intervalMs: 25,
      describe: () => 'etcd did not become healthy',
    });
  } catch (error) {
    await stop();
    const logs = output.text();
    return {
      portTaken: /address already in use/.test(logs),
      error: new Error(`${errorMessage(error)}\n${logs}`, {
        cause: error,
      }),
    };
  }
  return {
    portTaken: false,
    process: { clientUrl, dataDir, pid, stop, logs: () => output.text() },
  };
}

/**
 * Starts the real etcd (Debian `etcd-server`) as a single-member cluster on free 127.0.0.1
 * client and peer ports, with its data in a fresh temporary directory. Resolves once
 * `GET /health` says true (~0.1 s). Retries with new ports (3 attempts) when a port was taken
 * by another process in the meantime; otherwise rejects with etcd's logs, leaving nothing
 * running or on disk. Non-blocking; safe to call concurrently. Always `stop()` it.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const binary = options.binary ?? etcdBinary();
  let last: Attempt | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
    last = await attemptStart(binary, options);
    if (last.process !== undefined) return last.process;
    if (!last.portTaken) break;
  }
  throw last?.error ?? new Error('etcd did not start');
}

/**
 * The requests a running etcd has served so far, from its `/metrics`: `Range`, `Txn`, `Put`,
 * `DeleteRange`, … (gRPC KV methods, every outcome) and `keysPut`/`keysDeleted` (keys written
 * by any request, transactions included). Diff two calls to count what happened between them;
 * the scrape itself is not counted. Rejects when etcd does not answer.
 */
export async function etcdCallCounts(etcd: Pick<EtcdProcess, 'clientUrl'>): Promise<Record<string, number>> {
  const res = await httpRequest({ url: `${etcd.clientUrl}/metrics`, timeoutMs: 10_000 });
  if (res.status !== 200) throw new Error(`etcd /metrics answered ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of res.body.split('\n')) {
    const grpc = /^grpc_server_handled_total\{(.*)\} (\d+)$/.exec(line);
    if (grpc?.[1]?.includes('grpc_service="etcdserverpb.KV"') === true) {
      const method = /grpc_method="(\w+)"/.exec(grpc[1])?.[1] ?? '?';
      out[method] = (out[method] ?? 0) + Number(grpc[2]);
    }
    const keys = /^etcd_mvcc_(put|delete)_total (\d+)$/.exec(line);
    if (keys !== null) out[keys[1] === 'put' ? 'keysPut' : 'keysDeleted'] = Number(keys[2]);
  }
  return out;
}
