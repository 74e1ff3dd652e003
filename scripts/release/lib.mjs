// Pieces of the release that the dry run (scripts/release-dry-run.mjs), the version sync
// (scripts/sync-versions.mjs), the deploy check and their tests share, and the workspace listing
// the bench scripts use too. Plain Node, no build.
//
// The rules they encode:
//   - An app's one version source is its package.json `version`. `--version` reads it at run time;
//     the chart's `version` and `appVersion` equal it (the changesets version step rewrites them);
//     the chart's default image tag is empty so the templates fall back to `appVersion`; the image
//     label comes from the `VERSION` build argument, which the build checks against package.json.
//   - Every app's Dockerfile has the same build stage (only `ARG APP=` differs) and every `FROM`
//     of every Dockerfile names the same base image digest.
//   - A published library package carries no test, fixture or demo file, no dependency specifier
//     that only means something inside the workspace, and no source map that points outside it.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, normalize, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The repository root. */
export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** The GitHub owner images and charts are published under (the workflow passes its own). */
export const DEFAULT_OWNER = 'kube-edge';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every app: a directory under apps/ with a package.json. */
export function listApps(root = ROOT) {
  const dir = join(root, 'apps');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'package.json')))
    .sort()
    .map((name) => {
      const pkg = readJson(join(dir, name, 'package.json'));
      return {
        name,
        packageName: pkg.name,
        version: pkg.version,
        dir: join(dir, name),
        chartDir: join(root, 'charts', name),
        dockerfile: join(dir, name, 'Dockerfile'),
      };
    });
}

/**
 * Every workspace package, packages/ first and then apps/, each by name: `dir` relative to the
 * root (`apps/feed-dns`), `path` absolute, `pkg` its package.json.
 */
export function listWorkspace(root = ROOT) {
  return ['packages', 'apps'].flatMap((group) => {
    const base = join(root, group);
    if (!existsSync(base)) return [];
    return readdirSync(base)
      .filter((name) => existsSync(join(base, name, 'package.json')))
      .sort()
      .map((name) => ({
        dir: `${group}/${name}`,
        path: join(base, name),
        pkg: readJson(join(base, name, 'package.json')),
      }));
  });
}

/** Every library published to npm: a directory under packages/ whose package.json is not private. */
export function listLibraries(root = ROOT) {
  const dir = join(root, 'packages');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'package.json')))
    .sort()
    .map((name) => ({ name, dir: join(dir, name), pkg: readJson(join(dir, name, 'package.json')) }))
    .filter((p) => p.pkg.private !== true)
    .map((p) => ({ name: p.name, packageName: p.pkg.name, version: p.pkg.version, dir: p.dir }));
}

/** The image an app is published as. */
export function imageRef(app, owner = DEFAULT_OWNER) {
  return `ghcr.io/${owner}/${app.name}:${app.version}`;
}

/** The OCI reference an app's chart is pushed to, and the archive `helm package` makes. */
export function chartRef(app, owner = DEFAULT_OWNER) {
  return {
    oci: `oci://ghcr.io/${owner}/charts/${app.name}:${app.version}`,
    archive: `${app.name}-${app.version}.tgz`,
  };
}

/** The first line, or the text, of each instruction with its continuation lines joined. */
function dockerInstructions(text) {
  const out = [];
  let current;
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (current === undefined) {
      if (t === '' || t.startsWith('#')) return;
      current = { line: i + 1, text: '' };
    } else if (t.startsWith('#')) return;
    const continued = t.endsWith('\\');
    current.text += (current.text ? ' ' : '') + (continued ? t.slice(0, -1).trim() : t);
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

/**
 * Splits a Dockerfile into stages: `{ from, name, instructions }` with `from` the image of the
 * FROM line (platform flag dropped).
 */
export function dockerStages(text) {
  const stages = [];
  for (const ins of dockerInstructions(text)) {
    if (/^FROM\s/i.test(ins.text)) {
      const words = ins.text
        .split(/\s+/)
        .slice(1)
        .filter((w) => !w.startsWith('--'));
      const asAt = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ from: words[0] ?? '', name: asAt > 0 ? (words[asAt + 1] ?? '') : '', instructions: [] });
    } else stages.at(-1)?.instructions.push(ins.text);
  }
  return stages;
}

