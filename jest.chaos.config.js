/** `npm run test:chaos`: the whole fault suite (test/chaos/full.chaos.ts), one scenario after another. */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...base, testMatch: ['<rootDir>/test/chaos/**/*.chaos.ts'], testTimeout: 420000 };
