// Collects every package's and app's BENCHMARKS.md (written by their `bench` scripts) into
// docs/benchmarks.md, so the figures live in one page. Run by `pnpm bench` after the benchmarks.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const parts = [
  '# Benchmarks',
  '',
  "`pnpm bench` runs each package's and app's `bench` script, one at a time, then collects their",
  '`BENCHMARKS.md` files into this page (`scripts/collect-benchmarks.mjs`). They are benchmarks, not',
  'timed tests: the machines are shared and noisy, so each compares ratios within one run and',
  'reports medians, with the machine and its load noted.',
  '',
];
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'BENCHMARKS.md');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').trim();
    // Demote the file's headings one level under a heading naming the package.
    const body = text.replace(/^# .*\n+/, '').replace(/^(#+) /gm, '#$1 ');
    parts.push(
      `## ${group}/${name}`,
      '',
      `(from [${group}/${name}/BENCHMARKS.md](../${group}/${name}/BENCHMARKS.md))`,
      '',
      body,
      '',
    );
  }
}
writeFileSync(join(root, 'docs/benchmarks.md'), parts.join('\n'));
console.log('docs/benchmarks.md updated');
