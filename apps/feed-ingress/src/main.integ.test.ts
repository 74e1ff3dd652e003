import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  freePort,
  httpRequest,
  makeTestCertificate,
  spawnTracked,
  startApiServer,
  startEchoServer,
  tempDir,
  writeTestCertificate,
  type ApiServer,
  type EchoServer,
  type TrackedSpawn,
} from '@kube-edge/testkit';
import { APP, ensureDist } from '../test/dist.js';
import { ingress, service } from '../test/harness.js';

const exec = promisify(execFile);
const MAIN = `${APP}dist/main.js`;
const EXAMPLES = `${APP}../../examples/feed-ingress`;

// The compiled binary as a user runs it: help, errors, the offline render, and a real process
// that serves traffic and exits 0 on a real SIGTERM.
// One file for every test of the compiled entry points, so dist is compiled at most once.
beforeAll(async () => {
  await ensureDist();
}, 130_000);

describe('feed-ingress (dist/main.js)', () => {
  it("--help exits 0 and lists the subcommands, Merlin's removal and env vars", async () => {
    const { stdout } = await exec(process.execPath, [MAIN, '--help']);
    for (const c of ['elb', 'nlb', 'alb', 'gorb', 'static', 'render']) expect(stdout).toContain(c);
    expect(stdout).toContain('Merlin');
    const { stdout: staticHelp } = await exec(process.execPath, [MAIN, 'static', '--help']);
    expect(staticHelp).toMatch(/--ingress-class <string>\n.*env: FEED_INGRESS_INGRESS_CLASS/);
    expect(staticHelp).toMatch(/--drain-delay <duration>\n.*default: 0/);
  });

  it('exits 2 naming the flag when --ingress-class is missing', async () => {
    const err = await exec(process.execPath, [MAIN, 'static', '--ingress-port=8080']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('--ingress-class is required');
  });

  it('render prints the nginx.conf of the examples and lists the bad Ingress as skipped', async () => {
    const { stdout } = await exec(process.execPath, [
      MAIN,
      'render',
      '-f',
      EXAMPLES,
      '--ingress-class=internal',
      '--ingress-port=8080',
    ]);
    expect(stdout).toMatch(/server_name shop\.example\.test;/);
    expect(stdout).toMatch(/listen 8080/);
    expect(stdout).toContain('broken-allow');
  });

  it('render: a missing file or unparseable YAML is one line on stderr and exit 1; unknown documents are warnings', async () => {
    const dir = await tempDir('feed-render-cli');
    try {
      await writeFile(`${dir.path}/bad.yaml`, 'apiVersion: v1\nkind: Service\nmetadata: {name: [x\n');
      await writeFile(
        `${dir.path}/odd.yaml`,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n',
      );
      const run = (file: string) =>
        exec(process.execPath, [MAIN, 'render', '-f', file, '--ingress-class=internal']).then(
          (r) => ({ code: 0, ...r }),
          (e: { code: number; stdout: string; stderr: string }) => e,
        );
      for (const [file, text] of [
        [`${dir.path}/missing.yaml`, `missing.yaml: no such file or directory`],
        [`${dir.path}/bad.yaml`, `bad.yaml: document 1: not valid YAML or JSON`],
      ] as const) {
        const r = await run(file);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(text);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
      const odd = await run(`${dir.path}/odd.yaml`);
      expect(odd.code).toBe(0);
      expect(odd.stderr).toContain(
        'odd.yaml: document 1: Deployment web (apps/v1): kind not read by this command',
      );
    } finally {
      await dir.remove();
    }
  });

  describe('as a process', () => {
    let api: ApiServer;
    let pod: EchoServer;
    let main: TrackedSpawn | undefined;
    let dir: { path: string; remove(): Promise<void> };

    beforeAll(async () => {
      api = await startApiServer();
      pod = await startEchoServer({ host: '127.0.0.71', name: 'pod' });
      dir = await tempDir('feed-ingress-main');
      await writeTestCertificate(
        dir.path,
        'default-ssl',
        await makeTestCertificate({ commonName: 'default.invalid' }),
      );
    });

    afterAll(async () => {
      // The whole process group: main and the nginx it started, even when the test failed.
      await main?.kill();
      await pod?.close();
      await api?.close();
      await dir?.remove();
    });

    it('serves an Ingress and exits 0 on SIGTERM after draining', async () => {
      api.store.create(service('default', 'svc', '127.0.0.71', pod.port));
      api.store.create(
        ingress('default', 'web', 'main.test', [{ path: '/', service: 'svc', port: pod.port }]),
      );
      const [httpPort, nginxHealth, healthPort] = [await freePort(), await freePort(), await freePort()];
      const proc = spawnTracked(
        process.execPath,
        [
          MAIN,
          'static',
          '--drain-delay=200ms',
          `--nginx-workdir=${dir.path}/nginx`,
          `--ssl-path=${dir.path}/default-ssl`,
          '--log-format=json',
        ],
        {
          cwd: APP,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            KUBECONFIG: await api.writeKubeconfig(),
            FEED_INGRESS_INGRESS_CLASS: 'edge',
            FEED_INGRESS_INGRESS_PORT: String(httpPort),
            FEED_INGRESS_INGRESS_HEALTH_PORT: String(nginxHealth),
            FEED_INGRESS_HEALTH_PORT: String(healthPort),
            POD_NAME: 'main-test',
          },
        },
      );
      main = proc;
      let out = '';
      proc.child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
      proc.child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));

      // The explicit signal: /readyz answers 200 once the caches synced and the first pass is
      // done, i.e. nginx serves the first full config (the nginx step resolves only when every
      // accepting worker serves it) and feed's health holds. Until then, /health is 500 while
      // nginx may already answer.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await httpRequest({ url: `http://127.0.0.1:${healthPort}/readyz`, timeoutMs: 1000 }).catch(
          () => undefined,
        );
        if (r?.status === 200) break;
        if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`not ready:\n${out}`);
        await new Promise((r2) => setTimeout(r2, 100));
      }
      const hh = await httpRequest({ url: `http://127.0.0.1:${healthPort}/health` });
      expect(`${hh.status} ${hh.body}`).toBe('200 ok\n');
      // Ready means served: every request gets the Ingress's backend, none a 404.
      for (let i = 0; i < 5; i++) {
        const r = await httpRequest({
          url: `http://127.0.0.1:${httpPort}/`,
          host: 'main.test',
          timeoutMs: 3000,
        });
        expect(r.status).toBe(200);
      }

      proc.signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        proc.exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000))),
      ]);
      clearTimeout(timer);
      expect(code).toBe(0);
      // JSON log lines, in stop order: the app's one shutdown step stops the apply steps (drain,
      // nginx quit) before the controller's server (its last stage, then "feed-ingress stopped").
      const messages = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { message: string; step?: string });
      expect(messages.some((m) => m.message === 'reconciled')).toBe(true);
      const at = (message: string): number => messages.findIndex((m) => m.message === message);
      expect(at('nginx stopped')).toBeGreaterThanOrEqual(0);
      expect(at('nginx stopped')).toBeLessThan(at('feed-ingress stopped'));
      const steps = messages.filter((m) => m.message === 'stop step finished').map((m) => m.step);
      expect(steps).toContain('feed-ingress');
    }, 60_000);
  });
});