/** The build stage with the app's name replaced by a placeholder, for comparing apps. */
function normalisedBuildStage(text, app) {
  const build = dockerStages(text).find((s) => s.name === 'build');
  if (build === undefined) return undefined;
  return [`FROM ${build.from} AS build`, ...build.instructions]
    .join('\n')
    .replace(`ARG APP=${app}`, 'ARG APP=<app>');
}

/**
 * Finds every disagreement between an app's version source and what derives from it, and every
 * departure from the shared Dockerfile pattern. Reads files only. An empty result means all agree.
 * `owner` is the GitHub owner the chart's default image repository must name.
 */
export function checkVersions(root = ROOT, owner = DEFAULT_OWNER) {
  const problems = [];
  const apps = listApps(root);
  const buildStages = [];
  const baseImages = new Set();
  for (const app of apps) {
    const where = `apps/${app.name}`;
    if (typeof app.version !== 'string' || !SEMVER.test(app.version))
      problems.push(`${where}/package.json: version ${JSON.stringify(app.version)} is not semver`);
    if (app.packageName !== `@kube-edge/${app.name}`)
      problems.push(`${where}/package.json: name is ${app.packageName}, expected @kube-edge/${app.name}`);

    // The CLI: --version must come from package.json, not from a copy of it.
    const cliPath = join(app.dir, 'src', 'cli.ts');
    if (existsSync(cliPath)) {
      const cli = readFileSync(cliPath, 'utf8');
      const literal = cli.match(
        /export const \w*VERSION\w*(?::\s*string)?\s*=\s*['"`](\d+\.\d+\.\d+[^'"`]*)['"`]/,
      );
      if (literal)
        problems.push(
          `${where}/src/cli.ts: the version is the literal '${literal[1]}'; read it from package.json instead`,
        );
      if (!cli.includes("'../package.json'"))
        problems.push(`${where}/src/cli.ts: does not read the version from ../package.json`);
    }

    // The chart.
    const chartPath = join(app.chartDir, 'Chart.yaml');
    if (!existsSync(chartPath)) problems.push(`charts/${app.name}/Chart.yaml: missing`);
    else {
      const chart = parseYaml(readFileSync(chartPath, 'utf8')) ?? {};
      if (chart.name !== app.name)
        problems.push(`charts/${app.name}/Chart.yaml: name is ${chart.name}, expected ${app.name}`);
      if (String(chart.version) !== app.version)
        problems.push(
          `charts/${app.name}/Chart.yaml: version ${chart.version} is not ${where}/package.json's ${app.version} (run node scripts/sync-versions.mjs)`,
        );
      if (String(chart.appVersion) !== app.version)
        problems.push(
          `charts/${app.name}/Chart.yaml: appVersion ${chart.appVersion} is not ${where}/package.json's ${app.version} (run node scripts/sync-versions.mjs)`,
        );
      const valuesPath = join(app.chartDir, 'values.yaml');
      const values = existsSync(valuesPath) ? (parseYaml(readFileSync(valuesPath, 'utf8')) ?? {}) : {};
      const image = values.image ?? {};
      const repository = `ghcr.io/${owner}/${app.name}`;
      if (image.repository !== repository)
        problems.push(
          `charts/${app.name}/values.yaml: image.repository is ${image.repository}, expected ${repository}`,
        );
      if (image.tag !== '' && image.tag !== app.version)
        problems.push(
          `charts/${app.name}/values.yaml: image.tag ${JSON.stringify(image.tag)} is neither '' (the chart's appVersion) nor ${app.version}`,
        );
    }

    // The Dockerfile: the version label comes from the VERSION build argument, and the build
    // stage is the shared one.
    if (!existsSync(app.dockerfile)) problems.push(`${where}/Dockerfile: missing`);
    else {
      const text = readFileSync(app.dockerfile, 'utf8');
      const stages = dockerStages(text);
      for (const s of stages)
        if (!stages.some((o) => o.name !== '' && o.name === s.from)) baseImages.add(s.from);
      const final = stages.at(-1);
      const finalText = final?.instructions.join('\n') ?? '';
      const label = finalText.match(/org\.opencontainers\.image\.version=("?)([^"\s]*)\1/);
      if (!label)
        problems.push(`${where}/Dockerfile: no org.opencontainers.image.version label in the final stage`);
      else if (!/^\$\{?VERSION\}?$/.test(label[2]))
        problems.push(
          `${where}/Dockerfile: org.opencontainers.image.version is ${label[2]}; use the VERSION build argument`,
        );
      if (!/^ARG VERSION$/m.test(finalText))
        problems.push(`${where}/Dockerfile: the final stage does not declare ARG VERSION`);
      const build = normalisedBuildStage(text, app.name);
      if (build === undefined) problems.push(`${where}/Dockerfile: no stage named build`);
      else {
        if (!build.includes('ARG APP=<app>'))
          problems.push(`${where}/Dockerfile: the build stage does not set ARG APP=${app.name}`);
        buildStages.push({ app: app.name, build });
      }
    }
  }
  const first = buildStages[0];
  for (const b of buildStages.slice(1)) {
    if (b.build !== first.build)
      problems.push(
        `apps/${b.app}/Dockerfile: the build stage differs from apps/${first.app}/Dockerfile's (every app shares one; only ARG APP differs)`,
      );
  }
  const images = [...baseImages];
  for (const image of images) {
    if (!/@sha256:[0-9a-f]{64}$/.test(image)) problems.push(`base image ${image} is not pinned by digest`);
  }
  if (images.length > 1)
    problems.push(`the Dockerfiles use ${images.length} base images: ${images.join(', ')}; use one`);
  return problems;
}

