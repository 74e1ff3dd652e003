import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { httpRequest } from '../net/http-request.js';
import { etcdBinary } from './binaries.js';
import { trackedChildCount } from './child-registry.js';
import { etcdCallCounts, startEtcd, type EtcdProcess } from './etcd.js';
import { processRunning } from './proc-fs.js';
import { withLogsOnFailure } from './with-logs.js';

let etcd: EtcdProcess;
let client: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: etcd.clientUrl, dialTimeout: 2000 });
});

afterAll(async () => {
  client.close();
  await etcd.stop();
});

describe('startEtcd', () => {
  it('serves a 127.0.0.1 client URL with its data in the data dir', async () => {
    expect(etcd.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(`${etcd.dataDir}/member`)).toBe(true);
    const health = await httpRequest({ url: `${etcd.clientUrl}/health` });
    expect(health.json()).toMatchObject({ health: 'true' });
  });

  it('counts the requests etcd served, by method, and the keys written', async () => {
    const before = await etcdCallCounts(etcd);
    await client.put('/count/a').value('1');
    await client.get('/count/a').string();
    await client.get('/count/a').string();
    await client.if('/count/a', 'Value', '==', '1').then(client.put('/count/b').value('2')).commit();
    await client.delete().key('/count/b');
    const after = await etcdCallCounts(etcd);
    const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    expect([delta('Put'), delta('Range'), delta('Txn'), delta('DeleteRange')]).toEqual([1, 2, 1, 1]);
    expect([delta('keysPut'), delta('keysDeleted')]).toEqual([2, 1]);
  });

  it('keeps a plain script alive while it awaits stop(), so etcd is gone and its directory removed when the script ends', async () => {
    // A benchmark is such a script: the child is unref'd, and a stop that did not hold the event
    // loop let node end the script (unsettled top-level await) with etcd still running.
    const etcdModule = new URL('./etcd.ts', import.meta.url).href;
    const loader = fileURLToPath(new URL('../../../../scripts/ts-source/register.mjs', import.meta.url));
    const script = `import { startEtcd } from ${JSON.stringify(etcdModule)};
const e = await startEtcd();
await e.stop();
process.stdout.write(JSON.stringify({ pid: e.pid, dataDir: e.dataDir }));`;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--conditions=@kube-edge/source',
          '--import',
          loader,
          '--experimental-transform-types',
          '--disable-warning=ExperimentalWarning',
          '--input-type=module',
          '-e',
          script,
        ],
        { timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr }),
      );
    });
    expect(out).toMatchObject({ code: 0 });
    const { pid, dataDir } = JSON.parse(out.stdout) as { pid: number; dataDir: string };
    expect(processRunning(pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('writes, reads and watches keys through the etcd3 client', async () => {
    await withLogsOnFailure([etcd], async () => {
      await client.put('/skydns/test/a').value('{"host":"10.0.0.1"}');
      expect(await client.get('/skydns/test/a').string()).toBe('{"host":"10.0.0.1"}');

      const watcher = await client.watch().prefix('/skydns/test/').create();
      try {
        const seen = new Promise<{ key: string; value: string }>((resolve) => {
          watcher.on('put', (kv) => resolve({ key: kv.key.toString(), value: kv.value.toString() }));
        });
        await client.put('/skydns/test/b').value('{"host":"10.0.0.2"}');
        expect(await seen).toEqual({ key: '/skydns/test/b', value: '{"host":"10.0.0.2"}' });
      } finally {
        await watcher.cancel();
      }
      expect(await client.getAll().prefix('/skydns/test/').keys()).toEqual([
        '/skydns/test/a',
        '/skydns/test/b',
      ]);
    });
  });

  it('captures etcd’s logs', () => {
    expect(etcd.logs()).toMatch(/became leader at term/);
  });

  it('runs two members side by side on different ports', async () => {
    const second = await startEtcd({ name: 'second' });
    try {
      expect(second.clientUrl).not.toBe(etcd.clientUrl);
      const other = new Etcd3({ hosts: second.clientUrl, dialTimeout: 2000 });
      try {
        await other.put('only-here').value('1');
        expect(await other.get('only-here').string()).toBe('1');
        expect(await client.get('only-here').string()).toBeNull();
      } finally {
        other.close();
      }
    } finally {
      await second.stop();
    }
  });

  it('stops the process, removes its data and is idempotent', async () => {
    const tracked = trackedChildCount();
    const temporary = await startEtcd();
    expect(trackedChildCount()).toBe(tracked + 1);
    expect(processRunning(temporary.pid)).toBe(true);
    await Promise.all([temporary.stop(), temporary.stop()]);
    await temporary.stop();
    expect(processRunning(temporary.pid)).toBe(false);
    expect(existsSync(temporary.dataDir)).toBe(false);
    expect(trackedChildCount()).toBe(tracked);
    expect(temporary.logs()).toMatch(/received signal; shutting down|exiting/);
    await expect(httpRequest({ url: `${temporary.clientUrl}/health`, timeoutMs: 1000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('rejects with etcd’s output when it cannot start, leaving nothing running', async () => {
    const tracked = trackedChildCount();
    await expect(startEtcd({ binary: '/bin/false' })).rejects.toThrow(
      /etcd did not become healthy: exited with code 1/,
    );
    expect(trackedChildCount()).toBe(tracked);
  });
});

describe('etcdBinary', () => {
  it('finds Debian’s etcd and explains a missing one', () => {
    expect(etcdBinary()).toBe('/usr/bin/etcd');
    expect(() => etcdBinary(['/nonexistent/etcd'])).toThrow(/etcd binary not found.*etcd-server/);
  });
});
