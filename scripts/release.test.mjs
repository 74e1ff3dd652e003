// Tests of the release checks: the version-drift check on the real repository and on a small
// fixture repository it must catch drift in, the Chart.yaml sync, the .dockerignore matcher, the
// packed-content check, the README example extractor, the release plan and the workflow lint.
// Run by `pnpm run ci`: node --test scripts/
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lintWorkflows } from './lint-workflows.mjs';
import {
  ROOT,
  checkPackedFiles,
  checkVersions,
  extractTsSnippets,
  isDockerIgnored,
  listWorkspace,
  parseDockerignore,
  releasedApps,
  syncVersions,
} from './release/lib.mjs';

describe('listWorkspace', () => {
  it('lists every package with a package.json, packages before apps, each by name', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'workspace-test-'));
    after(() => rmSync(tmp, { recursive: true, force: true }));
    for (const dir of ['apps/b', 'apps/a', 'packages/z', 'packages/private', 'apps/no-manifest'])
      mkdirSync(join(tmp, dir), { recursive: true });
    for (const dir of ['apps/b', 'apps/a', 'packages/z'])
      writeFileSync(join(tmp, dir, 'package.json'), JSON.stringify({ name: dir }));
    writeFileSync(join(tmp, 'packages/private/package.json'), JSON.stringify({ name: 'p', private: true }));
    const listed = listWorkspace(tmp);
    assert.deepEqual(
      listed.map((p) => p.dir),
      ['packages/private', 'packages/z', 'apps/a', 'apps/b'],
    );
    assert.equal(listed[3].path, join(tmp, 'apps/b'));
    assert.equal(listed[3].pkg.name, 'apps/b');
  });
});

