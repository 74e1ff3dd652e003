import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';

/** One finding in a Helm chart. */
export interface ChartProblem {
  /** The file, relative to the chart directory. */
  file: string;
  message: string;
}

/**
 * Checks a Helm chart without Helm (not installable here): `Chart.yaml` has apiVersion v2, a
 * name, a semver version and an appVersion; `values.yaml` parses and validates against
 * `values.schema.json` (JSON Schema, with ajv); every template has balanced `{{ }}` actions and
 * balanced `if`/`range`/`with`/`define` … `end` blocks; every `.Values.a.b` reference names a key
 * that `values.yaml` has (so a typo in a template or a value missing from values.yaml is caught);
 * every `include "x"` names a template some file defines. Reads files only. An empty result
 * means the chart passed.
 */
export async function checkChart(dir: string): Promise<ChartProblem[]> {
  const problems: ChartProblem[] = [];
  const chart = await readYaml(dir, 'Chart.yaml', problems);
  if (isRecord(chart)) {
    if (chart['apiVersion'] !== 'v2') problems.push({ file: 'Chart.yaml', message: 'apiVersion must be v2' });
    if (typeof chart['name'] !== 'string' || chart['name'] === '')
      problems.push({ file: 'Chart.yaml', message: 'name is missing' });
    if (typeof chart['version'] !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(chart['version'])) {
      problems.push({ file: 'Chart.yaml', message: 'version must be a semver string' });
    }
    if (chart['appVersion'] === undefined)
      problems.push({ file: 'Chart.yaml', message: 'appVersion is missing' });
  }
  const values = await readYaml(dir, 'values.yaml', problems);
  let schemaText: string | undefined;
  try {
    schemaText = await readFile(join(dir, 'values.schema.json'), 'utf8');
  } catch {
    problems.push({ file: 'values.schema.json', message: 'missing' });
  }
  if (schemaText !== undefined && values !== undefined) {
    try {
      const ajv = new Ajv({ allErrors: true, strict: false });
      const validateValues = ajv.compile(JSON.parse(schemaText) as object);
      if (!validateValues(values)) {
        for (const e of validateValues.errors ?? []) {
          problems.push({
            file: 'values.yaml',
            message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
          });
        }
      }
    } catch (err) {
      problems.push({
        file: 'values.schema.json',
        message: `not a usable JSON schema: ${(err as Error).message}`,
      });
    }
  }
  const templatesDir = join(dir, 'templates');
  let files: string[] = [];
  try {
    files = (await readdir(templatesDir)).filter((f) => /\.(ya?ml|tpl|txt)$/.test(f)).sort();
  } catch {
    problems.push({ file: 'templates', message: 'missing' });
  }
  const defined = new Set<string>();
  const included: { file: string; name: string }[] = [];
  for (const f of files) {
    const text = await readFile(join(templatesDir, f), 'utf8');
    const file = `templates/${f}`;
    problems.push(...checkTemplate(file, text, values));
    for (const m of text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)) defined.add(m[1]!);
    for (const m of text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g))
      included.push({ file, name: m[1]! });
  }
  for (const inc of included) {
    if (!defined.has(inc.name))
      problems.push({ file: inc.file, message: `includes undefined template "${inc.name}"` });
  }
  return problems;
}

/** Checks one template's actions, blocks and `.Values` references (see {@link checkChart}). */
export function checkTemplate(file: string, text: string, values: unknown): ChartProblem[] {
  const problems: ChartProblem[] = [];
  const opens = (text.match(/\{\{/g) ?? []).length;
  const closes = (text.match(/\}\}/g) ?? []).length;
  if (opens !== closes)
    problems.push({ file, message: `unbalanced actions: ${opens} "{{" and ${closes} "}}"` });
  const stack: string[] = [];
  for (const m of text.matchAll(/\{\{-?\s*(if|range|with|define|block|else|end)\b/g)) {
    const word = m[1]!;
    if (word === 'else') continue;
    if (word === 'end') {
      if (stack.pop() === undefined) problems.push({ file, message: 'an {{ end }} closes nothing' });
    } else stack.push(word);
  }
  if (stack.length > 0) problems.push({ file, message: `unclosed blocks: ${stack.join(', ')}` });
  for (const m of text.matchAll(/\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
    const path = m[1]!.slice(1).split('.');
    if (!hasPath(values, path))
      problems.push({ file, message: `.Values.${path.join('.')} is not in values.yaml` });
  }
  return problems;
}

function hasPath(values: unknown, path: string[]): boolean {
  let cur: unknown = values;
  for (const key of path) {
    if (!isRecord(cur)) return false;
    if (!(key in cur)) return false;
    cur = cur[key];
  }
  return true;
}

async function readYaml(dir: string, file: string, problems: ChartProblem[]): Promise<unknown> {
  try {
    return parseYaml(await readFile(join(dir, file), 'utf8')) as unknown;
  } catch (err) {
    problems.push({
      file,
      message:
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'missing'
          : `does not parse: ${(err as Error).message}`,
    });
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
