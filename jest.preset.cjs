// Shared jest set-up for every package and app (see docs/development.md, "Modules and tests").
// Sources and tests are native ESM TypeScript: @swc/jest strips types and keeps `import`/`export`,
// and jest runs the modules as ESM (the `test` scripts pass --experimental-vm-modules), so
// ESM-only dependencies such as @kubernetes/client-node load as they do in production.
// Consequences: use `jest.unstable_mockModule` rather than hoisted `jest.mock` (we prefer fakes
// anyway), and import `jest`/`expect` from '@jest/globals'.
// Workspace packages resolve to their TypeScript sources through the "@kube-edge/source"
// export condition, so a package's tests need no prior build of its dependencies.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@kube-edge/source', 'node', 'node-addons'],
  },
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Generous: a test waits on explicit signals and is bounded by its own count; this only stops a
  // hung test. Tests doing real work (nginx -t per sample, real processes) must not fail because
  // a shared 2-core machine is loaded.
  testTimeout: 90000,
  reporters: ['default', [require.resolve('./scripts/jest-results-reporter.cjs'), {}]],
};
