import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { TransientError } from '@kube-edge/runtime';
import { tempDir, type TempDir } from '@kube-edge/testkit';
import { createNginxProcess, type NginxProcess } from './process.js';

// A stand-in nginx (bash) that misbehaves on purpose: it ignores the signals named in IGNORE, so
// the manager's escalation and timeouts can be observed. `-t` always succeeds. Its "worker" is a
// sleep renamed to `nginx: worker process`, which is what the manager looks for in /proc.
function fakeNginx(ignore: string[]): string {
  return `#!/bin/bash
if [ "$1" = "-t" ]; then echo "nginx: configuration file test is successful" >&2; exit 0; fi
pidfile=$(printf '%s' "$8" | sed -n 's/.*pid \\(.*\\);/\\1/p')
${ignore.map((s) => `trap '' ${s}`).join('\n')}
(exec -a "nginx: worker process" sleep 1000) &
worker=$!
${ignore.includes('TERM') ? '' : "trap 'kill $worker; exit 0' TERM"}
echo $$ > "$pidfile"
while true; do wait; done
`;
}

const cleanups: (() => Promise<void>)[] = [];

// Running, as opposed to gone or a zombie: PID 1 here does not reap orphans, so a killed orphan
// stays a zombie that `kill(pid, 0)` still finds.
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startFake(
  ignore: string[],
  options: { stopTimeoutMs?: number; reloadTimeoutMs?: number } = {},
): Promise<{ nginx: NginxProcess; registry: Registry; workers: number[]; dir: TempDir }> {
  const dir = await tempDir('nginx-fake');
  const binary = join(dir.path, 'fake-nginx');
  await writeFile(binary, fakeNginx(ignore));
  await chmod(binary, 0o755);
  const registry = new Registry();
  const nginx = createNginxProcess({ binary, workDir: join(dir.path, 'work'), registry, ...options });
  await nginx.start('# first');
  const workers = await nginx.workerPids();
  cleanups.push(async () => {
    const pid = nginx.pid();
    for (const p of [...workers, ...(pid === undefined ? [] : [pid])]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await dir.remove();
  });
  return { nginx, registry, workers, dir };
}

describe('createNginxProcess escalation and timeouts (fake nginx)', () => {
  it('sends SIGTERM when SIGQUIT is ignored for stopTimeoutMs', async () => {
    const { nginx } = await startFake(['QUIT'], { stopTimeoutMs: 300 });
    const t = Date.now();
    await nginx.stop();
    expect(Date.now() - t).toBeGreaterThanOrEqual(280);
    expect(await nginx.exited).toEqual({ code: 0, signal: null });
    expect(nginx.healthy()).toBe(false);
  });

  it('sends SIGKILL when SIGQUIT and SIGTERM are both ignored', async () => {
    const { nginx } = await startFake(['QUIT', 'TERM'], { stopTimeoutMs: 200 });
    const t = Date.now();
    await nginx.stop();
    expect(Date.now() - t).toBeGreaterThanOrEqual(380);
    expect(await nginx.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('kills the workers too when the master had to be SIGKILLed, so none is left serving', async () => {
    const { nginx, workers } = await startFake(['QUIT', 'TERM'], { stopTimeoutMs: 200 });
    expect(workers).toHaveLength(1);
    expect(await running(workers[0]!)).toBe(true);
    await nginx.stop();
    // A SIGKILLed master cannot take its workers down; they would keep the listening sockets.
    expect(await running(workers[0]!)).toBe(false);
  });

  it('fails a reload whose workers are never replaced, counts it, and keeps the new file', async () => {
    const { nginx, registry } = await startFake(['HUP'], { reloadTimeoutMs: 300, stopTimeoutMs: 200 });
    const err = await nginx.apply('# second').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('NGINX_RELOAD_TIMEOUT');
    const failures = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'nginx_reload_failures_total',
    );
    expect(failures?.values[0]?.value).toBe(1);
    // The change is live on disk and not lost: the same bytes are now "unchanged".
    expect(await nginx.apply('# second')).toEqual({ changed: false, reloaded: false });
    await nginx.stop();
  });
});
