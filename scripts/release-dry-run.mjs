#!/usr/bin/env node
// Everything a release does except pushing: `./dev release --dry-run` (or `pnpm run release
// --dry-run`), and part of `pnpm run ci`. Run after a build (`--version` is asked of each app's
// dist/main.js, and the library tarballs carry dist/).
//   1. versions: each app's package.json version against its `--version`, Chart.yaml, the chart's
//      default image, and its Dockerfile (label from the VERSION build argument, the shared build
//      stage, one base image pinned by digest)
//   2. `helm package` of every chart (../shared/bin/helm, else helm on PATH; skipped, saying so,
//      when there is none) and `helm template` to see the default image the chart deploys
//   3. `pnpm pack` of every library (what `changeset publish` uploads: workspace: and catalog:
//      specifiers replaced), its content checked, and the ```ts snippets of its README
//      type-checked against the packed package as an outside project would import it
//   4. the Docker build context (after .dockerignore) and the build command of each app
//   5. actionlint over .github/workflows
// Prints, per app, the image tag and chart archive it would publish. Exits 1 on any problem.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintWorkflows } from './lint-workflows.mjs';
import {
  DEFAULT_OWNER,
  ROOT,
  chartRef,
  checkPackedFiles,
  checkVersions,
  contextFiles,
  extractTsSnippets,
  imageRef,
  listApps,
  listLibraries,
} from './release/lib.mjs';

const args = process.argv.slice(2);
if (!args.includes('--dry-run')) {
  console.error(
    'usage: ./dev release --dry-run\n' +
      'Only the dry run runs locally; images, charts and packages are published by the release workflow (docs/releasing.md).',
  );
  process.exit(2);
}
const owner = (process.env.GITHUB_REPOSITORY_OWNER ?? DEFAULT_OWNER).toLowerCase();
const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'kube-edge-release-'));
let failed = false;
const fail = (msg) => {
  failed = true;
  console.error(`  FAIL ${msg}`);
};
const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { encoding: 'utf8', cwd: ROOT, ...opts });
const section = (title) => console.log(`\n== ${title}`);

const apps = listApps();
const libraries = listLibraries();
const summary = new Map(apps.map((a) => [a.name, { version: a.version }]));

