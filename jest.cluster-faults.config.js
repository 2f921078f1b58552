/** `npm run test:cluster:faults`: test/cluster/faults.cluster.ts on the cluster of scripts/cluster.ts, one at a time. */
const cluster = require('./jest.cluster.config');

/** @type {import('jest').Config} */
module.exports = { ...cluster, testMatch: ['<rootDir>/test/cluster/**/*.cluster.ts'], testTimeout: 300000 };
