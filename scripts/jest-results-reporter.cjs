// Writes each package's test counts to .test-results.json (or $KUBE_EDGE_TEST_RESULTS_FILE: the
// real-API pass writes .test-results-real.json), for scripts/test-summary.mjs.
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
    writeFileSync(
      join(this.rootDir, process.env.KUBE_EDGE_TEST_RESULTS_FILE || '.test-results.json'),
      JSON.stringify(out) + '\n',
    );
  }
}
module.exports = ResultsReporter;