/**
 * Writes each app's package.json version into its Chart.yaml (`version` and `appVersion`),
 * keeping the rest of the file as it is. Returns the files it changed.
 */
export function syncVersions(root = ROOT, write = writeFileSync) {
  const changed = [];
  for (const app of listApps(root)) {
    const path = join(app.chartDir, 'Chart.yaml');
    if (!existsSync(path)) continue;
    const before = readFileSync(path, 'utf8');
    const after = before
      .replace(/^version:.*$/m, `version: ${app.version}`)
      .replace(/^appVersion:.*$/m, `appVersion: '${app.version}'`);
    if (after !== before) {
      write(path, after);
      changed.push(path);
    }
  }
  return changed;
}

// ---- .dockerignore ----

/** Parses a .dockerignore into rules `{ negate, regex }`, in file order. */
export function parseDockerignore(text) {
  const rules = [];
  for (let line of text.split('\n')) {
    line = line.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    const pattern = posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '*' && pattern[i + 1] === '*') {
        // `**` matches any number of directories, including none.
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    rules.push({ negate, pattern, regex: new RegExp(`^${re}$`) });
  }
  return rules;
}

/**
 * Whether Docker leaves `path` (relative to the context root, `/`-separated) out of the build
 * context: the last rule that matches the path or one of its parent directories decides.
 */
export function isDockerIgnored(path, rules) {
  const parts = path.split('/');
  let ignored = false;
  for (const rule of rules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.regex.test(parts.slice(0, n).join('/'))) {
        ignored = !rule.negate;
        break;
      }
    }
  }
  return ignored;
}

/** The files Docker sends as the build context of `root`, after its .dockerignore. */
export function contextFiles(root = ROOT) {
  const ignorePath = join(root, '.dockerignore');
  const rules = existsSync(ignorePath) ? parseDockerignore(readFileSync(ignorePath, 'utf8')) : [];
  const mayReinclude = (dir) => rules.some((r) => r.negate && r.pattern.startsWith(`${dir}/`));
  const out = [];
  const walk = (rel) => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = statSync(join(root, path), { throwIfNoEntry: false });
      if (st === undefined) continue;
      const ignored = isDockerIgnored(path, rules);
      if (st.isDirectory()) {
        if (!ignored || mayReinclude(path)) walk(path);
      } else if (!ignored) out.push({ path, size: st.size });
    }
  };
  walk('');
  return out;
}

// ---- package contents ----

/** True for a path (relative to a package root, `/`-separated) that only tests or demos use. */
export function isTestOnly(path) {
  return (
    /(^|\/)(test|tests|__tests__|__mocks__|__golden__|testdata|fixtures?|demo)(\/|$)/i.test(path) ||
    /\.(test|spec|integ|bench)\.[cm]?[jt]s/i.test(path) ||
    /(^|\/)[^/]*(fixture|test-helper|demo)[^/]*$/i.test(path)
  );
}

