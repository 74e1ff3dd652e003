#!/usr/bin/env node
// Creates a workspace package or app with the files every one of them has. An app is a
// skeleton on the shared controller loop (k8s-watch's runController): one informer, a pure
// build, one apply step, a CLI with --help, and a test of the pure build.
//   node scripts/new-package.mjs packages/<name> "<one-line description>" [--private]
//   node scripts/new-package.mjs apps/<name> "<one-line description>"
// Then add dependencies ("catalog:" for third-party, "workspace:*" for ours) and run `./dev install`.
import { execFileSync } from 'node:child_process';
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
  dependencies: isApp
    ? {
        '@kube-edge/k8s-watch': 'workspace:*',
        '@kube-edge/runtime': 'workspace:*',
        '@kubernetes/client-node': 'catalog:',
      }
    : {},
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
if (isApp) Object.assign(files, appFiles(name, description));
mkdirSync(join(target, 'src'), { recursive: true });
for (const [file, text] of Object.entries(files)) writeFileSync(join(target, file), text);
// The workspace's Prettier style (CI runs `prettier --check .`).
const prettier = join(root, 'node_modules', '.bin', 'prettier');
if (existsSync(prettier))
  execFileSync(prettier, ['--write', '--log-level=warn', target], { stdio: 'inherit' });
console.log(`created ${dir}; next: add dependencies to its package.json, then ./dev install`);

/** The files of an app skeleton on the shared controller loop (see docs/development.md). */
function appFiles(name, description) {
  const prefix = name.replace(/-/g, '_');
  const env = name.toUpperCase().replace(/-/g, '_');
  return {
    'src/index.ts': `/** ${description} */\nexport { run, type AppDeps, type App } from './app.js';\nexport { build, type Model } from './model.js';\n`,
    'src/model.ts': `import type { V1ConfigMap } from '@kubernetes/client-node';
import type { BuildResult, Lister, SkippedObject } from '@kube-edge/k8s-watch';

/** The desired state, built from the caches by {@link build}. */
export interface Model {
  /** \`namespace/name\` of every object taken. */
  readonly names: readonly string[];
}

/**
 * The pure middle: the whole desired state from the caches, and what was left out, with a reason.
 * Validate every user-supplied value here, before it reaches an apply step.
 */
export function build(listers: { readonly configMaps: Lister<V1ConfigMap> }): BuildResult<Model> {
  const names: string[] = [];
  const skipped: SkippedObject[] = [];
  for (const cm of listers.configMaps.list()) {
    const name = cm.metadata?.name ?? '';
    const namespace = cm.metadata?.namespace ?? '';
    if (name.length > 63) {
      skipped.push({ kind: 'ConfigMap', namespace, name, reason: 'NameTooLong', message: 'name over 63 characters' });
      continue;
    }
    names.push(\`\${namespace}/\${name}\`);
  }
  return { model: { names: names.sort() }, skipped };
}
`,
    'src/model.test.ts': `import { describe, expect, it } from '@jest/globals';
import { createStaticLister } from '@kube-edge/k8s-watch';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { build } from './model.js';

describe('build', () => {
  it('takes every valid object and skips the rest with a reason', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b'.repeat(64), namespace: 'x' } },
    ];
    const r = build({ configMaps: createStaticLister<V1ConfigMap>(objects, { kind: 'ConfigMap' }) });
    expect(r.model.names).toEqual(['x/a']);
    expect(r.skipped.map((s) => s.reason)).toEqual(['NameTooLong']);
  });
});
`,
    'src/app.ts': `import { CONFIG_MAPS, runController, watch, type ControllerHandle, type KubeClient } from '@kube-edge/k8s-watch';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { createMetrics, type Logger, type Metrics } from '@kube-edge/runtime';
import { build, type Model } from './model.js';

/** What ${name} takes from the outside world; main.ts builds the real ones, tests pass fakes. */
export interface AppDeps {
  readonly logger: Logger;
  readonly kubeClient: KubeClient;
  /** Default: a new registry with prefix \`${prefix}\`. */
  readonly metrics?: Metrics;
}

const informers = { configMaps: watch<V1ConfigMap>(CONFIG_MAPS) };

/** A running ${name}: the shared controller handle. \`stop()\` stops it (idempotent). */
export type App = ControllerHandle<typeof informers, Model>;

/** Starts ${name} on the shared controller loop. Resolves once the health server listens. */
export function run(config: { healthPort: number }, deps: AppDeps): Promise<App> {
  const metrics = deps.metrics ?? createMetrics({ prefix: '${prefix}' });
  return runController(
    {
      name: '${name}',
      informers,
      build,
      steps: [
        {
          name: 'log',
          start: () => Promise.resolve(),
          update: (model) => {
            deps.logger.info('model', { objects: model.names.length });
            return Promise.resolve();
          },
          stop: () => Promise.resolve(),
          health: () => ({ ok: true }),
          readiness: () => ({ ok: true }),
        },
      ],
      http: { port: config.healthPort },
      summarize: (model) => ({ objects: model.names.length }),
    },
    { logger: deps.logger, kubeClient: deps.kubeClient, metrics },
  );
}
`,
    'src/main.ts': `#!/usr/bin/env node
// The only file that touches the process: argv, env, signals and exit.
import { createKubeClient, kubeEdgeUserAgent, loadKubeConfig } from '@kube-edge/k8s-watch';
import { createLogger, createShutdown, defineCli } from '@kube-edge/runtime';
import { run } from './app.js';

const VERSION = '0.1.0';
const cli = defineCli({
  name: '${name}',
  version: VERSION,
  description: ${JSON.stringify(description)},
  envPrefix: '${env}',
  flags: {
    'health-port': { type: 'number', default: 8080, description: 'Port of /healthz, /readyz and /metrics.' },
    kubeconfig: { type: 'string', description: 'kubeconfig file; default in-cluster.' },
  },
});
const { values } = cli.parseOrExit(process.argv.slice(2), process.env);
const logger = createLogger({ name: '${name}' });
const kubeConfig = loadKubeConfig({
  ...(values.kubeconfig !== undefined ? { kubeconfigPath: values.kubeconfig } : {}),
  inCluster: { host: process.env.KUBERNETES_SERVICE_HOST ?? '', port: process.env.KUBERNETES_SERVICE_PORT ?? '' },
}).kubeConfig;
const app = await run(
  { healthPort: values['health-port'] },
  { logger, kubeClient: createKubeClient({ kubeConfig, userAgent: kubeEdgeUserAgent('${name}', VERSION) }) },
);
const shutdown = createShutdown({ logger, exit: (code) => void logger.close().then(() => process.exit(code)) });
shutdown.addStep('${name}', () => app.stop(), { timeoutMs: 30_000 });
shutdown.install();
`,
    'README.md': `# @kube-edge/${name}\n\n${description}\n\nBuilt on the shared controller loop (\`runController\` in @kube-edge/k8s-watch): see\n[docs/development.md](../../docs/development.md#writing-a-new-controller).\n`,
  };
}
