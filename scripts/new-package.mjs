#!/usr/bin/env node
// Creates a workspace package or app with the files every one of them has.
//   node scripts/new-package.mjs packages/<name> "<one-line description>" [--private]
//   node scripts/new-package.mjs apps/<name> "<one-line description>"
// Then add dependencies ("catalog:" for third-party, "workspace:*" for ours) and run `./dev install`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [dir, description = '', flag] = process.argv.slice(2);
if (!dir || !/^(packages|apps)\/[a-z][a-z0-9-]*$/.test(dir)) {
  console.error('usage: node scripts/new-package.mjs packages|apps/<kebab-name> "<description>" [--private]');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
const target = join(root, dir);
if (existsSync(target)) {
  console.error(`${dir} exists already`);
  process.exit(2);
}
const name = basename(dir);
const isApp = dir.startsWith('apps/');
const pkg = {
  name: `@kube-edge/${name}`,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  ...(isApp || flag === '--private' ? { private: true } : {}),
  type: 'module',
  exports: {
    '.': { '@kube-edge/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  ...(isApp ? { bin: { [name]: './dist/main.js' } } : {}),
  files: ['dist', 'README.md'],
  engines: { node: '>=24' },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json --noEmit',
    lint: 'eslint .',
    test: 'node --experimental-vm-modules --disable-warning=ExperimentalWarning ../../node_modules/jest/bin/jest.js',
  },
  dependencies: isApp ? { '@kube-edge/runtime': 'workspace:*' } : {},
  devDependencies: { '@jest/globals': 'catalog:' },
};
const files = {
  'package.json': JSON.stringify(pkg, null, 2) + '\n',
  'tsconfig.json':
    JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { noEmit: true, rootDir: '.' },
        include: ['src', 'test', 'bench'],
      },
      null,
      2,
    ) + '\n',
  'tsconfig.build.json':
    JSON.stringify(
      {
        extends: './tsconfig.json',
        compilerOptions: { noEmit: false, rootDir: 'src', outDir: 'dist', customConditions: [] },
        include: ['src'],
        exclude: ['src/**/*.test.ts'],
      },
      null,
      2,
    ) + '\n',
  'jest.config.cjs': "module.exports = { ...require('../../jest.preset.cjs') };\n",
  'src/index.ts': `/** ${description} */\nexport {};\n`,
  'README.md': `# @kube-edge/${name}\n\n${description}\n`,
};
mkdirSync(join(target, 'src'), { recursive: true });
for (const [file, text] of Object.entries(files)) writeFileSync(join(target, file), text);
console.log(`created ${dir}; next: add dependencies to its package.json, then ./dev install`);
