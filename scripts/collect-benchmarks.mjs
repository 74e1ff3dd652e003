// Collects every package's and app's BENCHMARKS.md (what each bench measures, its readings and
// earlier runs) and the output of the last `pnpm bench` run (docs/bench-runs/latest/, written by
// scripts/bench.mjs: machine, load, wall time and every bench's printed figures) into
// docs/benchmarks.md, so the figures live in one page. Run by `pnpm bench` after the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkspace } from './release/lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const runDir = join(root, 'docs/bench-runs/latest');
const run = existsSync(join(runDir, 'run.json'))
  ? JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))
  : undefined;
const parts = [
  '# Benchmarks',
  '',
  "`pnpm bench` (`scripts/bench.mjs`) builds, runs each package's and app's `bench` script one at a",
  'time, keeps what each printed (`docs/bench-runs/latest/`), then collects their `BENCHMARKS.md` files',
  'and that output into this page (`scripts/collect-benchmarks.mjs`). They are benchmarks, not',
  'timed tests: the machines are shared and noisy, so each compares ratios within one run and',
  'reports medians, with the machine and its load noted.',
  '',
];
if (run !== undefined) {
  const m = run.machine;
  const minutes = (iso0, iso1) => ((Date.parse(iso1) - Date.parse(iso0)) / 60_000).toFixed(0);
  parts.push(
    '## The last `pnpm bench` run',
    '',
    `${run.partial ? 'Partly re-run (each bench below says when it ran); ' : ''}${run.started} to ${run.finished ?? '(unfinished)'}${run.finished ? ` (${minutes(run.started, run.finished)} min)` : ''}: ` +
      `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}, ${m.nginx}` +
      `${run.commit ? `; commit ${run.commit.slice(0, 10)}${run.dirty ? ' with uncommitted changes' : ''}` : ''}. ` +
      'Each section below ends with the output its bench printed in that run (dated in its heading); the tables and readings ' +
      'above it are kept by hand and say which run they come from.',
    '',
    '| Bench | started (UTC) | wall time | load average (1 min) during it | exit |',
    '| ----- | ------------- | --------: | ------------------------------ | ---: |',
    ...run.benches.map(
      (b) =>
        `| ${b.dir} | ${b.started.slice(0, 19).replace('T', ' ')} | ${b.seconds} s | ${b.load.min}–${b.load.max} | ${b.status} |`,
    ),
    '',
  );
}
for (const { dir, path } of listWorkspace(root)) {
  const file = join(path, 'BENCHMARKS.md');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8').trim();
  // Demote the file's headings one level under a heading naming the package.
  const body = text.replace(/^# .*\n+/, '').replace(/^(#+) /gm, '#$1 ');
  parts.push(`## ${dir}`, '', `(from [${dir}/BENCHMARKS.md](../${dir}/BENCHMARKS.md))`, '', body, '');
  // The name scripts/bench.mjs gives the output it kept.
  const output = join(runDir, `${dir.replace('/', '-')}.txt`);
  if (existsSync(output)) {
    // eslint-disable-next-line no-control-regex
    const printed = readFileSync(output, 'utf8')
      .replace(/\u001b\[[0-9;]*m/g, '')
      .trim();
    const bench = run?.benches.find((b) => b.dir === dir);
    parts.push(
      `### Output of the last \`pnpm bench\` run${bench ? ` (${bench.started.slice(0, 16).replace('T', ' ')} UTC, ${bench.seconds} s, exit ${bench.status})` : ''}`,
      '',
      '```text',
      printed.replaceAll('```', "'''"),
      '```',
      '',
    );
  }
}
writeFileSync(join(root, 'docs/benchmarks.md'), parts.join('\n'));
// The page and the run record are checked by `prettier --check .` like every other file.
const files = ['docs/benchmarks.md', ...(run === undefined ? [] : ['docs/bench-runs/latest/run.json'])];
const pretty = spawnSync('pnpm', ['exec', 'prettier', '--write', '--log-level=warn', ...files], {
  cwd: root,
  stdio: 'inherit',
});
if (pretty.status !== 0) {
  console.error('collect-benchmarks: prettier failed on the collected page');
  process.exit(1);
}
console.log('docs/benchmarks.md updated');