try {
  // 1. Versions
  section('versions (one source per app: its package.json)');
  for (const p of checkVersions(ROOT, owner)) fail(p);
  for (const app of apps) {
    const main = join(app.dir, 'dist', 'main.js');
    let printed = 'not built: skipped';
    if (existsSync(main)) {
      const r = run(process.execPath, [main, '--version']);
      printed = `${r.stdout}${r.stderr}`.trim();
      if (r.status !== 0 || printed.split(/\s+/).at(-1) !== app.version)
        fail(`apps/${app.name}: --version printed ${JSON.stringify(printed)}, expected ${app.version}`);
    }
    console.log(`  ${app.name.padEnd(14)} ${app.version.padEnd(9)} --version: ${printed}`);
  }
  for (const lib of libraries) console.log(`  ${lib.packageName.padEnd(26)} ${lib.version} (npm)`);

  // 2. Charts
  section('charts');
  const helm = [join(ROOT, '..', 'shared', 'bin', 'helm'), 'helm'].find(
    (h) => run(h, ['version', '--short']).status === 0,
  );
  if (helm === undefined) {
    console.log('  SKIPPED: no helm (neither ../shared/bin/helm nor helm on PATH); charts not packaged');
  } else {
    const out = join(tmp, 'charts');
    mkdirSync(out);
    for (const app of apps) {
      if (!existsSync(app.chartDir)) continue;
      const r = run(helm, ['package', app.chartDir, '--destination', out]);
      const { archive } = chartRef(app, owner);
      if (r.status !== 0 || !existsSync(join(out, archive))) {
        fail(`charts/${app.name}: helm package failed\n${r.stdout}${r.stderr}`);
        continue;
      }
      summary.get(app.name).chart = archive;
      const t = run(helm, ['template', 'release-dry-run', join(out, archive)]);
      const images = [...t.stdout.matchAll(/^\s*image:\s*"?([^"\s]+)"?/gm)].map((m) => m[1]);
      const want = imageRef(app, owner);
      if (t.status !== 0)
        console.log(`  ${app.name}: helm template needs values beyond the defaults; image not checked`);
      else if (!images.includes(want))
        fail(`charts/${app.name}: the chart deploys ${images.join(', ') || 'no image'}, expected ${want}`);
      console.log(`  ${archive.padEnd(26)} deploys ${images[0] ?? '(see above)'}`);
    }
  }

  // 3. Library packages
  section('npm packages');
  const packDir = join(tmp, 'pack');
  const consumer = join(tmp, 'consumer');
  mkdirSync(packDir);
  mkdirSync(join(consumer, 'node_modules', '@kube-edge'), { recursive: true });
  const linked = new Set();
  const snippets = [];
  for (const lib of libraries) {
    const r = run('pnpm', ['pack', '--pack-destination', packDir], { cwd: lib.dir });
    const tarball = readdirSync(packDir).find((f) =>
      f.startsWith(lib.packageName.replace('@', '').replace('/', '-') + '-'),
    );
    if (r.status !== 0 || tarball === undefined) {
      fail(`${lib.packageName}: pnpm pack failed\n${r.stdout}${r.stderr}`);
      continue;
    }
    // Unpacked where an outside project would have it, with the dependencies it declares.
    const dest = join(consumer, 'node_modules', lib.packageName);
    mkdirSync(dest, { recursive: true });
    const x = run('tar', ['-xzf', join(packDir, tarball), '-C', dest, '--strip-components=1']);
    if (x.status !== 0) {
      fail(`${lib.packageName}: cannot unpack ${tarball}: ${x.stderr}`);
      continue;
    }
    const files = run('tar', ['-tzf', join(packDir, tarball)])
      .stdout.split('\n')
      .filter((f) => f !== '')
      .map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8'));
    const problems = checkPackedFiles(files, manifest, (f) => readFileSync(join(dest, f), 'utf8'));
    for (const p of problems) fail(`${lib.packageName}: ${p}`);
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const from = join(lib.dir, 'node_modules', dep);
      const to = join(consumer, 'node_modules', dep);
      if (dep.startsWith('@kube-edge/') || linked.has(dep) || !existsSync(from)) continue;
      mkdirSync(join(to, '..'), { recursive: true });
      symlinkSync(from, to);
      linked.add(dep);
    }
    const readme = existsSync(join(lib.dir, 'README.md'))
      ? readFileSync(join(lib.dir, 'README.md'), 'utf8')
      : '';
    const found = extractTsSnippets(readme);
    if (found.length === 0) fail(`${lib.packageName}: README.md has no \`\`\`ts usage example`);
    found.forEach((s, i) => snippets.push({ lib, file: `${lib.name}-${i + 1}.ts`, ...s }));
    console.log(
      `  ${tarball.padEnd(40)} ${String(files.length).padStart(3)} files, ${found.length} README snippet(s)${problems.length ? '' : ', content ok'}`,
    );
  }
  if (!existsSync(join(consumer, 'node_modules', '@types')))
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(consumer, 'node_modules', '@types'));
  // README snippets, compiled as an outside project that installed the packed packages.
  for (const s of snippets) writeFileSync(join(consumer, s.file), `${s.code}\nexport {};\n`);
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        noUnusedLocals: false,
      },
      include: ['*.ts'],
    }),
  );
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  if (snippets.length > 0) {
    const tsc = run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer],
      {
        cwd: consumer,
      },
    );
    if (tsc.status !== 0) {
      const byFile = new Map(snippets.map((s) => [s.file, s]));
      for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n').filter((l) => l.trim() !== '')) {
        const m = line.match(/^([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/);
        const s = m ? byFile.get(m[1]) : undefined;
        if (s) fail(`packages/${s.lib.name}/README.md:${s.line + Number(m[2]) - 1}: ${m[4]}`);
        else if (!line.startsWith(' ')) fail(`README snippets: ${line}`);
      }
    } else console.log(`  README snippets: ${snippets.length} type-check against the packed packages`);
  }

  // 4. Docker build contexts
  section('docker build contexts (repository root after .dockerignore)');
  const context = contextFiles(ROOT);
  const bytes = context.reduce((n, f) => n + f.size, 0);
  console.log(`  ${context.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB, shared by every app`);
  for (const f of context) {
    if (/(^|\/)(node_modules|dist|\.git)(\/|$)/.test(f.path) || /\.test\.ts$/.test(f.path))
      fail(`.dockerignore lets ${f.path} into the build context`);
  }
  for (const app of apps) {
    const mine = context.filter((f) => f.path.startsWith(`apps/${app.name}/`)).length;
    const shared = context.filter((f) => f.path.startsWith('packages/')).length;
    console.log(
      `  ${app.name}: apps/${app.name} (${mine} files) + packages (${shared} files) + root manifests\n` +
        `    docker buildx build -f apps/${app.name}/Dockerfile --platform linux/amd64,linux/arm64 --build-arg VERSION=${app.version} -t ${imageRef(app, owner)} .`,
    );
  }

  // 5. Workflows
  section('workflows (actionlint)');
  const dir = join(ROOT, '.github', 'workflows');
  const workflows = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const lint = await lintWorkflows(
    workflows.map((f) => ({ path: `.github/workflows/${f}`, text: readFileSync(join(dir, f), 'utf8') })),
  );
  for (const p of lint) fail(`${p.file}:${p.line}:${p.column}: ${p.message}`);
  if (lint.length === 0) console.log(`  ${workflows.join(', ')}: ok`);

  // What a release would publish.
  section(`would publish (owner ${owner})`);
  for (const app of apps) {
    const s = summary.get(app.name);
    console.log(
      `  ${app.name.padEnd(14)} image ${imageRef(app, owner)}  chart ${s.chart ?? `${chartRef(app, owner).archive} (not packaged)`} -> ${chartRef(app, owner).oci}`,
    );
  }
  for (const lib of libraries)
    console.log(`  ${lib.packageName.padEnd(14)} npm ${lib.packageName}@${lib.version}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `\nrelease dry run ${failed ? 'FAILED' : 'ok'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(failed ? 1 : 0);