// Runs the demo for real (demo/demo.ts on the compiled app, as a child process, as `pnpm run demo` does),
// curls one of the lines it prints, then stops it with a real SIGTERM.
describe('the demo', () => {
  let demo: TrackedSpawn | undefined;

  afterAll(async () => {
    // The whole process group: the demo, its app and nginx, even when the test failed.
    await demo?.kill();
  });

  it('prints curl lines that work, and exits 0 on SIGTERM', async () => {
    const tracked = spawnTracked(process.execPath, ['demo/demo.ts'], {
      cwd: APP,
      env: { ...process.env, KUBE_EDGE_DEMO_SECONDS: '60' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = tracked;
    const proc = tracked.child;
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = tracked.exited;

    const deadline = Date.now() + 40_000;
    while (!/Ctrl-C stops it/.test(stdout)) {
      if (Date.now() > deadline || proc.exitCode !== null)
        throw new Error(`demo did not start:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const lines = stdout.split('\n').map((l) => l.trim());
    const shop = lines.find((l) =>
      /^curl -s --resolve shop\.example\.test:\d+:127\.0\.0\.1 http:\/\/shop\.example\.test:\d+\/$/.test(l),
    );
    expect(shop).toBeDefined();
    expect(lines.some((l) => l.startsWith('curl -sk --resolve secure.example.test:'))).toBe(true);

    const { stdout: body } = await exec('curl', shop!.split(' ').slice(1).concat(['--max-time', '5']), {
      timeout: 10_000,
    });
    expect(JSON.parse(body)).toMatchObject({ name: 'shop/storefront', host: 'shop.example.test', path: '/' });

    tracked.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000))),
    ]);
    clearTimeout(timer);
    expect(code).toBe(0);
  }, 90_000);
});
