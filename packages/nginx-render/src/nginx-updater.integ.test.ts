import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server as NetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigRefusedError, createNoopLogger, isTerminal } from '@kube-edge/runtime';
import {
  eventually,
  freePort,
  httpRequest,
  makeTestCertificate,
  tempDir,
  type TestCertificate,
} from '@kube-edge/testkit';
import { Registry } from 'prom-client';
import type { NginxConfig, Server } from './model.js';
import { nginxPaths } from './nginx-cli.js';
import { createNginxUpdater, type NginxRendered, type NginxUpdater } from './nginx-updater.js';
import { NginxConfigTestError, observeNginxSpawns } from './process.js';
import { renderNginxConfig } from './render.js';
import { NginxModelError } from './validate-config.js';

/** A tiny app model: the hosts served over TLS (each with its own key file), and a status port. */
interface Model {
  readonly hosts: readonly string[];
  /** Makes nginx -t fail (a directive value nginx refuses), to test a refused config. */
  readonly broken?: boolean;
  /** Adds a server name the renderer's validation refuses (a render error). */
  readonly badName?: boolean;
}

const started: NginxUpdater<Model>[] = [];
afterEach(async () => {
  // PID 1 does not reap orphans: every nginx a test started is stopped here, even on failure.
  for (const u of started.splice(0)) await u.stop();
});

