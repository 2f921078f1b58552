/**
 * `npm run test:cluster`: the workflow tests on the Temporal cluster of scripts/cluster.ts (started by the npm script
 * when it is not running), each test file in a namespace of its own. Not part of `npm test` or .ci/run: the cluster's
 * first build takes about 8 minutes.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/cluster-setup.ts',
  // A cluster is slower per call than a dev server (SQL persistence, visibility written asynchronously).
  testTimeout: 60000,
};
