// Prints one closing line for the whole workspace's tests from each package's
// .test-results.json (written by scripts/jest-results-reporter.cjs; restored by turbo's cache) and
// each app's .test-results-real.json (the real-API pass, scripts/test-real-api.mjs).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    for (const [results, label] of [
      ['.test-results.json', ''],
      ['.test-results-real.json', ' (real API)'],
    ]) {
      const file = join(dir, name, results);
      if (!existsSync(file)) continue;
      const r = JSON.parse(readFileSync(file, 'utf8'));
      passed += r.passed;
      failed += r.failed + r.suitesFailed;
      skipped += r.skipped;
      console.log(`${group}/${name}${label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
    }
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed === 0 || failed > 0) process.exit(1);
