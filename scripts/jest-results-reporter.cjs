// Writes each package's test counts to .test-results.json, for scripts/test-summary.mjs.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ResultsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    const out = {
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
    };
    writeFileSync(join(this.rootDir, '.test-results.json'), JSON.stringify(out) + '\n');
  }
}
module.exports = ResultsReporter;
