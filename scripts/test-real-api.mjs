// The real-API pass of `./dev test` (and CI): runs every app's src/real-api.integ.test.ts with
// KUBE_EDGE_API=real, i.e. against a real kube-apiserver + etcd as the app's chart ServiceAccount.
// - Binaries present (kube-apiserver from $KUBEBUILDER_ASSETS, $KUBE_EDGE_KUBE_APISERVER or
//   ../shared/bin; etcd; helm): the pass runs, and fails if any test fails or a server cannot start.
// - A binary missing: says which and exits 0 (the pass is skipped, the run does not depend on it).
// Each app's counts go to <app>/.test-results-real.json for scripts/test-summary.mjs; stale ones
// are removed first. The whole pass is bounded (KUBE_EDGE_REAL_API_TIMEOUT_MS, default 120000).
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RESULTS = '.test-results-real.json';
const timeoutMs = Number(process.env.KUBE_EDGE_REAL_API_TIMEOUT_MS ?? 120_000);

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(what, candidates) {
  const found = candidates.find((c) => c !== undefined && executable(c));
  return found ?? { missing: `${what} not found (looked at ${candidates.filter(Boolean).join(', ')})` };
}

const env = process.env;
const onPath = (name) => (env.PATH ?? '').split(delimiter).map((d) => join(d, name));
const tools = {
  'kube-apiserver': find('kube-apiserver', [
    env.KUBEBUILDER_ASSETS && join(env.KUBEBUILDER_ASSETS, 'kube-apiserver'),
    env.KUBE_EDGE_KUBE_APISERVER,
    resolve(root, '../shared/bin/kube-apiserver'),
  ]),
  etcd: find('etcd', ['/usr/bin/etcd', '/usr/local/bin/etcd']),
  helm: find('helm', [
    env.KUBE_EDGE_HELM,
    resolve(root, '../shared/bin/helm'),
    '/usr/local/bin/helm',
    '/usr/bin/helm',
    ...onPath('helm'),
  ]),
};

const apps = existsSync(join(root, 'apps'))
  ? readdirSync(join(root, 'apps')).filter((a) =>
      existsSync(join(root, 'apps', a, 'src', 'real-api.integ.test.ts')),
    )
  : [];
for (const a of readdirSync(join(root, 'apps'))) rmSync(join(root, 'apps', a, RESULTS), { force: true });

const missing = Object.values(tools).filter((t) => typeof t !== 'string');
if (missing.length > 0) {
  console.log(`real API pass skipped: ${missing.map((m) => m.missing).join('; ')}`);
  process.exit(0);
}
if (apps.length === 0) {
  console.error('real API pass: no apps/*/src/real-api.integ.test.ts found');
  process.exit(1);
}

console.log(`real API pass (kube-apiserver ${tools['kube-apiserver']}): ${apps.join(', ')}`);
const started = Date.now();
const children = new Set();
const timer = setTimeout(() => {
  console.error(`real API pass: timed out after ${timeoutMs} ms; stopping`);
  for (const c of children) c.kill('SIGTERM');
}, timeoutMs);

function runApp(app) {
  return new Promise((resolveRun) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        '--disable-warning=ExperimentalWarning',
        join(root, 'node_modules/jest/bin/jest.js'),
        '--testPathPatterns',
        'real-api\\.integ\\.test\\.ts$',
        '--ci',
      ],
      {
        cwd: join(root, 'apps', app),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, KUBE_EDGE_API: 'real', KUBE_EDGE_TEST_RESULTS_FILE: RESULTS },
      },
    );
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => {
      children.delete(child);
      const ok = code === 0;
      // Like turbo's errors-only: the output of a failed run only.
      if (!ok) process.stdout.write(`--- apps/${app} (real API) ---\n${out}\n`);
      console.log(`apps/${app} (real API): ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`}`);
      resolveRun(ok);
    });
  });
}

// Two at a time (the machine has two cores; each app starts its own etcd + kube-apiserver).
const queue = [...apps];
const results = [];
await Promise.all(
  [0, 1].map(async () => {
    for (let app = queue.shift(); app !== undefined; app = queue.shift()) results.push(await runApp(app));
  }),
);
clearTimeout(timer);
const failed = results.filter((ok) => !ok).length;
console.log(
  `real API pass: ${apps.length - failed} of ${apps.length} apps passed in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exit(failed > 0 ? 1 : 0);