/** The file paths an `exports`/`main`/`types` field points at (conditions flattened). */
function exportTargets(pkg) {
  const out = [];
  const walk = (v, conditions) => {
    if (typeof v === 'string') out.push({ target: v, conditions });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...conditions, k]);
  };
  walk(pkg.exports, []);
  if (typeof pkg.main === 'string') out.push({ target: pkg.main, conditions: ['main'] });
  if (typeof pkg.types === 'string') out.push({ target: pkg.types, conditions: ['types'] });
  return out;
}

/**
 * Checks what `pnpm pack` put in a library's tarball. `files` are paths relative to the package
 * root; `manifest` is the packed package.json; `read(path)` returns a packed file's text. Finds:
 * test-only files, a missing README or type declarations, `exports`/`main`/`types` targets that
 * are not in the tarball, dependency specifiers only the workspace understands, and source maps
 * whose sources are outside the package or not in it. An empty result means the tarball passed.
 */
export function checkPackedFiles(files, manifest, read) {
  const problems = [];
  const have = new Set(files);
  for (const f of files) if (isTestOnly(f)) problems.push(`test-only file ${f}`);
  if (!have.has('README.md')) problems.push('no README.md');
  if (!have.has('package.json')) problems.push('no package.json');
  const root = manifest.exports?.['.'];
  if (root === undefined) problems.push('no exports["."]');
  else if (typeof root !== 'object' || typeof root.types !== 'string')
    problems.push('exports["."] has no types condition');
  for (const { target, conditions } of exportTargets(manifest)) {
    const path = posix.normalize(target.replace(/^\.\//, ''));
    if (!have.has(path))
      problems.push(`${conditions.join('.')} points at ${target}, which is not in the package`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog|link|file):/.test(String(spec)))
        problems.push(`${field}.${name} is ${spec}, which only means something inside the workspace`);
    }
  }
  for (const f of files) {
    if (!f.endsWith('.map')) continue;
    let map;
    try {
      map = JSON.parse(read(f));
    } catch {
      problems.push(`${f} is not a JSON source map`);
      continue;
    }
    for (const source of map.sources ?? []) {
      const resolved = posix.normalize(posix.join(posix.dirname(f), map.sourceRoot ?? '', source));
      if (resolved.startsWith('../') || posix.isAbsolute(resolved) || /^[a-z]+:/i.test(source))
        problems.push(`${f} points outside the package (${source})`);
      else if (!have.has(resolved)) problems.push(`${f} points at ${resolved}, which is not in the package`);
    }
  }
  return problems;
}

// ---- README snippets ----

/**
 * The usage examples of a Markdown text: its ```ts check (or ```typescript check) blocks, with
 * the line each starts on. Other ```ts blocks are fragments and are not compiled.
 */
export function extractTsSnippets(markdown) {
  const out = [];
  const lines = markdown.split('\n');
  let current;
  lines.forEach((line, i) => {
    if (current === undefined) {
      const m = line.match(/^(\s*)```(ts|typescript)\s+check\s*$/);
      if (m) current = { line: i + 2, indent: m[1].length, code: [] };
    } else if (/^\s*```\s*$/.test(line)) {
      out.push({ line: current.line, code: current.code.join('\n') + '\n' });
      current = undefined;
    } else current.code.push(line.slice(Math.min(current.indent, line.length - line.trimStart().length)));
  });
  return out;
}

/** A path relative to the repository root, for messages. */
export function rel(path, root = ROOT) {
  const n = normalize(path);
  return n.startsWith(`${root}/`) ? n.slice(root.length + 1) : n;
}

/**
 * The apps among the packages a changesets publish run reported (`[{ name, version }]`): those
 * named `@kube-edge/<app>` with a Dockerfile under apps/<app>. Returns `[{ app, version }]`.
 */
export function releasedApps(published, root = ROOT) {
  const apps = new Map(listApps(root).map((a) => [a.packageName, a]));
  return published
    .filter((p) => apps.has(p.name) && existsSync(apps.get(p.name).dockerfile))
    .map((p) => ({ app: apps.get(p.name).name, version: p.version }))
    .sort((a, b) => a.app.localeCompare(b.app));
}