describe('version drift', () => {
  it('finds none in the repository', () => {
    assert.deepEqual(checkVersions(ROOT), []);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'release-test-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** A one-app repository copied from the real feed-dns app's release files. */
  function fixture(name) {
    const root = join(tmp, name);
    mkdirSync(join(root, 'apps/feed-dns/src'), { recursive: true });
    mkdirSync(join(root, 'charts/feed-dns'), { recursive: true });
    for (const f of ['package.json', 'Dockerfile', 'src/cli.ts'])
      cpSync(join(ROOT, 'apps/feed-dns', f), join(root, 'apps/feed-dns', f));
    for (const f of ['Chart.yaml', 'values.yaml'])
      cpSync(join(ROOT, 'charts/feed-dns', f), join(root, 'charts/feed-dns', f));
    return root;
  }
  const edit = (path, from, to) => {
    const text = readFileSync(path, 'utf8');
    assert.ok(from.test(text), `${path} has ${from}`);
    writeFileSync(path, text.replace(from, to));
  };

  it('reports a package.json bump the chart did not follow, and the sync fixes it', () => {
    const root = fixture('bump');
    edit(join(root, 'apps/feed-dns/package.json'), /"version": "[^"]+"/, '"version": "9.8.7"');
    assert.deepEqual(
      checkVersions(root).map((p) => p.replace(/ is not .*/, '')),
      ['charts/feed-dns/Chart.yaml: version 0.1.0', 'charts/feed-dns/Chart.yaml: appVersion 0.1.0'],
    );
    assert.deepEqual(syncVersions(root), [join(root, 'charts/feed-dns/Chart.yaml')]);
    assert.deepEqual(checkVersions(root), []);
    assert.match(readFileSync(join(root, 'charts/feed-dns/Chart.yaml'), 'utf8'), /^appVersion: '9\.8\.7'$/m);
  });

  it('reports a hard-coded version in cli.ts, the image label, the chart image or the base image', () => {
    const root = fixture('literals');
    edit(
      join(root, 'apps/feed-dns/src/cli.ts'),
      /export const VERSION[^;]+;/s,
      "export const VERSION = '0.1.0';",
    );
    edit(join(root, 'apps/feed-dns/Dockerfile'), /image\.version="\$\{VERSION\}"/, 'image.version="0.1.0"');
    edit(join(root, 'charts/feed-dns/values.yaml'), /tag: ''/, "tag: '0.0.9'");
    edit(
      join(root, 'apps/feed-dns/Dockerfile'),
      /^FROM (node:[^@\s]+)@sha256:\w+ AS runtime/m,
      'FROM $1 AS runtime',
    );
    const problems = checkVersions(root).join('\n');
    assert.match(problems, /cli\.ts: the version is the literal '0\.1\.0'/);
    assert.match(problems, /org\.opencontainers\.image\.version is 0\.1\.0/);
    assert.match(problems, /image\.tag "0\.0\.9" is neither/);
    assert.match(problems, /base image node:24-bookworm-slim is not pinned by digest/);
  });

  it('reports a build stage that departs from the shared one', () => {
    const root = fixture('stage');
    cpSync(join(root, 'apps/feed-dns'), join(root, 'apps/kuberoute'), { recursive: true });
    edit(join(root, 'apps/kuberoute/package.json'), /@kube-edge\/feed-dns/, '@kube-edge/kuberoute');
    edit(join(root, 'apps/kuberoute/Dockerfile'), /ARG APP=feed-dns/, 'ARG APP=kuberoute');
    cpSync(join(root, 'charts/feed-dns'), join(root, 'charts/kuberoute'), { recursive: true });
    edit(join(root, 'charts/kuberoute/Chart.yaml'), /^name: feed-dns$/m, 'name: kuberoute');
    edit(
      join(root, 'charts/kuberoute/values.yaml'),
      /ghcr\.io\/kube-edge\/feed-dns/,
      'ghcr.io/kube-edge/kuberoute',
    );
    assert.deepEqual(checkVersions(root), []);
    edit(join(root, 'apps/kuberoute/Dockerfile'), /^COPY \. \.$/m, 'COPY . .\nRUN echo extra');
    assert.match(checkVersions(root).join('\n'), /apps\/kuberoute\/Dockerfile: the build stage differs/);
  });
});

describe('.dockerignore', () => {
  const rules = parseDockerignore(
    '**/node_modules\n**/dist\n**/*.test.ts\ncharts\n**/*.md\n!apps/*/README.md\n# comment\n/tmp/\n',
  );
  for (const [path, ignored] of [
    ['node_modules/x/index.js', true],
    ['packages/runtime/node_modules/yaml/package.json', true],
    ['packages/runtime/dist/index.js', true],
    ['packages/runtime/src/logger.test.ts', true],
    ['packages/runtime/src/logger.ts', false],
    ['charts/feed-dns/Chart.yaml', true],
    ['docs/releasing.md', true],
    ['apps/feed-dns/README.md', false],
    ['tmp/a', true],
    ['pnpm-lock.yaml', false],
  ]) {
    it(`${ignored ? 'ignores' : 'keeps'} ${path}`, () => assert.equal(isDockerIgnored(path, rules), ignored));
  }
});

describe('packed content', () => {
  const manifest = {
    name: '@kube-edge/x',
    exports: {
      '.': { '@kube-edge/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    dependencies: { yaml: '2.9.1' },
  };
  const good = [
    'package.json',
    'README.md',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/index.js.map',
    'src/index.ts',
  ];
  const maps = { 'dist/index.js.map': JSON.stringify({ version: 3, sources: ['../src/index.ts'] }) };

  it('passes a package with its exports, types, README and maps that resolve inside it', () => {
    assert.deepEqual(
      checkPackedFiles(good, manifest, (f) => maps[f]),
      [],
    );
  });

  it('reports tests, fixtures, missing targets, workspace specifiers and maps pointing outside', () => {
    const problems = checkPackedFiles(
      ['package.json', 'dist/index.js', 'dist/a.test.js', 'src/fixtures/x.json', 'dist/b.js.map'],
      { ...manifest, dependencies: { '@kube-edge/runtime': 'workspace:*', yaml: 'catalog:' } },
      () => JSON.stringify({ sources: ['../../../packages/x/src/b.ts'] }),
    ).join('\n');
    for (const expected of [
      'test-only file dist/a.test.js',
      'test-only file src/fixtures/x.json',
      'no README.md',
      'types points at ./dist/index.d.ts, which is not in the package',
      'dependencies.@kube-edge/runtime is workspace:*',
      'dependencies.yaml is catalog:',
      'dist/b.js.map points outside the package',
    ])
      assert.ok(problems.includes(expected), `${expected}\nin\n${problems}`);
  });
});

describe('README examples', () => {
  it('extracts only ```ts check blocks, with their first line', () => {
    const md =
      'a\n```ts check\nconst x = 1;\n```\n```ts\nfragment(\n```\n  ```typescript check\n  const y = 2;\n  ```\n';
    assert.deepEqual(extractTsSnippets(md), [
      { line: 3, code: 'const x = 1;\n' },
      { line: 9, code: 'const y = 2;\n' },
    ]);
  });
});

describe('release plan', () => {
  it('keeps the apps among the published packages', () => {
    assert.deepEqual(
      releasedApps([
        { name: '@kube-edge/runtime', version: '0.2.0' },
        { name: '@kube-edge/feed-ingress', version: '0.3.0' },
      ]),
      [{ app: 'feed-ingress', version: '0.3.0' }],
    );
  });
});

describe('workflow lint', () => {
  it('passes the repository workflows and reports a broken one', async () => {
    const release = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');
    assert.deepEqual(await lintWorkflows([{ path: 'release.yml', text: release }]), []);
    const broken = release.replace('needs.release.outputs.apps', 'needs.relase.outputs.apps');
    const problems = await lintWorkflows([{ path: 'release.yml', text: broken }]);
    assert.ok(
      problems.some((p) => /relase/.test(p.message)),
      JSON.stringify(problems),
    );
  });
});
