// `pnpm bench`: builds the workspace, runs every package's and app's `bench` script one at a time
// (packages first, then apps, by name), prints their output as it comes and keeps it, with each
// bench's wall time, exit status and the machine's load average (sampled every 10 s), in
// docs/bench-runs/latest/; then collects the BENCHMARKS.md files and this run into
// docs/benchmarks.md (scripts/collect-benchmarks.mjs). A failing bench is recorded and the run
// goes on, so one run always yields every figure it can; the exit status is 1 if any failed.
//
//   node scripts/bench.mjs [--only=<dir>[,<dir>...]]   e.g. --only=apps/feed-dns (a partial run
//                                                       replaces only those benches' outputs)
// (`pnpm bench --only=apps/feed-dns` passes the flag through.)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listWorkspace } from './release/lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'docs/bench-runs/latest');
const usage = 'usage: node scripts/bench.mjs [--only=<dir>[,<dir>...]] (e.g. --only=apps/feed-dns)';
const args = process.argv.slice(2);
for (const a of args) {
  if (!a.startsWith('--only=')) {
    console.error(`bench: unknown argument "${a}"\n${usage}`);
    process.exit(2);
  }
}
const only =
  args.length === 0
    ? undefined
    : args.flatMap((a) =>
        a
          .slice('--only='.length)
          .split(',')
          .map((d) => d.replace(/\/$/, ''))
          .filter((d) => d !== ''),
      );

/** Workspace directories with a `bench` script: packages first, then apps, each by name. */
function benches() {
  const dirs = listWorkspace(root)
    .filter((p) => typeof p.pkg.scripts?.bench === 'string' && p.pkg.scripts.bench.trim() !== '')
    .map((p) => p.dir);
  if (only === undefined) return dirs;
  const unknown = only.filter((d) => !dirs.includes(d));
  if (unknown.length > 0) {
    console.error(`bench: no bench script in ${unknown.join(', ')} (benches: ${dirs.join(', ')})\n${usage}`);
    process.exit(2);
  }
  return dirs.filter((d) => only.includes(d));
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const text = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
};
/** The nginx the benches run: nginx-render's default binary, else the one on PATH. */
const nginxVersion = () =>
  text(existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx', ['-v']).replace(/^nginx version: /, '') ||
  'nginx (version unknown)';
const osName = () => {
  const line = existsSync('/etc/os-release')
    ? readFileSync('/etc/os-release', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('PRETTY_NAME='))
    : undefined;
  return line?.slice('PRETTY_NAME='.length).replaceAll('"', '') ?? 'unknown';
};

function runOne(dir) {
  return new Promise((resolve) => {
    const started = Date.now();
    const loads = [load()[0]];
    const sampler = setInterval(() => loads.push(load()[0]), 10_000);
    const chunks = [];
    const child = spawn('pnpm', ['run', '--silent', 'bench'], {
      cwd: join(root, dir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (stream) => (chunk) => {
      stream.write(chunk);
      chunks.push(chunk);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      loads.push(load()[0]);
      resolve({
        dir,
        status: code ?? signal ?? 'unknown',
        seconds: Math.round((Date.now() - started) / 1000),
        started: new Date(started).toISOString(),
        load: { min: Math.min(...loads), max: Math.max(...loads), samples: loads.length },
        output: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}

const dirs = benches();
if (dirs.length === 0) {
  console.error(`bench: no bench script${only ? ` in ${only.join(', ')}` : ''}`);
  process.exit(2);
}
const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const started = new Date();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
  os: `${osName()}, Linux ${release()}`,
  node: process.version,
  nginx: nginxVersion(),
};
const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
/** The commit measured; `dirty` when the work tree differed from it at the start. */
const source = { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain') !== '' };
console.log(
  `bench: ${dirs.length} benches, ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, nginx ${machine.nginx}, load ${load().join(' ')}, ${started.toISOString()}`,
);
// A full run starts from an empty directory; a partial run keeps the other benches' last results
// (each with its own start time and machine).
const runFile = join(outDir, 'run.json');
const previous =
  only !== undefined && existsSync(runFile) ? JSON.parse(readFileSync(runFile, 'utf8')) : undefined;
if (only === undefined) rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const kept = (previous?.benches ?? []).filter((b) => !dirs.includes(b.dir));
const results = [];
/** run.json after every bench, so an interrupted run leaves a record that matches its outputs. */
const record = (finished) => {
  const run = {
    started: only === undefined ? started.toISOString() : (previous?.started ?? started.toISOString()),
    finished: finished?.toISOString() ?? null,
    partial: only !== undefined,
    ...source,
    machine,
    benches: [...kept, ...results].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0)),
  };
  writeFileSync(runFile, `${JSON.stringify(run, null, 2)}\n`);
};
record(undefined);
for (const dir of dirs) {
  console.log(`\nbench: ${dir} (load ${load().join(' ')})`);
  const { output, ...result } = await runOne(dir);
  writeFileSync(join(outDir, `${dir.replace('/', '-')}.txt`), output);
  results.push({ ...result, ...source, machine });
  record(undefined);
  console.log(`bench: ${dir} finished in ${result.seconds} s, exit ${result.status}`);
}
const finished = new Date();
record(finished);
const collect = spawnSync('node', [join(root, 'scripts/collect-benchmarks.mjs')], { stdio: 'inherit' });
const failed = results.filter((r) => r.status !== 0);
console.log(
  `bench: ${results.length} benches in ${Math.round((finished - started) / 60_000)} min, ${failed.length} failed${failed.length ? `: ${failed.map((f) => f.dir).join(', ')}` : ''}`,
);
process.exit(failed.length > 0 || collect.status !== 0 ? 1 : 0);