describe('nginx updater', () => {
  let blocker: NetServer;
  let busyPort: number;
  let dir: { path: string; remove(): Promise<void> };
  let certs: Map<string, TestCertificate>;

  beforeAll(async () => {
    busyPort = await freePort();
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(busyPort, '0.0.0.0', r));
    dir = await tempDir('nginx-updater');
    certs = new Map();
    for (const host of ['a.test', 'b.test']) certs.set(host, await makeTestCertificate({ commonName: host }));
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    await dir.remove();
  });

  const setup = (name: string, port: number, sslPort: number) => {
    const workDir = `${dir.path}/${name}/nginx`;
    const tlsDir = `${dir.path}/${name}/tls`;
    const render = (m: Model): NginxRendered => {
      const servers: Server[] = [
        {
          listen: [{ port, address: '127.0.0.1', defaultServer: true }],
          serverNames: [],
          locations: [
            { match: 'exact', path: '/status', action: { kind: 'return', status: 200, body: 'ok' } },
          ],
        },
      ];
      const tlsFiles = m.hosts.flatMap((host) => {
        const c = certs.get(host)!;
        return [
          { path: `${tlsDir}/${host}/certificate.crt`, content: c.cert, mode: 0o644 },
          { path: `${tlsDir}/${host}/certificate.key`, content: Buffer.from(c.key) },
        ];
      });
      for (const host of m.hosts)
        servers.push({
          listen: [{ port: sslPort, address: '127.0.0.1', ssl: true }],
          serverNames: [host],
          tls: {
            certificate: `${tlsDir}/${host}/certificate.crt`,
            certificateKey: `${tlsDir}/${host}/certificate.key`,
          },
          locations: [{ match: 'prefix', path: '/', action: { kind: 'return', status: 200, body: host } }],
        });
      if (m.badName === true)
        servers.push({
          listen: [{ port, address: '127.0.0.1' }],
          serverNames: ['bad name;'],
          locations: [],
        });
      const config: NginxConfig = {
        main: { workerProcesses: 1, errorLog: { target: 'stderr', level: 'warn' } },
        http: { tempPathRoot: nginxPaths(workDir).tempDir, accessLog: 'off' },
        upstreams: [],
        servers,
      };
      // The model cannot express a config nginx refuses; an unknown directive appended to the text can.
      const text = renderNginxConfig(config) + (m.broken ? '\nunknown_directive_for_test;\n' : '');
      return { config: text, tlsFiles };
    };
    return { workDir, tlsDir, render };
  };

  it('asks the app to exit when nginx cannot start serving (port in use), since it cannot be started twice', async () => {
    const { workDir, tlsDir, render } = setup('busy', busyPort, await freePort());
    const exits: unknown[] = [];
    const updater = createNginxUpdater<Model>({
      render,
      workDir,
      tlsDir,
      logger: createNoopLogger(),
      registry: new Registry(),
      onUnexpectedExit: (e) => exits.push(e),
    });
    started.push(updater);
    await updater.start();
    expect(await updater.health()).toMatchObject({ ok: false });
    await expect(updater.update({ hosts: [] })).rejects.toThrow();
    expect(exits).toHaveLength(1);
    expect(await updater.health()).toMatchObject({ ok: false, message: 'nginx failed to start' });
  });

  it('starts nginx at start() with the initial model, serves TLS files 0600 in 0700 dirs, and removes a host key once the host is gone', async () => {
    const port = await freePort();
    const sslPort = await freePort();
    const { workDir, tlsDir, render } = setup('hosts', port, sslPort);
    const events: string[] = [];
    const registry = new Registry();
    const updater = createNginxUpdater<Model>({
      render,
      workDir,
      tlsDir,
      tlsSubdirectories: true,
      keepFiles: [`${tlsDir}/default/tls.key`],
      initialModel: { hosts: [] },
      metricPrefix: 'app_nginx_',
      stopTimeoutMs: 5000,
      logger: createNoopLogger(),
      registry,
      onEvent: (e) => events.push(e),
    });
    started.push(updater);
    // A file the user keeps in the TLS directory: never removed as stale.
    await mkdir(`${tlsDir}/default`, { recursive: true, mode: 0o700 });
    await writeFile(`${tlsDir}/default/tls.key`, 'KEEP');
    await updater.start();
    expect(events).toEqual(['nginx-started']);
    expect(await updater.readiness()).toEqual({ ok: true });
    expect((await httpRequest({ url: `http://127.0.0.1:${port}/status` })).body).toBe('ok');
    expect(await registry.getSingleMetricAsString('app_nginx_up')).toContain('app_nginx_up 1');

    await updater.update({ hosts: ['a.test', 'b.test'] });
    const https = (host: string) =>
      httpRequest({
        url: `https://127.0.0.1:${sslPort}/`,
        host,
        ca: certs.get(host)!.cert,
      });
    expect((await https('a.test')).body).toBe('a.test');
    expect((await https('b.test')).body).toBe('b.test');
    expect((await stat(tlsDir)).mode & 0o777).toBe(0o700);
    expect((await stat(`${tlsDir}/a.test`)).mode & 0o777).toBe(0o700);
    expect((await stat(`${tlsDir}/a.test/certificate.key`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${tlsDir}/a.test/certificate.crt`)).mode & 0o777).toBe(0o644);

    // A config nginx refuses: terminal, the previous config keeps serving, nothing is removed.
    const refused = updater.update({ hosts: ['a.test'], broken: true });
    await expect(refused).rejects.toBeInstanceOf(NginxConfigTestError);
    await expect(refused.catch((e: unknown) => isTerminal(e))).resolves.toBe(true);
    expect((await https('b.test')).body).toBe('b.test');
    expect((await readdir(tlsDir)).sort()).toEqual(['a.test', 'b.test', 'default']);

    // b.test goes away: its key is removed once the config without it is live.
    await updater.update({ hosts: ['a.test'] });
    expect(updater.lastConfig()).not.toContain('b.test');
    expect((await readdir(tlsDir)).sort()).toEqual(['a.test', 'default']);
    expect(await readFile(`${tlsDir}/default/tls.key`, 'utf8')).toBe('KEEP');
    expect((await readdir(`${tlsDir}/a.test`)).sort()).toEqual(['certificate.crt', 'certificate.key']);
    expect((await https('a.test')).body).toBe('a.test');

    await updater.stop();
    started.splice(0);
    expect(events).toEqual(['nginx-started', 'nginx-stopping', 'nginx-stopped']);
    expect(await updater.health()).toMatchObject({ ok: false });
  });

  it('check tests a model with nginx -t without installing or reloading it; a refusal and a render error are ConfigRefusedErrors', async () => {
    const port = await freePort();
    const sslPort = await freePort();
    const { workDir, tlsDir, render } = setup('check', port, sslPort);
    const updater = createNginxUpdater<Model>({
      render,
      workDir,
      tlsDir,
      tlsSubdirectories: true,
      logger: createNoopLogger(),
      registry: new Registry(),
    });
    started.push(updater);
    await updater.start();

    // Before nginx runs: a check starts nothing and writes no nginx.conf.
    await expect(updater.check({ hosts: ['a.test'] })).resolves.toBeUndefined();
    const refused = updater.check({ hosts: [], broken: true });
    await expect(refused).rejects.toBeInstanceOf(NginxConfigTestError);
    await expect(refused).rejects.toBeInstanceOf(ConfigRefusedError);
    await expect(refused).rejects.toThrow(/unknown directive "unknown_directive_for_test"/);
    const renderError = updater.check({ hosts: [], badName: true });
    await expect(renderError).rejects.toBeInstanceOf(NginxModelError);
    await expect(renderError).rejects.toBeInstanceOf(ConfigRefusedError);
    expect(updater.process.pid()).toBeUndefined();
    await expect(stat(nginxPaths(workDir).confPath)).rejects.toThrow();

    // While nginx serves: checks leave the live file, its hash and the workers as they are.
    await updater.update({ hosts: ['a.test'] });
    const live = await readFile(nginxPaths(workDir).confPath, 'utf8');
    const hash = updater.process.configHash();
    const workers = await updater.process.workerPids();
    await expect(updater.check({ hosts: ['a.test', 'b.test'] })).resolves.toBeUndefined();
    await expect(updater.check({ hosts: ['a.test'], broken: true })).rejects.toBeInstanceOf(
      NginxConfigTestError,
    );
    expect(await readFile(nginxPaths(workDir).confPath, 'utf8')).toBe(live);
    expect(updater.process.configHash()).toBe(hash);
    expect(updater.lastConfig()).toBe(live);
    expect(await updater.process.workerPids()).toEqual(workers);
    // No temp config is left behind beside nginx.conf.
    expect((await readdir(workDir)).filter((f) => f.startsWith('nginx.conf.'))).toEqual([]);
    // b.test was only checked: not served.
    await expect(
      httpRequest({ url: `https://127.0.0.1:${sslPort}/`, host: 'b.test', ca: certs.get('b.test')!.cert }),
    ).rejects.toThrow();
  });

  it('update resolves only once a rate-limited reload serves the config: no fresh connection reaches an older generation', async () => {
    const port = await freePort();
    const sslPort = await freePort();
    const { workDir, tlsDir, render } = setup('served', port, sslPort);
    const registry = new Registry();
    const spawns: { pid: number; exited: Promise<unknown> }[] = [];
    const unobserve = observeNginxSpawns((s) => spawns.push(s));
    const updater = createNginxUpdater<Model>({
      render,
      workDir,
      tlsDir,
      tlsSubdirectories: true,
      initialModel: { hosts: [] },
      // Long enough that the second update is always deferred, however slow the first reload
      // is on a loaded machine; the test ends the wait itself with flush() (no timing involved).
      minReloadIntervalMs: 600_000,
      servedTimeoutMs: 900_000,
      metricPrefix: 'app_nginx_',
      logger: createNoopLogger(),
      registry,
    });
    started.push(updater);
    try {
      await updater.start();
      // The spawn is reported with the master's pid, before the updater is told about it.
      expect(spawns.map((s) => s.pid)).toEqual([updater.process.pid()]);
      const https = (host: string) =>
        httpRequest({ url: `https://127.0.0.1:${sslPort}/`, host, ca: certs.get(host)!.cert });
      // The first reload runs at once; the second falls inside the interval and is deferred.
      await updater.update({ hosts: ['a.test'] });
      expect((await https('a.test')).body).toBe('a.test');
      const hashAfterFirst = updater.process.configHash();
      let resolved = false;
      const second = updater.update({ hosts: ['a.test', 'b.test'] }).then(() => {
        resolved = true;
      });
      // The new config is installed (its hash is the process's) but not yet served: update waits.
      await eventually(() => expect(updater.process.configHash()).not.toBe(hashAfterFirst));
      // (The old config has no b.test: another body, or a certificate b.test's CA refuses.)
      const beforeFlush = await https('b.test').then(
        (r) => r.body,
        () => 'refused',
      );
      expect(beforeFlush).not.toBe('b.test');
      expect(resolved).toBe(false);
      // The deferred reload happens: only then does update resolve…
      expect(await updater.process.flush()).toBe(true);
      await second;
      // …and every accepting worker serves it: every fresh connection gets the new config.
      for (let i = 0; i < 20; i++) expect((await https('b.test')).body).toBe('b.test');
      const text = await registry.getSingleMetricAsString('app_nginx_reload_wait_seconds');
      expect(text).toMatch(/^app_nginx_reload_wait_seconds_count 2$/m);
      await updater.stop();
      started.splice(0);
      await expect(spawns[0]!.exited).resolves.toBeDefined();
    } finally {
      unobserve();
    }
  });
});
